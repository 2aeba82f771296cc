// upstream::summarize_response against the full decoder: on every recorded answer the usage and
// the model it reads are the ones decode_response finds, and bad answers fail as they do there.
// Also: the full decoders parse into an arena that dies with the call, so what they keep must not
// live in it.

#include "gateway/upstream/codec.hpp"

#include "support/golden.hpp"

#include <boost/json/storage_ptr.hpp>
#include <catch2/catch.hpp>

#include <cstdint>
#include <random>
#include <string>
#include <string_view>

namespace {

using gateway::conversion_report;
using gateway::test::read_golden;
using gateway::upstream::decode_response;
using gateway::upstream::summarize_response;
using gateway::upstream::upstream_format;

struct recorded {
    upstream_format format;
    std::string_view golden;
};

void check_same_as_decode(upstream_format format, const std::string& body) {
    conversion_report decode_report;
    auto decoded = decode_response(format, body, nullptr, decode_report);
    REQUIRE(decoded.has_value());
    conversion_report report;
    auto summary = summarize_response(format, body, report);
    REQUIRE(summary.has_value());
    CHECK(summary->model == decoded->model);
    CHECK(summary->usage.reported == decoded->usage.reported);
    CHECK(summary->usage.input_tokens == decoded->usage.input_tokens);
    CHECK(summary->usage.output_tokens == decoded->usage.output_tokens);
    CHECK(summary->usage.cache_read_tokens == decoded->usage.cache_read_tokens);
    CHECK(summary->usage.cache_creation_tokens == decoded->usage.cache_creation_tokens);
    CHECK(summary->usage.reasoning_tokens == decoded->usage.reasoning_tokens);
}

std::string failure_of(upstream_format format, std::string_view body) {
    conversion_report report;
    auto summary = summarize_response(format, body, report);
    CHECK_FALSE(summary.has_value());
    return report.error_message;
}

}  // namespace

TEST_CASE("summarize_response reads the usage and model decode_response reads") {
    const recorded answers[] = {
        {upstream_format::openai_chat, "openai_chat/text"},
        {upstream_format::openai_chat, "openai_chat/cached-tokens"},
        {upstream_format::openai_chat, "openai_chat/tool-call"},
        {upstream_format::openai_chat, "openai_chat/xai-reasoning"},
        {upstream_format::openai_responses, "openai_responses/response-cache-read"},
        {upstream_format::openai_responses, "openai_responses/response-cache-write"},
        {upstream_format::openai_responses,
         "openai_responses/response-phase-cached-reasoning-tokens"},
        {upstream_format::anthropic_messages, "anthropic_messages/response-text"},
        {upstream_format::anthropic_messages, "anthropic_messages/response-cache-read-write"},
        {upstream_format::anthropic_messages, "anthropic_messages/response-thinking"},
        // Formats no client speaks are never relayed unchanged; they take the full decoder.
        {upstream_format::gemini, "gemini/response-cached-content"},
    };
    for (const auto& answer : answers) {
        INFO(answer.golden);
        check_same_as_decode(answer.format,
                             read_golden(std::string(answer.golden) + "/upstream.json"));
    }
}

TEST_CASE("summarize_response reads an answer larger than its stack arena") {
    std::string body = read_golden("openai_chat/text/upstream.json");
    const std::string padding(20000, 'x');
    body.insert(body.find('{') + 1, "\"system_fingerprint_padding\":\"" + padding + "\",");
    check_same_as_decode(upstream_format::openai_chat, body);
    conversion_report report;
    auto summary = summarize_response(upstream_format::openai_chat, body, report);
    REQUIRE(summary.has_value());
    CHECK(summary->usage.reported);
}

namespace {

// The recorded Chat answer with `members` added before its own, or after them.
std::string with_first(std::string_view members) {
    std::string body = read_golden("openai_chat/text/upstream.json");
    body.insert(body.find('{') + 1, std::string(members) + ",");
    return body;
}
std::string with_last(std::string_view members) {
    std::string body = read_golden("openai_chat/text/upstream.json");
    body.insert(body.rfind('}'), "," + std::string(members));
    return body;
}

}  // namespace

