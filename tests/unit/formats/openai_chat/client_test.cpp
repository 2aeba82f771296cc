// openai_chat, client side: request decoding errors and edge cases, the response and error
// bodies, and the stream encoder on every event sequence the canonical grammar allows.

#include "formats/openai_chat/codec.hpp"
#include "gateway/core/canonical_json.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>

#include <string>

namespace chat = gateway::formats::openai_chat;
namespace json = boost::json;
using namespace gateway;

namespace {

struct decode_failure {
    error_code ec;
    std::string param;
    std::string message;
};

decode_failure decode_fails(std::string_view body) {
    conversion_report report;
    auto r = gateway::ingress::decode_request(gateway::api_format::openai_chat, body, report);
    REQUIRE_FALSE(r.has_value());
    return {r.error(), report.error_param, report.error_message};
}

request decode_ok(std::string_view body, conversion_report* out = nullptr) {
    conversion_report report;
    auto r = gateway::ingress::decode_request(gateway::api_format::openai_chat, body, report);
    INFO(report.error_message);
    REQUIRE(r.has_value());
    if (out != nullptr) *out = report;
    return *r;
}

}  // namespace

TEST_CASE("openai_chat decode_request: malformed requests name the field", "[openai_chat]") {
    struct case_t {
        const char* body;
        const char* param;
        const char* message;
    };
    const case_t cases[] = {
        {R"({"model":"m","messages":[{"role":"user","content":[{"type":"foo"}]}]})",
         "messages[0].content[0].type", "messages[0].content[0].type: unknown content type 'foo'"},
        {R"({"model":"m","messages":[]})", "messages", "messages: must not be empty"},
        {R"({"messages":[{"role":"user","content":"hi"}]})", "model",
         "model: missing (a non-empty string is required)"},
        {R"({"model":"m"})", "messages", "messages: missing (a non-empty array is required)"},
        {R"({"model":7,"messages":[]})", "model", "model: expected a string, got number"},
        {R"({"model":"m","messages":{}})", "messages",
         "messages: expected a non-empty array, got object"},
        {R"({"model":"m","messages":[{"role":"robot","content":"x"}]})", "messages[0].role",
         "messages[0].role: unknown role 'robot'"},
        {R"({"model":"m","messages":[{"role":"function","name":"f","content":"x"}]})",
         "messages[0].role",
         "messages[0].role: the deprecated 'function' role is not supported; use 'tool' messages"},
        {R"({"model":"m","messages":[{"role":"user","content":[{"type":"input_audio","input_audio":{"data":"AA==","format":"wav"}}]}]})",
         "messages[0].content[0].type",
         "messages[0].content[0].type: audio input ('input_audio') is not supported by this "
         "gateway"},
        {R"({"model":"m","messages":[{"role":"tool","content":"x"}]})", "messages[0].tool_call_id",
         "messages[0].tool_call_id: missing"},
        {R"({"model":"m","messages":[{"role":"user","content":"x"}],"temperature":"hot"})",
         "temperature", "temperature: expected a number between 0 and 2, got string"},
        {R"({"model":"m","messages":[{"role":"user","content":"x"}],"stop":[1]})", "stop[0]",
         "stop[0]: expected a string, got number"},
        {R"({"model":"m","messages":[{"role":"user","content":"x"}],"tool_choice":"sometimes"})",
         "tool_choice",
         "tool_choice: unknown value 'sometimes' (expected 'auto', 'none' or 'required')"},
        {R"({"model":"m","messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{}}]})",
         "tools[0].function.name", "tools[0].function.name: missing"},
        {R"({"model":"m","messages":[{"role":"user","content":"x"}],"response_format":{"type":"xml"}})",
         "response_format.type",
         "response_format.type: unknown type 'xml' (expected 'text', 'json_object' or "
         "'json_schema')"},
        {R"({"model":"m","messages":[{"role":"assistant","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":{}}}]}]})",
         "messages[0].tool_calls[0].function.arguments",
         "messages[0].tool_calls[0].function.arguments: expected a string, got object"},
        {R"({"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":"https://x"}]}]})",
         "messages[0].content[0].image_url",
         "messages[0].content[0].image_url: expected an object, got string"},
        {R"({"model":"m","messages":[{"role":"system","content":[{"type":"image_url"}]}]})",
         "messages[0].content[0].type",
         "messages[0].content[0].type: content type 'image_url' is not allowed here (only "
         "'text')"},
        {R"({"model":"m","messages":[{"role":"user","content":"x"}],"metadata":{"k":1}})",
         "metadata.k", "metadata.k: expected a string, got number"},
    };
    for (const case_t& c : cases) {
        INFO(c.body);
        const auto f = decode_fails(c.body);
        CHECK(f.ec == errc::bad_request);
        CHECK(f.param == c.param);
        CHECK(f.message == c.message);
    }
    const auto bad_json = decode_fails("{\"model\":");
    CHECK(bad_json.ec == errc::bad_request);
    CHECK(bad_json.message.starts_with("the request body is not valid JSON"));
    CHECK(decode_fails("[1,2]").message == "the request body must be a JSON object");
}

