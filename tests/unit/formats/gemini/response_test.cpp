// Gemini generateContent answers and error bodies -> canonical (tests/golden/gemini/response-*/).

#include "formats/gemini/codec.hpp"

#include "support/golden.hpp"

#include "gateway/core/canonical_json.hpp"

#include "gateway/ingress/codec.hpp"

#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

#include <string>

namespace {

using gateway::errc;

void check_response_case(const char* name) {
    const std::string dir = std::string("gemini/") + name + "/";
    gateway::conversion_report report;
    const auto res = gateway::formats::gemini::decode_response(
        gateway::test::read_golden(dir + "upstream.json"), nullptr, report);
    INFO(name << ": " << report.error_message);
    REQUIRE(res.has_value());
    CHECK(report.adjustments.empty());
    gateway::test::check_golden_json(dir + "canonical_response.json", gateway::to_json(*res));
}

gateway::upstream_error decode_error(unsigned status, std::string_view body) {
    return gateway::formats::gemini::decode_error(status, body);
}

}  // namespace

TEST_CASE("gemini response: recorded text answer with a thought signature", "[gemini][golden]") {
    check_response_case("response-text");
}

TEST_CASE("gemini response: parallel function calls, only the first signed", "[gemini][golden]") {
    check_response_case("response-parallel-calls");
}

TEST_CASE("gemini response: cached content usage (promptTokenCount includes the cache)",
          "[gemini][golden]") {
    check_response_case("response-cached-content");
}

TEST_CASE("gemini response: structured output arrives as text", "[gemini][golden]") {
    check_response_case("response-structured-output");
}

TEST_CASE("gemini response: thoughts, max tokens and a blocked prompt", "[gemini][golden]") {
    check_response_case("response-thoughts");
    check_response_case("response-max-tokens");
    check_response_case("response-prompt-blocked");
}

TEST_CASE("gemini response: usage conventions", "[gemini]") {
    gateway::conversion_report report;
    const auto res = gateway::formats::gemini::decode_response(
        R"({"candidates":[{"content":{"parts":[{"text":"x"}],"role":"model"},"finishReason":"STOP"}],
            "usageMetadata":{"promptTokenCount":100,"cachedContentTokenCount":60,
            "toolUsePromptTokenCount":7,"candidatesTokenCount":5,"thoughtsTokenCount":20,
            "totalTokenCount":132},"responseId":"r1","modelVersion":"gemini-2.5-pro"})",
        nullptr, report);
    REQUIRE(res.has_value());
    CHECK(res->usage.reported);
    CHECK(res->usage.input_tokens == 107);  // prompt (cache included) + tool-use prompt
    CHECK(res->usage.cache_read_tokens == 60);
    CHECK(res->usage.output_tokens == 25);  // candidates + thoughts
    CHECK(res->usage.reasoning_tokens == 20);
    CHECK(res->id == "r1");
    CHECK(res->model == "gemini-2.5-pro");
    CHECK(res->finish == gateway::finish_reason::stop);
}

TEST_CASE("gemini response: finish reason table", "[gemini]") {
    struct row {
        const char* wire;
        gateway::finish_reason expected;
    };
    const row rows[] = {
        {"STOP", gateway::finish_reason::stop},
        {"MAX_TOKENS", gateway::finish_reason::length},
        {"SAFETY", gateway::finish_reason::content_filter},
        {"RECITATION", gateway::finish_reason::content_filter},
        {"BLOCKLIST", gateway::finish_reason::content_filter},
        {"PROHIBITED_CONTENT", gateway::finish_reason::content_filter},
        {"SPII", gateway::finish_reason::content_filter},
        {"IMAGE_SAFETY", gateway::finish_reason::content_filter},
        {"MALFORMED_FUNCTION_CALL", gateway::finish_reason::error},
        {"OTHER", gateway::finish_reason::error},
        {"FINISH_REASON_UNSPECIFIED", gateway::finish_reason::error},
        {"SOMETHING_NEW", gateway::finish_reason::error},
    };
    for (const row& r : rows) {
        INFO(r.wire);
        gateway::conversion_report report;
        const std::string body =
            std::string(R"({"candidates":[{"content":{"parts":[{"text":"x"}]},)") +
            R"("finishReason":")" + r.wire + R"("}]})";
        const auto res = gateway::formats::gemini::decode_response(body, nullptr, report);
        REQUIRE(res.has_value());
        CHECK(res->finish == r.expected);
    }
    // STOP after a function call is tool_use.
    gateway::conversion_report report;
    const auto res = gateway::formats::gemini::decode_response(
        R"({"candidates":[{"content":{"parts":[{"functionCall":{"name":"f"}}]},"finishReason":"STOP"}],"responseId":"abc"})",
        nullptr, report);
    REQUIRE(res.has_value());
    CHECK(res->finish == gateway::finish_reason::tool_use);
    REQUIRE(res->content.size() == 1);
    CHECK(res->content[0].id == "call_abc_0");
    CHECK(res->content[0].arguments == "{}");
}

TEST_CASE("gemini response: malformed bodies give bad_upstream_response", "[gemini]") {
    for (const char* body :
         {"", "not json", "[]", R"({"candidates":{}})", R"({"candidates":[{"content":[]}]})",
          R"({"candidates":[{"content":{"parts":{}}}]})", R"({"candidates":[7]})",
          R"({"candidates":[{"finishReason":3}]})",
          R"({"candidates":[{"content":{"parts":[{"functionCall":{"name":"f","args":[1]}}]}}]})",
          R"({"error":{"code":500,"message":"boom","status":"INTERNAL"}})"}) {
        INFO(body);
        gateway::conversion_report report;
        const auto res = gateway::formats::gemini::decode_response(body, nullptr, report);
        REQUIRE_FALSE(res.has_value());
        CHECK(res.error() == gateway::make_error_code(errc::bad_upstream_response));
        CHECK_FALSE(report.error_message.empty());
    }
}

