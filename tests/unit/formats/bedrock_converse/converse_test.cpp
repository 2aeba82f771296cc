// Bedrock Converse: canonical requests → Converse bodies (golden files under
// tests/golden/bedrock_converse/), Converse responses and error answers → canonical, and
// ConverseStream event-stream frames → canonical events, whole and in every chunking.
// Wire shapes follow the API reference (API_runtime_Converse, API_runtime_ConverseStream,
// API_runtime_ConverseStreamOutput); see tests/golden/bedrock_converse/PROVENANCE.md.

#include "support/fixtures.hpp"
#include "support/golden.hpp"

#include "formats/bedrock_converse/codec.hpp"

#include "gateway/core/canonical_json.hpp"
#include "gateway/ingress/codec.hpp"
#include "gateway/stream/aws_event_stream.hpp"
#include "gateway/upstream/codec.hpp"

#include <boost/crc.hpp>
#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace gateway;
namespace json = boost::json;
using upstream::upstream_format;

namespace {

struct encoded {
    result<upstream::http_request_parts> parts;
    conversion_report report;
    json::value body;
};

encoded encode(const request& req,
               std::string_view model = "anthropic.claude-sonnet-4-20250514-v1:0",
               bool stream = false) {
    encoded out;
    upstream::encode_options options;
    options.model = model;
    options.stream = stream;
    out.parts =
        upstream::encode_request(upstream_format::bedrock_converse, req, options, out.report);
    if (out.parts) out.body = json::parse(out.parts->body);
    return out;
}

request user_text(std::string text) {
    request req;
    req.model = "client-model";
    req.messages.push_back({role::user, {content_block::make_text(std::move(text))}, {}, false});
    return req;
}

content_block image(media_source::kind kind, std::string media_type, std::string data) {
    content_block b;
    b.kind = block_kind::image;
    b.source.type = kind;
    b.source.media_type = std::move(media_type);
    b.source.data = std::move(data);
    return b;
}

tool weather_tool() {
    tool t;
    t.name = "get_weather";
    t.description = "Current weather for a city";
    t.parameters = json::parse(
        R"({"type":"object","properties":{"city":{"type":"string"}},"required":["city"]})");
    return t;
}

bool has_adjustment(const conversion_report& r, std::string_view param) {
    for (const auto& a : r.adjustments) {
        if (a.param == param) return true;
    }
    return false;
}

}  // namespace

// ---- request encoding ------------------------------------------------------------------------

TEST_CASE("bedrock_converse request: text, system, multi-turn and inference settings",
          "[bedrock][golden]") {
    request req;
    req.model = "client-model";
    req.system.push_back(content_block::make_text("You are terse."));
    req.messages.push_back({role::user, {content_block::make_text("Hi")}, {}, false});
    req.messages.push_back({role::assistant, {content_block::make_text("Hello!")}, {}, false});
    req.messages.push_back(
        {role::system, {content_block::make_text("Answer in French.")}, {}, false});
    req.messages.push_back(
        {role::user, {content_block::make_text("Capital of France?")}, {}, false});
    req.messages.push_back({role::user, {content_block::make_text("One word.")}, {}, false});
    req.max_output_tokens = 256;
    req.sampler.temperature = 0.2;
    req.sampler.top_p = 0.9;
    req.sampler.stop = {"END"};
    req.sampler.seed = 7;
    const encoded e = encode(req);
    REQUIRE(e.parts.has_value());
    CHECK(e.parts->path == "/model/anthropic.claude-sonnet-4-20250514-v1%3A0/converse");
    test::check_golden_json("bedrock_converse/request-text/upstream_request.json", e.body);
    const json::object& body = e.body.as_object();
    CHECK(body.at("inferenceConfig").at("maxTokens") == 256);
    CHECK(body.at("inferenceConfig").at("topP") == 0.9);
    CHECK(body.at("system").at(1).at("text") == "Answer in French.");
    CHECK(body.at("messages").as_array().size() == 3);  // the two last user turns merged
    CHECK_FALSE(body.contains("model"));                // the model is in the path
    CHECK(has_adjustment(e.report, "seed"));

    const encoded s = encode(req, "anthropic.claude-sonnet-4-20250514-v1:0", true);
    REQUIRE(s.parts.has_value());
    CHECK(s.parts->path == "/model/anthropic.claude-sonnet-4-20250514-v1%3A0/converse-stream");
}

TEST_CASE("bedrock_converse request: images as base64 bytes, never URLs", "[bedrock][golden]") {
    request req = user_text("What is in these pictures?");
    req.messages[0].content.push_back(
        image(media_source::kind::base64, "image/png", "iVBORw0KGgo="));
    req.messages[0].content.push_back(
        image(media_source::kind::url, {}, "data:image/jpeg;base64,/9j/4AAQSkZJRg=="));
    content_block doc;
    doc.kind = block_kind::document;
    doc.source.type = media_source::kind::text;
    doc.source.data = "hello";
    doc.source.filename = "notes v1.txt";
    req.messages[0].content.push_back(doc);
    const encoded e = encode(req);
    REQUIRE(e.parts.has_value());
    test::check_golden_json("bedrock_converse/request-media/upstream_request.json", e.body);
    const json::array& content = e.body.at("messages").at(0).at("content").as_array();
    CHECK(content.at(1).at("image").at("format") == "png");
    CHECK(content.at(2).at("image").at("format") == "jpeg");
    CHECK(content.at(2).at("image").at("source").at("bytes") == "/9j/4AAQSkZJRg==");
    CHECK(content.at(3).at("document").at("source").at("bytes") == "aGVsbG8=");
    CHECK(content.at(3).at("document").at("name") == "notes-v1");

    request url = user_text("Look");
    url.messages[0].content.push_back(
        image(media_source::kind::url, "image/png", "https://example.com/cat.png"));
    const encoded bad = encode(url);
    REQUIRE_FALSE(bad.parts.has_value());
    CHECK(bad.parts.error() == errc::unsupported_feature);
    CHECK(bad.report.error_param == "messages[0].content[1]");
    CHECK(bad.report.error_message.find("not URLs") != std::string::npos);

    request tiff = user_text("Look");
    tiff.messages[0].content.push_back(image(media_source::kind::base64, "image/tiff", "AAAA"));
    CHECK(encode(tiff).parts.error() == errc::unsupported_feature);
}

