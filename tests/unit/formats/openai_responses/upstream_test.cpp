// openai_responses, upstream side: requests from other formats and capability decisions, the
// round trip of OpenAI reasoning state, error bodies, malformed answers, and stream decoder
// corner cases.

#include "formats/openai_responses/codec.hpp"
#include "gateway/core/canonical_json.hpp"
#include "support/golden.hpp"
#include "unit/formats/openai_responses/test_util.hpp"

#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

#include <string>

namespace responses = gateway::formats::openai_responses;
namespace json = boost::json;
using namespace gateway;
using gateway::test::read_golden;
using gateway::test::openai_responses::decode_stream;
using gateway::test::openai_responses::frame;

namespace {

json::value encode_body(const request& req, std::string_view model, conversion_report& report,
                        bool stream = false, const upstream::model_capabilities* caps = nullptr) {
    upstream::encode_options options;
    options.model = model;
    options.stream = stream;
    options.capabilities = caps;
    auto parts = responses::encode_request(req, options, report);
    INFO(report.error_message);
    REQUIRE(parts.has_value());
    CHECK(parts->path == "/responses");
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
    req.system.push_back(content_block::make_text("Be brief."));

    message user;
    content_block image;
    image.kind = block_kind::image;
    image.source.type = media_source::kind::base64;
    image.source.media_type = "image/jpeg";
    image.source.data = "/9j/4AAQ";
    content_block pdf;
    pdf.kind = block_kind::document;
    pdf.source.type = media_source::kind::base64;
    pdf.source.media_type = "application/pdf";
    pdf.source.data = "JVBERi0=";
    content_block notes;
    notes.kind = block_kind::document;
    notes.source.type = media_source::kind::text;
    notes.source.data = "some notes";
    user.content.push_back(content_block::make_text("What is this?"));
    user.content.push_back(image);
    user.content.push_back(pdf);
    user.content.push_back(notes);
    req.messages.push_back(user);

    message assistant;
    assistant.role = role::assistant;
    content_block thinking;
    thinking.kind = block_kind::thinking;
    thinking.text = "A cat?";
    thinking.signature = "EqQBCgIYAhIM";
    thinking.signature_origin = reasoning_origin::anthropic;
    assistant.content.push_back(thinking);
    content_block redacted;
    redacted.kind = block_kind::redacted_thinking;
    redacted.signature = "EmwKAhgB";
    redacted.signature_origin = reasoning_origin::anthropic;
    assistant.content.push_back(redacted);
    assistant.content.push_back(content_block::make_text("Let me check."));
    assistant.content.push_back(content_block::make_tool_use("toolu_01A", "classify", "{\"x\":1}"));
    req.messages.push_back(assistant);

    message results;
    content_block result = content_block::make_tool_result("toolu_01A", "cat", false);
    result.content.push_back(image);
    results.content.push_back(result);
    results.content.push_back(content_block::make_tool_result("toolu_01B", "", true));
    results.content.push_back(content_block::make_text("Sure?"));
    req.messages.push_back(results);

    tool t;
    t.name = "classify";
    t.description = "Classify an image.";
    t.parameters = json::parse(R"({"type":"object"})");
    req.tools.push_back(t);
    tool bare;
    bare.name = "ping";
    req.tools.push_back(bare);
    tool web;
    web.type = "web_search_20250305";
    web.extra = json::object{{"type", "web_search_20250305"}, {"name", "web_search"}};
    web.extra_format = "anthropic_messages";
    req.tools.push_back(web);
    req.choice.type = tool_choice::mode::tool;
    req.choice.name = "classify";
    req.parallel_tool_calls = false;
    req.reasoning.budget_tokens = 10000;
    req.reasoning.enabled = true;
    req.sampler.top_k = 40;
    req.sampler.temperature = 0.5;
    req.sampler.stop = {"END"};
    req.max_output_tokens = 1024;
    req.user = "u-1";
    req.service_tier = "standard_only";
    req.extra["anthropic_beta_field"] = true;
    return req;
}

}  // namespace

