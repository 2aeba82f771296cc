// anthropic_messages, client side: request decoding, Message encoding, error bodies.

#include "formats/anthropic_messages/codec.hpp"
#include "gateway/core/canonical_json.hpp"
#include "support/golden.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>

#include <string>

namespace am = gateway::formats::anthropic_messages;
namespace json = boost::json;
using gateway::conversion_report;
using gateway::errc;

namespace {

const std::string dir = "anthropic_messages/";

/// client_request.json → canonical_request.json, then the same request re-encoded for an
/// Anthropic upstream (client and upstream of one format: fields pass through).
void check_request_case(const std::string& name) {
    INFO("case " << name);
    conversion_report report;
    auto req = gateway::ingress::decode_request(
        gateway::api_format::anthropic_messages,
        gateway::test::read_golden(dir + name + "/client_request.json"), report);
    REQUIRE(req.has_value());
    gateway::test::check_golden_json(dir + name + "/canonical_request.json",
                                     gateway::to_json(*req));

    conversion_report up_report;
    gateway::upstream::encode_options options;
    options.stream = req->stream;
    auto parts = am::encode_request(*req, options, up_report);
    REQUIRE(parts.has_value());
    CHECK(parts->path == "/messages");
    gateway::test::check_golden_json(dir + name + "/upstream_request.json",
                                     json::parse(parts->body));
    json::array adjustments;
    for (const auto& a : up_report.adjustments) adjustments.emplace_back(a.param + "=" + a.action);
    gateway::test::check_golden_json(dir + name + "/upstream_adjustments.json", adjustments);
}

std::string decode_error_message(std::string_view body) {
    conversion_report report;
    auto r =
        gateway::ingress::decode_request(gateway::api_format::anthropic_messages, body, report);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error() == errc::bad_request);
    return report.error_param + " | " + report.error_message;
}

}  // namespace

TEST_CASE("anthropic_messages: client requests decode to the canonical form",
          "[anthropic_messages][golden]") {
    check_request_case("request-thinking-tool-result");   // a recorded request body
    check_request_case("request-parallel-tool-results");  // a recorded request body
    check_request_case("request-full");                   // every block and parameter kind
}

TEST_CASE("anthropic_messages: decoded request details", "[anthropic_messages]") {
    conversion_report report;
    auto req = gateway::ingress::decode_request(
        gateway::api_format::anthropic_messages,
        gateway::test::read_golden(dir + "request-full/client_request.json"), report);
    REQUIRE(req.has_value());
    CHECK(req->source_format == gateway::api_format::anthropic_messages);
    CHECK(req->max_output_tokens == 2048);
    CHECK(req->parallel_tool_calls == false);
    CHECK(req->choice.type == gateway::tool_choice::mode::required);
    CHECK(req->user == "13803d75-b4b5-4c3e-b2a2-6f21399b021b");
    const auto& assistant = req->messages.at(1).content;
    // The gw1: prefix of a signature we gave out restores its origin.
    CHECK(assistant.at(2).signature == "gAAAAABencrypted");
    CHECK(assistant.at(2).signature_origin == gateway::reasoning_origin::openai);
    CHECK(assistant.at(0).signature_origin == gateway::reasoning_origin::anthropic);
    // tool_use input is serialized compactly.
    CHECK(assistant.at(6).arguments == R"({"location":"Paris","unit":"celsius"})");
    CHECK(req->tools.at(2).type == "web_search_20250305");
    CHECK(req->extra.contains("container"));
    CHECK(req->extra.contains("mcp_servers"));
}

TEST_CASE("anthropic_messages: thinking variants and output_config", "[anthropic_messages]") {
    conversion_report report;
    auto req = gateway::ingress::decode_request(
        gateway::api_format::anthropic_messages,
        R"({"model":"claude-opus-4-6","max_tokens":100,"messages":[{"role":"user","content":"hi"}],
            "thinking":{"type":"adaptive","display":"omitted"},
            "output_config":{"effort":"max","format":{"type":"json_schema","schema":{"type":"object"}}}})",
        report);
    REQUIRE(req.has_value());
    CHECK(req->reasoning.enabled == true);
    CHECK_FALSE(req->reasoning.budget_tokens.has_value());
    CHECK(req->reasoning.include_thoughts == false);
    CHECK(req->reasoning.effort == "xhigh");
    CHECK(req->format.type == gateway::response_format::kind::json_schema);
    REQUIRE(report.adjustments.size() == 1);
    CHECK(report.adjustments[0].param == "output_config.effort");

    conversion_report r2;
    auto off = gateway::ingress::decode_request(
        gateway::api_format::anthropic_messages,
        R"({"model":"m","max_tokens":1,"messages":[{"role":"user","content":"x"}],"thinking":{"type":"disabled"}})",
        r2);
    REQUIRE(off.has_value());
    CHECK(off->reasoning.enabled == false);
}

