// openai_chat, upstream side: requests from other formats and capability decisions, error
// bodies, malformed answers, and stream decoder corner cases.

#include "formats/openai_chat/codec.hpp"
#include "gateway/core/canonical_json.hpp"
#include "unit/formats/openai_chat/test_util.hpp"

#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

#include <string>

namespace chat = gateway::formats::openai_chat;
namespace json = boost::json;
using namespace gateway;
using gateway::test::openai_chat::decode_stream;

namespace {

json::value encode_body(const request& req, std::string_view model, conversion_report& report,
                        bool stream = false, const upstream::model_capabilities* caps = nullptr) {
    upstream::encode_options options;
    options.model = model;
    options.stream = stream;
    options.capabilities = caps;
    auto parts = chat::encode_request(req, options, report);
    INFO(report.error_message);
    REQUIRE(parts.has_value());
    CHECK(parts->path == "/chat/completions");
    REQUIRE(parts->headers.size() == 1);
    CHECK(parts->headers[0].first == "Content-Type");
    return json::parse(parts->body);
}

request anthropic_request() {
    request req;
    req.source_format = api_format::anthropic_messages;
    req.model = "claude-sonnet-4-5";
    content_block sys = content_block::make_text("Be kind.");
    sys.extra["cache_control"] = json::object{{"type", "ephemeral"}};
    sys.extra_format = "anthropic_messages";
    req.system.push_back(sys);

    message user;
    content_block image;
    image.kind = block_kind::image;
    image.source.type = media_source::kind::base64;
    image.source.media_type = "image/jpeg";
    image.source.data = "/9j/4AAQ";
    user.content.push_back(content_block::make_text("What is this?"));
    user.content.push_back(image);
    req.messages.push_back(user);

    message assistant;
    assistant.role = role::assistant;
    content_block thinking;
    thinking.kind = block_kind::thinking;
    thinking.text = "A cat?";
    thinking.signature = "EqQBCgIYAhIM";
    thinking.signature_origin = reasoning_origin::anthropic;
    assistant.content.push_back(thinking);
    assistant.content.push_back(content_block::make_tool_use("toolu_01A", "classify", "{\"x\":1}"));
    req.messages.push_back(assistant);

    message results;
    content_block result = content_block::make_tool_result("toolu_01A", "cat", false);
    content_block result_image = image;
    result.content.push_back(result_image);
    results.content.push_back(result);
    results.content.push_back(content_block::make_text("Sure?"));
    req.messages.push_back(results);

    tool t;
    t.name = "classify";
    t.parameters = json::parse(R"({"type":"object"})");
    req.tools.push_back(t);
    tool web;
    web.type = "web_search_20250305";
    web.extra = json::object{{"type", "web_search_20250305"}, {"name", "web_search"}};
    web.extra_format = "anthropic_messages";
    req.tools.push_back(web);
    req.choice.type = tool_choice::mode::required;
    req.reasoning.budget_tokens = 10000;
    req.reasoning.enabled = true;
    req.sampler.top_k = 40;
    req.sampler.temperature = 0.5;
    req.sampler.stop = {"a", "b", "c", "d", "e"};
    req.max_output_tokens = 1024;
    req.user = "u-1";
    req.service_tier = "standard_only";
    req.extra["anthropic_beta_field"] = true;
    return req;
}

}  // namespace

TEST_CASE("openai_chat encode_request: an Anthropic client to a reasoning model", "[openai_chat]") {
    conversion_report report;
    const json::value body = encode_body(anthropic_request(), "o4-mini", report, true);
    const json::value expected = json::parse(R"({
        "model":"o4-mini",
        "messages":[
          {"role":"developer","content":"Be kind."},
          {"role":"user","content":[{"type":"text","text":"What is this?"},
             {"type":"image_url","image_url":{"url":"data:image/jpeg;base64,/9j/4AAQ"}}]},
          {"role":"assistant","content":null,"tool_calls":[{"id":"toolu_01A","type":"function",
             "function":{"name":"classify","arguments":"{\"x\":1}"}}]},
          {"role":"tool","tool_call_id":"toolu_01A","content":"cat"},
          {"role":"user","content":"Sure?"}],
        "tools":[{"type":"function","function":{"name":"classify","parameters":{"type":"object"}}}],
        "tool_choice":"required",
        "reasoning_effort":"medium",
        "stop":["a","b","c","d"],
        "max_completion_tokens":1024,
        "stream":true,"stream_options":{"include_usage":true},
        "user":"u-1"})");
    CHECK(body == expected);
    CHECK(report.header_value() ==
          "messages[2].content[0].content[1]=dropped, tools[1]=dropped, "
          "thinking=converted to reasoning_effort=medium, temperature=dropped, top_k=dropped, "
          "stop_sequences=truncated to 4 sequences, max_tokens=renamed to max_completion_tokens, "
          "service_tier=dropped, anthropic_beta_field=dropped");
}

