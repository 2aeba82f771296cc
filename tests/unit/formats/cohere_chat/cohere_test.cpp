// The cohere_chat format (Cohere Chat API v2) on golden files (tests/golden/cohere_chat/;
// provenance in PROVENANCE.md): canonical request → POST /v2/chat body, response bodies and
// error bodies → canonical, and SSE streams → canonical events, whole and in every chunking.

#include "formats/cohere_chat/codec.hpp"

#include "support/golden.hpp"
#include "unit/formats/gemini/gemini_test_util.hpp"  // run_decoder: grammar-checked runs

#include "gateway/core/canonical_json.hpp"
#include "gateway/ingress/codec.hpp"
#include "gateway/upstream/codec.hpp"

#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

#include <filesystem>
#include <span>
#include <string>

namespace {

namespace json = boost::json;
namespace cohere = gateway::formats::cohere_chat;
using gateway::block_kind;
using gateway::content_block;
using gateway::errc;
using gateway::error_code;
using gateway::message;
using gateway::reasoning_origin;
using gateway::request;
using gateway::role;
using gateway::test::read_golden;

message text_message(role r, std::string text) {
    message m;
    m.role = r;
    m.content.push_back(content_block::make_text(std::move(text)));
    return m;
}

struct encoded {
    gateway::result<gateway::upstream::http_request_parts> parts;
    gateway::conversion_report report;
};

encoded encode(const request& req, std::string_view model, bool stream = false,
               const gateway::upstream::model_capabilities* caps = nullptr) {
    gateway::upstream::encode_options options;
    options.model = model;
    options.stream = stream;
    options.capabilities = caps;
    encoded e{gateway::upstream::http_request_parts{}, {}};
    // Through the dispatch, as the gateway calls it (which also picks the built-in rows).
    e.parts = gateway::upstream::encode_request(gateway::upstream::upstream_format::cohere_chat,
                                                req, options, e.report);
    return e;
}

void check_request_case(const char* name, const request& req, const encoded& e) {
    const std::string dir = std::string("cohere_chat/") + name + "/";
    INFO(name << ": " << e.report.error_message);
    REQUIRE(e.parts.has_value());
    gateway::test::check_golden_json(dir + "canonical_request.json", gateway::to_json(req));
    gateway::test::check_golden_json(dir + "upstream_request.json", json::parse(e.parts->body));
}

request full_request() {
    request req;
    req.source_format = gateway::api_format::openai_chat;
    req.model = "client-model";
    req.system.push_back(content_block::make_text("You are a weather assistant."));
    req.messages.push_back(text_message(role::user, "Hello"));
    req.messages.push_back(text_message(role::assistant, "Hi! Ask me about the weather."));
    message look;
    look.role = role::user;
    look.content.push_back(content_block::make_text("What is the sky like in these photos?"));
    content_block url_image;
    url_image.kind = block_kind::image;
    url_image.source.type = gateway::media_source::kind::url;
    url_image.source.data = "https://example.com/sky.jpg";
    url_image.source.detail = "low";
    look.content.push_back(url_image);
    content_block data_image;
    data_image.kind = block_kind::image;
    data_image.source.type = gateway::media_source::kind::base64;
    data_image.source.media_type = "image/png";
    data_image.source.data = "iVBORw0KGgo=";
    look.content.push_back(data_image);
    req.messages.push_back(look);
    gateway::tool weather;
    weather.name = "get_weather";
    weather.description = "Current weather for a city";
    weather.parameters = json::parse(
        R"({"type":"object","properties":{"location":{"type":"string"}},"required":["location"]})");
    weather.strict = true;
    req.tools.push_back(weather);
    gateway::tool search;
    search.type = "web_search";
    search.name = "web_search";
    req.tools.push_back(search);
    req.choice.type = gateway::tool_choice::mode::required;
    req.parallel_tool_calls = true;
    req.format.type = gateway::response_format::kind::json_schema;
    req.format.name = "weather";
    req.format.schema = json::parse(R"({"type":"object","properties":{"sky":{"type":"string"}}})");
    req.reasoning.budget_tokens = 2048;
    req.sampler.temperature = 0.3;
    req.sampler.top_p = 0.75;
    req.sampler.top_k = 40;
    req.sampler.seed = 42;
    req.sampler.frequency_penalty = 0.1;
    req.sampler.presence_penalty = 0.2;
    req.sampler.stop = {"END", "\n\n"};
    req.max_output_tokens = 512;
    req.stream = true;
    req.user = "user-7";
    req.extra["logprobs"] = true;
    return req;
}

}  // namespace