TEST_CASE("bedrock_converse request: tools, tool choices and tool results", "[bedrock][golden]") {
    request req = user_text("Weather in Paris and Rome?");
    req.tools.push_back(weather_tool());
    req.messages.push_back(
        {role::assistant,
         {content_block::make_text("Checking."),
          content_block::make_tool_use("tooluse_1", "get_weather", R"({"city":"Paris"})"),
          content_block::make_tool_use("tooluse_2", "get_weather", R"({"city":"Rome"})")},
         {},
         false});
    req.messages.push_back({role::user,
                            {content_block::make_tool_result("tooluse_1", "18C, sunny"),
                             content_block::make_tool_result("tooluse_2", "city closed", true)},
                            {},
                            false});
    req.choice.type = tool_choice::mode::required;
    const encoded e = encode(req);
    REQUIRE(e.parts.has_value());
    test::check_golden_json("bedrock_converse/request-tools/upstream_request.json", e.body);
    const json::object& config = e.body.at("toolConfig").as_object();
    CHECK(
        config.at("tools").at(0).at("toolSpec").at("inputSchema").at("json").at("required").at(0) ==
        "city");
    CHECK(config.at("toolChoice") == json::parse(R"({"any":{}})"));
    const json::array& results = e.body.at("messages").at(2).at("content").as_array();
    CHECK(results.at(0).at("toolResult").at("content") ==
          json::parse(R"([{"text":"18C, sunny"}])"));
    CHECK_FALSE(results.at(0).at("toolResult").as_object().contains("status"));
    CHECK(results.at(1).at("toolResult").at("status") == "error");
    CHECK(e.body.at("messages").at(1).at("content").at(1).at("toolUse").at("input").at("city") ==
          "Paris");

    req.choice = {tool_choice::mode::tool, "get_weather"};
    CHECK(encode(req).body.at("toolConfig").at("toolChoice") ==
          json::parse(R"({"tool":{"name":"get_weather"}})"));
    req.choice = {tool_choice::mode::auto_, {}};
    CHECK_FALSE(encode(req).body.at("toolConfig").as_object().contains("toolChoice"));

    // "none" has no Converse form: without tool blocks in the history the tools are left out.
    request none = user_text("Just talk");
    none.tools.push_back(weather_tool());
    none.choice.type = tool_choice::mode::none;
    const encoded n = encode(none);
    REQUIRE(n.parts.has_value());
    CHECK_FALSE(n.body.as_object().contains("toolConfig"));

    request builtin = user_text("Search");
    tool search;
    search.type = "web_search";
    builtin.tools.push_back(search);
    const encoded b = encode(builtin);
    REQUIRE_FALSE(b.parts.has_value());
    CHECK(b.report.error_param == "tools[0]");
}

TEST_CASE("bedrock_converse request: thinking, reasoning of other origins, top_k",
          "[bedrock][golden]") {
    request req = user_text("Prove it.");
    content_block claude;
    claude.kind = block_kind::thinking;
    claude.text = "Let me think.";
    claude.signature = "EqQBCkYIBRgCKkBsig";
    claude.signature_origin = reasoning_origin::anthropic;
    content_block foreign = claude;
    foreign.signature = "gAAAAABopenai";
    foreign.signature_origin = reasoning_origin::openai;
    content_block redacted;
    redacted.kind = block_kind::redacted_thinking;
    redacted.signature = "cmVkYWN0ZWQ=";
    redacted.signature_origin = reasoning_origin::anthropic;
    req.messages.push_back({role::assistant,
                            {claude, foreign, redacted, content_block::make_text("Done.")},
                            {},
                            false});
    req.messages.push_back({role::user, {content_block::make_text("Again.")}, {}, false});
    req.reasoning.budget_tokens = 2048;
    req.max_output_tokens = 1000;
    req.sampler.temperature = 0.5;
    req.sampler.top_k = 40;
    const encoded e = encode(req);
    REQUIRE(e.parts.has_value());
    test::check_golden_json("bedrock_converse/request-thinking/upstream_request.json", e.body);
    const json::object& body = e.body.as_object();
    CHECK(body.at("additionalModelRequestFields") ==
          json::parse(R"({"thinking":{"type":"enabled","budget_tokens":2048}})"));
    CHECK(body.at("inferenceConfig").at("maxTokens") == 3048);  // above the budget
    CHECK_FALSE(body.at("inferenceConfig").as_object().contains("temperature"));
    const json::array& content = body.at("messages").at(1).at("content").as_array();
    REQUIRE(content.size() == 3);  // the OpenAI reasoning is stripped
    CHECK(content.at(0).at("reasoningContent").at("reasoningText").at("signature") ==
          "EqQBCkYIBRgCKkBsig");
    CHECK(content.at(1).at("reasoningContent").at("redactedContent") == "cmVkYWN0ZWQ=");
    CHECK(has_adjustment(e.report, "top_k"));

    request plain = user_text("Hi");
    plain.sampler.top_k = 40;
    CHECK(encode(plain).body.at("additionalModelRequestFields") == json::parse(R"({"top_k":40})"));
}