TEST_CASE("openai_chat encode_request: a classic model and configured capabilities",
          "[openai_chat]") {
    request req = anthropic_request();
    req.sampler.stop.resize(1);
    conversion_report report;
    json::value body = encode_body(req, "gpt-4o", report);
    CHECK(body.at("messages").at(0).at("role") == "system");
    CHECK(body.at("max_tokens") == 1024);
    CHECK(body.at("temperature") == 0.5);
    CHECK_FALSE(body.as_object().contains("reasoning_effort"));  // gpt-4o refuses it
    CHECK_FALSE(body.as_object().contains("stream"));
    CHECK(report.header_value() ==
          "messages[2].content[0].content[1]=dropped, tools[1]=dropped, thinking=dropped, "
          "top_k=dropped, service_tier=dropped, anthropic_beta_field=dropped");

    upstream::model_capabilities caps;
    caps.set("reasoning", param_action::pass);  // e.g. a DeepSeek or xAI channel
    caps.set("images", param_action::reject);
    conversion_report rejected;
    upstream::encode_options options;
    options.model = "grok-3-mini";
    options.capabilities = &caps;
    auto r = chat::encode_request(req, options, rejected);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error() == errc::unsupported_feature);
    CHECK(rejected.error_param == "images");

    caps.set("images", param_action::pass);
    conversion_report passed;
    body = encode_body(req, "grok-3-mini", passed, false, &caps);
    CHECK(body.at("reasoning_effort") == "medium");
}

TEST_CASE("openai_chat encode_request: what Chat cannot carry is rejected", "[openai_chat]") {
    request base;
    base.model = "gpt-4o";
    base.messages.emplace_back();
    base.messages[0].content.push_back(content_block::make_text("hi"));

    SECTION("previous_response_id") {
        request req = base;
        req.previous_response_id = "resp_123";
        conversion_report report;
        auto r = chat::encode_request(req, {}, report);
        REQUIRE_FALSE(r.has_value());
        CHECK(report.error_param == "previous_response_id");
    }
    SECTION("a document by URL") {
        request req = base;
        content_block doc;
        doc.kind = block_kind::document;
        doc.source.type = media_source::kind::url;
        doc.source.data = "https://example.com/a.pdf";
        req.messages[0].content.push_back(doc);
        conversion_report report;
        auto r = chat::encode_request(req, {}, report);
        REQUIRE_FALSE(r.has_value());
        CHECK(r.error() == errc::unsupported_feature);
        CHECK(report.error_param == "messages[0].content[1]");
    }
    SECTION("n > 1 unless configured") {
        request req = base;
        req.n = 3;
        conversion_report report;
        auto r = chat::encode_request(req, {}, report);
        REQUIRE_FALSE(r.has_value());
        CHECK(report.error_param == "n");
    }
    SECTION("logprobs for a reasoning model") {
        request req = base;
        req.extra["logprobs"] = true;
        conversion_report report;
        upstream::encode_options options;
        options.model = "o3";
        auto r = chat::encode_request(req, options, report);
        REQUIRE_FALSE(r.has_value());
        CHECK(report.error_param == "logprobs");
    }
    SECTION("a plain-text document is sent as text") {
        request req = base;
        content_block doc;
        doc.kind = block_kind::document;
        doc.source.type = media_source::kind::text;
        doc.source.data = "notes";
        req.messages[0].content.push_back(doc);
        conversion_report report;
        const json::value body = encode_body(req, "gpt-4o", report);
        CHECK(body.at("messages").at(0).at("content").at(1) ==
              json::parse(R"({"type":"text","text":"notes"})"));
        CHECK(report.header_value() == "messages[0].content[1]=emulated");
    }
}