TEST_CASE("cohere request: messages, images, tools, structured output, thinking, sampling",
          "[cohere][golden]") {
    const request req = full_request();
    const encoded e = encode(req, "command-a-reasoning-08-2025", true);
    check_request_case("request-full", req, e);
    CHECK(e.parts->path == "/chat");
    REQUIRE(e.parts->headers.size() == 1);
    CHECK(e.parts->headers[0].second == "application/json");
    CHECK(e.report.header_value() ==
          "tools[1]=dropped, parallel_tool_calls=dropped, user=dropped, logprobs=dropped");
}

TEST_CASE("cohere request: tool calls and results, named tool choice, foreign reasoning",
          "[cohere][golden]") {
    request req;
    req.source_format = gateway::api_format::anthropic_messages;
    req.model = "command-a-03-2025";
    req.messages.push_back(text_message(role::user, "Weather in Toronto and Paris?"));
    message calls;
    calls.role = role::assistant;
    content_block own_thought;
    own_thought.kind = block_kind::thinking;
    own_thought.text = "Two cities: two calls.";
    calls.content.push_back(own_thought);
    content_block claude_thought = own_thought;
    claude_thought.signature = "EqQBCkYIBxgCKkA=";
    claude_thought.signature_origin = reasoning_origin::anthropic;
    calls.content.push_back(claude_thought);
    calls.content.push_back(content_block::make_text("I will look both up."));
    calls.content.push_back(
        content_block::make_tool_use("call_1", "get_weather", R"({"location":"Toronto"})"));
    calls.content.push_back(content_block::make_tool_use("call_2", "get_weather", ""));
    req.messages.push_back(calls);
    message results;
    results.role = role::user;
    results.content.push_back(content_block::make_tool_result("call_1", "-5C, snow"));
    results.content.push_back(content_block::make_tool_result("call_2", "not found", true));
    results.content.push_back(content_block::make_text("Summarize, please."));
    req.messages.push_back(results);
    for (const char* name : {"get_weather", "get_time"}) {
        gateway::tool t;
        t.name = name;
        t.parameters = json::parse(R"({"type":"object"})");
        req.tools.push_back(t);
    }
    req.choice.type = gateway::tool_choice::mode::tool;
    req.choice.name = "get_time";
    req.reasoning.effort = "low";  // dropped: not a reasoning model
    const encoded e = encode(req, "command-a-03-2025");
    check_request_case("request-tool-results", req, e);
    CHECK(e.report.header_value() ==
          "messages=reasoning of another provider stripped, "
          "messages[2].content[1].is_error=dropped, tool_choice=emulated, thinking=dropped");
}