TEST_CASE("gemini errors: recorded Google error bodies", "[gemini][golden]") {
    const auto e400 = decode_error(
        400, gateway::test::read_golden("gemini/errors/error-400-invalid-argument.json"));
    CHECK(e400.status == 400);
    CHECK(e400.type == "invalid_request_error");
    CHECK(e400.code == "INVALID_ARGUMENT");
    CHECK(e400.message == "Penalty is not enabled for models/gemini-2.5-flash");

    const auto e429 = decode_error(
        429, gateway::test::read_golden("gemini/errors/error-429-resource-exhausted.json"));
    CHECK(e429.status == 429);
    CHECK(e429.type == "rate_limit_error");
    CHECK(e429.code == "RESOURCE_EXHAUSTED");
    CHECK(e429.message == "You exceeded your current quota, please check your plan.");

    const auto e404 =
        decode_error(404, gateway::test::read_golden("gemini/errors/error-404-not-found.json"));
    CHECK(e404.status == 404);
    CHECK(e404.type == "not_found_error");
    CHECK(e404.message.starts_with("models/gemini-3.6-flahs is not found for API version v1beta"));
}

TEST_CASE("gemini errors: a page that is not UTF-8 gives a UTF-8 message", "[gemini]") {
    // Found by the response_gemini fuzz target: the excerpt of a non-JSON body kept every byte
    // from 0x80 up, so the client's JSON error body was not UTF-8 (RFC 8259, section 8.1).
    const auto e = decode_error(502, "<p>Erreur \xC3\xA9\xE0\x8C\x8B\x83 r\xE9seau</p>");
    CHECK(e.status == 502);
    // Valid sequences kept, the other bytes shown as '?'.
    CHECK(e.message.ends_with("<p>Erreur \xC3\xA9???? r?seau</p>"));
    for (auto f : {gateway::api_format::openai_chat, gateway::api_format::anthropic_messages}) {
        boost::system::error_code ec;
        boost::json::parse(gateway::ingress::encode_error(f, e), ec);
        CHECK_FALSE(ec);
    }
}

TEST_CASE("gemini errors: status mapping", "[gemini]") {
    struct row {
        unsigned http;
        const char* status;
        unsigned expected;
        const char* type;
    };
    const row rows[] = {
        {401, "UNAUTHENTICATED", 502, "api_error"},
        {403, "PERMISSION_DENIED", 502, "api_error"},
        {503, "UNAVAILABLE", 503, "overloaded_error"},
        {500, "INTERNAL", 502, "api_error"},
        {504, "DEADLINE_EXCEEDED", 504, "api_error"},
        {400, "FAILED_PRECONDITION", 400, "invalid_request_error"},
        {409, "ABORTED", 502, "api_error"},
    };
    for (const row& r : rows) {
        INFO(r.status);
        const std::string body = R"({"error":{"code":)" + std::to_string(r.http) +
                                 R"(,"message":"m","status":")" + r.status + R"("}})";
        const auto e = decode_error(r.http, body);
        CHECK(e.status == r.expected);
        CHECK(e.type == r.type);
        CHECK(e.code == r.status);
    }
    const auto denied = decode_error(
        403,
        R"({"error":{"code":403,"message":"Permission denied.","status":"PERMISSION_DENIED"}})");
    CHECK(denied.message == "upstream rejected the channel's credentials: Permission denied.");

    // A bad API key is 400 INVALID_ARGUMENT with ErrorInfo.reason API_KEY_INVALID.
    const auto key = decode_error(
        400,
        R"({"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID","domain":"googleapis.com"}]}})");
    CHECK(key.status == 502);
    CHECK(key.message ==
          "upstream rejected the channel's credentials: API key not valid. Please pass a valid API "
          "key.");

    // BadRequest.fieldViolations name the parameter.
    const auto field = decode_error(
        400,
        R"({"error":{"code":400,"message":"Invalid value","status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.BadRequest","fieldViolations":[{"field":"generation_config.temperature","description":"too hot"}]}]}})");
    CHECK(field.param == "generation_config.temperature");

    // The streaming endpoint without alt=sse wraps the error in an array.
    const auto arr = decode_error(
        429, R"([{"error":{"code":429,"message":"slow down","status":"RESOURCE_EXHAUSTED"}}])");
    CHECK(arr.status == 429);
    CHECK(arr.message == "slow down");
}

TEST_CASE("gemini errors: bodies that are not Google's envelope", "[gemini]") {
    const auto html = decode_error(502, "<html><body>Bad Gateway</body></html>\n");
    CHECK(html.status == 502);
    CHECK(html.type == "api_error");
    CHECK(html.message == "Gemini returned HTTP 502: <html><body>Bad Gateway</body></html>");

    const auto empty = decode_error(503, "");
    CHECK(empty.status == 503);
    CHECK(empty.type == "overloaded_error");
    CHECK(empty.message == "Gemini returned HTTP 503");

    const auto unauthorized = decode_error(401, "Unauthorized");
    CHECK(unauthorized.status == 502);
    CHECK(unauthorized.message ==
          "upstream rejected the channel's credentials: Gemini returned HTTP 401: Unauthorized");

    const auto teapot = decode_error(418, R"({"error":"nope"})");
    CHECK(teapot.status == 418);
    CHECK(teapot.type == "invalid_request_error");

    const std::string long_body(5000, 'x');
    CHECK(decode_error(500, long_body).message.size() < 300);
}