TEST_CASE("bedrock_converse request: structured output through a forced tool, read back as text",
          "[bedrock][golden]") {
    request req = user_text("Give me a city.");
    req.format.type = response_format::kind::json_schema;
    req.format.name = "city";
    req.format.schema = json::parse(R"({"type":"object","properties":{"name":{"type":"string"}}})");
    const encoded e = encode(req);
    REQUIRE(e.parts.has_value());
    test::check_golden_json("bedrock_converse/request-structured-output/upstream_request.json",
                            e.body);
    CHECK(e.body.at("toolConfig").at("toolChoice") ==
          json::parse(R"({"tool":{"name":"__json_response"}})"));
    CHECK(has_adjustment(e.report, "response_format"));

    conversion_report report;
    auto res = upstream::decode_response(
        upstream_format::bedrock_converse,
        R"({"output":{"message":{"role":"assistant","content":[{"toolUse":{"toolUseId":"tooluse_x","name":"__json_response","input":{"name":"Paris"}}}]}},"stopReason":"tool_use","usage":{"inputTokens":10,"outputTokens":5,"totalTokens":15}})",
        &req, report);
    REQUIRE(res.has_value());
    REQUIRE(res->content.size() == 1);
    CHECK(res->content[0].kind == block_kind::text);
    CHECK(res->content[0].text == R"({"name":"Paris"})");
    CHECK(res->finish == finish_reason::stop);
}

TEST_CASE("bedrock_converse request: cache_control marks become cachePoint blocks",
          "[bedrock][golden][cache]") {
    // An Anthropic Messages client marks the system prompt, a tool, a user block and a block
    // inside a tool result; the canonical request carries the marks in `extra`.
    conversion_report decode_report;
    auto req = ingress::decode_request(api_format::anthropic_messages, R"({
      "model": "claude-sonnet", "max_tokens": 512,
      "system": [{"type": "text", "text": "You review contracts."},
                 {"type": "text", "text": "<contract>1. Parties ... 2. Payment ...</contract>",
                  "cache_control": {"type": "ephemeral"}}],
      "tools": [{"name": "get_clause", "description": "One clause by number",
                 "input_schema": {"type": "object", "properties": {"n": {"type": "integer"}}},
                 "cache_control": {"type": "ephemeral", "ttl": "1h"}},
                {"name": "flag_risk", "input_schema": {"type": "object"}}],
      "messages": [
        {"role": "user", "content": [
          {"type": "text", "text": "Summarise the payment terms.",
           "cache_control": {"type": "ephemeral", "ttl": "5m"}},
          {"type": "text", "text": "Be brief."}]},
        {"role": "assistant", "content": [
          {"type": "tool_use", "id": "toolu_1", "name": "get_clause", "input": {"n": 2}}]},
        {"role": "user", "content": [
          {"type": "tool_result", "tool_use_id": "toolu_1",
           "content": [{"type": "text", "text": "2. Payment within 30 days.",
                        "cache_control": {"type": "ephemeral"}}]},
          {"type": "text", "text": "Any risk?"}]}]})",
                                       decode_report);
    REQUIRE(req.has_value());
    const encoded e = encode(*req);
    REQUIRE(e.parts.has_value());
    test::check_golden_json("bedrock_converse/request-prompt-caching/upstream_request.json",
                            e.body);
    const json::object& body = e.body.as_object();
    CHECK(body.at("system") == json::parse(R"([
      {"text": "You review contracts."},
      {"text": "<contract>1. Parties ... 2. Payment ...</contract>"},
      {"cachePoint": {"type": "default"}}])"));
    const json::array& tools = body.at("toolConfig").at("tools").as_array();
    REQUIRE(tools.size() == 3);
    CHECK(tools.at(0).at("toolSpec").at("name") == "get_clause");
    CHECK(tools.at(1) == json::parse(R"({"cachePoint": {"type": "default", "ttl": "1h"}})"));
    CHECK(tools.at(2).at("toolSpec").at("name") == "flag_risk");
    const json::array& messages = body.at("messages").as_array();
    CHECK(messages.at(0).at("content") == json::parse(R"([
      {"text": "Summarise the payment terms."},
      {"cachePoint": {"type": "default", "ttl": "5m"}},
      {"text": "Be brief."}])"));
    CHECK(messages.at(1).at("content").as_array().size() == 1);  // no mark, no cachePoint
    // The mark inside the tool result goes after the toolResult block: its content cannot
    // hold a cachePoint.
    const json::array& last = messages.at(2).at("content").as_array();
    REQUIRE(last.size() == 3);
    CHECK(last.at(0).at("toolResult").at("content") ==
          json::parse(R"([{"text": "2. Payment within 30 days."}])"));
    CHECK(last.at(1) == json::parse(R"({"cachePoint": {"type": "default"}})"));
    CHECK(last.at(2) == json::parse(R"({"text": "Any risk?"})"));
    for (const auto& a : e.report.adjustments) CHECK(a.param.find("cache") == std::string::npos);

    // Marks of other formats mean nothing here; a mark on a block left out has nothing to
    // follow; a ttl Bedrock does not take is left out.
    request other = user_text("Hi");
    other.messages[0].content[0].extra["cache_control"] = json::object{{"type", "ephemeral"}};
    other.messages[0].content[0].extra_format = "openai_chat";
    content_block blank = content_block::make_text("");
    blank.extra["cache_control"] = json::object{{"type", "ephemeral"}};
    blank.extra_format = "anthropic_messages";
    other.messages[0].content.push_back(blank);
    content_block odd = content_block::make_text("Long document");
    odd.extra["cache_control"] = json::object{{"type", "ephemeral"}, {"ttl", "10m"}};
    odd.extra_format = "anthropic_messages";
    other.messages[0].content.push_back(odd);
    const encoded o = encode(other);
    REQUIRE(o.parts.has_value());
    CHECK(o.body.at("messages").at(0).at("content") == json::parse(R"([
      {"text": "Hi"}, {"text": "Long document"}, {"cachePoint": {"type": "default"}}])"));
}