TEST_CASE("summarize_response reads members as a parsed tree does") {
    const std::string text = read_golden("openai_chat/text/upstream.json");
    SECTION("an earlier usage and model are replaced by the later ones") {
        check_same_as_decode(upstream_format::openai_chat,
                             with_first(R"("usage":{"prompt_tokens":999,"completion_tokens":1},)"
                                        R"("model":"earlier")"));
    }
    SECTION("usage and model nested below the root are not the answer's") {
        check_same_as_decode(
            upstream_format::openai_chat,
            with_first(
                R"("meta":{"usage":{"prompt_tokens":5},"model":"inner","list":[{"model":1}]})"));
    }
    SECTION("an escaped model name, long enough to come in parts") {
        std::string model;
        for (int i = 0; i < 3000; ++i) model += "a\\u00e9\\n";
        std::string body = text;
        const std::string_view recorded = "\"gpt-4.1-nano-2025-04-14\"";
        const auto at = body.find(recorded);
        REQUIRE(at != std::string::npos);
        body.replace(at, recorded.size(), "\"" + model + "\"");
        check_same_as_decode(upstream_format::openai_chat, body);
    }
    SECTION("a null model and a null usage are absent ones") {
        conversion_report report;
        auto summary = summarize_response(upstream_format::openai_chat,
                                          R"({"model":null,"usage":null})", report);
        REQUIRE(summary.has_value());
        CHECK(summary->model.empty());
        CHECK_FALSE(summary->usage.reported);
    }
    SECTION("an error member is an error only in Chat, and only as an object") {
        conversion_report report;
        CHECK(summarize_response(upstream_format::anthropic_messages,
                                 R"({"model":"m","error":{"message":"x"}})", report)
                  .has_value());
        CHECK(
            summarize_response(upstream_format::openai_chat, R"({"model":"m","error":"x"})", report)
                .has_value());
    }
}

TEST_CASE("summarize_response follows strings and brackets the way a parser does") {
    SECTION("quotes, backslashes and brackets inside strings") {
        check_same_as_decode(
            upstream_format::openai_chat,
            with_first(R"("a":"x\"}{[\"","b":"\\","c":["]\\",{"d":"}\\\""}],"e":"\\\\\"")"));
        check_same_as_decode(upstream_format::openai_chat,
                             with_last(R"("usage":{"prompt_tokens":7,"completion_tokens":3,)"
                                       R"("note":"} \"model\":\"x\""})"));
    }
    SECTION("an escaped key is read as its name") {
        check_same_as_decode(upstream_format::openai_chat,
                             with_last(R"("mod\u0065l":"escaped-name")"));
        check_same_as_decode(
            upstream_format::openai_chat,
            with_last(R"("\u0075sage":{"prompt_tokens":1,"completion_tokens":2})"));
    }
    SECTION("deep nesting and literals") {
        std::string deep;
        for (int i = 0; i < 14; ++i) deep += "[{\"k\":";
        deep += "true";
        for (int i = 0; i < 14; ++i) deep += "}]";
        check_same_as_decode(upstream_format::openai_chat,
                             with_first(R"("n":-1.5e+3,"t":true,"f":false,"z":null,"x":)" + deep));
    }
    SECTION("mismatched or unclosed brackets are not JSON") {
        CHECK(failure_of(upstream_format::openai_chat, R"({"a":[1},"model":"m"})")
                  .find("not valid JSON") != std::string::npos);
        CHECK(failure_of(upstream_format::openai_chat, R"({"a":"x\"})").find("not valid JSON") !=
              std::string::npos);
        CHECK(failure_of(upstream_format::openai_chat, R"({"a":tru,"model":"m"})")
                  .find("not valid JSON") != std::string::npos);
    }
}

