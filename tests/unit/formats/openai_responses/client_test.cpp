// openai_responses, client side: request decoding errors and edge cases, the response object and
// error bodies, and the stream encoder on the event sequences the canonical grammar allows.

#include "formats/openai_responses/codec.hpp"
#include "gateway/core/canonical_json.hpp"
#include "unit/formats/openai_responses/test_util.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>

#include <string>

namespace responses = gateway::formats::openai_responses;
namespace json = boost::json;
using namespace gateway;
using gateway::test::openai_responses::event_names;
using gateway::test::openai_responses::parse_client_sse;

namespace {

struct decode_failure {
    error_code ec;
    std::string param;
    std::string message;
};

decode_failure decode_fails(std::string_view body) {
    conversion_report report;
    auto r = gateway::ingress::decode_request(gateway::api_format::openai_responses, body, report);
    REQUIRE_FALSE(r.has_value());
    return {r.error(), report.error_param, report.error_message};
}

request decode_ok(std::string_view body, conversion_report* out = nullptr) {
    conversion_report report;
    auto r = gateway::ingress::decode_request(gateway::api_format::openai_responses, body, report);
    INFO(report.error_message);
    REQUIRE(r.has_value());
    if (out != nullptr) *out = report;
    return *r;
}

}  // namespace

TEST_CASE("openai_responses decode_request: malformed requests name the field",
          "[openai_responses]") {
    struct case_t {
        const char* body;
        const char* param;
        const char* message;
    };
    const case_t cases[] = {
        {R"({"input":"hi"})", "model", "model: missing (a non-empty string is required)"},
        {R"({"model":"m"})", "input",
         "input: missing (a string or an array of input items is required)"},
        {R"({"model":7,"input":"hi"})", "model", "model: expected a string, got number"},
        {R"({"model":"m","input":{}})", "input",
         "input: expected a string or an array, got object"},
        {R"({"model":"m","input":[1]})", "input[0]", "input[0]: expected an object, got number"},
        {R"({"model":"m","input":[{"role":"robot","content":"x"}]})", "input[0].role",
         "input[0].role: unknown role 'robot' (expected 'user', 'assistant', 'system' or "
         "'developer')"},
        {R"({"model":"m","input":[{"content":"x"}]})", "input[0].role", "input[0].role: missing"},
        {R"({"model":"m","input":[{"role":"user"}]})", "input[0].content",
         "input[0].content: missing"},
        {R"({"model":"m","input":[{"role":"user","content":5}]})", "input[0].content",
         "input[0].content: expected a string or an array of content parts, got number"},
        {R"({"model":"m","input":[{"role":"user","content":[{"type":"input_audio"}]}]})",
         "input[0].content[0].type",
         "input[0].content[0].type: unknown content type 'input_audio'"},
        {R"({"model":"m","input":[{"role":"user","content":[{"text":"x"}]}]})",
         "input[0].content[0].type", "input[0].content[0].type: missing or not a string"},
        {R"({"model":"m","input":[{"role":"user","content":[{"type":"input_text","text":1}]}]})",
         "input[0].content[0].text", "input[0].content[0].text: expected a string, got number"},
        {R"({"model":"m","input":[{"role":"user","content":[{"type":"input_image","detail":"low"}]}]})",
         "input[0].content[0].image_url",
         "input[0].content[0].image_url: missing (an input_image needs 'image_url' or 'file_id')"},
        {R"({"model":"m","input":[{"role":"user","content":[{"type":"input_file","filename":"a.pdf"}]}]})",
         "input[0].content[0]",
         "input[0].content[0]: an input_file needs 'file_id', 'file_data' or 'file_url'"},
        {R"({"model":"m","input":[{"role":"developer","content":[{"type":"input_image","image_url":"https://x"}]}]})",
         "input[0].content[0].type",
         "input[0].content[0].type: content type 'input_image' is not allowed here (only "
         "'input_text')"},
        {R"({"model":"m","input":[{"role":"assistant","content":[{"type":"input_image"}]}]})",
         "input[0].content[0].type",
         "input[0].content[0].type: content type 'input_image' is not allowed in an assistant "
         "message (only 'output_text' or 'refusal')"},
        {R"({"model":"m","input":[{"type":"item_reference","id":"msg_1"}]})", "input[0].type",
         "input[0].type: input item type 'item_reference' is not supported by this gateway "
         "(supported: 'message', 'function_call', 'function_call_output', 'reasoning')"},
        {R"({"model":"m","input":[{"type":3}]})", "input[0].type",
         "input[0].type: expected a string, got number"},
        {R"({"model":"m","input":[{"type":"function_call","name":"f","arguments":"{}"}]})",
         "input[0].call_id", "input[0].call_id: missing or not a string"},
        {R"({"model":"m","input":[{"type":"function_call","call_id":"c","arguments":"{}"}]})",
         "input[0].name", "input[0].name: missing or not a string"},
        {R"({"model":"m","input":[{"type":"function_call","call_id":"c","name":"f","arguments":7}]})",
         "input[0].arguments", "input[0].arguments: expected a string"},
        {R"({"model":"m","input":[{"type":"function_call_output","output":"x"}]})",
         "input[0].call_id", "input[0].call_id: missing"},
        {R"({"model":"m","input":[{"type":"function_call_output","call_id":"c"}]})",
         "input[0].output", "input[0].output: missing"},
        {R"({"model":"m","input":[{"type":"function_call_output","call_id":"c","output":{}}]})",
         "input[0].output",
         "input[0].output: expected a string or an array of content parts, got object"},
        {R"({"model":"m","input":[{"type":"reasoning","summary":[{"type":"summary_text"}]}]})",
         "input[0].summary[0].text", "input[0].summary[0].text: missing or not a string"},
        {R"({"model":"m","input":[{"type":"reasoning","summary":"x"}]})", "input[0].summary",
         "input[0].summary: expected an array"},
        {R"({"model":"m","input":[{"type":"reasoning","summary":[],"encrypted_content":1}]})",
         "input[0].encrypted_content", "input[0].encrypted_content: expected a string"},
        {R"({"model":"m","input":"x","instructions":["a"]})", "instructions",
         "instructions: expected a string, got array"},
        {R"({"model":"m","input":"x","temperature":"hot"})", "temperature",
         "temperature: expected a number between 0 and 2, got string"},
        {R"({"model":"m","input":"x","max_output_tokens":1.5})", "max_output_tokens",
         "max_output_tokens: expected an integer of at least 16, got number"},
        {R"({"model":"m","input":"x","stream":"yes"})", "stream",
         "stream: expected a boolean, got string"},
        {R"({"model":"m","input":"x","tool_choice":"sometimes"})", "tool_choice",
         "tool_choice: unknown value 'sometimes' (expected 'auto', 'none' or 'required')"},
        {R"({"model":"m","input":"x","tool_choice":{"name":"f"}})", "tool_choice.type",
         "tool_choice.type: missing or not a string"},
        {R"({"model":"m","input":"x","tool_choice":{"type":"function"}})", "tool_choice.name",
         "tool_choice.name: missing"},
        {R"({"model":"m","input":"x","tools":[{"type":"function","function":{"name":"f"}}]})",
         "tools[0].name", "tools[0].name: missing"},
        {R"({"model":"m","input":"x","tools":[{"type":"function","name":""}]})", "tools[0].name",
         "tools[0].name: must not be empty"},
        {R"({"model":"m","input":"x","tools":[{"type":"function","name":"f","parameters":"{}"}]})",
         "tools[0].parameters", "tools[0].parameters: expected an object, got string"},
        {R"({"model":"m","input":"x","tools":[{"name":"f"}]})", "tools[0].type",
         "tools[0].type: missing or not a string"},
        {R"({"model":"m","input":"x","text":{"format":{"type":"xml"}}})", "text.format.type",
         "text.format.type: unknown type 'xml' (expected 'text', 'json_object' or "
         "'json_schema')"},
        {R"({"model":"m","input":"x","text":{"format":{"type":"json_schema","schema":{}}}})",
         "text.format.name", "text.format.name: missing"},
        {R"({"model":"m","input":"x","text":{"format":{"type":"json_schema","name":"n"}}})",
         "text.format.schema", "text.format.schema: missing"},
        {R"({"model":"m","input":"x","text":{"format":{"type":"json_schema","name":"n","schema":{},"strict":"y"}}})",
         "text.format.strict", "text.format.strict: expected a boolean, got string"},
        {R"({"model":"m","input":"x","reasoning":{"effort":3}})", "reasoning.effort",
         "reasoning.effort: expected a string, got number"},
        {R"({"model":"m","input":"x","metadata":{"k":1}})", "metadata.k",
         "metadata.k: expected a string, got number"},
        {R"({"model":"m","input":"x","include":["a",2]})", "include[1]",
         "include[1]: expected a string, got number"},
        {R"({"model":"m","input":"x","stream_options":true})", "stream_options",
         "stream_options: expected an object, got boolean"},
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

TEST_CASE(
    "openai_responses decode_request: members have the types and ranges of the official "
    "schema",
    "[openai_responses][validation]") {
    // CreateResponse in OpenAI's OpenAPI spec 2.3.0: each member with the type the schema gives
    // it, a value it does not allow, and the 400 naming it.
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
        {"temperature", "number, 0..2", "2.01", "temperature",
         "temperature: expected a number between 0 and 2, got 2.01"},
        {"top_p", "number, 0..1", "1.01", "top_p",
         "top_p: expected a number between 0 and 1, got 1.01"},
        {"top_p", "number, 0..1", "-1e999", "top_p",
         "top_p: expected a finite number between 0 and 1, got a number beyond a double's range"},
        {"top_logprobs", "integer, 0..20", "21", "top_logprobs",
         "top_logprobs: expected an integer between 0 and 20, got 21"},
        {"max_output_tokens", "integer, minimum 16", "-1", "max_output_tokens",
         "max_output_tokens: expected an integer of at least 16, got -1"},
        {"max_output_tokens", "integer, minimum 16", "15", "max_output_tokens",
         "max_output_tokens: expected an integer of at least 16, got 15"},
        {"max_tool_calls", "integer", "\"3\"", "max_tool_calls",
         "max_tool_calls: expected an integer, got string"},
        {"background", "boolean", "\"yes\"", "background",
         "background: expected a boolean, got string"},
        {"parallel_tool_calls", "boolean", "1", "parallel_tool_calls",
         "parallel_tool_calls: expected a boolean, got number"},
        {"store", "boolean", "\"false\"", "store", "store: expected a boolean, got string"},
        {"include", "array of strings", "\"x\"", "include",
         "include: expected an array, got string"},
        {"context_management", "array of objects, minItems 1", "[]", "context_management",
         "context_management: must not be empty"},
        {"conversation", "string or object", "5", "conversation",
         "conversation: expected a string or an object, got number"},
        {"prompt", "object", "\"p\"", "prompt", "prompt: expected an object, got string"},
        {"truncation", "string", "1", "truncation", "truncation: expected a string, got number"},
        {"text", "object", "\"x\"", "text", "text: expected an object, got string"},
        {"reasoning", "object", "\"high\"", "reasoning",
         "reasoning: expected an object, got string"},
        {"tools", "array of objects", "[1]", "tools[0]",
         "tools[0]: expected an object, got number"},
        {"tool_choice", "string or object", "true", "tool_choice",
         "tool_choice: expected a string or an object, got boolean"},
        {"metadata", "object of strings", "[]", "metadata",
         "metadata: expected an object, got array"},
        {"previous_response_id", "string", "1", "previous_response_id",
         "previous_response_id: expected a string, got number"},
        {"prompt_cache_key", "string", "1", "prompt_cache_key",
         "prompt_cache_key: expected a string, got number"},
        {"safety_identifier", "string", "1", "safety_identifier",
         "safety_identifier: expected a string, got number"},
        {"service_tier", "string", "1", "service_tier",
         "service_tier: expected a string, got number"},
        {"stream_options", "object", "1", "stream_options",
         "stream_options: expected an object, got number"},
        {"input", "string or array of input items", "5", "input",
         "input: expected a string or an array, got number"},
    };
    for (const case_t& c : cases) {
        const std::string body =
            std::string(R"({"model":"m","input":"x",")") + c.member + "\":" + c.value + "}";
        INFO(c.schema << ": " << body);
        const auto f = decode_fails(body);
        CHECK(f.ec == errc::bad_request);
        CHECK(f.param == c.param);
        CHECK(f.message == c.message);
    }

    // The edges the schema allows, and null for every member.
    const request req = decode_ok(
        R"({"model":"m","input":"x","temperature":0,"top_p":1,"top_logprobs":0,)"
        R"("max_output_tokens":16,"max_tool_calls":3,"background":false,)"
        R"("context_management":[{"type":"compaction"}],"conversation":{"id":"conv_1"}})");
    CHECK(req.sampler.temperature == 0);
    CHECK(req.max_output_tokens == 16);
    decode_ok(R"({"model":"m","input":"x","temperature":null,"top_p":null,"top_logprobs":null,)"
              R"("max_output_tokens":null,"max_tool_calls":null,"background":null,)"
              R"("context_management":null,"conversation":null,"prompt":null,"truncation":null})");
}

TEST_CASE("openai_responses decode_request: input as a string, nulls and leftovers",
          "[openai_responses]") {
    conversion_report report;
    const request req = decode_ok(
        R"({"model":"m","input":"Hello","instructions":null,"temperature":null,"tools":null,)"
        R"("reasoning":null,"text":{"format":null},"truncation":"auto","conversation":"conv_1",)"
        R"("tool_choice":{"type":"allowed_tools","mode":"auto","tools":[]},"max_output_tokens":64})",
        &report);
    CHECK(req.source_format == api_format::openai_responses);
    REQUIRE(req.messages.size() == 1);
    CHECK(req.messages[0].role == role::user);
    CHECK(req.messages[0].content[0].text == "Hello");
    CHECK(req.system.empty());
    CHECK_FALSE(req.sampler.temperature);
    CHECK(req.max_output_tokens == 64);
    CHECK(req.choice.type == tool_choice::mode::unset);
    CHECK(req.extra.at("tool_choice").at("type") == "allowed_tools");
    CHECK(req.extra.at("truncation") == "auto");
    CHECK(req.extra.at("conversation") == "conv_1");
    CHECK(report.header_value().empty());

    // Without input, a stored conversation must say what to continue.
    const request cont = decode_ok(R"({"model":"m","previous_response_id":"resp_1"})");
    CHECK(cont.previous_response_id == "resp_1");
    CHECK(cont.messages.empty());

    // Members a message does not have are reported, echoes of returned items are not.
    decode_ok(R"({"model":"m","input":[{"type":"message","role":"user","id":"msg_1",)"
              R"("status":"completed","content":"x","name":"bob"}]})",
              &report);
    CHECK(report.header_value() == "input[0].name=dropped");
}

TEST_CASE("openai_responses decode_request: items become canonical turns", "[openai_responses]") {
    const request req = decode_ok(R"({"model":"m","instructions":"Be terse.","input":[
        {"role":"developer","content":"Use metric units."},
        {"role":"user","content":[{"type":"input_text","text":"Weather?"},
            {"type":"input_image","image_url":"data:image/jpeg;base64,/9j/4AAQ","detail":"low"},
            {"type":"input_file","file_data":"JVBERi0=","filename":"a.pdf"}]},
        {"type":"reasoning","id":"rs_1","summary":[{"type":"summary_text","text":"A"},
            {"type":"summary_text","text":"B"}],"encrypted_content":"enc"},
        {"role":"assistant","content":""},
        {"type":"function_call","id":"fc_1","call_id":"call_1","name":"w","arguments":""},
        {"type":"function_call","call_id":"call_2","name":"w","arguments":"{\"c\":1}"},
        {"type":"function_call_output","call_id":"call_1","output":"sunny"},
        {"type":"function_call_output","call_id":"call_2","output":""},
        {"role":"user","content":"thanks"},
        {"type":"message","role":"assistant","phase":"final_answer",
            "content":[{"type":"output_text","text":"OK","annotations":[]},
                       {"type":"refusal","refusal":"No."}]}]})");
    REQUIRE(req.system.size() == 1);
    CHECK(req.system[0].text == "Be terse.");
    REQUIRE(req.messages.size() == 6);

    CHECK(req.messages[0].role == role::system);
    CHECK(req.messages[0].developer);

    const message& user = req.messages[1];
    REQUIRE(user.content.size() == 3);
    CHECK(user.content[1].kind == block_kind::image);
    CHECK(user.content[1].source.type == media_source::kind::base64);
    CHECK(user.content[1].source.media_type == "image/jpeg");
    CHECK(user.content[1].source.data == "/9j/4AAQ");
    CHECK(user.content[1].source.detail == "low");
    CHECK(user.content[2].kind == block_kind::document);
    CHECK(user.content[2].source.media_type == "application/pdf");  // bare base64: a PDF
    CHECK(user.content[2].source.filename == "a.pdf");

    // Reasoning, an empty assistant message and two calls: one assistant turn.
    const message& assistant = req.messages[2];
    CHECK(assistant.role == role::assistant);
    REQUIRE(assistant.content.size() == 4);
    CHECK(assistant.content[0].kind == block_kind::thinking);
    CHECK(assistant.content[0].text == "A");
    CHECK(assistant.content[0].signature.empty());
    CHECK(assistant.content[1].text == "B");
    CHECK(assistant.content[1].signature == "enc");
    CHECK(assistant.content[1].signature_origin == reasoning_origin::openai);
    CHECK(assistant.content[1].extra.at("id") == "rs_1");
    CHECK(assistant.content[2].kind == block_kind::tool_use);
    CHECK(assistant.content[2].id == "call_1");
    CHECK(assistant.content[2].arguments == "{}");
    CHECK(assistant.content[2].extra.at("id") == "fc_1");
    CHECK(assistant.content[3].arguments == "{\"c\":1}");

    // Consecutive outputs: one user turn of tool results; the next user message is its own.
    const message& results = req.messages[3];
    CHECK(results.role == role::user);
    REQUIRE(results.content.size() == 2);
    CHECK(results.content[0].kind == block_kind::tool_result);
    CHECK(results.content[0].id == "call_1");
    CHECK(results.content[0].content.at(0).text == "sunny");
    CHECK(results.content[1].content.empty());
    CHECK(req.messages[4].content.at(0).text == "thanks");

    const message& last = req.messages[5];
    REQUIRE(last.content.size() == 2);
    CHECK(last.content[0].text == "OK");
    CHECK(last.content[0].extra.at("phase") == "final_answer");
    CHECK(last.content[1].kind == block_kind::refusal);
    CHECK(last.content[1].text == "No.");
}