// ---- response decoding -----------------------------------------------------------------------

TEST_CASE("bedrock_converse response: reasoning, text, tool use, cached usage", "[bedrock]") {
    const std::string body = R"({
      "output": {"message": {"role": "assistant", "content": [
        {"reasoningContent": {"reasoningText": {"text": "The user wants weather.", "signature": "EqoBsig=="}}},
        {"text": "Let me check."},
        {"toolUse": {"toolUseId": "tooluse_abc", "name": "get_weather", "input": {"city": "Paris"}}}
      ]}},
      "stopReason": "tool_use",
      "usage": {"inputTokens": 12, "outputTokens": 40, "totalTokens": 152,
                "cacheReadInputTokens": 100, "cacheWriteInputTokens": 0},
      "metrics": {"latencyMs": 812}
    })";
    conversion_report report;
    auto res = upstream::decode_response(upstream_format::bedrock_converse, body, nullptr, report);
    REQUIRE(res.has_value());
    REQUIRE(res->content.size() == 3);
    CHECK(res->content[0].kind == block_kind::thinking);
    CHECK(res->content[0].signature == "EqoBsig==");
    CHECK(res->content[0].signature_origin == reasoning_origin::anthropic);
    CHECK(res->content[1].text == "Let me check.");
    CHECK(res->content[2].kind == block_kind::tool_use);
    CHECK(res->content[2].id == "tooluse_abc");
    CHECK(json::parse(res->content[2].arguments) == json::parse(R"({"city":"Paris"})"));
    CHECK(res->finish == finish_reason::tool_use);
    CHECK(res->usage.input_tokens == 112);  // uncached + cache reads
    CHECK(res->usage.cache_read_tokens == 100);
    CHECK(res->usage.output_tokens == 40);
    CHECK(res->usage.total_tokens() == 152);

    const std::pair<const char*, finish_reason> reasons[] = {
        {"end_turn", finish_reason::stop},
        {"max_tokens", finish_reason::length},
        {"stop_sequence", finish_reason::stop_sequence},
        {"guardrail_intervened", finish_reason::content_filter},
        {"content_filtered", finish_reason::content_filter},
    };
    for (const auto& [wire, canonical] : reasons) {
        INFO(wire);
        const std::string b =
            std::string(
                R"({"output":{"message":{"role":"assistant","content":[{"text":"x"}]}},"stopReason":")") +
            wire + R"("})";
        auto r = upstream::decode_response(upstream_format::bedrock_converse, b, nullptr, report);
        REQUIRE(r.has_value());
        CHECK(r->finish == canonical);
    }

    CHECK(upstream::decode_response(upstream_format::bedrock_converse, R"({"message":"x"})",
                                    nullptr, report)
              .error() == errc::bad_upstream_response);
    CHECK(upstream::decode_response(upstream_format::bedrock_converse, "not json", nullptr, report)
              .error() == errc::bad_upstream_response);
}