TEST_CASE("openai_chat decode_request: members have the types and ranges of the official schema",
          "[openai_chat][validation]") {
    // CreateChatCompletionRequest in OpenAI's OpenAPI spec 2.3.0: each member with the type the
    // schema gives it, a value it does not allow, and the 400 naming it. Found by sampling: the
    // decoder used to take every one of these and send the members it does not model to a Chat
    // upstream as they were.
    struct case_t {
        const char* member;
        const char* schema;  // the official type, as the spec writes it
        const char* value;
        const char* param;
        const char* message;
    };
    const case_t cases[] = {
        {"temperature", "number, 0..2", "1e999", "temperature",
         "temperature: expected a finite number between 0 and 2, got a number beyond a double's "
         "range"},
        {"temperature", "number, 0..2", "-1e999", "temperature",
         "temperature: expected a finite number between 0 and 2, got a number beyond a double's "
         "range"},
        {"temperature", "number, 0..2", "2.5", "temperature",
         "temperature: expected a number between 0 and 2, got 2.5"},
        {"temperature", "number, 0..2", "-0.1", "temperature",
         "temperature: expected a number between 0 and 2, got -0.1"},
        {"temperature", "number, 0..2", "\"hot\"", "temperature",
         "temperature: expected a number between 0 and 2, got string"},
        {"top_p", "number, 0..1", "1.5", "top_p",
         "top_p: expected a number between 0 and 1, got 1.5"},
        {"frequency_penalty", "number, -2..2", "3", "frequency_penalty",
         "frequency_penalty: expected a number between -2 and 2, got 3"},
        {"presence_penalty", "number, -2..2", "-2.5", "presence_penalty",
         "presence_penalty: expected a number between -2 and 2, got -2.5"},
        // The schema gives no minimum; the API answers integer_below_min_value below 1.
        {"max_tokens", "integer (API: >= 1)", "-1", "max_tokens",
         "max_tokens: expected an integer of at least 1, got -1"},
        {"max_tokens", "integer (API: >= 1)", "0", "max_tokens",
         "max_tokens: expected an integer of at least 1, got 0"},
        {"max_tokens", "integer (API: >= 1)", "1.5", "max_tokens",
         "max_tokens: expected an integer of at least 1, got number"},
        {"max_completion_tokens", "integer (API: >= 1)", "-5", "max_completion_tokens",
         "max_completion_tokens: expected an integer of at least 1, got -5"},
        {"n", "integer, 1..128", "0", "n", "n: expected an integer between 1 and 128, got 0"},
        {"n", "integer, 1..128", "129", "n", "n: expected an integer between 1 and 128, got 129"},
        {"seed", "integer", "18446744073709551615", "seed",
         "seed: expected an integer, got number"},
        {"seed", "integer", "1e999", "seed", "seed: expected an integer, got number"},
        {"logit_bias", "object of integers", "[]", "logit_bias",
         "logit_bias: expected an object, got array"},
        {"logit_bias", "object of integers", R"({"50256":"x"})", "logit_bias.50256",
         "logit_bias.50256: expected an integer, got string"},
        {"logit_bias", "object of integers", R"({"50256":1.5})", "logit_bias.50256",
         "logit_bias.50256: expected an integer, got number"},
        {"logprobs", "boolean", "1", "logprobs", "logprobs: expected a boolean, got number"},
        {"top_logprobs", "integer, 0..20", "\"2\"", "top_logprobs",
         "top_logprobs: expected an integer between 0 and 20, got string"},
        {"top_logprobs", "integer, 0..20", "21", "top_logprobs",
         "top_logprobs: expected an integer between 0 and 20, got 21"},
        {"top_logprobs", "integer, 0..20", "-1", "top_logprobs",
         "top_logprobs: expected an integer between 0 and 20, got -1"},
        {"modalities", "array of strings", "\"text\"", "modalities",
         "modalities: expected an array, got string"},
        {"modalities", "array of strings", R"(["text",1])", "modalities[1]",
         "modalities[1]: expected a string, got number"},
        {"functions", "array of objects, 1..128 items", "{}", "functions",
         "functions: expected a non-empty array, got object"},
        {"functions", "array of objects, 1..128 items", "[]", "functions",
         "functions: must not be empty"},
        {"functions", "array of objects, 1..128 items", "[1]", "functions[0]",
         "functions[0]: expected an object, got number"},
        {"function_call", "string or object", "1", "function_call",
         "function_call: expected a string or an object, got number"},
        {"audio", "object", "\"alloy\"", "audio", "audio: expected an object, got string"},
        {"prediction", "object", "[]", "prediction", "prediction: expected an object, got array"},
        {"web_search_options", "object", "true", "web_search_options",
         "web_search_options: expected an object, got boolean"},
        {"stop", "string or array of strings, 1..4 items", "[]", "stop", "stop: must not be empty"},
        {"stop", "string or array of strings, 1..4 items", R"(["a","b","c","d","e"])", "stop",
         "stop: expected at most 4 items, got 5"},
        {"stop", "string or array of strings, 1..4 items", "5", "stop",
         "stop: expected a string or a non-empty array, got number"},
        {"user", "string", "5", "user", "user: expected a string, got number"},
        {"safety_identifier", "string", "[]", "safety_identifier",
         "safety_identifier: expected a string, got array"},
        {"prompt_cache_key", "string", "{}", "prompt_cache_key",
         "prompt_cache_key: expected a string, got object"},
        {"service_tier", "string", "1", "service_tier",
         "service_tier: expected a string, got number"},
        {"verbosity", "string", "true", "verbosity", "verbosity: expected a string, got boolean"},
        {"reasoning_effort", "string", "1", "reasoning_effort",
         "reasoning_effort: expected a string, got number"},
        {"store", "boolean", "\"no\"", "store", "store: expected a boolean, got string"},
        {"parallel_tool_calls", "boolean", "0", "parallel_tool_calls",
         "parallel_tool_calls: expected a boolean, got number"},
        {"stream_options", "object", "[]", "stream_options",
         "stream_options: expected an object, got array"},
        {"response_format", "object", "\"json\"", "response_format",
         "response_format: expected an object, got string"},
        {"tools", "array of objects", "{}", "tools", "tools: expected an array, got object"},
        {"tool_choice", "string or object", "[]", "tool_choice",
         "tool_choice: expected a string or an object, got array"},
        {"moderation", "object", "1", "moderation", "moderation: expected an object, got number"},
    };
    for (const case_t& c : cases) {
        const std::string body =
            std::string(R"({"model":"m","messages":[{"role":"user","content":"x"}],")") + c.member +
            "\":" + c.value + "}";
        INFO(c.schema << ": " << body);
        const auto f = decode_fails(body);
        CHECK(f.ec == errc::bad_request);
        CHECK(f.param == c.param);
        CHECK(f.message == c.message);
    }

    // The edges the schema allows, integral doubles for integers, and null for every member.
    const request req = decode_ok(
        R"({"model":"m","messages":[{"role":"user","content":"x"}],"temperature":2,"top_p":0,)"
        R"("frequency_penalty":-2,"presence_penalty":2,"max_tokens":1.0,"n":128,"seed":-5,)"
        R"("logit_bias":{"50256":-100},"logprobs":true,"top_logprobs":20,)"
        R"("modalities":["text","audio"],"functions":[{"name":"f"}],"function_call":"auto",)"
        R"("audio":{"voice":"alloy","format":"wav"},"prediction":{"type":"content","content":"x"},)"
        R"("web_search_options":{},"stop":["a","b","c","d"]})");
    CHECK(req.sampler.temperature == 2);
    CHECK(req.max_output_tokens == 1);
    CHECK(req.n == 128);
    CHECK(req.extra.at("logit_bias").at("50256") == -100);
    decode_ok(R"({"model":"m","messages":[{"role":"user","content":"x"}],"temperature":null,)"
              R"("top_p":null,"max_tokens":null,"max_completion_tokens":null,"n":null,)"
              R"("logit_bias":null,"logprobs":null,"top_logprobs":null,"modalities":null,)"
              R"("audio":null,"prediction":null,"stop":null,"seed":null})");
}