TEST_CASE("openai_chat decode_error: statuses and bodies", "[openai_chat]") {
    auto e = chat::decode_error(
        400,
        R"({"error":{"message":"Unsupported parameter: 'max_tokens'","type":"invalid_request_error","param":"max_tokens","code":"unsupported_parameter"}})");
    CHECK(e.status == 400);
    CHECK(e.type == "invalid_request_error");
    CHECK(e.param == "max_tokens");
    CHECK(e.code == "unsupported_parameter");
    CHECK(e.message == "Unsupported parameter: 'max_tokens'");

    e = chat::decode_error(
        401,
        R"({"error":{"message":"Incorrect API key provided","type":"invalid_request_error","param":null,"code":"invalid_api_key"}})");
    CHECK(e.status == 502);
    CHECK(e.type == "api_error");
    CHECK(e.code == "invalid_api_key");
    CHECK(e.message == "upstream rejected the channel's credentials: Incorrect API key provided");

    e = chat::decode_error(
        429,
        R"({"error":{"message":"You exceeded your current quota","type":"insufficient_quota","param":null,"code":"insufficient_quota"}})");
    CHECK(e.status == 429);
    CHECK(e.type == "rate_limit_error");
    CHECK(e.code == "insufficient_quota");

    e = chat::decode_error(
        404,
        R"({"error":{"message":"The model `x` does not exist","type":"invalid_request_error","param":null,"code":"model_not_found"}})");
    CHECK(e.status == 404);
    CHECK(e.code == "model_not_found");

    e = chat::decode_error(503, "<html>Service Unavailable</html>\n");
    CHECK(e.status == 503);
    CHECK(e.type == "overloaded_error");
    CHECK(e.message == "upstream answered HTTP 503: <html>Service Unavailable</html> ");

    e = chat::decode_error(500, R"({"error":"internal"})");
    CHECK(e.status == 502);
    CHECK(e.message == "internal");

    e = chat::decode_error(422, "");
    CHECK(e.status == 422);
    CHECK(e.type == "invalid_request_error");
    CHECK(e.message == "upstream answered HTTP 422");

    // The excerpt of a long non-JSON body is bounded and does not cut a UTF-8 sequence.
    e = chat::decode_error(502, std::string(199, 'x') + "\xC3\xA9" + std::string(500, 'y'));
    CHECK(e.message == "upstream answered HTTP 502: " + std::string(199, 'x'));
    // Bytes that are not UTF-8 cannot reach the client's JSON error body.
    e = chat::decode_error(500, "bad \xFF\xC3 body \xE2\x82\xAC");
    CHECK(e.message == "upstream answered HTTP 500: bad ?? body \xE2\x82\xAC");
}

TEST_CASE("openai_chat decode_response: malformed answers", "[openai_chat]") {
    struct case_t {
        const char* body;
        const char* param;
    };
    const case_t cases[] = {
        {R"({"id":"x","choices":[]})", "choices"},
        {R"({"id":"x"})", "choices"},
        {R"({"choices":[{"message":"hi"}]})", "choices[0].message"},
        {R"({"choices":[{"message":{"content":5}}]})", "choices[0].message.content"},
        {R"({"choices":[{"message":{"tool_calls":[{"function":{}}]}}]})",
         "choices[0].message.tool_calls[0].function.name"},
        {R"({"choices":[{"message":{"content":"x"}}],"usage":{"prompt_tokens":"1"}})", "usage"},
        {R"({"error":{"message":"bad"}})", "error"},
        {R"({"choices":[{"message":{"content":"x"},"finish_reason":3}]})",
         "choices[0].finish_reason"},
    };
    for (const case_t& c : cases) {
        INFO(c.body);
        conversion_report report;
        auto r = chat::decode_response(c.body, nullptr, report);
        REQUIRE_FALSE(r.has_value());
        CHECK(r.error() == errc::bad_upstream_response);
        CHECK(report.error_param == c.param);
        CHECK_FALSE(report.error_message.empty());
    }
    conversion_report report;
    auto r = chat::decode_response(
        R"({"id":"x","choices":[{"index":0,"message":{"role":"assistant","content":null,"reasoning":"why","tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":{"a":1}}}]},"finish_reason":"function_call"}]})",
        nullptr, report);
    REQUIRE(r.has_value());
    REQUIRE(r->content.size() == 2);
    CHECK(r->content[0].kind == block_kind::thinking);
    CHECK(r->content[0].text == "why");
    CHECK(r->content[1].arguments == R"({"a":1})");
    CHECK(r->finish == finish_reason::tool_use);
    CHECK_FALSE(r->usage.reported);
}

namespace {

std::string frame(std::initializer_list<std::string_view> payloads) {
    std::string out;
    for (std::string_view p : payloads) {
        out += "data: ";
        out += p;
        out += "\n\n";
    }
    return out;
}

}  // namespace