TEST_CASE("bedrock_converse decode_error: exception names mapped to statuses", "[bedrock]") {
    auto e = upstream::decode_error(
        upstream_format::bedrock_converse, 400,
        R"({"message":"The model returned the following errors: bad"})",
        "ValidationException:http://internal.amazon.com/coral/com.amazon.bedrock/");
    CHECK(e.status == 400);
    CHECK(e.type == "invalid_request_error");
    CHECK(e.code == "ValidationException");
    CHECK(e.message == "The model returned the following errors: bad");

    e = upstream::decode_error(
        upstream_format::bedrock_converse, 429,
        R"({"message":"Too many requests, please wait before trying again."})",
        "ThrottlingException");
    CHECK(e.status == 429);
    CHECK(e.type == "rate_limit_error");

    e = upstream::decode_error(
        upstream_format::bedrock_converse, 403,
        R"({"__type":"com.amazon.coral.service#AccessDeniedException","Message":"You don't have access to the model with the specified model ID."})");
    CHECK(e.code == "AccessDeniedException");
    CHECK(e.status == 502);  // the channel's credentials: not the client's to fix
    CHECK(e.message.find("You don't have access") != std::string::npos);

    e = upstream::decode_error(upstream_format::bedrock_converse, 429,
                               R"({"message":"Model is not ready"})", "ModelNotReadyException");
    CHECK(e.status == 503);
    e = upstream::decode_error(upstream_format::bedrock_converse, 503,
                               R"({"message":"unavailable"})", "ServiceUnavailableException");
    CHECK(e.status == 503);
    e = upstream::decode_error(upstream_format::bedrock_converse, 404,
                               R"({"message":"no such model"})", "ResourceNotFoundException");
    CHECK(e.status == 404);
    e = upstream::decode_error(upstream_format::bedrock_converse, 502, "<html>bad gateway</html>");
    CHECK(e.status == 502);
    CHECK(e.message.find("bad gateway") != std::string::npos);

    // Header values are bytes no JSON parser checked: what is not UTF-8 becomes U+FFFD, so the
    // client's error body stays JSON (found by the stream_bedrock_converse fuzz target).
    e = upstream::decode_error(upstream_format::bedrock_converse, 400, R"({"message":"bad"})",
                               "Validation\xFF"
                               "Exception");
    CHECK(e.code ==
          "Validation\xEF\xBF\xBD"
          "Exception");
    const auto streamed = formats::bedrock_converse::error_from_exception(0, "throttlingException",
                                                                          "slow \xC0"
                                                                          "down");
    CHECK(streamed.message ==
          "slow \xEF\xBF\xBD"
          "down");
    for (auto f :
         {api_format::openai_chat, api_format::openai_responses, api_format::anthropic_messages}) {
        error_code ec;
        json::parse(ingress::encode_error(f, e), ec);
        CHECK_FALSE(ec);
    }

    // In-stream exceptions carry no HTTP status: the name decides.
    CHECK(formats::bedrock_converse::error_from_exception(0, "validationException", "x").status ==
          400);
    CHECK(formats::bedrock_converse::error_from_exception(0, "throttlingException", "x").status ==
          429);
    CHECK(formats::bedrock_converse::error_from_exception(0, "serviceUnavailableException", "x")
              .status == 503);
    CHECK(
        formats::bedrock_converse::error_from_exception(0, "internalServerException", "x").status ==
        502);
}

// ---- stream decoding -------------------------------------------------------------------------

namespace {

std::string event(std::string_view type, std::string_view payload) {
    return stream::encode_aws_event_stream_event(type, payload);
}

std::string exception_frame(std::string_view type, std::string_view payload) {
    using h = stream::aws_event_stream_header;
    const h headers[] = {
        {":exception-type", stream::aws_event_stream_header_type::string, type, 0},
        {":content-type", stream::aws_event_stream_header_type::string, "application/json", 0},
        {":message-type", stream::aws_event_stream_header_type::string, "exception", 0},
    };
    auto m = stream::encode_aws_event_stream_message(headers, payload);
    REQUIRE(m);
    return *m;
}

/// Reasoning (text, then signature), text, a tool call with streamed input, tool_use stop and
/// usage: the shapes ConverseStream sends for Claude with thinking and tools. Every event has
/// the `p` padding field Bedrock adds.
std::string thinking_tool_stream(bool with_metadata = true) {
    std::string s;
    s += event("messageStart", R"({"p":"abcdefgh","role":"assistant"})");
    s += event(
        "contentBlockDelta",
        R"({"contentBlockIndex":0,"delta":{"reasoningContent":{"text":"The user wants "}},"p":"ab"})");
    s += event(
        "contentBlockDelta",
        R"({"contentBlockIndex":0,"delta":{"reasoningContent":{"text":"the weather."}},"p":"abc"})");
    s += event(
        "contentBlockDelta",
        R"({"contentBlockIndex":0,"delta":{"reasoningContent":{"signature":"EqoBCkgsig=="}},"p":"a"})");
    s += event("contentBlockStop", R"({"contentBlockIndex":0,"p":"abcd"})");
    s += event("contentBlockDelta",
               R"({"contentBlockIndex":1,"delta":{"text":"Let me "},"p":"abcdef"})");
    s += event("contentBlockDelta", R"({"contentBlockIndex":1,"delta":{"text":"check."},"p":"a"})");
    s += event("contentBlockStop", R"({"contentBlockIndex":1,"p":"abcdefghij"})");
    s += event(
        "contentBlockStart",
        R"({"contentBlockIndex":2,"start":{"toolUse":{"toolUseId":"tooluse_kZJMlvQmRJ6eAyJE5GIl7Q","name":"get_weather"}},"p":"abc"})");
    s += event("contentBlockDelta",
               R"({"contentBlockIndex":2,"delta":{"toolUse":{"input":"{\"city\":"}},"p":"ab"})");
    s +=
        event("contentBlockDelta",
              R"({"contentBlockIndex":2,"delta":{"toolUse":{"input":" \"Paris\"}"}},"p":"abcde"})");
    s += event("contentBlockStop", R"({"contentBlockIndex":2,"p":"abcdefg"})");
    s += event("messageStop", R"({"p":"abcdefghijklm","stopReason":"tool_use"})");
    if (with_metadata) {
        s += event(
            "metadata",
            R"({"metrics":{"latencyMs":1503},"p":"abc","usage":{"inputTokens":412,"outputTokens":96,"totalTokens":1508,"cacheReadInputTokens":1000,"cacheWriteInputTokens":0}})");
    }
    return s;
}

struct stream_run {
    std::string jsonl;
    error_code error;
    response_builder builder;
};