TEST_CASE("openai_chat decode_request: token limits, nulls and leftovers", "[openai_chat]") {
    auto req = decode_ok(
        R"({"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":100,)"
        R"("temperature":null,"stop":"END","stream":true,"tools":null,"tool_choice":{"type":"allowed_tools","allowed_tools":{"mode":"auto","tools":[]}}})");
    CHECK(req.max_output_tokens == 100);
    CHECK_FALSE(req.sampler.temperature.has_value());
    CHECK(req.sampler.stop == std::vector<std::string>{"END"});
    CHECK(req.stream);
    CHECK_FALSE(req.include_usage);
    CHECK(req.choice.type == tool_choice::mode::unset);
    REQUIRE(req.extra.contains("tool_choice"));  // no canonical form: kept for a Chat upstream

    conversion_report report;
    req = decode_ok(R"({"model":"m","messages":[{"role":"user","content":"x","audio":{"id":"a"}}],)"
                    R"("stream_options":{"include_usage":true,"include_obfuscation":false}})",
                    &report);
    CHECK(req.include_usage);
    CHECK(report.header_value() ==
          "messages[0].audio=dropped, stream_options.include_obfuscation=dropped");
}

TEST_CASE("openai_chat decode_request: system messages and tool runs", "[openai_chat]") {
    const auto req = decode_ok(R"({"model":"m","messages":[
        {"role":"developer","content":"Be terse."},
        {"role":"user","content":"Weather?"},
        {"role":"assistant","content":"","tool_calls":[
            {"id":"call_1","type":"function","function":{"name":"w","arguments":"{}"}}]},
        {"role":"tool","tool_call_id":"call_1","content":"sunny"},
        {"role":"user","content":"thanks"},
        {"role":"system","content":"Late rule."}]})");
    CHECK(req.system_is_developer);
    REQUIRE(req.system.size() == 1);
    CHECK(req.system[0].text == "Be terse.");
    REQUIRE(req.messages.size() == 5);
    CHECK(req.messages[1].content.size() == 1);  // the empty content string is not a block
    CHECK(req.messages[1].content[0].kind == block_kind::tool_use);
    CHECK(req.messages[2].content[0].kind == block_kind::tool_result);
    CHECK(req.messages[2].content[0].id == "call_1");
    CHECK(req.messages[3].content[0].text == "thanks");  // not merged with the tool results
    CHECK(req.messages[4].role == role::system);
    CHECK_FALSE(req.messages[4].developer);
}