TEST_CASE("openai_chat stream decoder: corner cases", "[openai_chat][stream]") {
    SECTION("truncated before the finish") {
        const auto d = decode_stream(
            frame({R"({"id":"c","choices":[{"index":0,"delta":{"content":"Hi"}}]})"}));
        CHECK(d.feed_ok);
        CHECK_FALSE(d.finish_ok);
        CHECK(d.ec == errc::stream_truncated);
        CHECK(d.jsonl ==
              "{\"type\":\"message_start\",\"id\":\"c\"}\n"
              "{\"type\":\"block_start\",\"index\":0,\"block\":{\"kind\":\"text\"}}\n"
              "{\"type\":\"block_delta\",\"index\":0,\"delta\":\"text\",\"data\":\"Hi\"}\n");
    }
    SECTION("empty body") {
        const auto d = decode_stream("");
        CHECK(d.ec == errc::stream_truncated);
        CHECK(d.jsonl.empty());
    }
    SECTION("a chunk that is not JSON") {
        const auto d = decode_stream("data: {\"id\":\n\n");
        CHECK_FALSE(d.feed_ok);
        CHECK(d.ec == errc::bad_upstream_response);
    }
    SECTION("an event above the size limit") {
        const std::string big = frame({R"({"id":"c","choices":[{"index":0,"delta":{"content":")" +
                                       std::string(4096, 'a') + "\"}}]}"});
        const std::string_view chunks[] = {big};
        const auto d = decode_stream(chunks, 1024);
        CHECK_FALSE(d.feed_ok);
        CHECK(d.ec == errc::body_too_large);
    }
    SECTION("tool calls without index, usage in every chunk, reasoning then text") {
        const auto d = decode_stream(frame(
            {R"({"id":"g","model":"gemini","choices":[{"index":0,"delta":{"role":"assistant","reasoning":"hmm"}}],"usage":{"prompt_tokens":5,"completion_tokens":1,"total_tokens":6}})",
             R"({"id":"g","choices":[{"index":0,"delta":{"content":"Calling."}}]})",
             R"({"id":"g","choices":[{"index":0,"delta":{"tool_calls":[{"id":"c1","type":"function","function":{"name":"a","arguments":"{}"}}]}}]})",
             R"({"id":"g","choices":[{"index":0,"delta":{"tool_calls":[{"id":"c2","type":"function","function":{"name":"b","arguments":"{\"k\""}}]}}]})",
             R"({"id":"g","choices":[{"index":0,"delta":{"tool_calls":[{"function":{"arguments":":1}"}}]}}]})",
             R"({"id":"g","choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":5,"completion_tokens":9,"total_tokens":14}})",
             "[DONE]"}));
        CHECK(d.finish_ok);
        CHECK(
            d.jsonl ==
            "{\"type\":\"message_start\",\"id\":\"g\",\"model\":\"gemini\"}\n"
            "{\"type\":\"block_start\",\"index\":0,\"block\":{\"kind\":\"thinking\"}}\n"
            "{\"type\":\"block_delta\",\"index\":0,\"delta\":\"thinking\",\"data\":\"hmm\"}\n"
            "{\"type\":\"block_stop\",\"index\":0}\n"
            "{\"type\":\"block_start\",\"index\":1,\"block\":{\"kind\":\"text\"}}\n"
            "{\"type\":\"block_delta\",\"index\":1,\"delta\":\"text\",\"data\":\"Calling.\"}\n"
            "{\"type\":\"block_stop\",\"index\":1}\n"
            "{\"type\":\"block_start\",\"index\":2,\"block\":{\"kind\":\"tool_use\",\"id\":\"c1\","
            "\"name\":\"a\"}}\n"
            "{\"type\":\"block_delta\",\"index\":2,\"delta\":\"tool_arguments\",\"data\":\"{}\"}\n"
            "{\"type\":\"block_stop\",\"index\":2}\n"
            "{\"type\":\"block_start\",\"index\":3,\"block\":{\"kind\":\"tool_use\",\"id\":\"c2\","
            "\"name\":\"b\"}}\n"
            "{\"type\":\"block_delta\",\"index\":3,\"delta\":\"tool_arguments\",\"data\":\"{"
            "\\\"k\\\"\"}\n"
            "{\"type\":\"block_delta\",\"index\":3,\"delta\":\"tool_arguments\",\"data\":\":1}\"}\n"
            "{\"type\":\"block_stop\",\"index\":3}\n"
            "{\"type\":\"message_delta\",\"finish\":\"tool_use\",\"usage\":{\"input_tokens\":5,"
            "\"output_tokens\":9}}\n"
            "{\"type\":\"message_stop\"}\n");
    }
    SECTION("a tool call index going back is malformed") {
        const auto d = decode_stream(frame(
            {R"({"id":"c","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"a","function":{"name":"a","arguments":""}}]}}]})",
             R"({"id":"c","choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"id":"b","function":{"name":"b","arguments":""}}]}}]})",
             R"({"id":"c","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{}"}}]}}]})"}));
        CHECK_FALSE(d.feed_ok);
        CHECK(d.ec == errc::bad_upstream_response);
    }
    SECTION("content after the finish is malformed; bytes after [DONE] are ignored") {
        auto d = decode_stream(
            frame({R"({"id":"c","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]})",
                   R"({"id":"c","choices":[{"index":0,"delta":{"content":"late"}}]})"}));
        CHECK(d.ec == errc::bad_upstream_response);
        d = decode_stream(
            frame({R"({"id":"c","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]})",
                   "[DONE]", "garbage"}));
        CHECK(d.feed_ok);
        CHECK(d.finish_ok);
    }
    SECTION("[DONE] before any chunk") {
        const auto d = decode_stream(frame({"[DONE]"}));
        CHECK(d.ec == errc::bad_upstream_response);
    }
    SECTION("Azure's prompt filter chunk comes first; filter annotations do not add content") {
        const auto d = decode_stream(frame(
            {R"({"choices":[],"created":0,"id":"","model":"","object":"","prompt_filter_results":[{"prompt_index":0,"content_filter_results":{"hate":{"filtered":false,"severity":"safe"},"self_harm":{"filtered":false,"severity":"safe"},"sexual":{"filtered":false,"severity":"safe"},"violence":{"filtered":false,"severity":"safe"}}}]})",
             R"({"choices":[{"content_filter_results":{},"delta":{"content":"","refusal":null,"role":"assistant"},"finish_reason":null,"index":0,"logprobs":null}],"created":1733000000,"id":"chatcmpl-AZ1","model":"gpt-4o-2024-11-20","object":"chat.completion.chunk","system_fingerprint":"fp_az"})",
             R"({"choices":[{"content_filter_results":{"hate":{"filtered":false,"severity":"safe"}},"delta":{"content":"Hello"},"finish_reason":null,"index":0,"logprobs":null}],"created":1733000000,"id":"chatcmpl-AZ1","model":"gpt-4o-2024-11-20","object":"chat.completion.chunk","system_fingerprint":"fp_az"})",
             R"({"choices":[{"content_filter_offsets":{"check_offset":0,"start_offset":0,"end_offset":5},"content_filter_results":{"violence":{"filtered":true,"severity":"medium"}},"delta":{},"finish_reason":"content_filter","index":0,"logprobs":null}],"created":1733000000,"id":"chatcmpl-AZ1","model":"gpt-4o-2024-11-20","object":"chat.completion.chunk","system_fingerprint":"fp_az"})",
             R"({"choices":[],"created":1733000000,"id":"chatcmpl-AZ1","model":"gpt-4o-2024-11-20","object":"chat.completion.chunk","usage":{"prompt_tokens":9,"completion_tokens":2,"total_tokens":11}})",
             "[DONE]"}));
        CHECK(d.finish_ok);
        CHECK(
            d.jsonl ==
            "{\"type\":\"message_start\",\"id\":\"chatcmpl-AZ1\",\"model\":\"gpt-4o-2024-11-20\"}\n"
            "{\"type\":\"block_start\",\"index\":0,\"block\":{\"kind\":\"text\"}}\n"
            "{\"type\":\"block_delta\",\"index\":0,\"delta\":\"text\",\"data\":\"Hello\"}\n"
            "{\"type\":\"block_stop\",\"index\":0}\n"
            "{\"type\":\"message_delta\",\"finish\":\"content_filter\"}\n"
            "{\"type\":\"message_delta\",\"finish\":\"content_filter\",\"usage\":{"
            "\"input_tokens\":9,\"output_tokens\":2}}\n"
            "{\"type\":\"message_stop\"}\n");
    }
    SECTION("other choices than 0 are ignored") {
        const auto d = decode_stream(frame(
            {R"({"id":"c","choices":[{"index":1,"delta":{"content":"B"}},{"index":0,"delta":{"content":"A"}}]})",
             R"({"id":"c","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]})", "[DONE]"}));
        CHECK(d.finish_ok);
        CHECK(d.jsonl.find("\"B\"") == std::string::npos);
        CHECK(d.jsonl.find("\"A\"") != std::string::npos);
    }
}