TEST_CASE("openai_responses decode_request: tools, choice, format and reasoning",
          "[openai_responses]") {
    const request req = decode_ok(R"({"model":"o3","input":"x",
        "tools":[{"type":"function","name":"f","description":"d","parameters":{"type":"object"},
                  "strict":false,"defer_loading":true},
                 {"type":"mcp","server_label":"deepwiki"}],
        "tool_choice":{"type":"function","name":"f"},"parallel_tool_calls":false,
        "text":{"format":{"type":"json_schema","name":"n","schema":{"type":"object"},
                "strict":true,"description":"what"},"verbosity":"high"},
        "reasoning":{"generate_summary":"concise","effort":"minimal","mode":"standard"},
        "include":["reasoning.encrypted_content"],"store":false,"service_tier":"flex",
        "user":"u","metadata":{"a":"b"},"stream":true})");
    REQUIRE(req.tools.size() == 2);
    CHECK(req.tools[0].name == "f");
    CHECK(req.tools[0].strict == false);
    CHECK(req.tools[0].extra.at("defer_loading") == true);
    CHECK(req.tools[1].type == "mcp");
    CHECK(req.tools[1].extra.at("server_label") == "deepwiki");
    CHECK(req.choice.type == tool_choice::mode::tool);
    CHECK(req.choice.name == "f");
    CHECK(req.parallel_tool_calls == false);
    CHECK(req.format.type == response_format::kind::json_schema);
    CHECK(req.format.description == "what");
    CHECK(req.format.strict == true);
    CHECK(req.extra.at("text") == json::parse(R"({"verbosity":"high"})"));
    CHECK(req.reasoning.effort == "minimal");
    CHECK(req.reasoning.summary == "concise");  // the deprecated name
    CHECK(req.extra.at("reasoning") == json::parse(R"({"mode":"standard"})"));
    CHECK(req.extra.at("include").at(0) == "reasoning.encrypted_content");
    CHECK(req.store == false);
    CHECK(req.service_tier == "flex");
    CHECK(req.stream);
}

