// openai_chat on golden files (tests/golden/openai_chat/): recorded upstream streams and bodies
// → canonical → what a Chat client receives; client requests → canonical → upstream body.

#include "support/golden.hpp"
#include "formats/openai_chat/codec.hpp"
#include "gateway/core/canonical_json.hpp"
#include "unit/formats/openai_chat/test_util.hpp"

#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

#include <string>

namespace chat = gateway::formats::openai_chat;
using namespace gateway;
using gateway::test::check_golden_json;
using gateway::test::check_golden_jsonl;
using gateway::test::check_golden_sse;
using gateway::test::read_golden;
using gateway::test::openai_chat::decode_stream;

namespace {

std::string dir(std::string_view c) { return "openai_chat/" + std::string(c) + "/"; }

/// Decodes `<case>/upstream.sse` whole and in every chunking; all must give canonical.jsonl.
std::string check_stream_case(std::string_view c, bool expect_complete = true) {
    const std::string bytes = read_golden(dir(c) + "upstream.sse");
    const auto whole = decode_stream(bytes);
    CHECK(whole.feed_ok);
    CHECK(whole.finish_ok == expect_complete);
    check_golden_jsonl(dir(c) + "canonical.jsonl", whole.jsonl);
    int runs = 0;
    gateway::test::for_each_chunking(bytes, [&](std::span<const std::string_view> chunks) {
        const auto split = decode_stream(chunks);
        ++runs;
        if (split.jsonl != whole.jsonl || split.finish_ok != whole.finish_ok) {
            FAIL_CHECK("chunking changed the output of " << c << " (" << chunks.size()
                                                         << " chunks)");
        }
    });
    CHECK(runs > 2);
    return whole.jsonl;
}

/// Replays canonical.jsonl into the client stream encoder and the non-stream encoder.
void check_client_case(std::string_view c, bool include_usage = true) {
    const std::string jsonl = read_golden(dir(c) + "canonical.jsonl");
    request original;
    original.include_usage = include_usage;
    ingress::encode_options options;
    options.model = "gpt-4o";
    options.created = 1754688929;
    options.original = &original;

    auto encoder = chat::make_stream_encoder(options);
    REQUIRE(replay_events(jsonl, *encoder).has_value());
    CHECK(encoder->finished());
    check_golden_sse(dir(c) + "client.sse", encoder->output());

    response_builder builder;
    REQUIRE(replay_events(jsonl, builder).has_value());
    if (builder.error() == nullptr) {
        check_golden_json(dir(c) + "client.json",
                          boost::json::parse(chat::encode_response(builder.response(), options)));
    }
}

void check_response_case(std::string_view c) {
    conversion_report report;
    auto res = chat::decode_response(read_golden(dir(c) + "upstream.json"), nullptr, report);
    REQUIRE(res.has_value());
    check_golden_json(dir(c) + "canonical_response.json", to_json(*res));
    ingress::encode_options options;
    options.model = "gpt-4o";
    options.created = 1754688929;
    check_golden_json(dir(c) + "client.json",
                      boost::json::parse(chat::encode_response(*res, options)));
}

}  // namespace

TEST_CASE("openai_chat: recorded text stream", "[openai_chat][golden][stream]") {
    check_stream_case("text-stream");
    check_client_case("text-stream");
}

TEST_CASE("openai_chat: recorded parallel tool calls stream", "[openai_chat][golden][stream]") {
    check_stream_case("parallel-tool-calls-stream");
    check_client_case("parallel-tool-calls-stream");
}

TEST_CASE("openai_chat: recorded fragmented tool arguments", "[openai_chat][golden][stream]") {
    check_stream_case("tool-call-fragments-stream");
    check_client_case("tool-call-fragments-stream", false);
}

TEST_CASE("openai_chat: recorded 53-fragment tool call", "[openai_chat][golden][stream]") {
    check_stream_case("final-result-tool-stream");
}

TEST_CASE("openai_chat: recorded text answer after a tool result",
          "[openai_chat][golden][stream]") {
    check_stream_case("text-after-tool-stream");
}

TEST_CASE("openai_chat: xAI reasoning_content stream with the usage quirk",
          "[openai_chat][golden][stream]") {
    const std::string jsonl = check_stream_case("xai-reasoning-tool-call-stream");
    // completion_tokens 26 excludes reasoning_tokens 227 (total 560 = 307 + 26 + 227).
    CHECK(jsonl.find(R"("output_tokens":253)") != std::string::npos);
    check_client_case("xai-reasoning-tool-call-stream");
}

TEST_CASE("openai_chat: refusal stream", "[openai_chat][golden][stream]") {
    check_stream_case("refusal-stream");
    check_client_case("refusal-stream");
}

TEST_CASE("openai_chat: error in the middle of a stream", "[openai_chat][golden][stream]") {
    check_stream_case("error-mid-stream");
    check_client_case("error-mid-stream");
}

TEST_CASE("openai_chat: stream without [DONE] after finish_reason",
          "[openai_chat][golden][stream]") {
    check_stream_case("no-done-stream");
    check_client_case("no-done-stream", false);
}

TEST_CASE("openai_chat: recorded non-stream answers", "[openai_chat][golden]") {
    check_response_case("text");
    check_response_case("tool-call");
    check_response_case("cached-tokens");
    check_response_case("refusal");
    check_response_case("xai-reasoning");
}

TEST_CASE("openai_chat: client requests to canonical and back to an upstream body",
          "[openai_chat][golden]") {
    struct case_t {
        const char* name;
        const char* model;
        bool stream;
    };
    for (const case_t& c :
         {case_t{"request-tool-turn", "gpt-4o-mini", true}, case_t{"request-full", "gpt-4.1", true},
          case_t{"request-reasoning-model", "o3", false}}) {
        INFO(c.name);
        conversion_report report;
        auto req = gateway::ingress::decode_request(
            gateway::api_format::openai_chat, read_golden(dir(c.name) + "client_request.json"),
            report);
        REQUIRE(req.has_value());
        check_golden_json(dir(c.name) + "canonical_request.json", to_json(*req));

        conversion_report up_report;
        upstream::encode_options options;
        options.model = c.model;
        options.stream = c.stream;
        auto parts = chat::encode_request(*req, options, up_report);
        REQUIRE(parts.has_value());
        CHECK(parts->path == "/chat/completions");
        check_golden_json(dir(c.name) + "upstream_request.json", boost::json::parse(parts->body));
    }
}

TEST_CASE("openai_chat: the reports of the golden requests", "[openai_chat][golden]") {
    {
        conversion_report report;
        auto req = gateway::ingress::decode_request(
            gateway::api_format::openai_chat,
            read_golden("openai_chat/request-full/client_request.json"), report);
        REQUIRE(req.has_value());
        CHECK(report.header_value().empty());
        CHECK(req->max_output_tokens == 500);  // max_completion_tokens wins over max_tokens
        conversion_report up;
        upstream::encode_options options;
        options.model = "gpt-4.1";
        REQUIRE(chat::encode_request(*req, options, up).has_value());
        CHECK(up.header_value().empty());
    }
    {
        conversion_report report;
        auto req = gateway::ingress::decode_request(
            gateway::api_format::openai_chat,
            read_golden("openai_chat/request-reasoning-model/client_request.json"), report);
        REQUIRE(req.has_value());
        conversion_report up;
        upstream::encode_options options;
        options.model = "o3";
        REQUIRE(chat::encode_request(*req, options, up).has_value());
        CHECK(up.header_value() == "temperature=dropped");
    }
}