TEST_CASE("openai_responses encode_request: an Anthropic client to a reasoning model",
          "[openai_responses]") {
    conversion_report report;
    const json::value body = encode_body(anthropic_request(), "o4-mini", report, true);
    const json::value expected = json::parse(R"({
        "model":"o4-mini",
        "instructions":"Be kind.\nBe brief.",
        "input":[
          {"role":"user","content":[{"type":"input_text","text":"What is this?"},
             {"type":"input_image","image_url":"data:image/jpeg;base64,/9j/4AAQ","detail":"auto"},
             {"type":"input_file","filename":"document.pdf",
              "file_data":"data:application/pdf;base64,JVBERi0="},
             {"type":"input_text","text":"some notes"}]},
          {"role":"assistant","content":"Let me check."},
          {"type":"function_call","call_id":"toolu_01A","name":"classify","arguments":"{\"x\":1}"},
          {"type":"function_call_output","call_id":"toolu_01A","output":[
             {"type":"input_text","text":"cat"},
             {"type":"input_image","image_url":"data:image/jpeg;base64,/9j/4AAQ","detail":"auto"}]},
          {"type":"function_call_output","call_id":"toolu_01B","output":""},
          {"role":"user","content":"Sure?"}],
        "tools":[
          {"type":"function","name":"classify","description":"Classify an image.",
           "parameters":{"type":"object"},"strict":false},
          {"type":"function","name":"ping","parameters":null,"strict":false}],
        "tool_choice":{"type":"function","name":"classify"},
        "parallel_tool_calls":false,
        "reasoning":{"effort":"medium","summary":"auto"},
        "max_output_tokens":1024,
        "stream":true,
        "user":"u-1",
        "store":false,
        "include":["reasoning.encrypted_content"]})");
    CHECK(body == expected);
    CHECK(report.header_value() ==
          "messages[0].content[3]=emulated, messages[1].content[0]=dropped, "
          "messages[1].content[1]=dropped, tools[2]=dropped, "
          "thinking=converted to reasoning.effort=medium, temperature=dropped, top_k=dropped, "
          "stop_sequences=dropped, service_tier=dropped, anthropic_beta_field=dropped");
}

TEST_CASE("openai_responses encode_request: a classic model and configured capabilities",
          "[openai_responses]") {
    request req = anthropic_request();
    req.max_output_tokens = 5;
    conversion_report report;
    json::value body = encode_body(req, "gpt-4o", report);
    CHECK(body.at("temperature") == 0.5);
    CHECK(body.at("max_output_tokens") == 16);            // the API's minimum
    CHECK_FALSE(body.as_object().contains("reasoning"));  // gpt-4o refuses it
    CHECK_FALSE(body.as_object().contains("include"));    // nothing to encrypt
    CHECK_FALSE(body.as_object().contains("stream"));
    CHECK(body.at("store") == false);
    CHECK(report.header_value() ==
          "messages[0].content[3]=emulated, messages[1].content[0]=dropped, "
          "messages[1].content[1]=dropped, tools[2]=dropped, thinking=dropped, top_k=dropped, "
          "stop_sequences=dropped, max_tokens=raised to 16, the minimum, service_tier=dropped, "
          "anthropic_beta_field=dropped");

    upstream::model_capabilities caps;
    caps.set("images", param_action::reject);
    conversion_report rejected;
    upstream::encode_options options;
    options.model = "gpt-4o";
    options.capabilities = &caps;
    auto r = responses::encode_request(req, options, rejected);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error() == errc::unsupported_feature);
    CHECK(rejected.error_param == "images");

    // A parameter Responses has no field for can be configured to refuse the request.
    upstream::model_capabilities strict_stop;
    strict_stop.set("stop", param_action::reject);
    conversion_report refused;
    options.capabilities = &strict_stop;
    r = responses::encode_request(req, options, refused);
    REQUIRE_FALSE(r.has_value());
    CHECK(refused.error_param == "stop_sequences");
    CHECK(refused.error_message == "stop_sequences: not supported by the upstream model");

    // A compatible reasoning server configured to take `reasoning`.
    upstream::model_capabilities reasoning;
    reasoning.set("reasoning", param_action::pass);
    conversion_report passed;
    body = encode_body(req, "my-reasoner", passed, false, &reasoning);
    // An Anthropic client sees its thinking: the summary is asked for.
    CHECK(body.at("reasoning") == json::parse(R"({"effort":"medium","summary":"auto"})"));
    CHECK(body.at("include") == json::parse(R"(["reasoning.encrypted_content"])"));
}