namespace {

ingress::encode_options options_for(const request* original = nullptr) {
    ingress::encode_options options;
    options.model = "my-model";
    options.created = 1700000000;
    options.original = original;
    return options;
}

}  // namespace

TEST_CASE("openai_responses encode_response: items, ids and usage", "[openai_responses]") {
    response res;
    res.id = "msg_01XFDUDYJgAACzvnptvVoYEL";  // an Anthropic upstream
    res.model = "claude-sonnet-4-5";
    content_block thinking;
    thinking.kind = block_kind::thinking;
    thinking.text = "Let me think.";
    thinking.signature = "EqQBCgIYAhIM";
    thinking.signature_origin = reasoning_origin::anthropic;
    res.content.push_back(thinking);
    content_block omitted = thinking;  // Claude's "omitted" display: a signature, no text
    omitted.text.clear();
    res.content.push_back(omitted);
    res.content.push_back(content_block::make_text("Hello"));
    content_block refusal;
    refusal.kind = block_kind::refusal;
    refusal.text = "Not that.";
    res.content.push_back(refusal);
    res.content.push_back(content_block::make_tool_use("toolu_01", "lookup", ""));
    res.finish = finish_reason::tool_use;
    res.usage = {100, 20, 30, 5, 8, true};

    const json::value v = json::parse(responses::encode_response(res, options_for()));
    const json::value expected_output = json::parse(R"([
        {"id":"rs_gw_msg_01XFDUDYJgAACzvnptvVoYEL_0","type":"reasoning",
         "summary":[{"type":"summary_text","text":"Let me think."}]},
        {"id":"msg_gw_msg_01XFDUDYJgAACzvnptvVoYEL_1","type":"message","status":"completed",
         "content":[{"type":"output_text","annotations":[],"logprobs":[],"text":"Hello"},
                    {"type":"refusal","refusal":"Not that."}],"role":"assistant"},
        {"id":"fc_gw_msg_01XFDUDYJgAACzvnptvVoYEL_2","type":"function_call","status":"completed",
         "arguments":"{}","call_id":"toolu_01","name":"lookup"}])");
    CHECK(v.at("id") == "resp_msg_01XFDUDYJgAACzvnptvVoYEL");
    CHECK(v.at("object") == "response");
    CHECK(v.at("created_at") == 1700000000);
    CHECK(v.at("status") == "completed");
    CHECK(v.at("model") == "my-model");
    CHECK(v.at("output") == expected_output);
    CHECK(v.at("usage") == json::parse(R"({"input_tokens":100,
        "input_tokens_details":{"cached_tokens":30,"cache_write_tokens":5},"output_tokens":20,
        "output_tokens_details":{"reasoning_tokens":8},"total_tokens":120})"));
    // Neutral echo without the client's request.
    CHECK(v.at("instructions").is_null());
    CHECK(v.at("tools") == json::array{});
    CHECK(v.at("tool_choice") == "auto");
    CHECK(v.at("temperature").to_number<double>() == 1.0);
    CHECK(v.at("text") == json::parse(R"({"format":{"type":"text"}})"));
    CHECK(v.at("reasoning") == json::parse(R"({"effort":null,"summary":null})"));
    CHECK(v.at("store") == true);
    CHECK(v.at("service_tier") == "default");
    CHECK(v.at("metadata") == json::object{});

    // An OpenAI signature becomes encrypted_content; ids of this format are kept.
    response own;
    own.id = "resp_abc";
    content_block rs;
    rs.kind = block_kind::thinking;
    rs.signature = "gAAAAAB";
    rs.signature_origin = reasoning_origin::openai;
    rs.extra["id"] = "rs_1";
    rs.extra_format = "openai_responses";
    own.content.push_back(rs);
    content_block text = content_block::make_text("Hi");
    text.extra["id"] = "msg_1";
    text.extra["annotations"] = json::parse(R"([{"type":"url_citation","url":"https://x"}])");
    text.extra["phase"] = "final_answer";
    text.extra_format = "openai_responses";
    own.content.push_back(text);
    content_block other = content_block::make_text("second item");
    other.extra["id"] = "msg_2";
    other.extra_format = "openai_responses";
    own.content.push_back(other);
    content_block call = content_block::make_tool_use("call_1", "f", "{\"a\":1}");
    call.extra["id"] = "fc_1";
    call.extra_format = "openai_responses";
    own.content.push_back(call);
    own.finish = finish_reason::tool_use;
    const json::value o = json::parse(responses::encode_response(own, options_for()));
    CHECK(o.at("id") == "resp_abc");
    CHECK(o.at("usage").is_null());  // unknown usage is not invented
    CHECK(o.at("output") == json::parse(R"([
        {"id":"rs_1","type":"reasoning","encrypted_content":"gAAAAAB","summary":[]},
        {"id":"msg_1","type":"message","status":"completed","content":[{"type":"output_text",
         "annotations":[{"type":"url_citation","url":"https://x"}],"logprobs":[],"text":"Hi"}],
         "phase":"final_answer","role":"assistant"},
        {"id":"msg_2","type":"message","status":"completed","content":[{"type":"output_text",
         "annotations":[],"logprobs":[],"text":"second item"}],"role":"assistant"},
        {"id":"fc_1","type":"function_call","status":"completed","arguments":"{\"a\":1}",
         "call_id":"call_1","name":"f"}])"));
}

