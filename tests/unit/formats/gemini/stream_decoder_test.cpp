// Gemini streamGenerateContent -> canonical events, on recorded and hand-written streams
// (tests/golden/gemini/stream-*/; provenance in tests/golden/gemini/PROVENANCE.md).

#include "gemini_test_util.hpp"

#include "support/golden.hpp"

#include "formats/json_util.hpp"

#include "gateway/core/canonical_json.hpp"

#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>

#include <string>

namespace {

using gateway::errc;
using gateway::error_code;
using gateway::test::for_each_chunking;
using gateway::test::read_golden;
using gateway::test::gemini::run_stream;
using gateway::test::gemini::stream_run;

struct stream_case {
    const char* name;
    const char* input;
    errc expected_error;  // errc{} when the stream ends normally
};

constexpr errc ok{};

/// Decodes the case whole and in every chunking: same events every time, grammar respected,
/// events equal to the golden canonical.jsonl.
void check_stream_case(const stream_case& c) {
    const std::string dir = std::string("gemini/") + c.name + "/";
    const std::string bytes = read_golden(dir + c.input);
    const stream_run whole = run_stream(bytes);
    INFO(c.name << ": " << whole.violation);
    CHECK(whole.violation.empty());
    if (c.expected_error == ok) {
        CHECK_FALSE(whole.error);
    } else {
        CHECK(whole.error == gateway::make_error_code(c.expected_error));
    }
    gateway::test::check_golden_jsonl(dir + "canonical.jsonl", whole.jsonl);

    std::size_t runs = 0;
    std::size_t mismatches = 0;
    for_each_chunking(bytes, [&](std::span<const std::string_view> chunks) {
        const stream_run r = run_stream(chunks);
        ++runs;
        if (r.jsonl != whole.jsonl || r.error != whole.error || !r.violation.empty()) ++mismatches;
    });
    CHECK(runs > 2);
    CHECK(mismatches == 0);
}

}  // namespace

TEST_CASE("gemini stream: recorded text stream (CRLF framing, usage snapshot per chunk)",
          "[gemini][stream][golden]") {
    check_stream_case({"stream-text", "upstream.sse", ok});
}

TEST_CASE("gemini stream: thought parts become a thinking block, the signed answer a text block",
          "[gemini][stream][golden]") {
    check_stream_case({"stream-thought-parts", "upstream.sse", ok});
}

TEST_CASE("gemini stream: a whole functionCall with its thoughtSignature is one tool_use block",
          "[gemini][stream][golden]") {
    check_stream_case({"stream-function-call-signature", "upstream.sse", ok});
}

TEST_CASE("gemini stream: the answer after a functionResponse", "[gemini][stream][golden]") {
    check_stream_case({"stream-answer-after-function", "upstream.sse", ok});
}

TEST_CASE("gemini stream: a functionCall id from the model is kept", "[gemini][stream][golden]") {
    check_stream_case({"stream-function-call-id", "upstream.sse", ok});
}

TEST_CASE("gemini stream: a signature on the trailing empty part joins the open text block",
          "[gemini][stream][golden]") {
    check_stream_case({"stream-json-after-tool", "upstream.sse", ok});
    check_stream_case({"stream-trailing-signature", "upstream.sse", ok});
}

TEST_CASE("gemini stream: the streamed JSON array framing (no alt=sse)",
          "[gemini][stream][golden]") {
    check_stream_case({"stream-json-array", "upstream.json-stream.txt", ok});
}

TEST_CASE("gemini stream: parallel function calls get distinct generated ids",
          "[gemini][stream][golden]") {
    check_stream_case({"stream-parallel-calls", "upstream.sse", ok});
}

TEST_CASE("gemini stream: a thought, then a signed function call (Gemini 2.5 Pro)",
          "[gemini][stream][golden]") {
    check_stream_case({"stream-thought-then-call", "upstream.sse", ok});
}

TEST_CASE("gemini stream: finish reasons", "[gemini][stream][golden]") {
    check_stream_case({"stream-max-tokens", "upstream.sse", ok});
    check_stream_case({"stream-safety", "upstream.sse", ok});
    check_stream_case({"stream-prompt-blocked", "upstream.sse", ok});
    check_stream_case({"stream-malformed-function-call", "upstream.sse", ok});
}

TEST_CASE("gemini stream: cached prompt tokens", "[gemini][stream][golden]") {
    check_stream_case({"stream-cached-usage", "upstream.sse", ok});
}

TEST_CASE("gemini stream: an error object inside the stream becomes an error event",
          "[gemini][stream][golden]") {
    check_stream_case({"stream-error-midstream", "upstream.sse", ok});
}