void run(std::span<const std::string_view> chunks, stream_run& out,
         const request* original = nullptr) {
    upstream::stream_decoder_options options;
    options.original = original;
    auto decoder = upstream::make_stream_decoder(upstream_format::bedrock_converse, options);
    REQUIRE(decoder);
    struct both final : event_sink {
        event_recorder recorder;
        response_builder* builder;
        void on_event(const stream_event& e) override {
            recorder.on_event(e);
            builder->on_event(e);
        }
    } sink;
    sink.builder = &out.builder;
    for (const std::string_view c : chunks) {
        if (auto r = decoder->feed(c, sink); !r) {
            out.error = r.error();
            break;
        }
    }
    if (!out.error) {
        if (auto r = decoder->finish(sink); !r) out.error = r.error();
    }
    out.jsonl = sink.recorder.jsonl();
}

void run(std::string_view bytes, stream_run& out, const request* original = nullptr) {
    const std::string_view one[] = {bytes};
    run(one, out, original);
}

}  // namespace

TEST_CASE("bedrock_converse stream: thinking, text and a tool call, in every chunking",
          "[bedrock][stream][golden]") {
    const std::string bytes = thinking_tool_stream();
    stream_run whole;
    run(bytes, whole);
    CHECK_FALSE(whole.error);
    test::check_golden_jsonl("bedrock_converse/stream-thinking-tool-use/canonical.jsonl",
                             whole.jsonl);
    REQUIRE(whole.builder.done());
    const response& res = whole.builder.response();
    REQUIRE(res.content.size() == 3);
    CHECK(res.content[0].kind == block_kind::thinking);
    CHECK(res.content[0].text == "The user wants the weather.");
    CHECK(res.content[0].signature == "EqoBCkgsig==");
    CHECK(res.content[1].text == "Let me check.");
    CHECK(res.content[2].kind == block_kind::tool_use);
    CHECK(res.content[2].name == "get_weather");
    CHECK(res.content[2].arguments == R"({"city": "Paris"})");
    CHECK(res.finish == finish_reason::tool_use);
    CHECK(res.usage.input_tokens == 1412);
    CHECK(res.usage.cache_read_tokens == 1000);
    CHECK(res.usage.output_tokens == 96);

    std::size_t runs = 0;
    std::size_t mismatches = 0;
    test::for_each_chunking(bytes, [&](std::span<const std::string_view> chunks) {
        stream_run r;
        run(chunks, r);
        ++runs;
        if (r.jsonl != whole.jsonl || r.error != whole.error) ++mismatches;
    });
    CHECK(runs > bytes.size());  // every split point and 1-byte chunks included
    CHECK(mismatches == 0);
}

TEST_CASE("bedrock_converse stream: messageStop without metadata still ends the answer",
          "[bedrock][stream]") {
    stream_run r;
    run(thinking_tool_stream(false), r);
    CHECK_FALSE(r.error);
    CHECK(r.builder.done());
    CHECK_FALSE(r.builder.response().usage.reported);

    stream_run cut;
    const std::string bytes = thinking_tool_stream();
    run(std::string_view(bytes).substr(0, bytes.size() / 2), cut);
    CHECK(cut.error == errc::stream_truncated);
}

TEST_CASE("bedrock_converse stream: a corrupted CRC is a clean bad_upstream_response",
          "[bedrock][stream]") {
    std::string bytes = thinking_tool_stream();
    const std::size_t first =
        event("messageStart", R"({"p":"abcdefgh","role":"assistant"})").size();
    bytes[first + 40] = static_cast<char>(bytes[first + 40] ^ 0x20);  // inside the 2nd payload
    stream_run r;
    run(bytes, r);
    CHECK(r.error == errc::bad_upstream_response);
    CHECK_FALSE(r.builder.done());
    // Only the message_start of the intact first frame came through.
    CHECK(r.jsonl.find("block_start") == std::string::npos);
}

TEST_CASE("bedrock_converse stream: an exception frame is a canonical error event",
          "[bedrock][stream]") {
    std::string bytes;
    bytes += event("messageStart", R"({"role":"assistant"})");
    bytes += event("contentBlockDelta", R"({"contentBlockIndex":0,"delta":{"text":"Hel"}})");
    bytes += exception_frame("throttlingException",
                             R"({"message":"Too many tokens, please wait before trying again."})");
    stream_run r;
    run(bytes, r);
    CHECK_FALSE(r.error);
    REQUIRE(r.builder.error() != nullptr);
    CHECK(r.builder.error()->status == 429);
    CHECK(r.builder.error()->message == "Too many tokens, please wait before trying again.");
    CHECK(r.jsonl.find("\"error\"") != std::string::npos);

    std::size_t mismatches = 0;
    test::for_each_chunking(bytes, [&](std::span<const std::string_view> chunks) {
        stream_run c;
        run(chunks, c);
        if (c.jsonl != r.jsonl) ++mismatches;
    });
    CHECK(mismatches == 0);
}