TEST_CASE("openai_responses encode_response: finish reasons as status", "[openai_responses]") {
    struct case_t {
        finish_reason reason;
        const char* status;
        const char* incomplete;  // null: incomplete_details null
        const char* item_status;
    };
    const case_t table[] = {
        {finish_reason::stop, "completed", nullptr, "completed"},
        {finish_reason::stop_sequence, "completed", nullptr, "completed"},
        {finish_reason::tool_use, "completed", nullptr, "completed"},
        {finish_reason::refusal, "completed", nullptr, "completed"},
        {finish_reason::none, "completed", nullptr, "completed"},
        {finish_reason::length, "incomplete", "max_output_tokens", "incomplete"},
        {finish_reason::context_window, "incomplete", "max_output_tokens", "incomplete"},
        {finish_reason::content_filter, "incomplete", "content_filter", "incomplete"},
        {finish_reason::pause_turn, "incomplete", nullptr, "incomplete"},
        {finish_reason::error, "failed", nullptr, "incomplete"},
    };
    for (const case_t& c : table) {
        INFO(to_string(c.reason));
        response r;
        r.id = "resp_1";
        r.content.push_back(content_block::make_text("cut"));
        r.finish = c.reason;
        const json::value v = json::parse(responses::encode_response(r, {}));
        CHECK(v.at("status") == c.status);
        if (c.incomplete != nullptr) {
            CHECK(v.at("incomplete_details") == json::object{{"reason", c.incomplete}});
        } else {
            CHECK(v.at("incomplete_details").is_null());
        }
        CHECK(v.at("output").at(0).at("status") == c.item_status);
        if (c.reason == finish_reason::error) {
            CHECK(v.at("error") ==
                  json::parse(R"({"code":"server_error",)"
                              R"("message":"the upstream stopped with an error"})"));
        } else {
            CHECK(v.at("error").is_null());
        }
    }
}

