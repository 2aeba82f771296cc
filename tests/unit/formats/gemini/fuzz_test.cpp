// Bounded random-input tests of the gemini decoders (and the request encoder's parsing of
// client-supplied JSON text): seeded mutations of the golden inputs, huge fields, deep nesting.
// Every call must return a value or a clean error; streams must keep to the canonical grammar.

#include "gemini_test_util.hpp"

#include "support/golden.hpp"

#include "formats/json_util.hpp"

#include "gateway/core/canonical_json.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>

#include <array>
#include <random>
#include <string>
#include <vector>

namespace {

namespace json = boost::json;
using gateway::errc;
using gateway::error_code;
using gateway::test::read_golden;

const std::vector<std::string>& stream_seeds() {
    static const std::vector<std::string> seeds = [] {
        std::vector<std::string> s;
        for (const char* c :
             {"stream-text/upstream.sse", "stream-thought-parts/upstream.sse",
              "stream-function-call-signature/upstream.sse", "stream-json-after-tool/upstream.sse",
              "stream-json-array/upstream.json-stream.txt", "stream-parallel-calls/upstream.sse",
              "stream-prompt-blocked/upstream.sse", "stream-error-midstream/upstream.sse",
              "stream-thought-then-call/upstream.sse", "stream-trailing-signature/upstream.sse"}) {
            s.push_back(read_golden(std::string("gemini/") + c));
        }
        return s;
    }();
    return seeds;
}

const std::vector<std::string>& response_seeds() {
    static const std::vector<std::string> seeds = [] {
        std::vector<std::string> s;
        for (const char* c : {"response-text", "response-parallel-calls", "response-cached-content",
                              "response-thoughts", "response-prompt-blocked"}) {
            s.push_back(read_golden(std::string("gemini/") + c + "/upstream.json"));
        }
        for (const char* c : {"error-400-invalid-argument.json",
                              "error-429-resource-exhausted.json", "error-404-not-found.json"}) {
            s.push_back(read_golden(std::string("gemini/errors/") + c));
        }
        return s;
    }();
    return seeds;
}

constexpr std::array<const char*, 12> gemini_replacements{
    "null",
    "true",
    "0",
    "-1",
    "1e308",
    "\"x\"",
    "\"\"",
    "{}",
    "[]",
    R"({"text":"t","thought":true})",
    R"({"functionCall":{"name":"f","args":{}}})",
    R"([{"content":{"parts":[{"text":"a"}]},"finishReason":"STOP"}])"};

constexpr std::array<const char*, 16> gemini_tokens{"{",
                                                    "}",
                                                    "[",
                                                    "]",
                                                    "\"",
                                                    ",",
                                                    ":",
                                                    "null",
                                                    "\\",
                                                    "\r\n\r\n",
                                                    "data: ",
                                                    "\"text\": ",
                                                    "\"thoughtSignature\": \"x\"",
                                                    "\"finishReason\": \"STOP\"",
                                                    "{\"error\": {}}",
                                                    "\xF0\x9F"};

gateway::test::gemini::mutator make_mutator(std::uint32_t seed) {
    return {seed, gemini_tokens, gemini_replacements};
}

/// Canonical text is UTF-8 (every client decoder parses JSON, which validates it); the request
/// fuzz keeps to that precondition.
bool valid_utf8(std::string_view s) {
    std::string quoted;
    gateway::formats::append_json_string(quoted, s);
    error_code ec;
    (void)json::parse(quoted, ec);
    return !ec;
}

}  // namespace

TEST_CASE("gemini fuzz: the stream decoder keeps the grammar on mutated streams",
          "[gemini][fuzz][stream]") {
    auto m = make_mutator(20261122);
    const auto& seeds = stream_seeds();
    int failures = 0;
    int successes = 0;
    for (int i = 0; i < 3000; ++i) {
        const std::string input = m.mutate(seeds[m.below(seeds.size())]);
        const auto chunks = m.chunk(input);
        const std::size_t limit = m.below(4) == 0 ? 1024 : 16 * 1024 * 1024;
        const auto run = gateway::test::gemini::run_stream(chunks, limit);
        if (!run.violation.empty() || !gateway::test::gemini::clean_stream_error(run.error)) {
            ++failures;
            if (failures <= 3) {
                INFO("input: " << input << "\nviolation: " << run.violation
                               << "\nerror: " << run.error.message());
                CHECK(false);
            }
        }
        if (!run.error) ++successes;
    }
    CHECK(failures == 0);
    CHECK(successes > 100);  // the mutations leave plenty of valid streams to decode
}

TEST_CASE("gemini fuzz: decode_response and decode_error on mutated bodies", "[gemini][fuzz]") {
    auto m = make_mutator(7);
    const auto& seeds = response_seeds();
    int ok = 0;
    for (int i = 0; i < 3000; ++i) {
        const std::string body = m.mutate(seeds[m.below(seeds.size())]);
        gateway::conversion_report report;
        const auto res = gateway::formats::gemini::decode_response(body, nullptr, report);
        if (res) {
            ++ok;
            (void)gateway::to_json(*res);
            for (const auto& b : res->content) {
                if (b.kind == gateway::block_kind::tool_use) {
                    error_code ec;
                    const json::value args = json::parse(b.arguments, ec);
                    CHECK_FALSE(ec);
                    CHECK(args.is_object());
                }
            }
        } else {
            CHECK(res.error() == gateway::make_error_code(errc::bad_upstream_response));
            CHECK_FALSE(report.error_message.empty());
        }
        const auto status = static_cast<unsigned>(400 + m.below(200));
        const gateway::upstream_error e = gateway::formats::gemini::decode_error(status, body);
        CHECK(e.status >= 400);
        CHECK(e.status <= 599);
        CHECK_FALSE(e.type.empty());
        CHECK_FALSE(e.message.empty());
    }
    CHECK(ok > 100);
}