TEST_CASE("bedrock_converse stream: bytes after the end of the stream are ignored in any chunking",
          "[bedrock][stream]") {
    // Found by the stream_bedrock_converse fuzz target: a corrupt frame in the same chunk as the
    // exception frame failed the stream, the same frame in a later chunk was ignored.
    std::string corrupt = event("metadata", R"({"usage":{"inputTokens":1,"outputTokens":1}})");
    corrupt[corrupt.size() - 1] = static_cast<char>(corrupt.back() ^ 0x01);  // the message CRC
    // A prelude (its CRC right) declaring a message of 2 GiB, above the decoder's limit.
    const std::string huge_prelude = [] {
        std::string p("\x7f\x00\x00\x00\x00\x00\x00\x00", 8);
        boost::crc_32_type crc;
        crc.process_bytes(p.data(), p.size());
        for (int shift = 24; shift >= 0; shift -= 8) {
            p += static_cast<char>((crc.checksum() >> shift) & 0xFFU);
        }
        return p;
    }();
    const std::string tails[] = {corrupt, huge_prelude, "garbage"};
    const std::string ends[] = {
        exception_frame("modelStreamErrorException", R"({"message":"upstream stream error"})"),
        event("messageStop", R"({"stopReason":"end_turn"})") +
            event("metadata", R"({"usage":{"inputTokens":3,"outputTokens":2,"totalTokens":5}})")};
    for (const std::string& end : ends) {
        for (const std::string& tail : tails) {
            std::string bytes;
            bytes += event("messageStart", R"({"role":"assistant"})");
            bytes += event("contentBlockDelta", R"({"contentBlockIndex":0,"delta":{"text":"Hi"}})");
            bytes += end;
            const std::size_t ended_at = bytes.size();
            bytes += tail;
            stream_run whole;
            run(bytes, whole);
            CHECK_FALSE(whole.error);
            CHECK(whole.builder.done());
            stream_run clean;
            run(std::string_view(bytes).substr(0, ended_at), clean);
            CHECK(whole.jsonl == clean.jsonl);

            std::size_t mismatches = 0;
            test::for_each_chunking(bytes, [&](std::span<const std::string_view> chunks) {
                stream_run c;
                run(chunks, c);
                if (c.jsonl != whole.jsonl || c.error != whole.error) ++mismatches;
            });
            CHECK(mismatches == 0);
        }
    }
}

TEST_CASE("bedrock_converse stream: structured output tool streamed as text", "[bedrock][stream]") {
    request req = user_text("A city");
    req.format.type = response_format::kind::json_object;
    std::string bytes;
    bytes += event("messageStart", R"({"role":"assistant"})");
    bytes += event(
        "contentBlockStart",
        R"({"contentBlockIndex":0,"start":{"toolUse":{"toolUseId":"t1","name":"__json_response"}}})");
    bytes +=
        event("contentBlockDelta",
              R"({"contentBlockIndex":0,"delta":{"toolUse":{"input":"{\"name\":\"Paris\"}"}}})");
    bytes += event("contentBlockStop", R"({"contentBlockIndex":0})");
    bytes += event("messageStop", R"({"stopReason":"tool_use"})");
    stream_run r;
    run(bytes, r, &req);
    CHECK_FALSE(r.error);
    const response& res = r.builder.response();
    REQUIRE(res.content.size() == 1);
    CHECK(res.content[0].kind == block_kind::text);
    CHECK(res.content[0].text == R"({"name":"Paris"})");
    CHECK(res.finish == finish_reason::stop);

    stream_run early;
    run(event("contentBlockDelta", R"({"contentBlockIndex":0,"delta":{"text":"x"}})"), early);
    CHECK(early.error == errc::bad_upstream_response);
}

// ---- recorded streams (tests/fixtures/bedrock/) -----------------------------------------------

namespace {

/// Decodes `bytes` whole and checks that every chunking gives the same events and error.
stream_run run_fixture(std::string_view file) {
    const std::string bytes = test::read_fixture(file);
    stream_run whole;
    run(bytes, whole);
    std::size_t mismatches = 0;
    test::for_each_chunking(bytes, [&](std::span<const std::string_view> chunks) {
        stream_run r;
        run(chunks, r);
        if (r.jsonl != whole.jsonl || r.error != whole.error) ++mismatches;
    });
    CHECK(mismatches == 0);
    return whole;
}

}  // namespace

TEST_CASE("bedrock_converse stream: the recorded text stream", "[bedrock][stream][fixtures]") {
    const stream_run r = run_fixture("bedrock/converse-stream-text.bin");
    CHECK_FALSE(r.error);
    test::check_golden_jsonl("bedrock_converse/stream-fixture-text/canonical.jsonl", r.jsonl);
    REQUIRE(r.builder.done());
    const response& res = r.builder.response();
    REQUIRE(res.content.size() == 1);
    CHECK(res.content[0].kind == block_kind::text);
    CHECK(res.content[0].text == "The capital of France is Paris.");
    CHECK(res.finish == finish_reason::stop);
    // inputTokens 14 excludes the 1843 written to the cache; the canonical input includes them.
    CHECK(res.usage.input_tokens == 1857);
    CHECK(res.usage.cache_creation_tokens == 1843);
    CHECK(res.usage.cache_read_tokens == 0);
    CHECK(res.usage.uncached_input_tokens() == 14);
    CHECK(res.usage.output_tokens == 10);
    CHECK(res.usage.total_tokens() == 1867);  // the wire's totalTokens
}

