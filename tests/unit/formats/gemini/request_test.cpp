// Canonical request -> Gemini generateContent request (tests/golden/gemini/request-*/).
// canonical_request.json documents the input (to_json of the request built here);
// upstream_request.json is the body Gemini receives.

#include "formats/gemini/codec.hpp"

#include "support/golden.hpp"

#include "gateway/core/canonical_json.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>

#include <functional>
#include <optional>
#include <string>
#include <utility>

namespace {

namespace json = boost::json;
using gateway::block_kind;
using gateway::content_block;
using gateway::errc;
using gateway::message;
using gateway::reasoning_origin;
using gateway::request;
using gateway::role;

// Signatures as Gemini returned them in the recorded parallel-function-calls cassette.
constexpr const char* gemini_sig =
    "EtkBCtYBAXLI2nw30WDVpjR1pyPO7RX8irBHXj/Gr3vxDSk+rgwZCdVoqguEYPHH7cUse9KvaZ3EJYu8PrHkjjtzW9b9"
    "KJ8PGz/RgeYPQpq28UIvdfmTZ5Q8h89N39bPVdrfLbdhQ5xbbDu5E1fWCOvcs8r2G1MTlJhqSfnSCI";

message user_text(std::string text) {
    message m;
    m.role = role::user;
    m.content.push_back(content_block::make_text(std::move(text)));
    return m;
}

message assistant_text(std::string text) {
    message m = user_text(std::move(text));
    m.role = role::assistant;
    return m;
}

content_block signed_block(content_block b, std::string sig, reasoning_origin origin) {
    b.signature = std::move(sig);
    b.signature_origin = origin;
    return b;
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
    e.parts = gateway::formats::gemini::encode_request(req, options, e.report);
    return e;
}

json::object body_of(const encoded& e) {
    REQUIRE(e.parts.has_value());
    return json::parse(e.parts->body).as_object();
}

void check_case(const char* name, const request& req, const encoded& e) {
    const std::string dir = std::string("gemini/") + name + "/";
    INFO(name << ": " << e.report.error_message);
    REQUIRE(e.parts.has_value());
    gateway::test::check_golden_json(dir + "canonical_request.json", gateway::to_json(req));
    gateway::test::check_golden_json(dir + "upstream_request.json", json::parse(e.parts->body));
}

request basic_request() {
    request req;
    req.source_format = gateway::api_format::openai_chat;
    req.model = "my-gemini";
    req.system.push_back(content_block::make_text("You are a terse assistant."));
    req.messages.push_back(user_text("What is the capital of France?"));
    req.messages.push_back(assistant_text("Paris."));
    message sys;
    sys.role = role::system;
    sys.content.push_back(content_block::make_text("Answer in one word."));
    req.messages.push_back(sys);
    req.messages.push_back(user_text("And of Italy?"));
    req.messages.push_back(user_text("Only the city, please."));
    req.sampler.temperature = 0.2;
    req.sampler.top_p = 0.9;
    req.sampler.top_k = 40;
    req.sampler.seed = 7;
    req.sampler.presence_penalty = 0.5;
    req.sampler.stop = {"\n\n"};
    req.max_output_tokens = 256;
    req.stream = true;
    req.include_usage = true;
    req.user = "user-1234";
    req.metadata["team"] = "search";
    req.store = false;
    req.extra["logprobs"] = true;
    req.extra["prompt_cache_key"] = "k1";
    return req;
}

std::string header(const gateway::conversion_report& r) { return r.header_value(); }

}  // namespace

TEST_CASE("gemini request: text conversation, sampling, system folding, dropped fields",
          "[gemini][golden]") {
    const request req = basic_request();
    const encoded e = encode(req, "models/gemini-2.0-flash", true);
    check_case("request-basic", req, e);
    CHECK(e.parts->path == "/models/gemini-2.0-flash:streamGenerateContent?alt=sse");
    REQUIRE(e.parts->headers.size() == 1);
    CHECK(e.parts->headers[0].first == "Content-Type");
    CHECK(e.parts->headers[0].second == "application/json");
    CHECK(header(e.report) ==
          "messages[2]=folded into systemInstruction, user=dropped, metadata=dropped, "
          "store=dropped, logprobs=dropped, prompt_cache_key=dropped");
}