TEST_CASE("openai_responses encode_request: what Responses cannot carry", "[openai_responses]") {
    request base;
    base.model = "gpt-4o";
    base.messages.emplace_back();
    base.messages[0].content.push_back(content_block::make_text("hi"));

    SECTION("n > 1 is refused unless configured") {
        request req = base;
        req.n = 3;
        conversion_report report;
        auto r = responses::encode_request(req, {}, report);
        REQUIRE_FALSE(r.has_value());
        CHECK(report.error_param == "n");
    }
    SECTION("an image given as text") {
        request req = base;
        content_block img;
        img.kind = block_kind::image;
        img.source.type = media_source::kind::text;
        req.messages[0].content.push_back(img);
        conversion_report report;
        auto r = responses::encode_request(req, {}, report);
        REQUIRE_FALSE(r.has_value());
        CHECK(report.error_param == "messages[0].content[1]");
    }
    SECTION("documents by URL and file id, images by file id") {
        request req = base;
        content_block doc;
        doc.kind = block_kind::document;
        doc.source.type = media_source::kind::url;
        doc.source.data = "https://example.com/a.pdf";
        req.messages[0].content.push_back(doc);
        doc.source.type = media_source::kind::file_id;
        doc.source.data = "file-1";
        req.messages[0].content.push_back(doc);
        content_block img;
        img.kind = block_kind::image;
        img.source.type = media_source::kind::file_id;
        img.source.data = "file-2";
        img.source.detail = "high";
        req.messages[0].content.push_back(img);
        conversion_report report;
        const json::value body = encode_body(req, "gpt-4o", report);
        CHECK(body.at("input").at(0).at("content") == json::parse(R"([
            {"type":"input_text","text":"hi"},
            {"type":"input_file","file_url":"https://example.com/a.pdf"},
            {"type":"input_file","file_id":"file-1"},
            {"type":"input_image","file_id":"file-2","detail":"high"}])"));
        CHECK(report.header_value().empty());
    }
    SECTION("a Chat client's extra fields are not Responses fields") {
        request req = base;
        req.source_format = api_format::openai_chat;
        req.extra["logprobs"] = true;
        req.sampler.seed = 7;
        req.sampler.presence_penalty = 0.1;
        conversion_report report;
        const json::value body = encode_body(req, "gpt-4o", report);
        CHECK_FALSE(body.as_object().contains("logprobs"));
        CHECK(body.at("store") == false);  // Chat's default
        CHECK(report.header_value() == "presence_penalty=dropped, seed=dropped, logprobs=dropped");
    }
}

TEST_CASE("openai_responses encode_request: a Responses client's own fields pass through",
          "[openai_responses]") {
    conversion_report report;
    auto req = gateway::ingress::decode_request(
        gateway::api_format::openai_responses,
        R"({"model":"gpt-4o","input":"hi","instructions":"x","text":{"verbosity":"low"},
            "truncation":"auto","tool_choice":{"type":"allowed_tools","mode":"auto","tools":[]},
            "include":["message.output_text.logprobs"],"top_logprobs":2,
            "tools":[{"type":"web_search"},{"type":"function","name":"f"}],
            "reasoning":{"context":"all_turns"}})",
        report);
    REQUIRE(req.has_value());
    conversion_report up;
    const json::value body = encode_body(*req, "gpt-4o", up);
    CHECK(body == json::parse(R"({"model":"gpt-4o","instructions":"x","input":[
        {"role":"user","content":"hi"}],
        "tools":[{"type":"web_search"},{"type":"function","name":"f","parameters":null}],
        "include":["message.output_text.logprobs"],
        "text":{"verbosity":"low"},"truncation":"auto",
        "tool_choice":{"type":"allowed_tools","mode":"auto","tools":[]},"top_logprobs":2})"));
    // `reasoning` members for a model without reasoning: dropped like `reasoning` itself.
    CHECK(up.header_value() == "reasoning=dropped");
}