TEST_CASE("cohere request: what Cohere cannot honour is rejected naming the parameter",
          "[cohere]") {
    request base;
    base.source_format = gateway::api_format::openai_chat;
    base.messages.push_back(text_message(role::user, "Hi"));

    request several = base;
    several.n = 3;
    encoded e = encode(several, "command-a-03-2025");
    CHECK(e.parts.error() == errc::unsupported_feature);
    CHECK(e.report.error_param == "n");

    request pdf = base;
    content_block doc;
    doc.kind = block_kind::document;
    doc.source.type = gateway::media_source::kind::base64;
    doc.source.media_type = "application/pdf";
    doc.source.data = "JVBERi0=";
    pdf.messages[0].content.push_back(doc);
    e = encode(pdf, "command-a-03-2025");
    CHECK(e.parts.error() == errc::unsupported_feature);
    CHECK(e.report.error_param == "messages[0].content[1]");

    request file_image = base;
    content_block img;
    img.kind = block_kind::image;
    img.source.type = gateway::media_source::kind::file_id;
    img.source.data = "file-abc";
    file_image.messages[0].content.push_back(img);
    e = encode(file_image, "command-a-vision-07-2025");
    CHECK(e.parts.error() == errc::unsupported_feature);
    CHECK(e.report.error_param == "messages[0].content[1]");

    request stored = base;
    stored.previous_response_id = "resp_1";
    CHECK(encode(stored, "command-a-03-2025").parts.error() == errc::unsupported_feature);

    request unknown_tool = base;
    unknown_tool.tools.push_back(gateway::tool{});
    unknown_tool.tools.back().name = "a";
    unknown_tool.choice.type = gateway::tool_choice::mode::tool;
    unknown_tool.choice.name = "b";
    e = encode(unknown_tool, "command-a-03-2025");
    CHECK(e.parts.error() == errc::unsupported_feature);
    CHECK(e.report.error_param == "tool_choice");

    // A channel's own row wins: a configured reject of temperature, a configured pass of n is
    // still nothing Cohere could be sent (v2 has no such field): dropped, reported.
    gateway::upstream::model_capabilities caps;
    caps.set("temperature", gateway::param_action::reject);
    caps.set("n", gateway::param_action::drop);
    request hot = several;
    hot.sampler.temperature = 1.0;
    e = encode(hot, "command-a-03-2025", false, &caps);
    CHECK(e.report.error_param == "temperature");
    hot.sampler.temperature.reset();
    e = encode(hot, "command-a-03-2025", false, &caps);
    REQUIRE(e.parts.has_value());
    CHECK(e.report.header_value() == "n=dropped");
}

TEST_CASE("cohere request: thinking switched off, tool choice none, plain text system",
          "[cohere]") {
    request req;
    req.source_format = gateway::api_format::openai_chat;
    req.system.push_back(content_block::make_text("Be brief."));
    req.messages.push_back(text_message(role::user, "Hi"));
    req.reasoning.effort = "none";
    gateway::tool t;
    t.name = "f";
    req.tools.push_back(t);
    req.choice.type = gateway::tool_choice::mode::none;
    const encoded e = encode(req, "command-a-reasoning-08-2025");
    REQUIRE(e.parts.has_value());
    const json::value body = json::parse(e.parts->body);
    CHECK(body.at("thinking") == json::parse(R"({"type":"disabled"})"));
    CHECK(body.at("tool_choice") == "NONE");
    CHECK(
        body.at("messages") ==
        json::parse(R"([{"role":"system","content":"Be brief."},{"role":"user","content":"Hi"}])"));
    CHECK(body.at("tools") == json::parse(R"([{"type":"function","function":{"name":"f"}}])"));
    CHECK_FALSE(body.as_object().contains("stream"));
    // Effort without a budget becomes a budget, and says so.
    req.reasoning.effort = "high";
    const encoded high = encode(req, "command-a-reasoning-08-2025");
    REQUIRE(high.parts.has_value());
    CHECK(json::parse(high.parts->body).at("thinking").at("token_budget") ==
          gateway::effort_to_budget("high"));
    CHECK(high.report.header_value().find("reasoning_effort=converted to thinking.token_budget=") !=
          std::string::npos);
}

namespace {

void check_response_case(const char* name) {
    const std::string dir = std::string("cohere_chat/") + name + "/";
    gateway::conversion_report report;
    const auto res = cohere::decode_response(read_golden(dir + "upstream.json"), nullptr, report);
    INFO(name << ": " << report.error_message);
    REQUIRE(res.has_value());
    gateway::test::check_golden_json(dir + "canonical_response.json", gateway::to_json(*res));
}

}  // namespace