TEST_CASE("anthropic_messages: malformed requests are rejected naming the field",
          "[anthropic_messages]") {
    CHECK(decode_error_message("{").starts_with(" | The request body is not valid JSON"));
    CHECK(decode_error_message("[]") == " | The request body must be a JSON object");
    CHECK(decode_error_message(R"({"max_tokens":1,"messages":[{"role":"user","content":"x"}]})") ==
          "model | model: Field required (a string)");
    // Anthropic requires max_tokens and answers 400 without it.
    CHECK(decode_error_message(R"({"model":"m","messages":[{"role":"user","content":"x"}]})") ==
          "max_tokens | max_tokens: Field required");
    CHECK(decode_error_message(
              R"({"model":"m","max_tokens":"x","messages":[{"role":"user","content":"x"}]})") ==
          "max_tokens | max_tokens: expected an integer of at least 1, got string");
    CHECK(decode_error_message(R"({"model":"m","max_tokens":1})") ==
          "messages | messages: Field required (an array)");
    CHECK(decode_error_message(
              R"({"model":"m","max_tokens":1,"messages":[{"role":"system","content":"x"}]})") ==
          "messages[0].role | messages[0].role: unexpected role 'system'; roles must be 'user' "
          "or 'assistant'");
    CHECK(decode_error_message(
              R"({"model":"m","max_tokens":1,"messages":[{"role":"user","content":"a"},
                  {"role":"assistant","content":"b"},
                  {"role":"user","content":[{"type":"foo"}]}]})") ==
          "messages[2].content[0].type | messages[2].content[0].type: unknown content type 'foo'");
    CHECK(
        decode_error_message(
            R"({"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"text"}]}]})") ==
        "messages[0].content[0].text | messages[0].content[0].text: Field required");
    CHECK(decode_error_message(
              R"({"model":"m","max_tokens":1,"messages":[{"role":"user","content":[
                  {"type":"tool_use","id":"t","name":"n","input":"{}"}]}]})") ==
          "messages[0].content[0].input | messages[0].content[0].input: expected an object");
    CHECK(decode_error_message(
              R"({"model":"m","max_tokens":1,"messages":[{"role":"user","content":[
                  {"type":"image","source":{"type":"ftp","url":"x"}}]}]})") ==
          "messages[0].content[0].source.type | messages[0].content[0].source.type: unknown "
          "source type 'ftp'");
    CHECK(
        decode_error_message(
            R"({"model":"m","max_tokens":1,"messages":[{"role":"user","content":"x"}],"tool_choice":{"type":"maybe"}})") ==
        "tool_choice.type | tool_choice.type: unknown tool_choice type 'maybe'");
    CHECK(
        decode_error_message(
            R"({"model":"m","max_tokens":1,"messages":[{"role":"user","content":"x"}],"thinking":{"type":"enabled"}})") ==
        "thinking.budget_tokens | thinking.budget_tokens: Field required");
    CHECK(
        decode_error_message(
            R"({"model":"m","max_tokens":1,"messages":[{"role":"user","content":"x"}],"system":5})") ==
        "system | system: expected a string or an array, got number");
    CHECK(
        decode_error_message(
            R"({"model":"m","max_tokens":1,"messages":[{"role":"user","content":"x"}],"stop_sequences":["a",1]})") ==
        "stop_sequences[1] | stop_sequences[1]: expected a string, got number");
    CHECK(
        decode_error_message(
            R"({"model":"m","max_tokens":1,"messages":[{"role":"user","content":"x"}],"tools":[{"name":"x"}]})") ==
        "tools[0].input_schema | tools[0].input_schema: Field required (an object)");
}