TEST_CASE("openai_responses: OpenAI reasoning state goes back, other state does not",
          "[openai_responses]") {
    // The recorded answer with a reasoning item (encrypted_content) as the next turn's history.
    conversion_report report;
    auto res = responses::decode_response(
        read_golden("openai_responses/response-reasoning-encrypted-content/upstream.json"), nullptr,
        report);
    REQUIRE(res.has_value());
    REQUIRE(res->content.size() == 2);
    const content_block& rs = res->content[0];
    CHECK(rs.kind == block_kind::thinking);
    CHECK(rs.signature_origin == reasoning_origin::openai);
    CHECK(rs.signature.starts_with("gAAAAABpPMlc"));
    CHECK(rs.extra.at("id") == "rs_0f35ed53160b395301693cc95817ac8190b978637daea4987e");

    request req;
    req.source_format = api_format::openai_responses;
    req.messages.emplace_back();
    req.messages[0].content.push_back(content_block::make_text("12 + 7, times 3, times 10?"));
    message turn;
    turn.role = role::assistant;
    turn.content = res->content;
    req.messages.push_back(turn);
    req.messages.emplace_back();
    req.messages[2].content.push_back(content_block::make_text("And divided by 2?"));

    SECTION("stored conversation: the item goes back with its id") {
        conversion_report up;
        const json::value body = encode_body(req, "gpt-5-mini", up);
        const json::value& item = body.at("input").at(1);
        CHECK(item.at("type") == "reasoning");
        CHECK(item.at("id") == rs.extra.at("id"));
        CHECK(item.at("encrypted_content").as_string() == rs.signature);
        CHECK(item.at("summary").at(0).at("text").as_string() == rs.text);
        // The message that followed the reasoning item goes back as that output item (paired).
        const json::value& msg = body.at("input").at(2);
        CHECK(msg.at("type") == "message");
        CHECK(msg.at("id") == res->content[1].extra.at("id"));
        CHECK(msg.at("status") == "completed");
        CHECK(msg.at("content").at(0).at("annotations") == json::array());
        CHECK(msg.at("content").at(0).at("text").as_string().starts_with("12 + 7 = 19"));
        CHECK_FALSE(body.as_object().contains("store"));  // the client's default (true)
        CHECK_FALSE(body.as_object().contains("include"));
    }
    SECTION("store: false: no id (it would be looked up and not found), and asked for again") {
        req.store = false;
        conversion_report up;
        const json::value body = encode_body(req, "gpt-5-mini", up);
        const json::value& item = body.at("input").at(1);
        CHECK_FALSE(item.as_object().contains("id"));
        CHECK(item.at("encrypted_content").as_string() == rs.signature);
        CHECK(body.at("input").at(2).at("content").as_string().starts_with("12 + 7 = 19"));
        CHECK(body.at("store") == false);
        CHECK(body.at("include") == json::parse(R"(["reasoning.encrypted_content"])"));
        CHECK(up.header_value().empty());
    }
    SECTION("an id alone without storage, made-up ids and foreign signatures are stripped") {
        req.store = false;
        req.messages[1].content[0].signature.clear();
        content_block made_up;
        made_up.kind = block_kind::thinking;
        made_up.text = "shown to the client";
        made_up.extra["id"] = "rs_gw_msg_01_0";
        made_up.extra_format = "openai_responses";
        content_block claude;
        claude.kind = block_kind::thinking;
        claude.text = "Claude's thoughts";
        claude.signature = "EqQBCgIYAhIM";
        claude.signature_origin = reasoning_origin::anthropic;
        req.messages[1].content.push_back(made_up);
        req.messages[1].content.push_back(claude);
        conversion_report up;
        const json::value body = encode_body(req, "gpt-5-mini", up);
        for (const json::value& item : body.at("input").as_array()) {
            CHECK(item.as_object().if_contains("type") == nullptr);  // messages only
        }
        CHECK(up.header_value() ==
              "messages[1].content[0]=dropped, messages[1].content[2]=dropped, "
              "messages[1].content[3]=dropped");
    }
    SECTION("through an Anthropic client: the tagged signature alone still continues") {
        req.source_format = api_format::anthropic_messages;
        req.messages[1].content[0].extra = {};
        req.messages[1].content[0].extra_format = {};
        conversion_report up;
        const json::value body = encode_body(req, "gpt-5-mini", up);
        CHECK(body.at("input").at(1) ==
              json::object{{"type", "reasoning"},
                           {"summary",
                            json::array{json::object{{"type", "summary_text"}, {"text", rs.text}}}},
                           {"encrypted_content", rs.signature}});
        CHECK(body.at("store") == false);
        CHECK(body.at("include") == json::parse(R"(["reasoning.encrypted_content"])"));
    }
}

