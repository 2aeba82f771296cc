// Bounded random-input tests of the bedrock_converse decoders: seeded mutations of the recorded
// ConverseStream streams (tests/fixtures/bedrock/) and of Converse response and error bodies.
// Raw byte edits exercise the event-stream framing (CRCs, lengths); edits of the JSON payloads,
// re-framed with valid CRCs, and dropped, repeated, swapped or renamed messages exercise the
// Converse event decoder. Every call must return a value or a clean error; streams must keep to
// the canonical grammar whatever arrives.

#include "formats/bedrock_converse/codec.hpp"

#include "support/fixtures.hpp"
#include "unit/formats/gemini/gemini_test_util.hpp"  // mutator, run_decoder

#include "gateway/core/canonical_json.hpp"
#include "gateway/stream/aws_event_stream.hpp"

#include <catch2/catch.hpp>

#include <array>
#include <string>
#include <utility>
#include <vector>

namespace {

using gateway::errc;
namespace gs = gateway::stream;

constexpr std::array<const char*, 14> converse_tokens{"{",
                                                      "}",
                                                      "[",
                                                      "]",
                                                      "\"",
                                                      ",",
                                                      ":",
                                                      "\"contentBlockIndex\":",
                                                      "\"delta\":",
                                                      "\"toolUse\":",
                                                      "\"reasoningContent\":",
                                                      "\"stopReason\":\"tool_use\"",
                                                      "\\u00",
                                                      "\xF0\x9F"};

constexpr std::array<const char*, 12> converse_replacements{
    "null",
    "true",
    "-1",
    "1e400",
    "\"x\"",
    "{}",
    "[]",
    R"({"text":"a"})",
    R"({"toolUse":{"input":"{"}})",
    R"({"reasoningContent":{"redactedContent":"cg=="}})",
    R"({"toolUse":{"toolUseId":"t","name":"__json_response"}})",
    R"({"inputTokens":-5,"cacheReadInputTokens":9007199254740993})"};

constexpr std::array<const char*, 9> event_types{
    "messageStart",   "contentBlockStart", "contentBlockDelta",   "contentBlockStop",
    "messageStop",    "metadata",          "throttlingException", "internalServerException",
    "someFutureEvent"};

/// One message of a recorded stream, copied out of the decoder's callback.
struct frame {
    std::vector<std::pair<std::string, std::string>> headers;  // all strings in these streams
    std::string payload;
};

std::vector<frame> frames_of(const std::string& bytes) {
    std::vector<frame> out;
    gs::aws_event_stream_decoder decoder;
    REQUIRE(decoder.feed(bytes, [&](const gs::aws_event_stream_message& m) {
        frame f;
        for (const auto& h : m.headers) f.headers.emplace_back(h.name, h.bytes);
        f.payload = m.payload;
        out.push_back(std::move(f));
    }));
    REQUIRE(decoder.finish());
    return out;
}

std::string encode(const std::vector<frame>& frames) {
    std::string out;
    std::vector<gs::aws_event_stream_header> headers;
    for (const frame& f : frames) {
        headers.clear();
        for (const auto& [name, value] : f.headers) {
            headers.push_back({name, gs::aws_event_stream_header_type::string, value, 0});
        }
        auto m = gs::encode_aws_event_stream_message(headers, f.payload);
        REQUIRE(m);
        out += *m;
    }
    return out;
}

const std::vector<std::string>& stream_seeds() {
    static const std::vector<std::string> seeds = [] {
        std::vector<std::string> s;
        for (const char* f : {"text", "tool-use", "reasoning", "exception"}) {
            s.push_back(
                gateway::test::read_fixture(std::string("bedrock/converse-stream-") + f + ".bin"));
        }
        return s;
    }();
    return seeds;
}

/// Well-framed messages with mutated content: payload edits, renamed event types, turned into
/// exceptions or errors, dropped, repeated and swapped messages.
std::string mutate_frames(gateway::test::gemini::mutator& m, std::vector<frame> frames) {
    const std::size_t edits = 1 + m.below(3);
    for (std::size_t e = 0; e < edits && !frames.empty(); ++e) {
        frame& f = frames[m.below(frames.size())];
        switch (m.below(6)) {
            case 0:
            case 1:
            case 2:
                f.payload = m.mutate(std::move(f.payload));
                break;
            case 3:
                f.headers[0].second = event_types[m.below(event_types.size())];
                break;
            case 4:
                f.headers.back().second = m.below(2) == 0 ? "exception" : "error";
                break;
            default: {
                const std::size_t a = m.below(frames.size());
                const std::size_t b = m.below(frames.size());
                if (m.below(3) == 0) {
                    frames.erase(frames.begin() + static_cast<std::ptrdiff_t>(a));
                } else if (m.below(2) == 0) {
                    frame copy = frames[b];
                    frames.insert(frames.begin() + static_cast<std::ptrdiff_t>(a), std::move(copy));
                } else {
                    std::swap(frames[a], frames[b]);
                }
                break;
            }
        }
    }
    return encode(frames);
}

}  // namespace

TEST_CASE("bedrock fuzz: the ConverseStream decoder keeps the grammar on mutated streams",
          "[bedrock][fuzz][stream]") {
    gateway::test::gemini::mutator m(20240930, converse_tokens, converse_replacements);
    std::vector<std::vector<frame>> parsed;
    for (const std::string& s : stream_seeds()) parsed.push_back(frames_of(s));
    int failures = 0;
    int successes = 0;
    int corrupt = 0;
    for (int i = 0; i < 2000; ++i) {
        const std::size_t seed = m.below(parsed.size());
        // One in four keeps the bytes of the recording and edits them (framing errors).
        const std::string input =
            m.below(4) == 0 ? m.mutate(stream_seeds()[seed]) : mutate_frames(m, parsed[seed]);
        gateway::upstream::stream_decoder_options options;
        options.max_event_bytes = m.below(8) == 0 ? 128 : 16 * 1024 * 1024;
        auto decoder = gateway::formats::bedrock_converse::make_stream_decoder(options);
        const auto chunks = m.chunk(input);
        const auto run = gateway::test::gemini::run_decoder(*decoder, chunks);
        if (!run.violation.empty() || !gateway::test::gemini::clean_stream_error(run.error)) {
            ++failures;
            if (failures <= 3) {
                INFO("violation: " << run.violation << "\nerror: " << run.error.message()
                                   << "\nevents:\n"
                                   << run.jsonl);
                CHECK(false);
            }
        }
        if (run.error) {
            // A failed decoder says why (what the gateway logs).
            CHECK_FALSE(decoder->error_detail().empty());
            if (run.error == errc::bad_upstream_response) ++corrupt;
        } else {
            ++successes;
        }
    }
    CHECK(failures == 0);
    CHECK(successes > 200);  // the mutations leave many streams valid...
    CHECK(corrupt > 200);    // ...and break many
}

TEST_CASE("bedrock fuzz: decode_response and decode_error on mutated bodies", "[bedrock][fuzz]") {
    gateway::test::gemini::mutator m(7, converse_tokens, converse_replacements);
    const std::vector<std::string> inputs = {
        R"({"metrics":{"latencyMs":640},"output":{"message":{"content":[{"reasoningContent":{"reasoningText":{"signature":"EqoBsig","text":"Think."}}},{"text":"Hello."},{"toolUse":{"input":{"city":"Paris"},"name":"get_weather","toolUseId":"tooluse_1"}}],"role":"assistant"}},"stopReason":"tool_use","usage":{"cacheReadInputTokens":100,"cacheWriteInputTokens":20,"inputTokens":12,"outputTokens":40,"totalTokens":172}})",
        R"({"output":{"message":{"content":[{"reasoningContent":{"redactedContent":"cmVk"}},{"text":"Done."}],"role":"assistant"}},"stopReason":"max_tokens","usage":{"inputTokens":3,"outputTokens":9,"totalTokens":12}})",
        R"({"message":"Too many tokens, please wait before trying again."})",
        R"({"__type":"com.amazon.coral.validate#ValidationException","Message":"Malformed input request."})"};
    constexpr std::array<const char*, 5> error_types{
        "", "ValidationException", "ThrottlingException:http://internal.amazon.com/coral/",
        "modelStreamErrorException", "#"};
    gateway::request original;
    original.format.type = gateway::response_format::kind::json_object;
    int ok = 0;
    for (int i = 0; i < 3000; ++i) {
        const std::string body = m.mutate(inputs[m.below(inputs.size())]);
        gateway::conversion_report report;
        const auto res = gateway::formats::bedrock_converse::decode_response(
            body, m.below(2) == 0 ? &original : nullptr, report);
        if (res) {
            ++ok;
            (void)gateway::to_json(*res);
        } else {
            CHECK(res.error() == gateway::make_error_code(errc::bad_upstream_response));
            CHECK_FALSE(report.error_message.empty());
        }
        const auto status = static_cast<unsigned>(400 + m.below(200));
        const gateway::upstream_error e = gateway::formats::bedrock_converse::decode_error(
            status, body, error_types[m.below(error_types.size())]);
        CHECK(e.status >= 400);
        CHECK(e.status <= 599);
        CHECK_FALSE(e.message.empty());
    }
    CHECK(ok > 100);
}