TEST_CASE("anthropic_messages: members have the types and ranges of the official schema",
          "[anthropic_messages][validation]") {
    // CreateMessageParams (and the beta's BetaCreateMessageParams) in Anthropic's OpenAPI spec:
    // each member with the type the schema gives it, a value it does not allow, and the 400
    // naming it.
    struct case_t {
        const char* member;
        const char* schema;  // the official type, as the spec writes it
        const char* value;
        const char* expected;  // param | message
    };
    const case_t cases[] = {
        // No minItems in the schema; the API refuses an empty list.
        {"messages", "array of InputMessage (API: not empty)", "[]",
         "messages | messages: must not be empty"},
        {"messages", "array of InputMessage (API: not empty)", "{}",
         "messages | messages: expected a non-empty array, got object"},
        {"temperature", "number, 0..1", "1.5",
         "temperature | temperature: expected a number between 0 and 1, got 1.5"},
        {"temperature", "number, 0..1", "1e999",
         "temperature | temperature: expected a finite number between 0 and 1, got a number "
         "beyond a double's range"},
        {"temperature", "number, 0..1", "\"warm\"",
         "temperature | temperature: expected a number between 0 and 1, got string"},
        {"top_p", "number, 0..1", "-0.5",
         "top_p | top_p: expected a number between 0 and 1, got -0.5"},
        {"top_k", "integer, minimum 0", "-1",
         "top_k | top_k: expected an integer of at least 0, got -1"},
        {"top_k", "integer, minimum 0", "2.5",
         "top_k | top_k: expected an integer of at least 0, got number"},
        {"max_tokens", "integer (gateway: >= 1)", "-1",
         "max_tokens | max_tokens: expected an integer of at least 1, got -1"},
        {"max_tokens", "integer (gateway: >= 1)", "1e999",
         "max_tokens | max_tokens: expected an integer of at least 1, got number"},
        {"stream", "boolean", "\"true\"", "stream | stream: expected a boolean, got string"},
        {"stop_sequences", "array of strings", "\"END\"",
         "stop_sequences | stop_sequences: expected an array, got string"},
        {"system", "string or array of text blocks", "[1]",
         "system[0] | system[0]: expected an object, got number"},
        {"tools", "array of tools", "{}", "tools | tools: expected an array, got object"},
        {"tool_choice", "object", "\"auto\"",
         "tool_choice | tool_choice: expected an object, got string"},
        {"thinking", "object", "true", "thinking | thinking: expected an object, got boolean"},
        {"metadata", "object", "\"u\"", "metadata | metadata: expected an object, got string"},
        {"output_config", "object", "[]",
         "output_config | output_config: expected an object, got array"},
        {"service_tier", "string", "1",
         "service_tier | service_tier: expected a string, got number"},
        {"cache_control", "object", "\"ephemeral\"",
         "cache_control | cache_control: expected an object, got string"},
        {"container", "string or object (beta)", "1",
         "container | container: expected a string or an object, got number"},
        {"inference_geo", "string", "1",
         "inference_geo | inference_geo: expected a string, got number"},
        {"mcp_servers", "array of objects, maxItems 20", "{}",
         "mcp_servers | mcp_servers: expected an array, got object"},
        {"thinking", "ThinkingConfigEnabled.budget_tokens: integer, minimum 1024",
         R"({"type":"enabled","budget_tokens":-1})",
         "thinking.budget_tokens | thinking.budget_tokens: expected an integer of at least 1024, "
         "got -1"},
        {"thinking", "ThinkingConfigEnabled.budget_tokens: integer, minimum 1024",
         R"({"type":"enabled","budget_tokens":"many"})",
         "thinking.budget_tokens | thinking.budget_tokens: expected an integer of at least 1024, "
         "got string"},
    };
    for (const case_t& c : cases) {
        std::string body =
            R"({"model":"m","max_tokens":16,"messages":[{"role":"user","content":"x"}])";
        if (std::string_view(c.member) == "messages" ||
            std::string_view(c.member) == "max_tokens") {
            body = R"({"model":"m")";
            body += std::string_view(c.member) == "messages"
                        ? R"(,"max_tokens":16)"
                        : R"(,"messages":[{"role":"user","content":"x"}])";
        }
        body += ",\"";
        body += c.member;
        body += "\":";
        body += c.value;
        body += "}";
        INFO(c.schema << ": " << body);
        CHECK(decode_error_message(body) == c.expected);
    }

    // The edges the schema allows.
    conversion_report report;
    auto req = gateway::ingress::decode_request(
        gateway::api_format::anthropic_messages,
        R"({"model":"m","max_tokens":1,"messages":[{"role":"user","content":"x"}],"temperature":1,)"
        R"("top_p":0,"top_k":0,"container":{"skills":[]},"thinking":{"type":"enabled","budget_tokens":1024}})",
        report);
    INFO(report.error_message);
    REQUIRE(req.has_value());
    CHECK(req->sampler.temperature == 1);
    CHECK(req->reasoning.budget_tokens == 1024);
}