TEST_CASE("cohere response: text, billed units counted", "[cohere][golden]") {
    check_response_case("response-text");
    gateway::conversion_report report;
    const auto res = cohere::decode_response(read_golden("cohere_chat/response-text/upstream.json"),
                                             nullptr, report);
    REQUIRE(res.has_value());
    CHECK(res->finish == gateway::finish_reason::stop);
    CHECK(res->usage.input_tokens == 17);  // billed_units, not the template-inflated tokens
    CHECK(res->usage.output_tokens == 16);
}

TEST_CASE("cohere response: tool plan and parallel tool calls", "[cohere][golden]") {
    check_response_case("response-tool-calls");
}

TEST_CASE("cohere response: thinking, stop sequence, citations kept, tokens without billing",
          "[cohere][golden]") {
    check_response_case("response-thinking");
}

TEST_CASE("cohere response: malformed bodies are clean errors", "[cohere]") {
    for (const char* body : {
             "",
             "not json",
             "[]",
             R"({"id":"x"})",
             R"({"id":1,"message":{}})",
             R"({"message":{"content":"text"}, "finish_reason":7})",
             R"({"message":{"content":{"type":"text"}}})",
             R"({"message":{"content":[{"type":"text","text":5}]}})",
             R"({"message":{"content":[7]}})",
             R"({"message":{"tool_calls":[{"function":{"arguments":"{}"}}]}})",
             R"({"message":{"tool_calls":{}}})",
             R"({"message":{},"usage":{"billed_units":{"input_tokens":-1}}})",
             R"({"message":{},"usage":{"tokens":"many"}})",
         }) {
        INFO(body);
        gateway::conversion_report report;
        const auto res = cohere::decode_response(body, nullptr, report);
        CHECK(res.error() == errc::bad_upstream_response);
        CHECK_FALSE(report.error_message.empty());
    }
}

TEST_CASE("cohere errors: documented bodies keep Cohere's message", "[cohere]") {
    const auto bad =
        cohere::decode_error(400, read_golden("cohere_chat/errors/error-400-invalid-request.json"));
    CHECK(bad.status == 400);
    CHECK(bad.type == "invalid_request_error");
    CHECK(bad.message ==
          "invalid request: message must be at least 1 token long or tool results must be "
          "specified.");
    const auto limited =
        cohere::decode_error(429, read_golden("cohere_chat/errors/error-429-rate-limit.json"));
    CHECK(limited.status == 429);
    CHECK(limited.type == "rate_limit_error");
    CHECK(limited.message.starts_with("You are using a Trial key"));
    // The channel's key refused: the gateway's problem, not the client's.
    const auto key = cohere::decode_error(401, R"({"id":"i","message":"invalid api token"})");
    CHECK(key.status == 502);
    CHECK(key.message.find("invalid api token") != std::string::npos);
    const auto cancelled = cohere::decode_error(499, R"({"message":"request cancelled"})");
    CHECK(cancelled.status == 502);
    const auto html = cohere::decode_error(503, "<html>\n<b>down</b></html>");
    CHECK(html.status == 503);
    CHECK(html.message == "upstream answered HTTP 503: <html> <b>down</b></html>");
}