TEST_CASE("openai_responses encode_response: the echo of a foreign request", "[openai_responses]") {
    // A Chat client's request shown to a Responses client (options.original of another format):
    // canonical parameters echo, Chat's extra fields do not.
    request original;
    original.source_format = api_format::openai_chat;
    original.system.push_back(content_block::make_text("A"));
    original.system.push_back(content_block::make_text("B"));
    tool t;
    t.name = "f";
    original.tools.push_back(t);
    tool foreign;
    foreign.type = "web_search_20250305";
    foreign.extra_format = "anthropic_messages";
    original.tools.push_back(foreign);
    original.choice.type = tool_choice::mode::required;
    original.format.type = response_format::kind::json_object;
    original.sampler.temperature = 0.25;
    original.max_output_tokens = 100;
    original.extra["truncation"] = "auto";  // Chat's extra: not this format's names
    original.user = "u";
    original.store = false;
    response res;
    const json::value v = json::parse(responses::encode_response(res, options_for(&original)));
    CHECK(v.at("instructions") == "A\nB");
    CHECK(v.at("tools") == json::parse(R"([{"type":"function","description":null,"name":"f",
                                           "parameters":null,"strict":null}])"));
    CHECK(v.at("tool_choice") == "required");
    CHECK(v.at("text") == json::parse(R"({"format":{"type":"json_object"}})"));
    CHECK(v.at("temperature") == 0.25);
    CHECK(v.at("max_output_tokens") == 100);
    CHECK(v.at("truncation") == "disabled");
    CHECK(v.at("user") == "u");
    CHECK(v.at("store") == false);
    CHECK(v.at("id") == "resp_gateway");
}

