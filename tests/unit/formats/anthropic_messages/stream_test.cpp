// anthropic_messages, streaming: upstream SSE → canonical events (every chunking) → client SSE.

#include "formats/anthropic_messages/codec.hpp"
#include "gateway/core/canonical_json.hpp"
#include "support/golden.hpp"

#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

#include <optional>
#include <string>

namespace am = gateway::formats::anthropic_messages;
namespace json = boost::json;
using gateway::errc;
using gateway::stream_event;
using gateway::stream_event_type;

namespace {

const std::string dir = "anthropic_messages/";

struct decoded {
    std::string jsonl;
    gateway::error_code finish_error;
};

decoded decode_chunks(std::span<const std::string_view> chunks, const gateway::request* original) {
    gateway::upstream::stream_decoder_options options;
    options.original = original;
    auto decoder = am::make_stream_decoder(options);
    gateway::event_recorder rec;
    for (const std::string_view c : chunks) {
        auto r = decoder->feed(c, rec);
        REQUIRE(r.has_value());
    }
    auto f = decoder->finish(rec);
    return {rec.jsonl(), f.has_value() ? gateway::error_code{} : f.error()};
}

std::string encode_events(std::string_view jsonl, std::string_view model = "claude-via-gateway") {
    gateway::ingress::encode_options options;
    options.model = model;
    auto encoder = am::make_stream_encoder(options);
    REQUIRE(gateway::replay_events(jsonl, *encoder).has_value());
    CHECK(encoder->finished());
    return encoder->output();
}

void check_stream_case(const std::string& name, const gateway::request* original = nullptr) {
    INFO("case " << name);
    const std::string sse = gateway::test::read_golden(dir + name + "/upstream.sse");
    std::optional<std::string> first;
    gateway::test::for_each_chunking(sse, [&](std::span<const std::string_view> chunks) {
        const decoded d = decode_chunks(chunks, original);
        CHECK_FALSE(d.finish_error);
        if (!first) {
            first = d.jsonl;
        } else {
            REQUIRE(d.jsonl == *first);  // same events however the bytes were split
        }
    });
    REQUIRE(first.has_value());
    gateway::test::check_golden_jsonl(dir + name + "/canonical.jsonl", *first);
    gateway::test::check_golden_sse(dir + name + "/client.sse", encode_events(*first));
}

}  // namespace

TEST_CASE("anthropic_messages: recorded streams decode and re-encode",
          "[anthropic_messages][golden][stream]") {
    check_stream_case("stream-text");
    check_stream_case("stream-thinking-signature");
    check_stream_case("stream-redacted-thinking");
    check_stream_case("stream-thinking-then-tool-use");
    check_stream_case("stream-parallel-tool-use");
    check_stream_case("stream-parallel-tool-use-with-args");
    check_stream_case("stream-structured-output-native");
    check_stream_case("stream-cache-write");
    check_stream_case("stream-cache-read");
    check_stream_case("stream-error-overloaded");
    gateway::request original;
    original.format.type = gateway::response_format::kind::json_schema;
    check_stream_case("stream-emulated-json", &original);
}

TEST_CASE("anthropic_messages: stream usage is merged and canonical",
          "[anthropic_messages][stream]") {
    const std::string sse = gateway::test::read_golden(dir + "stream-cache-read/upstream.sse");
    auto decoder = am::make_stream_decoder({});
    gateway::response_builder builder;
    REQUIRE(decoder->feed(sse, builder).has_value());
    REQUIRE(decoder->finish(builder).has_value());
    REQUIRE(builder.done());
    const auto& res = builder.response();
    CHECK(res.usage.input_tokens == 3 + 18639);
    CHECK(res.usage.cache_read_tokens == 18639);
    CHECK(res.usage.output_tokens == 1);
    CHECK(res.finish == gateway::finish_reason::length);
    CHECK(res.content.at(0).text == "OK");
}

TEST_CASE("anthropic_messages: broken upstream streams give clean errors",
          "[anthropic_messages][stream]") {
    const std::string text = gateway::test::read_golden(dir + "stream-text/upstream.sse");
    {
        // Cut before message_stop: what arrived is emitted, then stream_truncated.
        auto decoder = am::make_stream_decoder({});
        gateway::event_recorder rec;
        REQUIRE(decoder->feed(text.substr(0, text.rfind("event: message_stop")), rec).has_value());
        auto f = decoder->finish(rec);
        REQUIRE_FALSE(f.has_value());
        CHECK(f.error() == errc::stream_truncated);
        CHECK(rec.count() == 5);  // start, block start, delta, block stop, message_delta
        CHECK_FALSE(decoder->error_detail().empty());
    }
    auto fails_with = [](std::string_view sse, errc code, std::size_t max = 1 << 20) {
        gateway::upstream::stream_decoder_options options;
        options.max_event_bytes = max;
        auto decoder = am::make_stream_decoder(options);
        gateway::event_recorder rec;
        auto r = decoder->feed(sse, rec);
        REQUIRE_FALSE(r.has_value());
        CHECK(r.error() == code);
        CHECK(decoder->feed("event: ping\ndata: {}\n\n", rec).error() == code);  // stays failed
    };
    const std::string start =
        "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\","
        "\"model\":\"m\",\"usage\":{\"input_tokens\":1,\"output_tokens\":1}}}\n\n";
    fails_with("event: message_start\ndata: {nope\n\n", errc::bad_upstream_response);
    fails_with(start +
                   "event: content_block_start\ndata: {\"type\":\"content_block_start\","
                   "\"index\":1,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n",
               errc::bad_upstream_response);
    fails_with(start +
                   "event: content_block_start\ndata: {\"type\":\"content_block_start\","
                   "\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n"
                   "event: content_block_delta\ndata: {\"type\":\"content_block_delta\","
                   "\"index\":0,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\"}}"
                   "\n\n",
               errc::bad_upstream_response);
    fails_with("event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n",
               errc::bad_upstream_response);
    fails_with(start +
                   "event: content_block_delta\ndata: {\"type\":\"content_block_delta\","
                   "\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"" +
                   std::string(300, 'x') + "\"}}\n\n",
               errc::body_too_large, 256);
}