TEST_CASE("openai_chat encode_response: shapes of the answer", "[openai_chat]") {
    response res;
    res.id = "msg_01XFDUDYJgAACzvnptvVoYEL";
    res.model = "claude-sonnet-4-5";
    res.created = 0;
    content_block thinking;
    thinking.kind = block_kind::thinking;
    thinking.text = "Let me think.";
    thinking.signature = "sig";
    thinking.signature_origin = reasoning_origin::anthropic;
    res.content.push_back(thinking);
    res.content.push_back(content_block::make_text("Hello"));
    res.content.push_back(content_block::make_tool_use("toolu_01", "lookup", ""));
    res.finish = finish_reason::tool_use;
    res.usage = {100, 20, 30, 5, 8, true};

    ingress::encode_options options;
    options.model = "my-model";
    options.created = 1700000000;
    options.reasoning = ingress::reasoning_field::reasoning;
    const json::value v = json::parse(chat::encode_response(res, options));
    const json::value expected = json::parse(R"({
        "id":"chatcmpl-msg_01XFDUDYJgAACzvnptvVoYEL","object":"chat.completion",
        "created":1700000000,"model":"my-model",
        "choices":[{"index":0,"message":{"role":"assistant","content":"Hello",
            "reasoning":"Let me think.",
            "tool_calls":[{"id":"toolu_01","type":"function",
                "function":{"name":"lookup","arguments":"{}"}}],
            "refusal":null,"annotations":[]},
            "logprobs":null,"finish_reason":"tool_calls"}],
        "usage":{"prompt_tokens":100,"completion_tokens":20,"total_tokens":120,
            "prompt_tokens_details":{"cached_tokens":30,"audio_tokens":0,"cache_write_tokens":5},
            "completion_tokens_details":{"reasoning_tokens":8,"audio_tokens":0,
                "accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}})");
    CHECK(v == expected);

    options.expose_reasoning = false;
    const json::value hidden = json::parse(chat::encode_response(res, options));
    CHECK_FALSE(hidden.at("choices").at(0).at("message").as_object().contains("reasoning"));

    // Finish reasons per the table of usage.hpp.
    const std::pair<finish_reason, const char*> table[] = {
        {finish_reason::stop, "stop"},
        {finish_reason::stop_sequence, "stop"},
        {finish_reason::length, "length"},
        {finish_reason::tool_use, "tool_calls"},
        {finish_reason::content_filter, "content_filter"},
        {finish_reason::refusal, "stop"},
        {finish_reason::pause_turn, "stop"},
        {finish_reason::context_window, "length"},
        {finish_reason::error, "stop"},
        {finish_reason::none, "stop"}};
    for (const auto& [reason, wire] : table) {
        response r;
        r.id = "chatcmpl-abc";
        r.finish = reason;
        const json::value out = json::parse(chat::encode_response(r, {}));
        CHECK(out.at("id") == "chatcmpl-abc");
        CHECK(out.at("choices").at(0).at("finish_reason") == wire);
        CHECK(out.at("choices").at(0).at("message").at("content") == "");
        CHECK_FALSE(out.as_object().contains("usage"));  // unknown usage is not invented
    }
}

TEST_CASE("openai_chat encode_error: OpenAI's envelope", "[openai_chat]") {
    CHECK(json::parse(chat::encode_error({400, "invalid_request_error", "unsupported_parameter",
                                          "max_tokens", "Unsupported parameter"})) ==
          json::parse(R"({"error":{"message":"Unsupported parameter",)"
                      R"("type":"invalid_request_error","param":"max_tokens",)"
                      R"("code":"unsupported_parameter"}})"));
    CHECK(json::parse(chat::encode_error({503, "overloaded_error", "", "", "busy"})) ==
          json::parse(R"({"error":{"message":"busy","type":"server_error","param":null,)"
                      R"("code":null}})"));
    CHECK(json::parse(chat::encode_error({429, "", "", "", "slow down"})) ==
          json::parse(R"({"error":{"message":"slow down","type":"rate_limit_error",)"
                      R"("param":null,"code":null}})"));
}

namespace {

struct encoded {
    std::string sse;
    bool finished;
};

encoded encode_events(std::string_view jsonl, bool include_usage,
                      ingress::reasoning_field field = ingress::reasoning_field::reasoning_content,
                      bool expose = true) {
    request original;
    original.include_usage = include_usage;
    ingress::encode_options options;
    options.model = "gpt-4o";
    options.created = 1;
    options.original = &original;
    options.reasoning = field;
    options.expose_reasoning = expose;
    auto encoder = chat::make_stream_encoder(options);
    REQUIRE(replay_events(jsonl, *encoder).has_value());
    return {encoder->output(), encoder->finished()};
}

constexpr std::string_view chunk_prefix =
    R"(data: {"id":"chatcmpl-x","object":"chat.completion.chunk","created":1,"model":"gpt-4o",)";

}  // namespace

TEST_CASE("openai_chat stream encoder: grammar corner cases", "[openai_chat][stream]") {
    const std::string p(chunk_prefix);
    const std::string role = p +
                             R"("choices":[{"index":0,"delta":{"role":"assistant","content":"",)"
                             R"("refusal":null},"logprobs":null,"finish_reason":null}]})"
                             "\n\n";

    SECTION("an error before anything else: only the error, no [DONE]") {
        const auto out = encode_events(
            R"({"type":"error","error":{"status":429,"type":"rate_limit_error","code":"insufficient_quota","message":"quota"}})",
            true);
        CHECK(out.sse ==
              "data: {\"error\":{\"message\":\"quota\",\"type\":\"rate_limit_error\","
              "\"param\":null,\"code\":\"insufficient_quota\"}}\n\n");
        CHECK(out.finished);
    }
    SECTION("zero blocks, no usage requested") {
        const auto out = encode_events(
            "{\"type\":\"message_start\",\"id\":\"chatcmpl-x\"}\n"
            "{\"type\":\"message_delta\",\"finish\":\"length\"}\n{\"type\":\"message_stop\"}\n",
            false);
        CHECK(out.sse == role + p +
                             R"("choices":[{"index":0,"delta":{},"logprobs":null,)"
                             R"("finish_reason":"length"}]})"
                             "\n\ndata: [DONE]\n\n");
    }
    SECTION("usage in a later message_delta than the finish; thinking in `thinking`") {
        const auto out = encode_events(
            "{\"type\":\"message_start\",\"id\":\"chatcmpl-x\"}\n"
            "{\"type\":\"block_start\",\"index\":0,\"block\":{\"kind\":\"thinking\"}}\n"
            "{\"type\":\"block_delta\",\"index\":0,\"delta\":\"thinking\",\"data\":\"hm\"}\n"
            "{\"type\":\"block_delta\",\"index\":0,\"delta\":\"signature\",\"data\":\"sig\"}\n"
            "{\"type\":\"block_stop\",\"index\":0}\n"
            "{\"type\":\"message_delta\",\"finish\":\"stop\"}\n"
            "{\"type\":\"message_delta\",\"usage\":{\"input_tokens\":3,\"output_tokens\":2}}\n"
            "{\"type\":\"message_stop\"}\n",
            true, ingress::reasoning_field::thinking);
        const std::string null_usage = R"(,"usage":null})";
        CHECK(out.sse ==
              p +
                  R"("choices":[{"index":0,"delta":{"role":"assistant","content":"",)"
                  R"("refusal":null},"logprobs":null,"finish_reason":null}])" +
                  null_usage + "\n\n" + p +
                  R"("choices":[{"index":0,"delta":{"thinking":"hm"},"logprobs":null,)"
                  R"("finish_reason":null}])" +
                  null_usage + "\n\n" + p +
                  R"("choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}])" +
                  null_usage + "\n\n" + p +
                  R"("choices":[],"usage":{"prompt_tokens":3,"completion_tokens":2,)"
                  R"("total_tokens":5,"prompt_tokens_details":{"cached_tokens":0,)"
                  R"("audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,)"
                  R"("audio_tokens":0,"accepted_prediction_tokens":0,)"
                  R"("rejected_prediction_tokens":0}}})"
                  "\n\ndata: [DONE]\n\n");
    }
    SECTION("reasoning hidden, a message_stop without finish still ends properly") {
        const auto out = encode_events(
            "{\"type\":\"message_start\",\"id\":\"chatcmpl-x\"}\n"
            "{\"type\":\"block_start\",\"index\":0,\"block\":{\"kind\":\"thinking\"}}\n"
            "{\"type\":\"block_delta\",\"index\":0,\"delta\":\"thinking\",\"data\":\"hm\"}\n"
            "{\"type\":\"block_stop\",\"index\":0}\n{\"type\":\"message_stop\"}\n",
            false, ingress::reasoning_field::reasoning_content, false);
        CHECK(out.sse == role + p +
                             R"("choices":[{"index":0,"delta":{},"logprobs":null,)"
                             R"("finish_reason":"stop"}]})"
                             "\n\ndata: [DONE]\n\n");
    }
    SECTION("an error after content: no finish chunk, no [DONE]; later events are ignored") {
        const auto out = encode_events(
            "{\"type\":\"message_start\",\"id\":\"chatcmpl-x\"}\n"
            "{\"type\":\"block_start\",\"index\":0,\"block\":{\"kind\":\"refusal\"}}\n"
            "{\"type\":\"block_delta\",\"index\":0,\"delta\":\"text\",\"data\":\"no\"}\n"
            "{\"type\":\"error\",\"error\":{\"status\":502,\"message\":\"boom\"}}\n"
            "{\"type\":\"message_stop\"}\n",
            false);
        CHECK(out.sse == role + p +
                             R"("choices":[{"index":0,"delta":{"refusal":"no"},"logprobs":null,)"
                             R"("finish_reason":null}]})"
                             "\n\n"
                             R"(data: {"error":{"message":"boom","type":"api_error",)"
                             R"("param":null,"code":null}})"
                             "\n\n");
    }
}