TEST_CASE("openai_responses encode_request: item ids go back only beside their reasoning",
          "[openai_responses]") {
    auto with_id = [](content_block b, std::string_view id) {
        b.extra["id"] = id;
        b.extra_format = "openai_responses";
        return b;
    };
    content_block rs;
    rs.kind = block_kind::thinking;
    rs.signature_origin = reasoning_origin::openai;
    request req;
    req.source_format = api_format::openai_responses;
    req.messages.emplace_back();
    req.messages[0].content.push_back(content_block::make_text("go"));
    message turn;
    turn.role = role::assistant;
    turn.content = {with_id(content_block::make_tool_use("call_1", "f", "{}"), "fc_1"),
                    with_id(rs, "rs_1"),
                    with_id(content_block::make_tool_use("call_2", "f", "{}"), "fc_2"),
                    with_id(content_block::make_text("first"), "msg_1"),
                    with_id(content_block::make_text("second"), "msg_2")};
    req.messages.push_back(turn);

    conversion_report report;
    json::value body = encode_body(req, "gpt-5", report);
    CHECK(body.at("input") == json::parse(R"([
        {"role":"user","content":"go"},
        {"type":"function_call","call_id":"call_1","name":"f","arguments":"{}"},
        {"type":"reasoning","id":"rs_1","summary":[]},
        {"type":"function_call","id":"fc_2","call_id":"call_2","name":"f","arguments":"{}"},
        {"type":"message","id":"msg_1","role":"assistant","status":"completed",
         "content":[{"type":"output_text","text":"first","annotations":[]}]},
        {"type":"message","id":"msg_2","role":"assistant","status":"completed",
         "content":[{"type":"output_text","text":"second","annotations":[]}]}])"));
    CHECK(report.header_value().empty());

    // Without storage the reasoning item (no encrypted_content) cannot go back: no ids at all.
    req.store = false;
    conversion_report unstored;
    body = encode_body(req, "gpt-5", unstored);
    CHECK(body.at("input") == json::parse(R"([
        {"role":"user","content":"go"},
        {"type":"function_call","call_id":"call_1","name":"f","arguments":"{}"},
        {"type":"function_call","call_id":"call_2","name":"f","arguments":"{}"},
        {"role":"assistant","content":"first"},
        {"role":"assistant","content":"second"}])"));
    CHECK(unstored.header_value() == "messages[1].content[1]=dropped");
}

TEST_CASE("openai_responses decode_error: recorded error bodies and statuses",
          "[openai_responses]") {
    auto e = responses::decode_error(
        429, read_golden("openai_responses/errors/error-insufficient-quota.json"));
    CHECK(e.status == 429);
    CHECK(e.type == "rate_limit_error");
    CHECK(e.code == "insufficient_quota");
    CHECK(e.message.starts_with("You exceeded your current quota"));

    e = responses::decode_error(
        400, read_golden("openai_responses/errors/error-unsupported-parameter.json"));
    CHECK(e.status == 400);
    CHECK(e.type == "invalid_request_error");
    CHECK(e.param == "temperature");
    CHECK(e.code.empty());
    CHECK(e.message == "Unsupported parameter: 'temperature' is not supported with this model.");

    e = responses::decode_error(
        400, read_golden("openai_responses/errors/error-400-decimal-below-min-value.json"));
    CHECK(e.status == 400);
    CHECK(e.code == "decimal_below_min_value");
    CHECK(e.param == "temperature");

    e = responses::decode_error(401,
                                R"({"error":{"message":"Incorrect API key provided",)"
                                R"("type":"invalid_request_error","code":"invalid_api_key"}})");
    CHECK(e.status == 502);
    CHECK(e.message == "upstream rejected the channel's credentials: Incorrect API key provided");

    e = responses::decode_error(503, "upstream connect error");
    CHECK(e.status == 503);
    CHECK(e.message == "upstream answered HTTP 503: upstream connect error");
}

