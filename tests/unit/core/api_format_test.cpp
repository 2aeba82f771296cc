#include <gateway/core/api_format.hpp>

#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

using gateway::api_format;

TEST_CASE("the client format follows the path", "[core]") {
    REQUIRE(gateway::format_for_path("/v1/messages") == api_format::anthropic_messages);
    REQUIRE(gateway::format_for_path("/v1/messages?beta=true") == api_format::anthropic_messages);
    REQUIRE(gateway::format_for_path("/sandbox/v1/messages") == api_format::anthropic_messages);
    REQUIRE(gateway::format_for_path("/v1/responses") == api_format::openai_responses);
    REQUIRE(gateway::format_for_path("/v1/chat/completions") == api_format::openai_chat);
    REQUIRE(gateway::format_for_path("/whatever") == api_format::openai_chat);
    REQUIRE(gateway::to_string(api_format::openai_responses) == "openai_responses");
}

TEST_CASE("error bodies use each format's envelope", "[core]") {
    auto openai = boost::json::parse(gateway::error_body(api_format::openai_chat, 401, "no key",
                                                         "invalid_api_key"))
                      .as_object();
    const auto& e = openai.at("error").as_object();
    REQUIRE(e.at("message") == "no key");
    REQUIRE(e.at("type") == "authentication_error");
    REQUIRE(e.at("param").is_null());
    REQUIRE(e.at("code") == "invalid_api_key");
    auto no_code =
        boost::json::parse(gateway::error_body(api_format::openai_chat, 400, "bad")).as_object();
    REQUIRE(no_code.at("error").at("code").is_null());
    REQUIRE(no_code.at("error").at("type") == "invalid_request_error");

    auto anthropic =
        boost::json::parse(gateway::error_body(api_format::anthropic_messages, 413, "too big"))
            .as_object();
    REQUIRE(anthropic.at("type") == "error");
    REQUIRE(anthropic.at("error").at("type") == "request_too_large");
    REQUIRE(anthropic.at("error").at("message") == "too big");
    auto overloaded =
        boost::json::parse(gateway::error_body(api_format::anthropic_messages, 529, "busy"))
            .as_object();
    REQUIRE(overloaded.at("error").at("type") == "overloaded_error");
    auto custom =
        boost::json::parse(gateway::error_body(api_format::openai_chat, 429, "q",
                                               "insufficient_quota", "insufficient_quota"))
            .as_object();
    REQUIRE(custom.at("error").at("type") == "insufficient_quota");
}

TEST_CASE("error bodies stay UTF-8 JSON when the message quotes bytes that are not UTF-8",
          "[core]") {
    // A 404 quotes the request target, which may hold any bytes: JSON text must be UTF-8
    // (RFC 8259, section 8.1), and Boost.JSON's parser, like the clients', refuses other bytes.
    // Each invalid byte becomes U+FFFD; valid sequences (é, €) are kept.
    const std::string message =
        "Invalid URL (POST /v1/x\xAF\xC3(\xED\xA0\x80 \xC3\xA9\xE2\x82\xAC)";
    for (api_format f : {api_format::openai_chat, api_format::anthropic_messages}) {
        boost::system::error_code ec;
        const auto body = boost::json::parse(gateway::error_body(f, 404, message), ec);
        REQUIRE_FALSE(ec);
        CHECK(body.at("error").at("message") ==
              "Invalid URL (POST /v1/x\xEF\xBF\xBD\xEF\xBF\xBD(\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"
              " \xC3\xA9\xE2\x82\xAC)");
    }
}