TEST_CASE("openai_responses encode_error: OpenAI's envelope", "[openai_responses]") {
    CHECK(json::parse(responses::encode_error({429, "insufficient_quota", "insufficient_quota", "",
                                               "You exceeded your current quota"})) ==
          json::parse(R"({"error":{"message":"You exceeded your current quota",)"
                      R"("type":"insufficient_quota","param":null,"code":"insufficient_quota"}})"));
    CHECK(json::parse(responses::encode_error({503, "overloaded_error", "", "", "busy"})) ==
          json::parse(R"({"error":{"message":"busy","type":"server_error","param":null,)"
                      R"("code":null}})"));
}

namespace {

std::string encode_events(std::string_view jsonl, const request* original = nullptr) {
    ingress::encode_options options;
    options.model = "gpt-4o";
    options.created = 1;
    options.original = original;
    auto encoder = responses::make_stream_encoder(options);
    REQUIRE(replay_events(jsonl, *encoder).has_value());
    CHECK(encoder->finished());
    return encoder->output();
}

}  // namespace

TEST_CASE("openai_responses stream encoder: grammar corner cases", "[openai_responses][stream]") {
    SECTION("an error before anything else: created, in_progress, error, failed") {
        const std::string sse = encode_events(
            R"({"type":"error","error":{"status":429,"type":"insufficient_quota","code":"insufficient_quota","message":"quota"}})");
        const auto events = parse_client_sse(sse);
        REQUIRE(events.size() == 4);
        CHECK(events[0].name == "response.created");
        CHECK(events[2].name == "error");
        CHECK(events[2].data == json::parse(R"({"type":"error","sequence_number":2,
            "error":{"message":"quota","type":"insufficient_quota","param":null,
                     "code":"insufficient_quota"}})"));
        CHECK(events[3].name == "response.failed");
        CHECK(events[3].data.at("sequence_number") == 3);
        CHECK(events[3].data.at("response").at("status") == "failed");
        CHECK(events[3].data.at("response").at("error") ==
              json::parse(R"({"code":"insufficient_quota","message":"quota"})"));
        CHECK(events[3].data.at("response").at("id") == "resp_gateway");
    }
    SECTION("zero blocks and a length finish: response.incomplete") {
        const std::string sse = encode_events(
            "{\"type\":\"message_start\",\"id\":\"resp_x\"}\n"
            "{\"type\":\"message_delta\",\"finish\":\"length\",\"usage\":{\"input_tokens\":3,"
            "\"output_tokens\":16}}\n"
            "{\"type\":\"message_stop\"}\n");
        const auto events = parse_client_sse(sse);
        REQUIRE(events.size() == 3);
        CHECK(events[2].name == "response.incomplete");
        const json::value& r = events[2].data.at("response");
        CHECK(r.at("status") == "incomplete");
        CHECK(r.at("incomplete_details") == json::parse(R"({"reason":"max_output_tokens"})"));
        CHECK(r.at("output") == json::array{});
        CHECK(r.at("usage").at("output_tokens") == 16);
        // Usage is not shown before the end.
        CHECK(events[0].data.at("response").at("usage").is_null());
    }
    SECTION("refusal and text parts of one message, then a cut: an incomplete item") {
        const std::string sse = encode_events(
            "{\"type\":\"message_start\",\"id\":\"resp_x\"}\n"
            "{\"type\":\"block_start\",\"index\":0,\"block\":{\"kind\":\"text\"}}\n"
            "{\"type\":\"block_delta\",\"index\":0,\"delta\":\"text\",\"data\":\"Hi\"}\n"
            "{\"type\":\"block_stop\",\"index\":0}\n"
            "{\"type\":\"block_start\",\"index\":1,\"block\":{\"kind\":\"refusal\"}}\n"
            "{\"type\":\"block_delta\",\"index\":1,\"delta\":\"text\",\"data\":\"no\"}\n"
            "{\"type\":\"block_stop\",\"index\":1}\n"
            "{\"type\":\"message_delta\",\"finish\":\"content_filter\"}\n"
            "{\"type\":\"message_stop\"}\n");
        CHECK(event_names(sse) ==
              std::vector<std::string>{"response.created", "response.in_progress",
                                       "response.output_item.added", "response.content_part.added",
                                       "response.output_text.delta", "response.output_text.done",
                                       "response.content_part.done", "response.content_part.added",
                                       "response.refusal.delta", "response.refusal.done",
                                       "response.content_part.done", "response.output_item.done",
                                       "response.incomplete"});
        const auto events = parse_client_sse(sse);
        for (std::size_t i = 0; i < events.size(); ++i) {
            CHECK(events[i].data.at("sequence_number").as_int64() == static_cast<std::int64_t>(i));
            CHECK(events[i].data.at("type").as_string() == events[i].name);
        }
        CHECK(events[8].data == json::parse(R"({"type":"response.refusal.delta",
            "sequence_number":8,"item_id":"msg_gw_x_0","output_index":0,"content_index":1,
            "delta":"no"})"));
        CHECK(events[11].data.at("item") == json::parse(R"({"id":"msg_gw_x_0","type":"message",
            "status":"incomplete","content":[
              {"type":"output_text","annotations":[],"logprobs":[],"text":"Hi"},
              {"type":"refusal","refusal":"no"}],"role":"assistant"})"));
        CHECK(events[12].data.at("response").at("incomplete_details").at("reason") ==
              "content_filter");
    }
    SECTION("thinking: a Claude signature gives no item, an OpenAI one encrypted_content") {
        const std::string sse = encode_events(
            "{\"type\":\"message_start\",\"id\":\"resp_x\"}\n"
            "{\"type\":\"block_start\",\"index\":0,\"block\":{\"kind\":\"thinking\","
            "\"signature_origin\":\"anthropic\"}}\n"
            "{\"type\":\"block_delta\",\"index\":0,\"delta\":\"signature\",\"data\":\"Eq\"}\n"
            "{\"type\":\"block_stop\",\"index\":0}\n"
            "{\"type\":\"block_start\",\"index\":1,\"block\":{\"kind\":\"thinking\","
            "\"signature_origin\":\"openai\"}}\n"
            "{\"type\":\"block_delta\",\"index\":1,\"delta\":\"thinking\",\"data\":\"hm\"}\n"
            "{\"type\":\"block_delta\",\"index\":1,\"delta\":\"signature\",\"data\":\"gA\"}\n"
            "{\"type\":\"block_stop\",\"index\":1}\n"
            "{\"type\":\"block_start\",\"index\":2,\"block\":{\"kind\":\"thinking\","
            "\"signature_origin\":\"openai\"}}\n"
            "{\"type\":\"block_delta\",\"index\":2,\"delta\":\"thinking\",\"data\":\"next\"}\n"
            "{\"type\":\"block_stop\",\"index\":2}\n"
            "{\"type\":\"block_start\",\"index\":3,\"block\":{\"kind\":\"image\"}}\n"
            "{\"type\":\"block_stop\",\"index\":3}\n"
            "{\"type\":\"message_delta\",\"finish\":\"stop\"}\n"
            "{\"type\":\"message_stop\"}\n");
        const auto events = parse_client_sse(sse);
        const json::value& output = events.back().data.at("response").at("output");
        // A signed item ends: the next thinking block is a second reasoning item.
        CHECK(output == json::parse(R"([
            {"id":"rs_gw_x_0","type":"reasoning","encrypted_content":"gA",
             "summary":[{"type":"summary_text","text":"hm"}]},
            {"id":"rs_gw_x_1","type":"reasoning",
             "summary":[{"type":"summary_text","text":"next"}]}])"));
        CHECK(event_names(sse) ==
              std::vector<std::string>{
                  "response.created", "response.in_progress", "response.output_item.added",
                  "response.reasoning_summary_part.added", "response.reasoning_summary_text.delta",
                  "response.reasoning_summary_text.done", "response.reasoning_summary_part.done",
                  "response.output_item.done", "response.output_item.added",
                  "response.reasoning_summary_part.added", "response.reasoning_summary_text.delta",
                  "response.reasoning_summary_text.done", "response.reasoning_summary_part.done",
                  "response.output_item.done", "response.completed"});
    }
    SECTION("a function call without arguments; events after the end are ignored") {
        const std::string sse = encode_events(
            "{\"type\":\"message_start\",\"id\":\"chatcmpl-9\"}\n"
            "{\"type\":\"block_start\",\"index\":0,\"block\":{\"kind\":\"tool_use\","
            "\"id\":\"call_1\",\"name\":\"f\"}}\n"
            "{\"type\":\"block_stop\",\"index\":0}\n"
            "{\"type\":\"message_delta\",\"finish\":\"tool_use\"}\n"
            "{\"type\":\"message_stop\"}\n"
            "{\"type\":\"message_start\",\"id\":\"again\"}\n");
        const auto events = parse_client_sse(sse);
        REQUIRE(events.size() == 6);
        CHECK(events[2].data == json::parse(R"({"type":"response.output_item.added",
            "sequence_number":2,"output_index":0,"item":{"id":"fc_gw_chatcmpl-9_0",
            "type":"function_call","status":"in_progress","arguments":"","call_id":"call_1",
            "name":"f"}})"));
        CHECK(events[3].data.at("arguments") == "{}");
        CHECK(events[5].name == "response.completed");
        CHECK(events[5].data.at("response").at("id") == "resp_chatcmpl-9");
    }
}