TEST_CASE("openai_responses decode_response: malformed and failed answers", "[openai_responses]") {
    struct case_t {
        const char* body;
        const char* param;
    };
    const case_t cases[] = {
        {R"({"id":"resp_1"})", "output"},
        {R"({"output":{}})", "output"},
        {R"({"output":[1]})", "output[0]"},
        {R"({"output":[{"type":"message"}]})", "output[0].content"},
        {R"({"output":[{"type":"message","content":[{"type":"output_text"}]}]})",
         "output[0].content[0].text"},
        {R"({"output":[{"type":"message","content":[{"type":"refusal","refusal":1}]}]})",
         "output[0].content[0].refusal"},
        {R"({"output":[{"type":"function_call","name":"f"}]})", "output[0].call_id"},
        {R"({"output":[{"type":"reasoning","summary":[{"text":3}]}]})",
         "output[0].summary[0].text"},
        {R"({"output":[],"usage":{"input_tokens":"1"}})", "usage"},
        {R"({"output":[],"usage":{"input_tokens":-1}})", "usage"},
        {R"({"output":[],"incomplete_details":"max"})", "incomplete_details"},
        {R"({"output":[],"created_at":"now"})", "created_at"},
        {R"({"output":[],"error":"boom"})", "error"},
        {R"({"status":7,"output":[]})", "status"},
    };
    for (const case_t& c : cases) {
        INFO(c.body);
        conversion_report report;
        auto r = responses::decode_response(c.body, nullptr, report);
        REQUIRE_FALSE(r.has_value());
        CHECK(r.error() == errc::bad_upstream_response);
        CHECK(report.error_param == c.param);
        CHECK_FALSE(report.error_message.empty());
    }
    // A failed response is the error finish; its error goes on to a Responses client.
    conversion_report report;
    auto failed = responses::decode_response(
        R"({"status":"failed","output":[],"error":{"code":"server_error","message":"boom"}})",
        nullptr, report);
    REQUIRE(failed.has_value());
    CHECK(failed->finish == finish_reason::error);
    const json::value shown = json::parse(responses::encode_response(*failed, {}));
    CHECK(shown.at("status") == "failed");
    CHECK(shown.at("error") == json::parse(R"({"code":"server_error","message":"boom"})"));

    // Finish reasons from status and incomplete_details; unknown items are skipped.
    struct finish_case {
        const char* body;
        finish_reason finish;
    };
    const finish_case finishes[] = {
        {R"({"status":"completed","output":[{"type":"web_search_call","id":"ws_1"}]})",
         finish_reason::stop},
        {R"({"status":"completed","output":[{"type":"function_call","call_id":"c","name":"f",)"
         R"("arguments":{"a":1}}]})",
         finish_reason::tool_use},
        {R"({"status":"completed","output":[{"type":"message","content":[{"type":"refusal",)"
         R"("refusal":"no"}]}]})",
         finish_reason::refusal},
        {R"({"status":"incomplete","incomplete_details":{"reason":"max_output_tokens"},"output":[]})",
         finish_reason::length},
        {R"({"status":"incomplete","incomplete_details":{"reason":"content_filter"},"output":[]})",
         finish_reason::content_filter},
        {R"({"status":"incomplete","incomplete_details":null,"output":[]})",
         finish_reason::pause_turn},
        {R"({"status":"in_progress","output":[]})", finish_reason::none},
        {R"({"output":[]})", finish_reason::stop},
    };
    for (const finish_case& c : finishes) {
        INFO(c.body);
        conversion_report r;
        auto res = responses::decode_response(c.body, nullptr, r);
        REQUIRE(res.has_value());
        CHECK(res->finish == c.finish);
        CHECK_FALSE(res->usage.reported);
    }
    auto call = responses::decode_response(
        R"({"output":[{"type":"function_call","call_id":"c","name":"f","arguments":{"a":1}}]})",
        nullptr, report);
    REQUIRE(call.has_value());
    CHECK(call->content.at(0).arguments == R"({"a":1})");
}