namespace {

using gateway::test::gemini::stream_run;

stream_run run_stream(std::span<const std::string_view> chunks) {
    auto decoder =
        gateway::upstream::make_stream_decoder(gateway::upstream::upstream_format::cohere_chat);
    return gateway::test::gemini::run_decoder(*decoder, chunks);
}

stream_run run_stream(std::string_view bytes) {
    const std::string_view one[] = {bytes};
    return run_stream(std::span<const std::string_view>(one));
}

void check_stream_case(const char* name, errc expected) {
    const std::string dir = std::string("cohere_chat/") + name + "/";
    const std::string bytes = read_golden(dir + "upstream.sse");
    const stream_run whole = run_stream(bytes);
    INFO(name << ": " << whole.violation);
    CHECK(whole.violation.empty());
    if (expected == errc{}) {
        CHECK_FALSE(whole.error);
    } else {
        CHECK(whole.error == gateway::make_error_code(expected));
    }
    gateway::test::check_golden_jsonl(dir + "canonical.jsonl", whole.jsonl);
    std::size_t runs = 0;
    std::size_t mismatches = 0;
    gateway::test::for_each_chunking(bytes, [&](std::span<const std::string_view> chunks) {
        const stream_run r = run_stream(chunks);
        ++runs;
        if (r.jsonl != whole.jsonl || r.error != whole.error || !r.violation.empty()) ++mismatches;
    });
    CHECK(runs > bytes.size());  // every boundary and 1-byte chunks at least
    CHECK(mismatches == 0);
}

}  // namespace

TEST_CASE("cohere stream: text, named events, billed usage at message-end",
          "[cohere][stream][golden]") {
    check_stream_case("stream-text", errc{});
}

TEST_CASE("cohere stream: tool plan as text, two tool calls with streamed arguments",
          "[cohere][stream][golden]") {
    check_stream_case("stream-tool-calls", errc{});
}

TEST_CASE("cohere stream: thinking then text, MAX_TOKENS", "[cohere][stream][golden]") {
    check_stream_case("stream-thinking", errc{});
}

TEST_CASE("cohere stream: an error at message-end is an error event", "[cohere][stream][golden]") {
    check_stream_case("stream-error", errc{});
}

TEST_CASE("cohere stream: a stream cut before message-end is truncated",
          "[cohere][stream][golden]") {
    check_stream_case("stream-truncated", errc::stream_truncated);
}

TEST_CASE("cohere stream: malformed input is a clean error", "[cohere][stream]") {
    const std::string start =
        "event: message-start\ndata: {\"id\":\"m\",\"type\":\"message-start\"}\n\n";
    for (const std::string& body : {
             std::string("data: {not json\n\n"),
             std::string("data: [1]\n\n"),
             std::string("data: {\"type\":\"content-delta\",\"index\":0}\n\n"),  // before start
             start + start,
             start + "data: {\"type\":\"content-delta\",\"index\":0,\"delta\":{\"message\":"
                     "{\"content\":{\"text\":\"x\"}}}}\n\n",  // no content-start
             start + "data: {\"type\":\"tool-call-delta\",\"index\":0}\n\n",
             start + "data: {\"type\":\"tool-call-start\",\"index\":0,\"delta\":{}}\n\n",
             start + "data: {\"type\":\"content-end\",\"index\":0}\n\n",
             start + "data: {\"type\":\"content-start\",\"index\":0,\"delta\":{\"message\":"
                     "{\"content\":{\"type\":\"text\",\"text\":5}}}}\n\n",
             start + "data: {\"type\":\"message-end\",\"delta\":{\"usage\":{\"tokens\":[]}}}\n\n",
         }) {
        INFO(body);
        const stream_run r = run_stream(body);
        CHECK(r.error == gateway::make_error_code(errc::bad_upstream_response));
        CHECK(r.violation.empty());
    }
    // An event above the size limit.
    gateway::upstream::stream_decoder_options small;
    small.max_event_bytes = 64;
    auto decoder = cohere::make_stream_decoder(small);
    gateway::event_recorder sink;
    CHECK(decoder->feed(start + "data: " + std::string(100, 'x') + "\n\n", sink).error() ==
          errc::body_too_large);
    // Nothing at all: truncated, not a success.
    CHECK(run_stream("").error == gateway::make_error_code(errc::stream_truncated));
    // Events Cohere adds over time are skipped.
    const stream_run unknown = run_stream(
        start + "event: citation-start\ndata: {\"type\":\"citation-start\",\"index\":0}\n\n" +
        "data: {\"type\":\"debug\"}\n\n" +
        "data: {\"type\":\"message-end\",\"delta\":{\"finish_reason\":\"COMPLETE\"}}\n\n");
    CHECK_FALSE(unknown.error);
    CHECK(unknown.violation.empty());
}