TEST_CASE("gemini stream: a body that ends before finishReason is truncated",
          "[gemini][stream][golden]") {
    check_stream_case({"stream-truncated", "upstream.sse", errc::stream_truncated});
    const stream_run empty = run_stream("");
    CHECK(empty.error == gateway::make_error_code(errc::stream_truncated));
    CHECK(empty.jsonl.empty());
    // The last event lacks its blank line: WHATWG discards it, so the finish is lost.
    const std::string text = read_golden("gemini/stream-text/upstream.sse");
    const stream_run cut = run_stream(std::string_view(text).substr(0, text.size() - 2));
    CHECK(cut.error == gateway::make_error_code(errc::stream_truncated));
    CHECK(cut.violation.empty());
}

TEST_CASE("gemini stream: malformed input gives a clean error", "[gemini][stream]") {
    struct bad {
        const char* body;
        errc expected;
        const char* detail;
    };
    const bad cases[] = {
        {"data: {not json}\r\n\r\n", errc::bad_upstream_response, "not valid JSON"},
        {"data: [1,2]\r\n\r\n", errc::bad_upstream_response, "not a JSON object"},
        {"data: {\"candidates\": 3}\r\n\r\n", errc::bad_upstream_response, "candidates"},
        {"data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": 5}]}}]}\r\n\r\n",
         errc::bad_upstream_response, "text is not a string"},
        {"data: {\"candidates\": [{\"content\": {\"parts\": [{\"functionCall\": {\"args\": "
         "{}}}]}}]}"
         "\r\n\r\n",
         errc::bad_upstream_response, "no name"},
        {"data: {\"candidates\": [{\"content\": {\"parts\": [{\"functionCall\": {\"name\": \"f\", "
         "\"willContinue\": true}}]}}]}\r\n\r\n",
         errc::bad_upstream_response, "partial arguments"},
        {"data: {\"candidates\": [{\"content\": {\"parts\": [{\"executableCode\": {}}]}}]}\r\n\r\n",
         errc::bad_upstream_response, "executableCode"},
        {"data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"a\"}]}, "
         "\"finishReason\": "
         "\"STOP\"}]}\r\n\r\ndata: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": "
         "\"b\"}]}}]}\r\n\r\n",
         errc::bad_upstream_response, "after the finish reason"},
        {"[{\"candidates\": []} x", errc::bad_upstream_response, "between streamed array"},
        {"[{\"candidates\": []}", errc::stream_truncated, "before a finishReason"},
    };
    for (const bad& c : cases) {
        INFO(c.body);
        gateway::upstream::stream_decoder_options options;
        auto decoder = gateway::formats::gemini::make_stream_decoder(options);
        gateway::test::gemini::grammar_checker grammar;
        auto r = decoder->feed(c.body, grammar);
        if (r) r = decoder->finish(grammar);
        REQUIRE_FALSE(r.has_value());
        CHECK(r.error() == gateway::make_error_code(c.expected));
        CHECK(std::string(decoder->error_detail()).find(c.detail) != std::string::npos);
        CHECK(grammar.violation().empty());
        // A failed decoder refuses further input with the same error.
        CHECK(decoder->feed("data: {}\r\n\r\n", grammar).error() == r.error());
    }
}

TEST_CASE("gemini stream: an event above max_event_bytes is refused", "[gemini][stream]") {
    const std::string text = read_golden("gemini/stream-text/upstream.sse");
    const stream_run sse = run_stream(text, 64);
    CHECK(sse.error == gateway::make_error_code(errc::body_too_large));
    CHECK(sse.violation.empty());
    const std::string array = read_golden("gemini/stream-json-array/upstream.json-stream.txt");
    const stream_run arr = run_stream(array, 256);
    CHECK(arr.error == gateway::make_error_code(errc::body_too_large));
    CHECK(arr.violation.empty());
}

TEST_CASE("gemini stream: the stream and the non-stream decoder agree", "[gemini][stream]") {
    // The stream's last chunk holds the whole answer when it is a single chunk: the response
    // builder over the stream must give what decode_response gives for the same object.
    const std::string body = read_golden("gemini/response-parallel-calls/upstream.json");
    gateway::conversion_report report;
    const auto direct = gateway::formats::gemini::decode_response(body, nullptr, report);
    REQUIRE(direct.has_value());

    std::string compact;
    {
        const auto v = gateway::formats::parse_json(body);
        REQUIRE(v.has_value());
        compact = "data: " + boost::json::serialize(*v) + "\r\n\r\n";
    }
    gateway::upstream::stream_decoder_options options;
    auto decoder = gateway::formats::gemini::make_stream_decoder(options);
    gateway::response_builder builder;
    REQUIRE(decoder->feed(compact, builder).has_value());
    REQUIRE(decoder->finish(builder).has_value());
    gateway::response streamed = builder.take();
    streamed.extra = direct->extra;  // finishMessage is kept by the non-stream path only
    streamed.extra_format = direct->extra_format;
    CHECK(gateway::to_json(streamed) == gateway::to_json(*direct));
}