TEST_CASE("anthropic_messages: responses encode as Message objects",
          "[anthropic_messages][golden]") {
    // The canonical responses come from the upstream decoder's goldens (upstream_test.cpp).
    for (const std::string name :
         {"response-text", "response-parallel-tool-use", "response-cache-read-write",
          "response-emulated-json", "response-thinking"}) {
        INFO("case " << name);
        conversion_report report;
        gateway::request original;
        original.format.type = gateway::response_format::kind::json_schema;
        auto res =
            am::decode_response(gateway::test::read_golden(dir + name + "/upstream.json"),
                                name == "response-emulated-json" ? &original : nullptr, report);
        REQUIRE(res.has_value());
        gateway::ingress::encode_options options;
        options.model = "claude-via-gateway";
        gateway::test::check_golden_json(dir + name + "/client.json",
                                         json::parse(am::encode_response(*res, options)));
    }
}

TEST_CASE("anthropic_messages: foreign responses get Anthropic's shape", "[anthropic_messages]") {
    gateway::response res;
    res.id = "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT";
    res.model = "gpt-4o";
    gateway::content_block thinking;
    thinking.kind = gateway::block_kind::thinking;
    thinking.text = "reasoning summary";
    thinking.signature = "gAAAAABo";
    thinking.signature_origin = gateway::reasoning_origin::openai;
    res.content.push_back(thinking);
    gateway::content_block refusal;
    refusal.kind = gateway::block_kind::refusal;
    refusal.text = "I can't help with that.";
    res.content.push_back(refusal);
    res.content.push_back(gateway::content_block::make_tool_use("call_abc", "f", "{\"a\":"));
    res.finish = gateway::finish_reason::content_filter;
    res.usage.input_tokens = 100;
    res.usage.cache_read_tokens = 60;
    res.usage.output_tokens = 7;
    res.usage.reported = true;
    const json::value v = json::parse(am::encode_response(res, {}));
    const json::value expected = json::parse(R"({
        "model":"gpt-4o","id":"msg_chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT","type":"message",
        "role":"assistant","content":[
          {"type":"thinking","thinking":"reasoning summary","signature":"gw1:openai:gAAAAABo"},
          {"type":"text","text":"I can't help with that."},
          {"type":"tool_use","id":"call_abc","name":"f","input":{}}],
        "stop_reason":"refusal","stop_sequence":null,"stop_details":null,
        "usage":{"input_tokens":40,"cache_creation_input_tokens":0,"cache_read_input_tokens":60,
                 "output_tokens":7}})");
    CHECK(v == expected);

    // The signature the client sends back is recognised and restored.
    std::string body = R"({"model":"m","max_tokens":5,"messages":[{"role":"assistant","content":)";
    body += json::serialize(v.at("content"));
    body += "}]}";
    conversion_report report;
    auto req =
        gateway::ingress::decode_request(gateway::api_format::anthropic_messages, body, report);
    REQUIRE(req.has_value());
    const auto& back = req->messages.at(0).content.at(0);
    CHECK(back.signature == "gAAAAABo");
    CHECK(back.signature_origin == gateway::reasoning_origin::openai);
}

TEST_CASE("anthropic_messages: error bodies use Anthropic's envelope and vocabulary",
          "[anthropic_messages]") {
    auto body = [](unsigned status, std::string type, std::string message) {
        gateway::upstream_error e;
        e.status = status;
        e.type = std::move(type);
        e.message = std::move(message);
        return json::parse(am::encode_error(e));
    };
    CHECK(body(400, "invalid_request_error", "bad") ==
          json::parse(
              R"({"type":"error","error":{"type":"invalid_request_error","message":"bad"}})"));
    CHECK(body(429, "insufficient_quota", "q").at("error").at("type") == "rate_limit_error");
    CHECK(body(503, "", "busy").at("error").at("type") == "overloaded_error");
    CHECK(body(502, "server_error", "x").at("error").at("type") == "api_error");
    CHECK(body(401, "", "x").at("error").at("type") == "authentication_error");
    CHECK(body(403, "", "x").at("error").at("type") == "permission_error");
    CHECK(body(404, "", "x").at("error").at("type") == "not_found_error");
    CHECK(body(413, "", "x").at("error").at("type") == "request_too_large");
    CHECK(body(422, "", "x").at("error").at("type") == "invalid_request_error");
    CHECK(body(504, "", "x").at("error").at("type") == "api_error");
}