TEST_CASE("summarize_response reads what decode_response reads, also in damaged answers") {
    // Every answer the full decoder accepts, byte-mutated at random, must be summarised with the
    // same usage and model: the skim may be more lenient than a parser, never less right.
    const recorded answers[] = {
        {upstream_format::openai_chat, "openai_chat/tool-call"},
        {upstream_format::openai_responses, "openai_responses/response-cache-read"},
        {upstream_format::anthropic_messages, "anthropic_messages/response-thinking"},
    };
    const std::string_view replacements = "\"\\{}[],: a0-e";
    std::mt19937_64 next(20261207);
    int accepted = 0;
    for (const auto& answer : answers) {
        const std::string original = read_golden(std::string(answer.golden) + "/upstream.json");
        for (int i = 0; i < 1500; ++i) {
            std::string body = original;
            for (int m = 0; m < 1 + static_cast<int>(next() % 3); ++m) {
                body[next() % body.size()] = replacements[next() % replacements.size()];
            }
            conversion_report decode_report;
            if (!decode_response(answer.format, body, nullptr, decode_report)) continue;
            ++accepted;
            INFO(answer.golden << ": " << body);
            check_same_as_decode(answer.format, body);
        }
    }
    CHECK(accepted > 1000);
}

TEST_CASE("summarize_response rejects what the full decoder rejects") {
    CHECK(failure_of(upstream_format::openai_chat, "{\"id\":").find("not valid JSON") !=
          std::string::npos);
    CHECK(failure_of(upstream_format::anthropic_messages, "[1,2]").find("not a JSON object") !=
          std::string::npos);
    CHECK(failure_of(upstream_format::openai_chat, R"({"model":"m","usage":"12"})") ==
          "malformed usage object");
    CHECK(failure_of(upstream_format::openai_responses,
                     R"({"model":"m","usage":{"input_tokens":-3,"output_tokens":1}})") ==
          "malformed usage object");
    CHECK(failure_of(upstream_format::openai_chat, R"({"model":7})") == "expected a string");
    CHECK(failure_of(upstream_format::openai_chat, R"({"model":["m"]})") == "expected a string");
    CHECK(failure_of(upstream_format::openai_chat, R"({"usage":[1]})") == "malformed usage object");
    CHECK(failure_of(upstream_format::openai_chat, R"({"model":"m"} {})").find("not valid JSON") !=
          std::string::npos);
    CHECK(failure_of(upstream_format::openai_chat,
                     R"({"error":{"message":"overloaded","type":"server_error"}})") ==
          "an error body in a successful answer: overloaded");
}

TEST_CASE("summarize_response: an answer without usage is not billed as reported") {
    conversion_report report;
    auto summary =
        summarize_response(upstream_format::anthropic_messages, R"({"model":"claude-x"})", report);
    REQUIRE(summary.has_value());
    CHECK(summary->model == "claude-x");
    CHECK_FALSE(summary->usage.reported);
}

TEST_CASE("decode_response keeps no value in the arena its parse used") {
    const recorded answers[] = {
        {upstream_format::openai_chat, "openai_chat/text"},
        {upstream_format::openai_responses, "openai_responses/response-cache-read"},
        {upstream_format::anthropic_messages, "anthropic_messages/response-cache-read-write"},
    };
    const boost::json::storage_ptr default_storage;
    for (const auto& answer : answers) {
        INFO(answer.golden);
        conversion_report report;
        auto decoded = decode_response(answer.format,
                                       read_golden(std::string(answer.golden) + "/upstream.json"),
                                       nullptr, report);
        REQUIRE(decoded.has_value());
        REQUIRE(decoded->extra.contains("service_tier"));  // copied out of the upstream's tree
        CHECK(decoded->extra.storage().get() == default_storage.get());
        for (const auto& member : decoded->extra) {
            CHECK(member.value().storage().get() == default_storage.get());
        }
        for (const auto& block : decoded->content) {
            CHECK(block.extra.storage().get() == default_storage.get());
        }
    }
}
