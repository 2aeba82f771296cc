// openai_responses on golden files (tests/golden/openai_responses/): recorded upstream streams and
// bodies → canonical → what a Responses client receives; client requests (recorded and our own)
// → canonical → upstream body.

#include "support/golden.hpp"
#include "formats/openai_responses/codec.hpp"
#include "gateway/core/canonical_json.hpp"
#include "unit/formats/openai_responses/test_util.hpp"

#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <vector>

namespace responses = gateway::formats::openai_responses;
namespace json = boost::json;
using namespace gateway;
using gateway::test::check_golden_json;
using gateway::test::check_golden_jsonl;
using gateway::test::check_golden_sse;
using gateway::test::read_golden;
using gateway::test::openai_responses::decode_stream;

namespace {

std::string dir(std::string_view c) { return "openai_responses/" + std::string(c) + "/"; }

/// Decodes `<case>/upstream.sse` whole and in every chunking; all must give canonical.jsonl.
std::string check_stream_case(std::string_view c) {
    const std::string bytes = read_golden(dir(c) + "upstream.sse");
    const auto whole = decode_stream(bytes);
    CHECK(whole.feed_ok);
    CHECK(whole.finish_ok);
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

/// The decoded client request of a golden request case, as the `original` of encoders.
request original_of(std::string_view request_case) {
    conversion_report report;
    auto req = gateway::ingress::decode_request(
        gateway::api_format::openai_responses,
        read_golden(dir(request_case) + "client_request.json"), report);
    REQUIRE(req.has_value());
    return *req;
}

ingress::encode_options client_options(const request* original) {
    ingress::encode_options options;
    options.model = original != nullptr ? std::string_view(original->model) : "gpt-4o";
    options.created = 1754688929;
    options.original = original;
    return options;
}

/// Replays canonical.jsonl into the client stream encoder and the non-stream encoder.
void check_client_case(std::string_view c, const request* original = nullptr) {
    const std::string jsonl = read_golden(dir(c) + "canonical.jsonl");
    const ingress::encode_options options = client_options(original);

    auto encoder = responses::make_stream_encoder(options);
    REQUIRE(replay_events(jsonl, *encoder).has_value());
    CHECK(encoder->finished());
    check_golden_sse(dir(c) + "client.sse", encoder->output());

    response_builder builder;
    REQUIRE(replay_events(jsonl, builder).has_value());
    if (builder.error() == nullptr) {
        const json::value body =
            json::parse(responses::encode_response(builder.response(), options));
        check_golden_json(dir(c) + "client.json", body);
        // The non-stream body is the stream's final response object.
        const auto events = gateway::test::openai_responses::parse_client_sse(encoder->output());
        REQUIRE_FALSE(events.empty());
        CHECK(events.back().data.at("response") == body);
    }
}

/// The upstream stream straight into the client encoder (no JSON lines in between, so the blocks
/// keep their extra fields of this format): the client sees the upstream's item ids, in order.
void check_items_kept(std::string_view c) {
    const std::string bytes = read_golden(dir(c) + "upstream.sse");
    std::vector<std::string> upstream_ids;
    for (const auto& e : gateway::test::openai_responses::parse_client_sse(bytes)) {
        if (e.name != "response.output_item.done") continue;
        const json::value& item = e.data.at("item");
        const std::string_view type = item.at("type").as_string();
        if (type == "message" || type == "function_call" || type == "reasoning") {
            upstream_ids.emplace_back(item.at("id").as_string());
        }
    }
    auto decoder = responses::make_stream_decoder({});
    auto encoder = responses::make_stream_encoder(client_options(nullptr));
    REQUIRE(decoder->feed(bytes, *encoder).has_value());
    REQUIRE(decoder->finish(*encoder).has_value());
    const auto events = gateway::test::openai_responses::parse_client_sse(encoder->output());
    REQUIRE_FALSE(events.empty());
    std::vector<std::string> client_ids;
    for (const json::value& item : events.back().data.at("response").at("output").as_array()) {
        client_ids.emplace_back(item.at("id").as_string());
    }
    CHECK(client_ids == upstream_ids);
}

void check_response_case(std::string_view c) {
    conversion_report report;
    auto res = responses::decode_response(read_golden(dir(c) + "upstream.json"), nullptr, report);
    INFO(report.error_message);
    REQUIRE(res.has_value());
    check_golden_json(dir(c) + "canonical_response.json", to_json(*res));
    check_golden_json(dir(c) + "client.json",
                      json::parse(responses::encode_response(*res, client_options(nullptr))));
}

}  // namespace

TEST_CASE("openai_responses: recorded function call stream", "[openai_responses][golden][stream]") {
    const std::string jsonl = check_stream_case("function-call-then-text-stream.1");
    CHECK(jsonl.find(R"("finish":"tool_use")") != std::string::npos);
    check_client_case("function-call-then-text-stream.1");
    check_items_kept("function-call-then-text-stream.1");
}

TEST_CASE("openai_responses: recorded text stream after a tool result",
          "[openai_responses][golden][stream]") {
    check_stream_case("function-call-then-text-stream.2");
    const request original = original_of("request-function-call-output-stream");
    check_client_case("function-call-then-text-stream.2", &original);
}

TEST_CASE("openai_responses: recorded minimal text stream (newer fields, obfuscation)",
          "[openai_responses][golden][stream]") {
    check_stream_case("text-stream");
    const request original = original_of("request-encrypted-reasoning-stateless");
    check_client_case("text-stream", &original);
}

TEST_CASE("openai_responses: recorded reasoning summary stream (4 parts, encrypted_content)",
          "[openai_responses][golden][stream]") {
    const std::string jsonl = check_stream_case("reasoning-summary-stream");
    // The signature is the encrypted_content of output_item.done (as ReasoningItem says), not
    // the incomplete one of output_item.added (nor the one repeated in response.completed, which
    // differs again in this recording).
    CHECK(jsonl.find("gAAAAABoxC0m_QWpOlSt") != std::string::npos);
    CHECK(jsonl.find("gAAAAABoxC0dvsKe9_yf") == std::string::npos);
    CHECK(jsonl.find(R"("reasoning_tokens":1408)") != std::string::npos);
    const request original = original_of("request-reasoning-summary");
    check_client_case("reasoning-summary-stream", &original);
    check_items_kept("reasoning-summary-stream");
}

TEST_CASE("openai_responses: recorded multi-step run (reasoning, calls, text)",
          "[openai_responses][golden][stream]") {
    for (const char* c :
         {"reasoning-summary-function-call-stream.1", "reasoning-summary-function-call-stream.2",
          "reasoning-summary-function-call-stream.3", "reasoning-summary-function-call-stream.4"}) {
        INFO(c);
        check_stream_case(c);
        check_client_case(c);
        check_items_kept(c);
    }
}

TEST_CASE("openai_responses: recorded cached and reasoning tokens, two message items",
          "[openai_responses][golden][stream]") {
    const std::string jsonl = check_stream_case("usage-cached-and-reasoning-tokens-stream");
    CHECK(jsonl.find(R"("cache_read_tokens":3072)") != std::string::npos);
    CHECK(jsonl.find(R"("reasoning_tokens":64)") != std::string::npos);
    check_client_case("usage-cached-and-reasoning-tokens-stream");
    // Two message items (commentary, final_answer) stay two items.
    check_items_kept("usage-cached-and-reasoning-tokens-stream");
}

TEST_CASE("openai_responses: recorded stream failing with insufficient_quota",
          "[openai_responses][golden][stream]") {
    const std::string jsonl = check_stream_case("error-stream-insufficient-quota");
    CHECK(jsonl.find(R"("status":429)") != std::string::npos);
    check_client_case("error-stream-insufficient-quota");
    const auto names = gateway::test::openai_responses::event_names(
        read_golden(dir("error-stream-insufficient-quota") + "client.sse"));
    CHECK(names == std::vector<std::string>{"response.created", "response.in_progress", "error",
                                            "response.failed"});
}

TEST_CASE("openai_responses: recorded non-stream answers", "[openai_responses][golden]") {
    for (const char* c :
         {"response-reasoning-encrypted-content", "response-phase-cached-reasoning-tokens",
          "response-parallel-function-calls", "response-structured-output", "response-cache-write",
          "response-cache-read"}) {
        INFO(c);
        check_response_case(c);
    }
}

TEST_CASE("openai_responses: client requests to canonical and back to an upstream body",
          "[openai_responses][golden]") {
    struct case_t {
        const char* name;
        const char* model;
        const char* adjustments;  // the upstream encoder's report
    };
    const case_t cases[] = {
        {"request-parallel-function-results", "gpt-4o", ""},
        {"request-structured-output-tool-result", "gpt-4o", ""},
        {"request-function-call-output-stream", "gpt-4o", ""},
        {"request-reasoning-summary", "o3-mini", ""},
        {"request-prompt-cache-breakpoints", "gpt-5.6-sol", ""},
        {"request-encrypted-reasoning-stateless", "gpt-5.5", ""},
        {"request-full", "gpt-5", "temperature=dropped, top_p=dropped"},
    };
    for (const case_t& c : cases) {
        INFO(c.name);
        conversion_report report;
        auto req = gateway::ingress::decode_request(
            gateway::api_format::openai_responses, read_golden(dir(c.name) + "client_request.json"),
            report);
        INFO(report.error_message);
        REQUIRE(req.has_value());
        check_golden_json(dir(c.name) + "canonical_request.json", to_json(*req));

        conversion_report up_report;
        upstream::encode_options options;
        options.model = c.model;
        options.stream = req->stream;
        auto parts = responses::encode_request(*req, options, up_report);
        INFO(up_report.error_message);
        REQUIRE(parts.has_value());
        CHECK(parts->path == "/responses");
        CHECK(up_report.header_value() == c.adjustments);
        check_golden_json(dir(c.name) + "upstream_request.json", json::parse(parts->body));
    }
}

TEST_CASE("openai_responses: the full request's decode report", "[openai_responses][golden]") {
    conversion_report report;
    auto req = gateway::ingress::decode_request(
        gateway::api_format::openai_responses,
        read_golden(dir("request-full") + "client_request.json"), report);
    REQUIRE(req.has_value());
    // The gateway writes its own events: the client's stream options cannot apply.
    CHECK(report.header_value() == "stream_options.include_obfuscation=dropped");
}

TEST_CASE("openai_responses: the echo of the full request in the response object",
          "[openai_responses][golden]") {
    const request original = original_of("request-full");
    response res;
    res.id = "resp_68c42d0fb418819dbfa579f69406b49508fbf9b1584184ff";
    res.content.push_back(content_block::make_text("{\"breed\":\"Tabby\"}"));
    res.finish = finish_reason::stop;
    res.usage = {120, 30, 100, 0, 12, true};
    check_golden_json(dir("request-full") + "client_response.json",
                      json::parse(responses::encode_response(res, client_options(&original))));
}
