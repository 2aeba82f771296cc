// anthropic_messages, upstream side: request encoding, Message decoding, error bodies.

#include "formats/anthropic_messages/codec.hpp"
#include "gateway/core/canonical_json.hpp"
#include "gateway/upstream/codec.hpp"
#include "support/golden.hpp"

#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

#include <string>

namespace am = gateway::formats::anthropic_messages;
namespace json = boost::json;
using gateway::block_kind;
using gateway::content_block;
using gateway::conversion_report;
using gateway::errc;
using gateway::message;
using gateway::param_action;
using gateway::request;
using gateway::role;

namespace {

const std::string dir = "anthropic_messages/";

json::object adjustments_of(const conversion_report& report) {
    json::object o;
    for (const auto& a : report.adjustments) o[a.param] = a.action;
    return o;
}

message msg(role r, std::vector<content_block> content) {
    message m;
    m.role = r;
    m.content = std::move(content);
    return m;
}

content_block reasoning(gateway::reasoning_origin origin, std::string text, std::string sig) {
    content_block b;
    b.kind = block_kind::thinking;
    b.text = std::move(text);
    b.signature = std::move(sig);
    b.signature_origin = origin;
    return b;
}

/// A request as an OpenAI Chat client would have sent it, after that format's decoder.
request foreign_request() {
    request req;
    req.source_format = gateway::api_format::openai_chat;
    req.model = "gpt-4o";
    req.system.push_back(content_block::make_text("Be terse."));
    req.messages.push_back(msg(role::user, {content_block::make_text("Weather in Paris?")}));
    req.messages.push_back(msg(role::system, {content_block::make_text("Use celsius.")}));
    req.messages.push_back(msg(role::user, {content_block::make_text("And Rome?")}));
    content_block image;
    image.kind = block_kind::image;
    image.source.type = gateway::media_source::kind::url;
    image.source.data = "data:image/png;base64,iVBORw0KGgo=";
    req.messages.back().content.push_back(image);
    req.messages.push_back(
        msg(role::assistant,
            {reasoning(gateway::reasoning_origin::openai, "summary", "gAAAAABenc"),
             content_block::make_tool_use("call_1", "get_weather", R"({"city":"Paris"})"),
             content_block::make_tool_use("call_2", "get_weather", R"({"city":"Ro)")}));
    req.messages.push_back(
        msg(role::user,
            {content_block::make_text("Hurry."), content_block::make_tool_result("call_1", "15C"),
             content_block::make_tool_result("call_2", "20C", true)}));
    gateway::tool t;
    t.name = "get_weather";
    t.description = "Weather by city";
    t.parameters = json::parse(R"({"type":"object","properties":{"city":{"type":"string"}}})");
    t.strict = true;
    req.tools.push_back(t);
    gateway::tool bare;
    bare.name = "ping";
    req.tools.push_back(bare);
    req.choice.type = gateway::tool_choice::mode::required;
    req.parallel_tool_calls = false;
    req.sampler.temperature = 0.2;
    req.sampler.top_p = 0.9;
    req.sampler.seed = 7;
    req.sampler.presence_penalty = 0.5;
    req.sampler.stop = {"END"};
    req.user = "user-42";
    req.max_output_tokens = 512;
    req.service_tier = "default";
    req.extra["logprobs"] = true;
    return req;
}

}  // namespace

TEST_CASE("anthropic_messages: a foreign request encodes for an Anthropic upstream",
          "[anthropic_messages][golden]") {
    conversion_report report;
    gateway::upstream::encode_options options;
    options.model = "claude-sonnet-4-5";
    options.stream = true;
    auto parts = am::encode_request(foreign_request(), options, report);
    REQUIRE(parts.has_value());
    CHECK(parts->path == "/messages");
    REQUIRE(parts->headers.size() == 2);
    CHECK(parts->headers[0] ==
          std::pair<std::string, std::string>("content-type", "application/json"));
    CHECK(parts->headers[1] ==
          std::pair<std::string, std::string>("anthropic-version", "2023-06-01"));
    gateway::test::check_golden_json(dir + "encode-foreign/upstream_request.json",
                                     json::parse(parts->body));
    json::array all;
    for (const auto& a : report.adjustments) all.emplace_back(a.param + "=" + a.action);
    gateway::test::check_golden_json(dir + "encode-foreign/upstream_adjustments.json", all);
}

TEST_CASE("anthropic_messages: thinking constraints are honoured", "[anthropic_messages]") {
    request req = foreign_request();
    req.messages.resize(1);
    req.reasoning.effort = "high";
    req.sampler.top_k = 5;
    req.sampler.seed.reset();
    req.sampler.presence_penalty.reset();
    req.extra.clear();
    conversion_report report;
    auto parts = am::encode_request(req, {}, report);
    REQUIRE(parts.has_value());
    const json::value body = json::parse(parts->body);
    CHECK(body.at("thinking") == json::parse(R"({"type":"enabled","budget_tokens":24576})"));
    CHECK(body.at("max_tokens") == 24576 + 512);  // must exceed the budget
    CHECK_FALSE(body.as_object().contains("temperature"));
    CHECK_FALSE(body.as_object().contains("top_k"));
    CHECK(body.at("top_p") == 0.95);
    CHECK(body.at("tool_choice") ==
          json::parse(R"({"type":"auto","disable_parallel_tool_use":true})"));
    const json::object adj = adjustments_of(report);
    CHECK(adj.contains("max_tokens"));
    CHECK(adj.at("temperature") == "dropped");
    CHECK(adj.at("top_k") == "dropped");
    CHECK(adj.contains("top_p"));
    CHECK(adj.contains("tool_choice"));

    // Budget below Anthropic's minimum; adaptive when on without a budget; off.
    request small = req;
    small.reasoning = {};
    small.reasoning.budget_tokens = 100;
    conversion_report r2;
    auto p2 = am::encode_request(small, {}, r2);
    REQUIRE(p2.has_value());
    CHECK(json::parse(p2->body).at("thinking").at("budget_tokens") == 1024);
    small.reasoning = {};
    small.reasoning.enabled = true;
    small.reasoning.effort = "low";
    conversion_report r3;
    auto p3 = am::encode_request(small, {}, r3);
    REQUIRE(p3.has_value());
    CHECK(json::parse(p3->body).at("thinking") == json::parse(R"({"type":"adaptive"})"));
    CHECK(json::parse(p3->body).at("output_config") == json::parse(R"({"effort":"low"})"));
    small.reasoning = {};
    small.reasoning.effort = "none";
    conversion_report r4;
    auto p4 = am::encode_request(small, {}, r4);
    REQUIRE(p4.has_value());
    CHECK(json::parse(p4->body).at("thinking") == json::parse(R"({"type":"disabled"})"));
}

TEST_CASE("anthropic_messages: thinking is turned off for a tool turn without Claude thinking",
          "[anthropic_messages]") {
    request req = foreign_request();
    req.messages.resize(5);  // ends with the tool results of the OpenAI-made tool calls
    req.reasoning.budget_tokens = 2048;
    req.extra.clear();
    conversion_report report;
    auto parts = am::encode_request(req, {}, report);
    REQUIRE(parts.has_value());
    const json::value body = json::parse(parts->body);
    CHECK_FALSE(body.as_object().contains("thinking"));
    CHECK(adjustments_of(report).contains("reasoning"));
    CHECK(body.at("temperature") == 0.2);  // thinking is off: sampling passes
}

TEST_CASE("anthropic_messages: structured output is emulated with a forced tool",
          "[anthropic_messages]") {
    request req;
    req.source_format = gateway::api_format::openai_responses;
    req.model = "m";
    req.messages.push_back(msg(role::user, {content_block::make_text("A dog, as JSON")}));
    req.format.type = gateway::response_format::kind::json_schema;
    req.format.name = "dog";
    req.format.schema = json::parse(R"({"type":"object","properties":{"name":{"type":"string"}}})");
    conversion_report report;
    auto parts = am::encode_request(req, {}, report);
    REQUIRE(parts.has_value());
    const json::value body = json::parse(parts->body);
    CHECK(body.at("tools") == json::parse(R"([{"name":"__json_response",
        "description":"Respond with a JSON document by calling this tool.",
        "input_schema":{"type":"object","properties":{"name":{"type":"string"}}}}])"));
    CHECK(body.at("tool_choice") == json::parse(R"({"type":"tool","name":"__json_response"})"));
    CHECK(adjustments_of(report).at("response_format") == "emulated");

    // json_object: any object; a configured `pass` uses output_config.format instead.
    req.format = {};
    req.format.type = gateway::response_format::kind::json_object;
    conversion_report r2;
    auto p2 = am::encode_request(req, {}, r2);
    REQUIRE(p2.has_value());
    CHECK(json::parse(p2->body).at("tools").at(0).at("input_schema") ==
          json::parse(R"({"type":"object"})"));
    gateway::upstream::model_capabilities caps;
    caps.set("response_format", param_action::pass);
    gateway::upstream::encode_options options;
    options.capabilities = &caps;
    conversion_report r3;
    auto p3 = am::encode_request(req, options, r3);
    REQUIRE(p3.has_value());
    const json::value native = json::parse(p3->body);
    CHECK_FALSE(native.as_object().contains("tools"));
    CHECK(native.at("output_config") ==
          json::parse(R"({"format":{"type":"json_schema","schema":{"type":"object"}}})"));
}

TEST_CASE("anthropic_messages: what Anthropic cannot take is rejected", "[anthropic_messages]") {
    auto rejected = [](const request& req, std::string_view param) {
        conversion_report report;
        auto r = am::encode_request(req, {}, report);
        REQUIRE_FALSE(r.has_value());
        CHECK(r.error() == errc::unsupported_feature);
        CHECK(report.error_param == param);
        CHECK_FALSE(report.error_message.empty());
    };
    request base;
    base.model = "m";
    base.messages.push_back(msg(role::user, {content_block::make_text("hi")}));

    request n = base;
    n.n = 2;
    rejected(n, "n");
    request prev = base;
    prev.previous_response_id = "resp_1";
    rejected(prev, "previous_response_id");
    request builtin = base;
    gateway::tool ws;
    ws.type = "web_search";
    builtin.tools.push_back(ws);
    rejected(builtin, "tools[0]");
    request file = base;
    content_block f;
    f.kind = block_kind::document;
    f.source.type = gateway::media_source::kind::file_id;
    f.source.data = "file-abc";
    file.messages[0].content.push_back(f);
    rejected(file, "messages[0].content[1]");

    // A capability row can turn a drop into a rejection.
    gateway::upstream::model_capabilities caps;
    caps.set("seed", param_action::reject);
    request seeded = base;
    seeded.sampler.seed = 1;
    gateway::upstream::encode_options options;
    options.capabilities = &caps;
    conversion_report report;
    auto r = am::encode_request(seeded, options, report);
    REQUIRE_FALSE(r.has_value());
    CHECK(report.error_param == "seed");
}

TEST_CASE("anthropic_messages: Message bodies decode to canonical responses",
          "[anthropic_messages][golden]") {
    for (const std::string name :
         {"response-text", "response-parallel-tool-use", "response-cache-read-write",
          "response-emulated-json", "response-thinking"}) {
        INFO("case " << name);
        request original;
        original.format.type = gateway::response_format::kind::json_schema;
        conversion_report report;
        auto res =
            am::decode_response(gateway::test::read_golden(dir + name + "/upstream.json"),
                                name == "response-emulated-json" ? &original : nullptr, report);
        REQUIRE(res.has_value());
        gateway::test::check_golden_json(dir + name + "/canonical_response.json",
                                         gateway::to_json(*res));
    }
}

TEST_CASE("anthropic_messages: usage follows the canonical convention", "[anthropic_messages]") {
    conversion_report report;
    auto res = am::decode_response(
        gateway::test::read_golden(dir + "response-cache-read-write/upstream.json"), nullptr,
        report);
    REQUIRE(res.has_value());
    CHECK(res->usage.input_tokens == 3 + 418 + 1111);  // cached tokens included
    CHECK(res->usage.cache_read_tokens == 1111);
    CHECK(res->usage.cache_creation_tokens == 418);
    CHECK(res->usage.uncached_input_tokens() == 3);
}

TEST_CASE("anthropic_messages: malformed Message bodies are upstream errors",
          "[anthropic_messages]") {
    for (const std::string_view body :
         {"", "not json", "[]", R"({"type":"error","error":{"type":"api_error"}})",
          R"({"type":"message"})", R"({"type":"message","content":[1]})"}) {
        INFO(body);
        conversion_report report;
        auto r = am::decode_response(body, nullptr, report);
        REQUIRE_FALSE(r.has_value());
        CHECK(r.error() == errc::bad_upstream_response);
        CHECK_FALSE(report.error_message.empty());
    }
}

TEST_CASE(
    "anthropic_messages: the converting decoder and the pass-through summary accept the "
    "same Message bodies",
    "[anthropic_messages]") {
    // Found by the response_anthropic_messages fuzz target: a `usage` that is not an object was
    // ignored by decode_response and refused by summarize_response, so the same answer failed
    // when passed through and succeeded when converted. Both now refuse a mistyped `model` or
    // `usage` (null stands for absent), as the Chat and Responses decoders do.
    const std::string head =
        R"({"type":"message","id":"msg_1","role":"assistant","content":[{"type":"text","text":"Hi"}],)";
    struct row {
        std::string tail;
        bool ok;
        const char* param;
    };
    const row rows[] = {
        {R"("model":"claude-x","usage":{"input_tokens":3,"output_tokens":1}})", true, ""},
        {R"("model":null,"usage":null})", true, ""},
        {R"("model":"claude-x","usage":"claude-haiku-4-5"})", false, "usage"},
        {R"("model":"claude-x","usage":[1]})", false, "usage"},
        {R"("model":7,"usage":{"input_tokens":3,"output_tokens":1}})", false, "model"},
    };
    for (const row& r : rows) {
        const std::string body = head + r.tail;
        INFO(body);
        conversion_report report;
        auto decoded = am::decode_response(body, nullptr, report);
        conversion_report summary_report;
        auto summary = gateway::upstream::summarize_response(
            gateway::upstream::upstream_format::anthropic_messages, body, summary_report);
        CHECK(decoded.has_value() == r.ok);
        CHECK(summary.has_value() == r.ok);
        if (!r.ok) {
            CHECK(report.error_param == r.param);
            CHECK(summary_report.error_param == r.param);
        }
    }
}

TEST_CASE("anthropic_messages: upstream error bodies map to neutral errors",
          "[anthropic_messages]") {
    // Recorded: error-400-invalid-request.cassette.yaml, error-404-not-found.cassette.yaml.
    auto e400 = am::decode_error(
        400,
        R"({"type":"error","error":{"type":"invalid_request_error","message":"This model does not support effort level 'xhigh'. Supported levels: high, low, max, medium."},"request_id":"req_011Ca7jT9AHpgXgdv8igm4z9"})");
    CHECK(e400.status == 400);
    CHECK(e400.type == "invalid_request_error");
    CHECK(e400.message.starts_with("This model does not support effort level"));
    auto e404 = am::decode_error(
        404,
        R"({"type":"error","error":{"type":"not_found_error","message":"model: claude-sonet-4-5"},"request_id":"req_011CdufXo8Y2LVfY2veyuQWG"})");
    CHECK(e404.status == 404);
    CHECK(e404.type == "not_found_error");
    CHECK(e404.message == "model: claude-sonet-4-5");

    auto e401 = am::decode_error(
        401,
        R"({"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}})");
    CHECK(e401.status == 502);
    CHECK(e401.type == "api_error");
    CHECK(e401.message == "upstream rejected the channel's credentials: invalid x-api-key");
    CHECK(am::decode_error(403,
                           R"({"type":"error","error":{"type":"permission_error","message":"no"}})")
              .status == 502);
    auto e413 = am::decode_error(
        413, R"({"type":"error","error":{"type":"request_too_large","message":"big"}})");
    CHECK(e413.status == 413);
    CHECK(e413.type == "request_too_large");
    auto e429 = am::decode_error(
        429, R"({"type":"error","error":{"type":"rate_limit_error","message":"slow"}})");
    CHECK(e429.status == 429);
    CHECK(e429.type == "rate_limit_error");
    auto e529 = am::decode_error(
        529, R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})");
    CHECK(e529.status == 503);
    CHECK(e529.type == "overloaded_error");
    auto e500 =
        am::decode_error(500, R"({"type":"error","error":{"type":"api_error","message":"oops"}})");
    CHECK(e500.status == 502);
    CHECK(e500.type == "api_error");
    auto html = am::decode_error(502, "<html>Bad Gateway</html>\n");
    CHECK(html.status == 502);
    CHECK(html.message == "upstream answered HTTP 502: <html>Bad Gateway</html>");
    CHECK(am::decode_error(503, "").message == "upstream answered HTTP 503");
}