TEST_CASE("gemini fuzz: huge fields and deep nesting", "[gemini][fuzz][stream]") {
    // A megabyte of text in one chunk: decoded with the default limit, refused under a small one.
    const std::string big(1 << 20, 'a');
    const std::string chunk = "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"" +
                              big +
                              "\"}],\"role\": \"model\"},\"finishReason\": \"STOP\"}]}\r\n\r\n";
    const auto run = gateway::test::gemini::run_stream(chunk);
    CHECK_FALSE(run.error);
    CHECK(run.violation.empty());
    CHECK(run.stopped);
    const auto limited = gateway::test::gemini::run_stream(chunk, 64 * 1024);
    CHECK(limited.error == gateway::make_error_code(errc::body_too_large));
    // The array framing bounds its element buffer the same way.
    const std::string element = "[" + chunk.substr(6, chunk.size() - 10) + "]";
    CHECK(gateway::test::gemini::run_stream(element, 64 * 1024).error ==
          gateway::make_error_code(errc::body_too_large));
    // A line that never ends does not grow without bound either.
    const std::string endless(4 * 1024 * 1024, 'x');
    CHECK(gateway::test::gemini::run_stream("data: " + endless, 64 * 1024).error ==
          gateway::make_error_code(errc::body_too_large));

    // Nesting far beyond the parser's depth limit: a clean error, no stack exhaustion.
    std::string deep;
    for (int i = 0; i < 100000; ++i) deep += "{\"a\":";
    deep += "1";
    for (int i = 0; i < 100000; ++i) deep += '}';
    const std::string nested_call =
        R"({"candidates":[{"content":{"parts":[{"functionCall":{"name":"f","args":)" + deep +
        R"(}}]},"finishReason":"STOP"}]})";
    gateway::conversion_report report;
    const auto res = gateway::formats::gemini::decode_response(nested_call, nullptr, report);
    CHECK(res.error() == gateway::make_error_code(errc::bad_upstream_response));
    const auto nested_stream =
        gateway::test::gemini::run_stream("data: " + nested_call + "\r\n\r\n");
    CHECK(nested_stream.error == gateway::make_error_code(errc::bad_upstream_response));
    CHECK(nested_stream.violation.empty());
    const auto nested_array = gateway::test::gemini::run_stream("[" + nested_call + "]");
    CHECK(nested_array.error == gateway::make_error_code(errc::bad_upstream_response));
    CHECK(gateway::formats::gemini::decode_error(400, deep).status == 400);

    // The request encoder parses client-supplied JSON text (tool arguments, tool results).
    gateway::request req;
    gateway::message call;
    call.role = gateway::role::assistant;
    call.content.push_back(gateway::content_block::make_tool_use("c", "f", deep));
    req.messages.push_back(call);
    gateway::message result;
    result.content.push_back(gateway::content_block::make_tool_result("c", deep));
    req.messages.push_back(result);
    gateway::upstream::encode_options options;
    options.model = "gemini-2.5-flash";
    gateway::conversion_report enc_report;
    const auto enc = gateway::formats::gemini::encode_request(req, options, enc_report);
    CHECK(enc.error() == gateway::make_error_code(errc::bad_request));
    CHECK(enc_report.error_param == "messages[0].content[0].arguments");
    // A tool result too deep to parse is sent as the string it is.
    req.messages[0].content[0].arguments = "{}";
    const auto enc2 = gateway::formats::gemini::encode_request(req, options, enc_report);
    REQUIRE(enc2.has_value());
    CHECK(enc2->body.find(R"("response":{"result":"{\"a\":{\"a\":)") != std::string::npos);
}

TEST_CASE("gemini fuzz: the request encoder on random client JSON text", "[gemini][fuzz]") {
    auto m = make_mutator(99);
    const std::string seed_args = R"({"city": "Paris", "days": [1, 2, {"x": null}]})";
    for (int i = 0; i < 1000; ++i) {
        const std::string args = m.mutate(seed_args);
        const std::string output = m.mutate(seed_args);
        if (!valid_utf8(args) || !valid_utf8(output)) continue;
        gateway::request req;
        gateway::message call;
        call.role = gateway::role::assistant;
        call.content.push_back(
            gateway::content_block::make_tool_use("id" + std::to_string(i % 3), "f", args));
        req.messages.push_back(call);
        gateway::message result;
        result.content.push_back(
            gateway::content_block::make_tool_result("id" + std::to_string(m.below(4)), output));
        req.messages.push_back(result);
        gateway::upstream::encode_options options;
        options.model = "gemini-3-pro-preview";
        gateway::conversion_report report;
        const auto enc = gateway::formats::gemini::encode_request(req, options, report);
        if (enc) {
            error_code ec;
            const json::value body = json::parse(enc->body, ec);
            CHECK_FALSE(ec);
            CHECK(body.is_object());
        } else {
            CHECK(enc.error() == gateway::make_error_code(errc::bad_request));
            CHECK_FALSE(report.error_param.empty());
        }
    }
}