TEST_CASE("openai_responses stream decoder: corner cases", "[openai_responses][stream]") {
    const std::string created =
        R"({"type":"response.created","sequence_number":0,"response":{"id":"resp_1","object":"response","status":"in_progress","model":"gpt-4o","output":[],"usage":null}})";
    const std::string completed =
        R"({"type":"response.completed","sequence_number":9,"response":{"id":"resp_1","status":"completed","output":[],"usage":{"input_tokens":5,"output_tokens":2,"output_tokens_details":{"reasoning_tokens":0},"input_tokens_details":{"cached_tokens":0},"total_tokens":7}}})";

    SECTION("truncated before the terminal event") {
        const auto d = decode_stream(frame(
            {created,
             R"({"type":"response.output_item.added","output_index":0,"item":{"type":"message","id":"msg_1","content":[]}})",
             R"({"type":"response.output_text.delta","output_index":0,"content_index":0,"delta":"Hi"})"}));
        CHECK(d.feed_ok);
        CHECK_FALSE(d.finish_ok);
        CHECK(d.ec == errc::stream_truncated);
        // No content_part.added: the text block opens with the first delta.
        CHECK(d.jsonl ==
              "{\"type\":\"message_start\",\"id\":\"resp_1\",\"model\":\"gpt-4o\"}\n"
              "{\"type\":\"block_start\",\"index\":0,\"block\":{\"kind\":\"text\","
              "\"extra\":{\"id\":\"msg_1\"}}}\n"
              "{\"type\":\"block_delta\",\"index\":0,\"delta\":\"text\",\"data\":\"Hi\"}\n");
    }
    SECTION("empty body; an event that is not JSON; an event above the size limit") {
        auto d = decode_stream("");
        CHECK(d.ec == errc::stream_truncated);
        CHECK(d.jsonl.empty());
        d = decode_stream("event: response.created\ndata: {\"type\":\n\n");
        CHECK_FALSE(d.feed_ok);
        CHECK(d.ec == errc::bad_upstream_response);
        const std::string big = frame(
            {R"({"type":"response.output_text.delta","delta":")" + std::string(4096, 'a') + "\"}"});
        const std::string_view chunks[] = {big};
        d = decode_stream(chunks, 1024);
        CHECK_FALSE(d.feed_ok);
        CHECK(d.ec == errc::body_too_large);
    }
    SECTION("items only in output_item.done and in the final response (minimal servers)") {
        const auto d = decode_stream(frame(
            {created,
             R"({"type":"response.output_item.added","output_index":0,"item":{"type":"reasoning","id":"rs_1","summary":[]}})",
             R"({"type":"response.output_item.done","output_index":0,"item":{"type":"reasoning","id":"rs_1","summary":[],"encrypted_content":"enc"}})",
             R"({"type":"response.output_item.added","output_index":1,"item":{"type":"message","id":"msg_1","content":[]}})",
             R"({"type":"response.output_item.done","output_index":1,"item":{"type":"message","id":"msg_1","content":[{"type":"output_text","text":"Done.","annotations":[]}]}})",
             R"({"type":"response.web_search_call.searching","output_index":2,"item_id":"ws_1"})",
             R"({"type":"response.incomplete","response":{"id":"resp_1","status":"incomplete","incomplete_details":{"reason":"max_output_tokens"},"output":[]}})"}));
        CHECK(d.finish_ok);
        CHECK(d.jsonl ==
              "{\"type\":\"message_start\",\"id\":\"resp_1\",\"model\":\"gpt-4o\"}\n"
              "{\"type\":\"block_start\",\"index\":0,\"block\":{\"kind\":\"thinking\","
              "\"signature_origin\":\"openai\",\"extra\":{\"id\":\"rs_1\"}}}\n"
              "{\"type\":\"block_delta\",\"index\":0,\"delta\":\"signature\",\"data\":\"enc\"}\n"
              "{\"type\":\"block_stop\",\"index\":0}\n"
              "{\"type\":\"block_start\",\"index\":1,\"block\":{\"kind\":\"text\","
              "\"extra\":{\"id\":\"msg_1\"}}}\n"
              "{\"type\":\"block_delta\",\"index\":1,\"delta\":\"text\",\"data\":\"Done.\"}\n"
              "{\"type\":\"block_stop\",\"index\":1}\n"
              "{\"type\":\"message_delta\",\"finish\":\"length\"}\n"
              "{\"type\":\"message_stop\"}\n");

        const auto only_final = decode_stream(frame(
            {created,
             R"({"type":"response.completed","response":{"id":"resp_1","status":"completed","output":[{"type":"function_call","id":"fc_1","call_id":"call_1","name":"f","arguments":"{}"}]}})"}));
        CHECK(only_final.finish_ok);
        CHECK(only_final.jsonl.find(R"("finish":"tool_use")") != std::string::npos);
        CHECK(only_final.jsonl.find(R"("id":"call_1")") != std::string::npos);
    }
    SECTION("done events deliver what the deltas missed") {
        const auto d = decode_stream(frame(
            {created,
             R"({"type":"response.output_item.added","output_index":0,"item":{"type":"function_call","id":"fc_1","call_id":"call_1","name":"f","arguments":""}})",
             R"({"type":"response.function_call_arguments.delta","output_index":0,"delta":"{\"a\""})",
             R"({"type":"response.function_call_arguments.done","output_index":0,"arguments":"{\"a\":1}"})",
             R"({"type":"response.output_item.done","output_index":0,"item":{"type":"function_call","id":"fc_1","call_id":"call_1","name":"f","arguments":"{\"a\":1}"}})",
             completed}));
        CHECK(d.finish_ok);
        CHECK(
            d.jsonl ==
            "{\"type\":\"message_start\",\"id\":\"resp_1\",\"model\":\"gpt-4o\"}\n"
            "{\"type\":\"block_start\",\"index\":0,\"block\":{\"kind\":\"tool_use\","
            "\"id\":\"call_1\",\"name\":\"f\",\"extra\":{\"id\":\"fc_1\"}}}\n"
            "{\"type\":\"block_delta\",\"index\":0,\"delta\":\"tool_arguments\","
            "\"data\":\"{\\\"a\\\"\"}\n"
            "{\"type\":\"block_delta\",\"index\":0,\"delta\":\"tool_arguments\",\"data\":\":1}\"}\n"
            "{\"type\":\"block_stop\",\"index\":0}\n"
            "{\"type\":\"message_delta\",\"finish\":\"tool_use\",\"usage\":{\"input_tokens\":5,"
            "\"output_tokens\":2}}\n"
            "{\"type\":\"message_stop\"}\n");
    }
    SECTION("an error event in the spec's shape (members at the top level)") {
        const auto d = decode_stream(frame(
            {created,
             R"({"type":"error","sequence_number":1,"code":"rate_limit_exceeded","message":"Slow down","param":null})",
             completed}));
        CHECK(d.feed_ok);
        CHECK(d.finish_ok);  // the error is the end
        CHECK(d.jsonl ==
              "{\"type\":\"message_start\",\"id\":\"resp_1\",\"model\":\"gpt-4o\"}\n"
              "{\"type\":\"error\",\"error\":{\"status\":429,\"type\":\"rate_limit_error\","
              "\"code\":\"rate_limit_exceeded\",\"message\":\"Slow down\"}}\n");
    }
    SECTION("response.failed alone, with a client-caused code") {
        const auto d = decode_stream(frame(
            {created,
             R"({"type":"response.failed","response":{"id":"resp_1","status":"failed","error":{"code":"invalid_image_url","message":"Cannot fetch the image."}}})"}));
        CHECK(d.finish_ok);
        CHECK(d.jsonl.find(
                  R"("status":400,"type":"invalid_request_error","code":"invalid_image_url")") !=
              std::string::npos);
    }
    SECTION("events out of order are malformed; unknown events and [DONE] are ignored") {
        auto d = decode_stream(frame(
            {created, R"({"type":"response.output_text.delta","output_index":0,"delta":"x"})"}));
        CHECK(d.ec == errc::bad_upstream_response);
        d = decode_stream(frame(
            {created,
             R"({"type":"response.output_item.added","output_index":0,"item":{"type":"message","content":[]}})",
             R"({"type":"response.output_text.delta","output_index":1,"delta":"x"})"}));
        CHECK(d.ec == errc::bad_upstream_response);
        d = decode_stream(frame(
            {created,
             R"({"type":"response.output_item.added","output_index":0,"item":{"type":"reasoning","summary":[]}})",
             R"({"type":"response.content_part.added","output_index":0,"content_index":0,"part":{"type":"output_text","text":""}})"}));
        CHECK(d.ec == errc::bad_upstream_response);
        d = decode_stream(frame({created, R"({"type":"response.audio.delta","delta":"AAAA"})",
                                 R"({"type":"response.newer_event","x":1})", completed}) +
                          "data: [DONE]\n\n" + "event: garbage\ndata: {not json\n\n");
        CHECK(d.feed_ok);
        CHECK(d.finish_ok);
        CHECK(d.jsonl ==
              "{\"type\":\"message_start\",\"id\":\"resp_1\",\"model\":\"gpt-4o\"}\n"
              "{\"type\":\"message_delta\",\"finish\":\"stop\",\"usage\":{\"input_tokens\":5,"
              "\"output_tokens\":2}}\n"
              "{\"type\":\"message_stop\"}\n");
    }
    SECTION("the type comes from the JSON, the event line only when the JSON has none") {
        const auto d = decode_stream(
            "event: response.created\ndata: {\"response\":{\"id\":\"resp_2\"}}\n\n"
            "event: wrong.name\ndata: " +
            completed + "\n\n");
        CHECK(d.finish_ok);
        CHECK(d.jsonl.starts_with("{\"type\":\"message_start\",\"id\":\"resp_2\"}\n"));
    }
}