TEST_CASE("gemini request: tools, forced choice, parallel calls with Gemini's signature",
          "[gemini][golden]") {
    // Modelled on the recorded pydantic-ai exchange (parallel-function-calls cassette): three
    // calls, only the first signed by Gemini, answered by three function responses.
    request req;
    req.source_format = gateway::api_format::openai_responses;
    req.model = "gemini-3-flash-preview";
    req.system.push_back(content_block::make_text(
        "Tell three jokes. Generate topics with the generate_topic tool."));
    gateway::tool topic;
    topic.name = "generate_topic";
    topic.parameters =
        json::parse(R"({"additionalProperties":false,"properties":{},"type":"object"})");
    topic.strict = true;
    gateway::tool final_result;
    final_result.name = "final_result";
    final_result.description = "The final response which ends this conversation";
    final_result.parameters = json::parse(
        R"({"properties":{"response":{"items":{"type":"string"},"type":"array"}},"required":["response"],"type":"object","$defs":{"unused":{"type":"string"}}})");
    req.tools = {topic, final_result};
    req.choice.type = gateway::tool_choice::mode::required;
    req.parallel_tool_calls = false;
    req.messages.push_back(user_text("Go."));
    message calls;
    calls.role = role::assistant;
    calls.content.push_back(
        signed_block(content_block::make_tool_use("pyd_ai_df5891897e434a16add992cc09f10172",
                                                  "generate_topic", "{}"),
                     gemini_sig, reasoning_origin::gemini));
    calls.content.push_back(content_block::make_tool_use("pyd_ai_102eb2f935364e77bac26307e3428e2b",
                                                         "generate_topic", ""));
    calls.content.push_back(content_block::make_tool_use("pyd_ai_cc6e16722f9a428db81532521a689ea7",
                                                         "generate_topic", R"({"seed": 3})"));
    req.messages.push_back(calls);
    message results;
    results.role = role::user;
    results.content.push_back(
        content_block::make_tool_result("pyd_ai_df5891897e434a16add992cc09f10172", "cars"));
    results.content.push_back(content_block::make_tool_result(
        "pyd_ai_102eb2f935364e77bac26307e3428e2b", R"({"topic": "penguins", "rank": 2})"));
    results.content.push_back(
        content_block::make_tool_result("pyd_ai_cc6e16722f9a428db81532521a689ea7", "[not json"));
    req.messages.push_back(results);

    const encoded e = encode(req, "gemini-3-flash-preview");
    check_case("request-tools", req, e);
    CHECK(e.parts->path == "/models/gemini-3-flash-preview:generateContent");
    CHECK(header(e.report) == "parallel_tool_calls=dropped");
}