TEST_CASE(
    "cohere request: every recorded client request encodes to a valid v2 body or a named "
    "refusal",
    "[cohere][conformance]") {
    namespace fs = std::filesystem;
    std::size_t encoded_cases = 0;
    for (const auto format :
         {gateway::api_format::openai_chat, gateway::api_format::openai_responses,
          gateway::api_format::anthropic_messages}) {
        const fs::path dir = fs::path(GATEWAY_GOLDEN_DIR) / std::string(gateway::to_string(format));
        for (const auto& entry : fs::directory_iterator(dir)) {
            if (!fs::exists(entry.path() / "client_request.json")) continue;
            const std::string name = entry.path().filename().string();
            INFO(gateway::to_string(format) << "/" << name);
            gateway::conversion_report decode_report;
            const auto req = gateway::ingress::decode_request(
                format,
                read_golden(std::string(gateway::to_string(format)) + "/" + name +
                            "/client_request.json"),
                decode_report);
            if (!req) continue;  // a case about a client-side refusal
            const encoded e = encode(*req, "command-a-03-2025", req->stream);
            if (!e.parts) {
                // Only the kitchen-sink cases are refused (they carry PDFs, `n`, stored
                // responses).
                CHECK(name == "request-full");
                CHECK(e.parts.error() == errc::unsupported_feature);
                CHECK_FALSE(e.report.error_message.empty());
                CHECK_FALSE(e.report.error_param.empty());
                continue;
            }
            ++encoded_cases;
            const json::object body = json::parse(e.parts->body).as_object();
            CHECK(body.at("model") == "command-a-03-2025");
            // Only v2 names: nothing of Chat Completions' or Anthropic's vocabulary leaks through.
            for (const char* foreign : {"top_p", "top_k", "stop", "max_completion_tokens",
                                        "stream_options", "system", "n", "user", "metadata"}) {
                CHECK_FALSE(body.contains(foreign));
            }
            for (const auto& m : body.at("messages").as_array()) {
                const std::string_view r = m.at("role").as_string();
                CHECK((r == "system" || r == "user" || r == "assistant" || r == "tool"));
                if (r == "tool") CHECK(m.as_object().contains("tool_call_id"));
            }
        }
    }
    CHECK(encoded_cases >= 10);
}

TEST_CASE("cohere capabilities: a row for each parameter v2 cannot honour", "[cohere]") {
    using gateway::param_action;
    using gateway::upstream::upstream_format;
    const auto chat =
        gateway::upstream::builtin_capabilities(upstream_format::cohere_chat, "command-a-03-2025");
    for (const char* harmless :
         {"user", "metadata", "service_tier", "store", "parallel_tool_calls", "reasoning"}) {
        INFO(harmless);
        CHECK(chat.action(harmless, param_action::pass) == param_action::drop);
    }
    CHECK(chat.action("n") == param_action::reject);
    CHECK(chat.action("documents") == param_action::reject);
    CHECK(chat.action("temperature") == param_action::pass);
    // The reasoning models take `thinking`.
    const auto reasoning = gateway::upstream::builtin_capabilities(upstream_format::cohere_chat,
                                                                   "command-a-reasoning-08-2025");
    CHECK(reasoning.action("reasoning") == param_action::pass);
    CHECK(gateway::upstream::to_string(upstream_format::cohere_chat) == "cohere_chat");
    CHECK(gateway::upstream::request_path(upstream_format::cohere_chat, "m", true) == "/chat");
    CHECK_FALSE(gateway::upstream::same_format(upstream_format::cohere_chat,
                                               gateway::api_format::openai_chat));
}
