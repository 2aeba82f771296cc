// Bounded random-input tests of the cohere_chat decoders: seeded mutations of the golden inputs
// (tests/golden/cohere_chat/). Every call must return a value or a clean error; streams must keep
// to the canonical grammar whatever arrives.

#include "formats/cohere_chat/codec.hpp"

#include "support/golden.hpp"
#include "unit/formats/gemini/gemini_test_util.hpp"  // mutator, run_decoder

#include "gateway/core/canonical_json.hpp"

#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

#include <array>
#include <string>
#include <vector>

namespace {

namespace json = boost::json;
using gateway::errc;
using gateway::test::read_golden;

constexpr std::array<const char*, 14> cohere_tokens{"{",
                                                    "}",
                                                    "[",
                                                    "]",
                                                    "\"",
                                                    ",",
                                                    ":",
                                                    "\n\n",
                                                    "event: content-delta\n",
                                                    "data: ",
                                                    "\"index\":",
                                                    "\"type\":\"tool-call-start\"",
                                                    "\"type\":\"message-end\"",
                                                    "\xF0\x9F"};

constexpr std::array<const char*, 11> cohere_replacements{
    "null",
    "true",
    "-1",
    "\"x\"",
    "{}",
    "[]",
    R"({"type":"thinking","thinking":"t"})",
    R"({"message":{"content":{"text":"a"}}})",
    R"({"message":{"tool_calls":{"id":"c","function":{"name":"f","arguments":"{"}}}})",
    R"({"finish_reason":"TOOL_CALL","usage":{"tokens":{"input_tokens":1}}})",
    R"("content-end")"};

std::vector<std::string> seeds(std::initializer_list<const char*> files) {
    std::vector<std::string> out;
    for (const char* f : files) out.push_back(read_golden(std::string("cohere_chat/") + f));
    return out;
}

}  // namespace

TEST_CASE("cohere fuzz: the stream decoder keeps the grammar on mutated streams",
          "[cohere][fuzz][stream]") {
    gateway::test::gemini::mutator m(20261202, cohere_tokens, cohere_replacements);
    const auto inputs = seeds({"stream-text/upstream.sse", "stream-tool-calls/upstream.sse",
                               "stream-thinking/upstream.sse", "stream-error/upstream.sse"});
    int failures = 0;
    int successes = 0;
    for (int i = 0; i < 3000; ++i) {
        const std::string input = m.mutate(inputs[m.below(inputs.size())]);
        gateway::upstream::stream_decoder_options options;
        options.max_event_bytes = m.below(4) == 0 ? 256 : 16 * 1024 * 1024;
        auto decoder = gateway::formats::cohere_chat::make_stream_decoder(options);
        const auto chunks = m.chunk(input);
        const auto run = gateway::test::gemini::run_decoder(*decoder, chunks);
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
    CHECK(successes > 100);
}

TEST_CASE("cohere fuzz: decode_response and decode_error on mutated bodies", "[cohere][fuzz]") {
    gateway::test::gemini::mutator m(11, cohere_tokens, cohere_replacements);
    const auto inputs =
        seeds({"response-text/upstream.json", "response-tool-calls/upstream.json",
               "response-thinking/upstream.json", "errors/error-400-invalid-request.json"});
    int ok = 0;
    for (int i = 0; i < 3000; ++i) {
        const std::string body = m.mutate(inputs[m.below(inputs.size())]);
        gateway::conversion_report report;
        const auto res = gateway::formats::cohere_chat::decode_response(body, nullptr, report);
        if (res) {
            ++ok;
            (void)gateway::to_json(*res);
        } else {
            CHECK(res.error() == gateway::make_error_code(errc::bad_upstream_response));
            CHECK_FALSE(report.error_message.empty());
        }
        const auto status = static_cast<unsigned>(400 + m.below(200));
        const gateway::upstream_error e = gateway::formats::cohere_chat::decode_error(status, body);
        CHECK(e.status >= 400);
        CHECK(e.status <= 599);
        CHECK_FALSE(e.message.empty());
    }
    CHECK(ok > 100);
}