TEST_CASE("bedrock_converse stream: the recorded tool use stream", "[bedrock][stream][fixtures]") {
    const stream_run r = run_fixture("bedrock/converse-stream-tool-use.bin");
    CHECK_FALSE(r.error);
    test::check_golden_jsonl("bedrock_converse/stream-fixture-tool-use/canonical.jsonl", r.jsonl);
    REQUIRE(r.builder.done());
    const response& res = r.builder.response();
    REQUIRE(res.content.size() == 2);
    CHECK(res.content[0].text == "I'll check the weather in Paris.");
    CHECK(res.content[1].kind == block_kind::tool_use);
    CHECK(res.content[1].id == "tooluse_Xq7hS2aNQxGk3Y0mB1cZ9w");
    CHECK(res.content[1].name == "get_weather");
    // The fragments reassembled byte for byte (the empty first fragment sends nothing).
    CHECK(res.content[1].arguments == R"({"city": "Paris", "unit": "celsius"})");
    CHECK(res.finish == finish_reason::tool_use);
    CHECK(res.usage.input_tokens == 402 + 1843);
    CHECK(res.usage.cache_read_tokens == 1843);
    CHECK(res.usage.cache_creation_tokens == 0);
    CHECK(res.usage.output_tokens == 74);
    CHECK(res.usage.total_tokens() == 2319);
}

TEST_CASE("bedrock_converse stream: the recorded reasoning stream", "[bedrock][stream][fixtures]") {
    const stream_run r = run_fixture("bedrock/converse-stream-reasoning.bin");
    CHECK_FALSE(r.error);
    test::check_golden_jsonl("bedrock_converse/stream-fixture-reasoning/canonical.jsonl", r.jsonl);
    REQUIRE(r.builder.done());
    const response& res = r.builder.response();
    REQUIRE(res.content.size() == 3);
    CHECK(res.content[0].kind == block_kind::thinking);
    CHECK(res.content[0].text == "The user asks for 17 * 23. 17 * 20 = 340, 17 * 3 = 51, so 391.");
    CHECK(
        res.content[0].signature ==
        "ErUBCkYIBRgCIkDmQ3v0cXb0nZl3yP8Qk2hT1Ww9sJfA6uRr5eLkN0oZxYcVbG7tH4iM2jPqS8dE1fU3wK9nB6aC");
    CHECK(res.content[0].signature_origin == reasoning_origin::anthropic);
    CHECK(res.content[1].kind == block_kind::redacted_thinking);
    CHECK(res.content[1].signature == "RXFvQkNrWUlCUmdDS2tCcmVkYWN0ZWQ=");
    CHECK(res.content[2].text == "17 \u00d7 23 = 391.");  // the JSON \u escape decoded to UTF-8
    CHECK(res.finish == finish_reason::stop);
    CHECK(res.usage.input_tokens == 48);  // no cache fields on the wire
    CHECK(res.usage.cache_read_tokens == 0);
    CHECK(res.usage.output_tokens == 131);
}

TEST_CASE("bedrock_converse stream: the recorded modelStreamErrorException",
          "[bedrock][stream][fixtures]") {
    const stream_run r = run_fixture("bedrock/converse-stream-exception.bin");
    CHECK_FALSE(r.error);  // an error event, not a decoder failure
    test::check_golden_jsonl("bedrock_converse/stream-fixture-exception/canonical.jsonl", r.jsonl);
    REQUIRE(r.builder.error() != nullptr);
    const upstream_error& e = *r.builder.error();
    CHECK(e.status == 502);  // 424 upstream: the model failed, not the client
    CHECK(e.type == "api_error");
    CHECK(e.code == "ModelStreamErrorException");
    CHECK(e.message == "The model produced an error while streaming the response.");
    REQUIRE(r.builder.response().content.size() == 1);
    CHECK(r.builder.response().content[0].text == "Paris is");
}

TEST_CASE("bedrock_converse stream: a recorded stream with a flipped CRC fails cleanly",
          "[bedrock][stream][fixtures]") {
    for (const char* file :
         {"bedrock/converse-stream-text.bin", "bedrock/converse-stream-tool-use.bin",
          "bedrock/converse-stream-reasoning.bin", "bedrock/converse-stream-exception.bin"}) {
        const std::string bytes = test::read_fixture(file);
        const auto frames = test::split_aws_event_stream(bytes);
        REQUIRE(frames.size() >= 3);
        const std::size_t k = 2;  // the third message
        const auto offset = static_cast<std::size_t>(frames[k].data() - bytes.data());
        // What the intact first k messages give, the stream left open.
        upstream::stream_decoder_options options;
        auto reference = upstream::make_stream_decoder(upstream_format::bedrock_converse, options);
        event_recorder before;
        REQUIRE(reference->feed(std::string_view(bytes).substr(0, offset), before));

        for (const std::size_t at : {offset + 9, offset + frames[k].size() - 2}) {
            INFO(file << ": byte " << at);
            std::string bad = bytes;
            bad[at] = static_cast<char>(bad[at] ^ 0x01);
            auto decoder =
                upstream::make_stream_decoder(upstream_format::bedrock_converse, options);
            event_recorder events;
            auto fed = decoder->feed(bad, events);
            REQUIRE_FALSE(fed);
            CHECK(fed.error() == errc::bad_upstream_response);
            CHECK(decoder->error_detail() ==
                  "upstream event-stream framing is corrupt (length or CRC check failed)");
            CHECK(events.jsonl() == before.jsonl());  // nothing from the bad frame on
            CHECK(decoder->feed(bytes, events).error() == errc::bad_upstream_response);
            CHECK(decoder->finish(events).error() == errc::bad_upstream_response);
            CHECK(events.jsonl() == before.jsonl());
        }
    }
}