TEST_CASE(
    "openai_responses encode_request: reasoning text is asked for only when the client "
    "shows it",
    "[openai_responses]") {
    request req;
    req.source_format = api_format::openai_chat;
    req.model = "o4-mini";
    req.messages.push_back({role::user, {content_block::make_text("hi")}, {}, false});

    SECTION("a Chat client with reasoning_effort sees no reasoning text: no summary") {
        req.reasoning.effort = "low";
        conversion_report report;
        CHECK(encode_body(req, "o4-mini", report).at("reasoning") ==
              json::parse(R"({"effort":"low"})"));
    }
    SECTION("a Chat client with ?thinking=true: the automatic summary, default effort") {
        req.reasoning.enabled = true;
        req.reasoning.include_thoughts = true;
        conversion_report report;
        CHECK(encode_body(req, "o4-mini", report).at("reasoning") ==
              json::parse(R"({"summary":"auto"})"));
    }
    SECTION("a summary the client chose is kept") {
        req.source_format = api_format::openai_responses;
        req.reasoning.effort = "high";
        req.reasoning.summary = "detailed";
        req.reasoning.include_thoughts = true;
        conversion_report report;
        CHECK(encode_body(req, "o4-mini", report).at("reasoning") ==
              json::parse(R"({"effort":"high","summary":"detailed"})"));
    }
    SECTION("thinking turned off asks for nothing") {
        req.source_format = api_format::anthropic_messages;
        req.reasoning.enabled = false;
        conversion_report report;
        CHECK_FALSE(encode_body(req, "o4-mini", report).as_object().contains("reasoning"));
    }
}