TEST_CASE("gemini request: history from another provider on Gemini 3", "[gemini][golden]") {
    // A conversation Claude started: its thinking (and signature) cannot go to Gemini, its tool
    // call gets Google's documented stand-in signature so Gemini 3 accepts the turn.
    request req;
    req.source_format = gateway::api_format::anthropic_messages;
    req.model = "claude-to-gemini";
    req.messages.push_back(user_text("What's the weather in Paris?"));
    message turn;
    turn.role = role::assistant;
    content_block thinking;
    thinking.kind = block_kind::thinking;
    thinking.text = "The user wants the weather; call the tool.";
    turn.content.push_back(
        signed_block(thinking, "EqQBCkYIBxgCKkD...", reasoning_origin::anthropic));
    content_block redacted;
    redacted.kind = block_kind::redacted_thinking;
    redacted.signature = "EmwKAhgBEgy3va3pzix/LafPsn4a...";
    redacted.signature_origin = reasoning_origin::anthropic;
    turn.content.push_back(redacted);
    turn.content.push_back(content_block::make_text("Let me check."));
    turn.content.push_back(content_block::make_tool_use("toolu_01A09q90qw90lq917835lq9",
                                                        "get_weather", R"({"city":"Paris"})"));
    req.messages.push_back(turn);
    message result;
    result.role = role::user;
    result.content.push_back(
        content_block::make_tool_result("toolu_01A09q90qw90lq917835lq9", "upstream timeout", true));
    req.messages.push_back(result);
    req.messages.push_back(assistant_text("The weather service timed out."));
    req.messages.push_back(user_text("Try again."));
    gateway::tool weather;
    weather.name = "get_weather";
    weather.description = "Current weather for a city";
    weather.parameters = json::parse(
        R"({"$schema":"http://json-schema.org/draft-07/schema#","type":"object","properties":{"city":{"type":"string"}},"required":["city"]})");
    req.tools = {weather};
    req.choice.type = gateway::tool_choice::mode::tool;
    req.choice.name = "get_weather";
    req.reasoning.effort = "low";
    req.max_output_tokens = 1024;

    const encoded e = encode(req, "gemini-3-pro-preview", true);
    check_case("request-foreign-history", req, e);
    CHECK(header(e.report).empty());
}

TEST_CASE("gemini request: images, documents, structured output, thinking budget",
          "[gemini][golden]") {
    request req;
    req.source_format = gateway::api_format::openai_chat;
    req.model = "gemini-2.5-flash";
    message m;
    m.role = role::user;
    m.content.push_back(content_block::make_text("Describe these."));
    content_block png;
    png.kind = block_kind::image;
    png.source.type = gateway::media_source::kind::base64;
    png.source.media_type = "image/png";
    png.source.data =
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+"
        "M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";
    m.content.push_back(png);
    content_block data_url;
    data_url.kind = block_kind::image;
    data_url.source.type = gateway::media_source::kind::url;
    data_url.source.data = "data:image/jpeg;base64,/9j/4AAQSkZJRgABAQ==";
    data_url.source.detail = "low";
    m.content.push_back(data_url);
    content_block web;
    web.kind = block_kind::image;
    web.source.type = gateway::media_source::kind::url;
    web.source.data =
        "https://upload.wikimedia.org/wikipedia/commons/a/a7/"
        "Camponotus_flavomarginatus_ant.webp?download=1";
    m.content.push_back(web);
    content_block pdf;
    pdf.kind = block_kind::document;
    pdf.source.type = gateway::media_source::kind::base64;
    pdf.source.data = "JVBERi0xLjQKJcOkw7zDtsOfCjIgMCBvYmoK";
    pdf.source.filename = "report.pdf";
    m.content.push_back(pdf);
    content_block file;
    file.kind = block_kind::document;
    file.source.type = gateway::media_source::kind::file_id;
    file.source.data = "files/abc-123";
    file.source.media_type = "application/pdf";
    m.content.push_back(file);
    content_block notes;
    notes.kind = block_kind::document;
    notes.source.type = gateway::media_source::kind::text;
    notes.source.data = "Meeting notes: ship on Friday.";
    m.content.push_back(notes);
    req.messages.push_back(m);
    req.format.type = gateway::response_format::kind::json_schema;
    req.format.name = "description";
    req.format.schema = json::parse(
        R"({"type":"object","properties":{"items":{"type":"array","items":{"type":"string"}}},"required":["items"],"additionalProperties":false})");
    req.format.strict = true;
    req.reasoning.budget_tokens = 2048;
    req.reasoning.effort = "high";
    req.reasoning.include_thoughts = true;

    const encoded e = encode(req, "gemini-2.5-flash");
    check_case("request-media", req, e);
    CHECK(header(e.report).empty());
}

TEST_CASE("gemini request: Gemini's own signatures go back on their parts", "[gemini]") {
    request req;
    req.messages.push_back(user_text("Count the r's."));
    message turn;
    turn.role = role::assistant;
    content_block thought;
    thought.kind = block_kind::thinking;
    thought.text = "s-t-r-a-w-b-e-r-r-y";
    thought.signature_origin = reasoning_origin::gemini;  // no signature: nothing to send
    turn.content.push_back(thought);
    content_block signed_thought = thought;
    signed_thought.signature = "c2lnLXRob3VnaHQ=";
    turn.content.push_back(signed_thought);
    turn.content.push_back(
        signed_block(content_block::make_text("Three."), "c2lnLXRleHQ=", reasoning_origin::gemini));
    turn.content.push_back(
        signed_block(content_block::make_text("!"), "openai-encrypted", reasoning_origin::openai));
    req.messages.push_back(turn);
    req.messages.push_back(user_text("Thanks"));
    const encoded e = encode(req, "gemini-3-pro-preview");
    const json::object body = body_of(e);
    CHECK(json::serialize(body.at("contents").at(1)) ==
          R"({"role":"model","parts":[{"text":"","thoughtSignature":"c2lnLXRob3VnaHQ="},)"
          R"({"text":"Three.","thoughtSignature":"c2lnLXRleHQ="},{"text":"!"}]})");
}

TEST_CASE("gemini request: thinking controls per model", "[gemini]") {
    struct row {
        const char* model;
        std::optional<bool> enabled;
        std::optional<std::int64_t> budget;
        std::optional<std::string> effort;
        const char* expected;  // the thinkingConfig, or "" for none
        const char* report;
    };
    const row rows[] = {
        // 2.5 Pro cannot turn thinking off: clamped to its minimum, reported.
        {"gemini-2.5-pro",
         false,
         {},
         {},
         R"({"thinkingBudget":128})",
         "reasoning=thinking cannot be disabled on gemini-2.5-pro: thinkingBudget clamped to 128"},
        {"gemini-2.5-flash", false, {}, {}, R"({"thinkingBudget":0})", ""},
        {"gemini-2.5-flash", {}, 0, {}, R"({"thinkingBudget":0})", ""},
        {"gemini-2.5-flash-lite", {}, {}, "none", R"({"thinkingBudget":0})", ""},
        // A budget wins over an effort level.
        {"gemini-2.5-flash", {}, 3000, "high", R"({"thinkingBudget":3000})", ""},
        {"gemini-2.5-flash", {}, {}, "medium", R"({"thinkingBudget":8192})", ""},
        {"gemini-2.5-flash",
         {},
         100000,
         {},
         R"({"thinkingBudget":24576})",
         "reasoning=thinkingBudget clamped to 24576 for gemini-2.5-flash"},
        {"gemini-2.5-pro",
         {},
         10,
         {},
         R"({"thinkingBudget":128})",
         "reasoning=thinkingBudget clamped to 128 for gemini-2.5-pro"},
        {"gemini-2.5-flash-lite",
         {},
         100,
         {},
         R"({"thinkingBudget":512})",
         "reasoning=thinkingBudget clamped to 512 for gemini-2.5-flash-lite"},
        {"gemini-2.5-pro", {}, -1, {}, R"({"thinkingBudget":-1})", ""},
        // Gemini 3: thinking levels; no way to turn thinking off.
        {"gemini-3-pro-preview", {}, {}, "minimal", R"({"thinkingLevel":"low"})", ""},
        {"gemini-3-pro-preview", {}, {}, "medium", R"({"thinkingLevel":"high"})", ""},
        {"gemini-3-flash-preview", {}, {}, "medium", R"({"thinkingLevel":"medium"})", ""},
        {"gemini-3-flash-preview",
         false,
         {},
         {},
         R"({"thinkingLevel":"minimal"})",
         "reasoning=thinking cannot be disabled on gemini-3-flash-preview: thinkingLevel minimal"},
        {"gemini-3-pro-preview", {}, 4096, "low", R"({"thinkingBudget":4096})", ""},
        // Models without thinking: nothing is sent; asking for it is reported.
        {"gemini-2.0-flash", {}, {}, "high", "", "reasoning=dropped"},
        {"gemini-2.0-flash", false, {}, {}, "", ""},
        // Explicitly on: thoughts are included.
        {"gemini-2.5-flash",
         true,
         2048,
         {},
         R"({"thinkingBudget":2048,"includeThoughts":true})",
         ""},
        {"gemini-flash-latest", {}, {}, "low", R"({"thinkingBudget":2048})", ""},
    };
    for (const row& r : rows) {
        INFO(r.model << " enabled=" << (r.enabled ? int(*r.enabled) : -1) << " budget="
                     << r.budget.value_or(-999) << " effort=" << r.effort.value_or(""));
        request req;
        req.messages.push_back(user_text("hi"));
        req.reasoning.enabled = r.enabled;
        req.reasoning.budget_tokens = r.budget;
        req.reasoning.effort = r.effort;
        const encoded e = encode(req, r.model);
        const json::object body = body_of(e);
        const json::value* config = body.if_contains("generationConfig");
        const json::value* thinking =
            config != nullptr ? config->as_object().if_contains("thinkingConfig") : nullptr;
        if (std::string_view(r.expected).empty()) {
            CHECK(thinking == nullptr);
        } else {
            REQUIRE(thinking != nullptr);
            CHECK(*thinking == json::parse(r.expected));
        }
        CHECK(header(e.report) == r.report);
    }
}

TEST_CASE("gemini request: includeThoughts follows what the client asked for", "[gemini]") {
    request req;
    req.messages.push_back(user_text("hi"));
    req.reasoning.effort = "high";
    req.reasoning.summary = "auto";  // a Responses client asking for a reasoning summary
    json::object body = body_of(encode(req, "gemini-2.5-pro"));
    CHECK(body.at("generationConfig").at("thinkingConfig") ==
          json::parse(R"({"thinkingBudget":24576,"includeThoughts":true})"));
    req.reasoning.summary.clear();
    req.reasoning.include_thoughts = false;
    body = body_of(encode(req, "gemini-2.5-pro"));
    CHECK(body.at("generationConfig").at("thinkingConfig") ==
          json::parse(R"({"thinkingBudget":24576})"));
}

TEST_CASE("gemini request: penalties and seed depend on the model", "[gemini]") {
    request req;
    req.messages.push_back(user_text("hi"));
    req.sampler.presence_penalty = 0.1;
    req.sampler.frequency_penalty = 0.2;
    req.sampler.seed = 1;
    // 2.5 answers 400 "Penalty is not enabled for models/gemini-2.5-flash" (recorded).
    encoded e = encode(req, "gemini-2.5-flash");
    CHECK(body_of(e).at("generationConfig") == json::parse(R"({"seed":1})"));
    CHECK(header(e.report) == "presence_penalty=dropped, frequency_penalty=dropped");
    e = encode(req, "gemini-2.0-flash");
    CHECK(body_of(e).at("generationConfig") ==
          json::parse(R"({"seed":1,"presencePenalty":0.1,"frequencyPenalty":0.2})"));
    CHECK(header(e.report).empty());
    e = encode(req, "gemini-1.5-pro");
    CHECK(header(e.report) == "seed=dropped");
    // A channel that knows better overrides the default.
    gateway::upstream::model_capabilities caps;
    caps.set("presence_penalty", gateway::param_action::pass);
    e = encode(req, "gemini-2.5-flash", false, &caps);
    CHECK(body_of(e).at("generationConfig").as_object().contains("presencePenalty"));
    CHECK(header(e.report) == "frequency_penalty=dropped");
}

TEST_CASE("gemini request: tool choice modes", "[gemini]") {
    request req;
    req.messages.push_back(user_text("hi"));
    gateway::tool t;
    t.name = "f";
    req.tools = {t};
    const std::pair<gateway::tool_choice::mode, const char*> rows[] = {
        {gateway::tool_choice::mode::auto_, R"({"functionCallingConfig":{"mode":"AUTO"}})"},
        {gateway::tool_choice::mode::none, R"({"functionCallingConfig":{"mode":"NONE"}})"},
        {gateway::tool_choice::mode::required, R"({"functionCallingConfig":{"mode":"ANY"}})"},
    };
    for (const auto& [mode, expected] : rows) {
        req.choice.type = mode;
        const json::object body = body_of(encode(req, "gemini-2.5-flash"));
        CHECK(body.at("toolConfig") == json::parse(expected));
        CHECK(body.at("tools") ==
              json::parse(R"([{"functionDeclarations":[{"name":"f","description":""}]}])"));
    }
    req.choice.type = gateway::tool_choice::mode::unset;
    CHECK_FALSE(body_of(encode(req, "gemini-2.5-flash")).contains("toolConfig"));
    // Tools dropped by the channel: the choice goes with them.
    gateway::upstream::model_capabilities caps;
    caps.set("tools", gateway::param_action::drop);
    req.choice.type = gateway::tool_choice::mode::auto_;
    const encoded e = encode(req, "gemini-2.5-flash", false, &caps);
    CHECK_FALSE(body_of(e).contains("tools"));
    CHECK_FALSE(body_of(e).contains("toolConfig"));
    CHECK(header(e.report) == "tools=dropped, tool_choice=dropped");
}

TEST_CASE("gemini request: what cannot be converted is refused, naming the field", "[gemini]") {
    struct row {
        const char* what;
        std::function<void(request&)> change;
        errc code;
        const char* param;
        const char* message;
    };
    const auto with_call = [](request& r) {
        message m;
        m.role = role::assistant;
        m.content.push_back(content_block::make_tool_use("call_1", "lookup", "{}"));
        r.messages.push_back(m);
    };
    const row rows[] = {
        {"n > 1", [](request& r) { r.n = 2; }, errc::unsupported_feature, "n",
         "n: Gemini returns one candidate per request here; n must be 1"},
        {"six stop sequences", [](request& r) { r.sampler.stop = {"a", "b", "c", "d", "e", "f"}; },
         errc::unsupported_feature, "stop", "stop: Gemini accepts at most 5 stop sequences"},
        {"unknown tool result id",
         [&](request& r) {
             with_call(r);
             message m;
             m.role = role::user;
             m.content.push_back(content_block::make_text("see"));
             m.content.push_back(content_block::make_tool_result("call_9", "x"));
             r.messages.push_back(m);
         },
         errc::bad_request, "messages[2].content[1].tool_use_id",
         "messages[2].content[1]: no earlier tool call has the id 'call_9'"},
        {"arguments that are not an object",
         [](request& r) {
             message m;
             m.role = role::assistant;
             m.content.push_back(content_block::make_tool_use("c", "f", "[1,2]"));
             r.messages.push_back(m);
         },
         errc::bad_request, "messages[1].content[0].arguments",
         "messages[1].content[0]: tool call arguments are not a JSON object"},
        {"tool result in an assistant message",
         [](request& r) {
             r.messages[0].role = role::assistant;
             r.messages[0].content.push_back(content_block::make_tool_result("c", "x"));
         },
         errc::bad_request, "messages[0].content[1]",
         "messages[0].content[1]: a tool result must be in a user message"},
        {"built-in tool",
         [](request& r) {
             gateway::tool t;
             t.type = "web_search";
             r.tools.push_back(t);
         },
         errc::unsupported_feature, "tools[0]",
         "tools[0]: built-in tool 'web_search' cannot run on a Gemini upstream"},
        {"schema that is not an object",
         [](request& r) {
             gateway::tool t;
             t.name = "f";
             t.parameters = "string";
             r.tools.push_back(t);
         },
         errc::bad_request, "tools[0].parameters",
         "tools[0]: parameters must be a JSON Schema object"},
        {"tool choice naming no tool",
         [](request& r) {
             gateway::tool t;
             t.name = "f";
             r.tools.push_back(t);
             r.choice.type = gateway::tool_choice::mode::tool;
             r.choice.name = "g";
         },
         errc::bad_request, "tool_choice", "tool_choice: no tool is named 'g'"},
        {"required tool without tools",
         [](request& r) { r.choice.type = gateway::tool_choice::mode::required; },
         errc::bad_request, "tool_choice",
         "tool_choice: a tool call is required but no tools are given"},
        {"image in the system prompt",
         [](request& r) {
             content_block img;
             img.kind = block_kind::image;
             img.source.data = "https://example.com/a.png";
             r.system.push_back(img);
         },
         errc::unsupported_feature, "system[0]",
         "system[0]: Gemini's systemInstruction takes text only, not image"},
        {"base64 without media type",
         [](request& r) {
             content_block img;
             img.kind = block_kind::image;
             img.source.type = gateway::media_source::kind::base64;
             img.source.data = "AAAA";
             r.messages[0].content.push_back(img);
         },
         errc::bad_request, "messages[0].content[1].source.media_type",
         "messages[0].content[1]: the media type of base64 data is required"},
        {"another provider's file id",
         [](request& r) {
             content_block doc;
             doc.kind = block_kind::document;
             doc.source.type = gateway::media_source::kind::file_id;
             doc.source.data = "file-abc";
             r.messages[0].content.push_back(doc);
         },
         errc::unsupported_feature, "messages[0].content[1].source",
         "messages[0].content[1]: file id 'file-abc' is not a Gemini Files API file (files/…)"},
        {"previous_response_id", [](request& r) { r.previous_response_id = "resp_1"; },
         errc::unsupported_feature, "previous_response_id",
         "previous_response_id: the conversation is stored at OpenAI; only an OpenAI Responses "
         "upstream can continue it"},
        {"no messages", [](request& r) { r.messages.clear(); }, errc::bad_request, "messages",
         "messages: Gemini needs at least one user or assistant message with content"},
    };
    for (const row& r : rows) {
        INFO(r.what);
        request req;
        req.messages.push_back(user_text("hi"));
        r.change(req);
        const encoded e = encode(req, "gemini-2.5-flash");
        REQUIRE_FALSE(e.parts.has_value());
        CHECK(e.parts.error() == gateway::make_error_code(r.code));
        CHECK(e.report.error_param == r.param);
        CHECK(e.report.error_message == r.message);
    }
}

TEST_CASE("gemini request: the model name", "[gemini]") {
    request req;
    req.model = "client-name";
    req.messages.push_back(user_text("hi"));
    CHECK(encode(req, "gemini-2.5-flash").parts->path ==
          "/models/gemini-2.5-flash:generateContent");
    CHECK(encode(req, "models/gemini-2.5-flash", true).parts->path ==
          "/models/gemini-2.5-flash:streamGenerateContent?alt=sse");
    CHECK(encode(req, "tunedModels/my-model-1").parts->path ==
          "/tunedModels/my-model-1:generateContent");
    req.model = "gemini-2.0-flash";
    CHECK(encode(req, "").parts->path == "/models/gemini-2.0-flash:generateContent");
    for (const char* bad : {"../files", "gemini?key=1", "a/b", "gemini 2", "models/"}) {
        INFO(bad);
        const encoded e = encode(req, bad);
        REQUIRE_FALSE(e.parts.has_value());
        CHECK(e.parts.error() == gateway::make_error_code(errc::bad_request));
        CHECK(e.report.error_param == "model");
    }
}

TEST_CASE("gemini request: capability overrides reject or drop", "[gemini]") {
    request req;
    req.messages.push_back(user_text("hi"));
    content_block img;
    img.kind = block_kind::image;
    img.source.data = "https://example.com/cat.png";
    req.messages[0].content.push_back(img);
    req.sampler.temperature = 1.0;
    gateway::upstream::model_capabilities caps;
    caps.set("images", gateway::param_action::drop);
    encoded e = encode(req, "gemini-2.5-flash", false, &caps);
    CHECK(body_of(e).at("contents") == json::parse(R"([{"role":"user","parts":[{"text":"hi"}]}])"));
    CHECK(header(e.report) == "messages[0].content[1]=dropped");
    caps.set("temperature", gateway::param_action::reject);
    e = encode(req, "gemini-2.5-flash", false, &caps);
    REQUIRE_FALSE(e.parts.has_value());
    CHECK(e.parts.error() == gateway::make_error_code(errc::unsupported_feature));
    CHECK(e.report.error_param == "temperature");
    CHECK(e.report.error_message == "temperature is not supported by gemini-2.5-flash");
}

TEST_CASE("gemini request: tool result media is dropped and reported", "[gemini]") {
    request req;
    req.messages.push_back(user_text("hi"));
    message call;
    call.role = role::assistant;
    call.content.push_back(content_block::make_tool_use("c1", "screenshot", "{}"));
    req.messages.push_back(call);
    message result;
    result.role = role::user;
    content_block r = content_block::make_tool_result("c1", "taken");
    content_block img;
    img.kind = block_kind::image;
    img.source.type = gateway::media_source::kind::base64;
    img.source.media_type = "image/png";
    img.source.data = "iVBORw0KGgo=";
    r.content.push_back(img);
    result.content.push_back(r);
    req.messages.push_back(result);
    const encoded e = encode(req, "gemini-2.5-flash");
    CHECK(
        body_of(e).at("contents").at(2) ==
        json::parse(
            R"({"role":"user","parts":[{"functionResponse":{"id":"c1","name":"screenshot","response":{"result":"taken"}}}]})"));
    CHECK(header(e.report) == "messages[2].content[0].content[1]=dropped");
    // Gemini 2.5 does not validate signatures: no stand-in there.
    CHECK_FALSE(
        body_of(e).at("contents").at(1).at("parts").at(0).as_object().contains("thoughtSignature"));
}

TEST_CASE("gemini round trip: a decoded answer goes back with its signatures on the same parts",
          "[gemini]") {
    // Recorded: three parallel calls, only the first signed; a trailing signed empty part after
    // text (Gemini 3); a signature-only part after a call, which keeps a block of its own.
    const char* body = R"({"candidates":[{"content":{"parts":[
        {"text":"Checking."},
        {"functionCall":{"name":"a","args":{"x":1}},"thoughtSignature":"U0lHMQ=="},
        {"functionCall":{"name":"b","args":{}}},
        {"text":"","thoughtSignature":"U0lHMg=="}],"role":"model"},
        "finishReason":"STOP","index":0}],"responseId":"rid","modelVersion":"gemini-3-pro-preview"})";
    gateway::conversion_report report;
    const auto res = gateway::formats::gemini::decode_response(body, nullptr, report);
    REQUIRE(res.has_value());
    REQUIRE(res->content.size() == 4);
    CHECK(res->content[3].kind == block_kind::text);
    CHECK(res->content[3].text.empty());
    CHECK(res->content[3].signature == "U0lHMg==");

    request req;
    req.messages.push_back(user_text("Call a and b."));
    message turn;
    turn.role = role::assistant;
    turn.content = res->content;
    req.messages.push_back(turn);
    message results;
    results.content.push_back(content_block::make_tool_result(res->content[1].id, "1"));
    results.content.push_back(content_block::make_tool_result(res->content[2].id, "2"));
    req.messages.push_back(results);
    const encoded e = encode(req, "gemini-3-pro-preview");
    const json::object sent = body_of(e);
    CHECK(sent.at("contents").at(1) == json::parse(R"({"role":"model","parts":[
        {"text":"Checking."},
        {"functionCall":{"name":"a","args":{"x":1},"id":"call_rid_0"},"thoughtSignature":"U0lHMQ=="},
        {"functionCall":{"name":"b","args":{},"id":"call_rid_1"}},
        {"text":"","thoughtSignature":"U0lHMg=="}]})"));
    CHECK(sent.at("contents").at(2) == json::parse(R"({"role":"user","parts":[
        {"functionResponse":{"id":"call_rid_0","name":"a","response":{"result":"1"}}},
        {"functionResponse":{"id":"call_rid_1","name":"b","response":{"result":"2"}}}]})"));
}