TEST_CASE("anthropic_messages: the stream encoder accepts every grammatical sequence",
          "[anthropic_messages][stream]") {
    SECTION("zero blocks, usage in a later message_delta than the finish") {
        const std::string out = encode_events(
            R"({"type":"message_start","id":"chatcmpl-1","model":"gpt-4o"}
{"type":"message_delta","finish":"stop"}
{"type":"message_delta","usage":{"input_tokens":10,"output_tokens":3,"cache_read_tokens":4,"reasoning_tokens":2}}
{"type":"message_stop"})",
            "");
        CHECK(out ==
              "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"model\":"
              "\"gpt-4o\",\"id\":\"msg_chatcmpl-1\",\"type\":\"message\",\"role\":\"assistant\","
              "\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,\"stop_details\":null,"
              "\"usage\":{\"input_tokens\":0,\"cache_creation_input_tokens\":0,"
              "\"cache_read_input_tokens\":0,\"output_tokens\":0}}}\n\n"
              "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":"
              "\"end_turn\",\"stop_sequence\":null,\"stop_details\":null},\"usage\":{"
              "\"input_tokens\":6,\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":4,"
              "\"output_tokens\":3,\"output_tokens_details\":{\"thinking_tokens\":2}}}\n\n"
              "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n");
    }
    SECTION("an error before anything else") {
        const std::string out = encode_events(
            R"({"type":"error","error":{"status":429,"type":"rate_limit_error","message":"slow down"}})");
        CHECK(out ==
              "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\","
              "\"message\":\"slow down\"}}\n\n");
    }
    SECTION("an error inside a block ends the stream") {
        gateway::ingress::encode_options options;
        auto encoder = am::make_stream_encoder(options);
        REQUIRE(gateway::replay_events(
                    R"({"type":"message_start","id":"msg_1","model":"m"}
{"type":"block_start","index":0,"block":{"kind":"tool_use","id":"call_9","name":"f"}}
{"type":"block_delta","index":0,"delta":"tool_arguments","data":"{\"a\""}
{"type":"error","error":{"status":502,"type":"api_error","message":"upstream went away"}}
{"type":"message_stop"})",
                    *encoder)
                    .has_value());
        CHECK(encoder->finished());
        const std::string& out = encoder->output();
        CHECK(out.find(
                  R"("content_block":{"type":"tool_use","id":"call_9","name":"f","input":{}})") !=
              std::string::npos);
        CHECK(out.find(R"({"type":"input_json_delta","partial_json":"{\"a\""})") !=
              std::string::npos);
        CHECK(
            out.ends_with("event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":"
                          "\"api_error\",\"message\":\"upstream went away\"}}\n\n"));
        CHECK(out.find("message_stop") == std::string::npos);
    }
    SECTION("foreign reasoning keeps its origin in the signature; skipped kinds keep indices") {
        const std::string out = encode_events(
            R"({"type":"message_start","id":"resp_1","model":"o3"}
{"type":"block_start","index":0,"block":{"kind":"thinking","signature_origin":"openai"}}
{"type":"block_delta","index":0,"delta":"thinking","data":"hmm"}
{"type":"block_delta","index":0,"delta":"signature","data":"gAAAA"}
{"type":"block_stop","index":0}
{"type":"block_start","index":1,"block":{"kind":"image"}}
{"type":"block_stop","index":1}
{"type":"block_start","index":2,"block":{"kind":"redacted_thinking","signature_origin":"gemini"}}
{"type":"block_delta","index":2,"delta":"signature","data":"c2ln"}
{"type":"block_stop","index":2}
{"type":"block_start","index":3,"block":{"kind":"refusal"}}
{"type":"block_delta","index":3,"delta":"text","data":"no"}
{"type":"block_stop","index":3}
{"type":"message_delta","finish":"refusal"}
{"type":"message_stop"})");
        CHECK(out.find(R"({"type":"signature_delta","signature":"gw1:openai:gAAAA"})") !=
              std::string::npos);
        CHECK(
            out.find(
                R"("index":1,"content_block":{"type":"redacted_thinking","data":"gw1:gemini:c2ln"}})") !=
            std::string::npos);
        CHECK(out.find(R"("index":2,"content_block":{"type":"text","text":""}})") !=
              std::string::npos);
        CHECK(out.find(R"("index":3)") == std::string::npos);
        CHECK(out.find(R"("stop_reason":"refusal")") != std::string::npos);
        // Exactly one ping, right after the first content_block_start.
        const std::size_t ping = out.find("event: ping");
        CHECK(ping == out.find("\n\n", out.find("event: content_block_start")) + 2);
        CHECK(out.find("event: ping", ping + 1) == std::string::npos);
    }
}
