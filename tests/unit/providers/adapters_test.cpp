// Provider adapters, no network: for each provider the HTTP request it builds around an encoded
// body (URL, authentication and provider headers, body quirks) and its configuration checks.

#include <gateway/provider/profile.hpp>
#include <gateway/provider/registry.hpp>
#include <gateway/upstream/codec.hpp>

#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <string>

using namespace gateway;
using namespace gateway::provider;
namespace json = boost::json;
using upstream::upstream_format;

namespace {

const registry& builtins() {
    static const registry r = [] {
        registry out;
        register_builtin_providers(out);
        return out;
    }();
    return r;
}

const adapter& get(std::string_view id) {
    const adapter* a = builtins().find(id);
    REQUIRE(a != nullptr);
    return *a;
}

std::string header(const prepared_request& r, std::string_view name) {
    for (const auto& [n, v] : r.headers) {
        if (n == name) return v;
    }
    return "<absent>";
}

/// A one-message request, encoded the way the gateway does it for `a` on `channel`.
struct built {
    prepared_request http;
    json::object body;
    conversion_report report;
};

built build(const adapter& a, std::string_view base_url, const json::object& settings,
            std::string_view model, bool stream, const credentials& creds,
            const request* custom = nullptr) {
    request req;
    req.source_format = api_format::openai_chat;
    req.model = "client-name";
    req.messages.push_back({role::user, {content_block::make_text("Hi")}, {}, false});
    req.max_output_tokens = 100;
    const request& r = custom != nullptr ? *custom : req;

    const channel_config channel{base_url, settings};
    const upstream_format f = a.format(channel, model);
    upstream::model_capabilities caps = a.capabilities(channel, model);
    upstream::encode_options options;
    options.model = model;
    options.stream = stream;
    options.capabilities = &caps;
    a.tune(channel, options);
    built out;
    auto parts = upstream::encode_request(f, r, options, out.report);
    INFO(out.report.error_message);
    REQUIRE(parts.has_value());
    auto prepared =
        a.prepare(channel, request_target{model, stream, {}}, std::move(*parts), creds, out.report);
    INFO(out.report.error_message);
    REQUIRE(prepared.has_value());
    out.http = std::move(*prepared);
    out.body = json::parse(out.http.body).as_object();
    return out;
}

const json::object no_settings;

credentials with_key(std::string_view key, std::string_view token = {},
                     std::string_view project = {}) {
    credentials c;
    c.key = key;
    c.access_token = token;
    c.project = project;
    return c;
}

}  // namespace

TEST_CASE("the registry holds every built-in provider once", "[providers]") {
    for (const char* id :
         {"openai",     "azure",     "anthropic",  "gemini",      "vertex",   "deepseek",
          "openrouter", "xai",       "groq",       "mistral",     "moonshot", "zhipu",
          "together",   "fireworks", "perplexity", "siliconflow", "ollama",   "vllm",
          "lmstudio",   "custom",    "cohere",     "bedrock"}) {
        INFO(id);
        CHECK(builtins().find(id) != nullptr);
    }
    const auto ids = builtins().ids();
    for (auto id : ids) CHECK(std::count(ids.begin(), ids.end(), id) == 1);
    CHECK(builtins().find("openia") == nullptr);

    // A configured row replaces a built-in one of the same id.
    registry r;
    register_builtin_providers(r);
    compatible_profile mine;
    mine.id = "deepseek";
    mine.default_base_url = "https://deepseek.internal/v1";
    r.add(make_compatible_adapter(mine));
    CHECK(r.ids().size() == ids.size());
    auto b = build(*r.find("deepseek"), {}, no_settings, "deepseek-chat", false, with_key("sk-x"));
    CHECK(b.http.url == "https://deepseek.internal/v1/chat/completions");
}

TEST_CASE("openai: default address, version prefix, bearer key, organization and project",
          "[providers]") {
    const adapter& openai = get("openai");
    auto b = build(openai, {}, no_settings, "gpt-4o", false, with_key("sk-test"));
    CHECK(b.http.url == "https://api.openai.com/v1/chat/completions");
    CHECK(header(b.http, "Authorization") == "Bearer sk-test");
    CHECK(header(b.http, "Content-Type") == "application/json");
    CHECK(b.body.at("model") == "gpt-4o");

    // A base URL with or without /v1 is the same API.
    CHECK(
        build(openai, "http://127.0.0.1:9", no_settings, "gpt-4o", false, with_key("k")).http.url ==
        "http://127.0.0.1:9/v1/chat/completions");
    CHECK(build(openai, "http://127.0.0.1:9/v1/", no_settings, "gpt-4o", false, with_key("k"))
              .http.url == "http://127.0.0.1:9/v1/chat/completions");

    const json::object settings =
        json::parse(
            R"({"upstream_format":"openai_responses","organization":"org-1","project":"proj_2"})")
            .as_object();
    CHECK(openai.check({{}, settings}).empty());
    auto r = build(openai, {}, settings, "o3", true, with_key("sk-test"));
    CHECK(r.http.url == "https://api.openai.com/v1/responses");
    CHECK(header(r.http, "OpenAI-Organization") == "org-1");
    CHECK(header(r.http, "OpenAI-Project") == "proj_2");
    CHECK(r.body.at("stream") == true);
    CHECK(r.body.contains("input"));

    // Reasoning models follow OpenAI's rules on OpenAI only.
    auto o3 = build(openai, {}, no_settings, "o3", false, with_key("k"));
    CHECK(o3.body.contains("max_completion_tokens"));
    CHECK(!o3.body.contains("max_tokens"));

    CHECK(openai.check({{}, json::parse(R"({"region":"x"})").as_object()}) ==
          "unknown key settings.region for type openai");
    CHECK(openai.check({{}, json::parse(R"({"upstream_format":"gemini"})").as_object()}) ==
          "settings.upstream_format must be openai_chat or openai_responses for type openai");
}

TEST_CASE("OpenAI-compatible rows: addresses and quirks as data", "[providers]") {
    SECTION("addresses") {
        struct expect {
            const char* id;
            const char* url;
        };
        for (const auto& [id, url] : {
                 expect{"deepseek", "https://api.deepseek.com/v1/chat/completions"},
                 expect{"openrouter", "https://openrouter.ai/api/v1/chat/completions"},
                 expect{"xai", "https://api.x.ai/v1/chat/completions"},
                 expect{"groq", "https://api.groq.com/openai/v1/chat/completions"},
                 expect{"mistral", "https://api.mistral.ai/v1/chat/completions"},
                 expect{"moonshot", "https://api.moonshot.ai/v1/chat/completions"},
                 expect{"zhipu", "https://open.bigmodel.cn/api/paas/v4/chat/completions"},
                 expect{"together", "https://api.together.xyz/v1/chat/completions"},
                 expect{"fireworks", "https://api.fireworks.ai/inference/v1/chat/completions"},
                 expect{"perplexity", "https://api.perplexity.ai/chat/completions"},
                 expect{"siliconflow", "https://api.siliconflow.cn/v1/chat/completions"},
                 expect{"ollama", "http://127.0.0.1:11434/v1/chat/completions"},
                 expect{"vllm", "http://127.0.0.1:8000/v1/chat/completions"},
                 expect{"lmstudio", "http://127.0.0.1:1234/v1/chat/completions"},
             }) {
            INFO(id);
            CHECK(build(get(id), {}, no_settings, "m", false, with_key("k")).http.url == url);
        }
        // Groq's version path is added to a bare host like /v1 is for others.
        CHECK(build(get("groq"), "https://groq.example", no_settings, "m", false, with_key("k"))
                  .http.url == "https://groq.example/openai/v1/chat/completions");
        CHECK(get("custom").check({{}, no_settings}) == "base_url is required for type custom");
        CHECK(build(get("custom"), "http://10.0.0.2:8080", no_settings, "m", false, with_key({}))
                  .http.url == "http://10.0.0.2:8080/v1/chat/completions");
    }
    SECTION("local servers need no key and get no Authorization header") {
        CHECK(get("ollama").auth() == auth_kind::none);
        auto b = build(get("ollama"), {}, no_settings, "llama3", false, with_key({}));
        CHECK(header(b.http, "Authorization") == "<absent>");
    }
    SECTION("mistral: random_seed, no OpenAI-only fields, no stream_options") {
        request req;
        req.source_format = api_format::openai_chat;
        req.messages.push_back({role::user, {content_block::make_text("Hi")}, {}, false});
        req.sampler.seed = 42;
        req.user = "u-1";
        req.store = true;
        auto b = build(get("mistral"), {}, no_settings, "mistral-large-latest", true, with_key("k"),
                       &req);
        CHECK(b.body.at("random_seed") == 42);
        CHECK(!b.body.contains("seed"));
        CHECK(!b.body.contains("user"));
        CHECK(!b.body.contains("store"));
        CHECK(!b.body.contains("stream_options"));
        CHECK(b.body.at("stream") == true);
        CHECK(b.report.header_value().find("user=dropped") != std::string::npos);
    }
    SECTION("groq refuses logprobs, which changes the answer: a 400 naming it") {
        request req;
        req.source_format = api_format::openai_chat;
        req.messages.push_back({role::user, {content_block::make_text("Hi")}, {}, false});
        req.extra["logprobs"] = true;
        const channel_config channel{{}, no_settings};
        auto caps = get("groq").capabilities(channel, "llama-3.3-70b-versatile");
        upstream::encode_options options;
        options.model = "llama-3.3-70b-versatile";
        options.capabilities = &caps;
        conversion_report report;
        CHECK(!upstream::encode_request(upstream_format::openai_chat, req, options, report));
        CHECK(report.error_param == "logprobs");
        // Its reasoning models take reasoning_effort, other models do not get it.
        CHECK(get("groq").capabilities(channel, "openai/gpt-oss-120b").action("reasoning") ==
              param_action::pass);
        CHECK(get("groq")
                  .capabilities(channel, "llama-3.3-70b")
                  .action("reasoning", param_action::drop) == param_action::drop);
    }
    SECTION("openrouter: routing preferences and attribution from the channel settings") {
        const json::object settings =
            json::parse(R"({"provider":{"sort":"price","allow_fallbacks":false},)"
                        R"("referer":"https://example.com","title":"My App"})")
                .as_object();
        CHECK(get("openrouter").check({{}, settings}).empty());
        auto b = build(get("openrouter"), {}, settings, "anthropic/claude-sonnet-4.5", false,
                       with_key("sk-or"));
        CHECK(b.body.at("provider") == json::parse(R"({"sort":"price","allow_fallbacks":false})"));
        CHECK(header(b.http, "HTTP-Referer") == "https://example.com");
        CHECK(header(b.http, "X-Title") == "My App");
        CHECK(header(b.http, "Authorization") == "Bearer sk-or");
    }
    SECTION("a new service is a few lines of data") {
        compatible_profile acme;
        acme.id = "acme";
        acme.default_base_url = "https://llm.acme.test/api/v2";
        acme.params = {{"seed", param_action::drop}};
        acme.renames = {{"max_tokens", "max_new_tokens"}};
        acme.headers = {{"X-Acme-Tenant", "blue"}};
        const auto a = make_compatible_adapter(acme);
        request req;
        req.source_format = api_format::openai_chat;
        req.messages.push_back({role::user, {content_block::make_text("Hi")}, {}, false});
        req.sampler.seed = 1;
        req.max_output_tokens = 64;
        auto b = build(*a, {}, no_settings, "acme-1", false, with_key("k"), &req);
        CHECK(b.http.url == "https://llm.acme.test/api/v2/chat/completions");
        CHECK(b.body.at("max_new_tokens") == 64);
        CHECK(!b.body.contains("seed"));
        CHECK(header(b.http, "X-Acme-Tenant") == "blue");
    }
}

TEST_CASE("azure: deployment URLs, api-version and the api-key header", "[providers]") {
    const adapter& azure = get("azure");
    CHECK(azure.check({{}, no_settings}).starts_with("base_url is required for type azure"));
    const std::string base = "https://my-res.openai.azure.com";
    auto chat = build(azure, base, no_settings, "gpt4o-prod", true, with_key("azure-key"));
    CHECK(chat.http.url ==
          "https://my-res.openai.azure.com/openai/deployments/gpt4o-prod/"
          "chat/completions?api-version=2024-10-21");
    CHECK(header(chat.http, "api-key") == "azure-key");
    CHECK(header(chat.http, "Authorization") == "<absent>");

    const json::object settings =
        json::parse(R"({"api_version":"2025-04-01-preview"})").as_object();
    CHECK(azure.check({base, settings}).empty());
    CHECK(build(azure, base, settings, "d", false, with_key("k")).http.url ==
          base + "/openai/deployments/d/chat/completions?api-version=2025-04-01-preview");

    const json::object responses =
        json::parse(R"({"upstream_format":"openai_responses"})").as_object();
    auto r = build(azure, base, responses, "gpt5-deploy", false, with_key("k"));
    CHECK(r.http.url == base + "/openai/v1/responses");
    CHECK(r.body.at("model") == "gpt5-deploy");

    // A deployment name must not change the URL's target.
    const channel_config channel{base, no_settings};
    conversion_report report;
    upstream::http_request_parts parts;
    parts.path = "/chat/completions";
    CHECK(!azure.prepare(channel, {"../admin?x=", false, {}}, parts, with_key("k"), report));
    CHECK(report.error_param == "model");
    CHECK(azure.check({base, json::parse(R"({"api_version":""})").as_object()}) ==
          "settings.api_version must be a non-empty string");
}

TEST_CASE("anthropic: x-api-key, anthropic-version, betas from client and channel", "[providers]") {
    const adapter& anthropic = get("anthropic");
    const json::object settings =
        json::parse(R"({"beta":["prompt-caching-2024-07-31","context-1m-2025-08-07"]})")
            .as_object();
    CHECK(anthropic.check({{}, settings}).empty());
    const channel_config channel{{}, settings};
    request req;
    req.source_format = api_format::openai_chat;
    req.messages.push_back({role::user, {content_block::make_text("Hi")}, {}, false});
    upstream::encode_options options;
    options.model = "claude-sonnet-4-5";
    conversion_report report;
    auto parts =
        upstream::encode_request(upstream_format::anthropic_messages, req, options, report);
    REQUIRE(parts.has_value());
    auto out = anthropic.prepare(
        channel, {"claude-sonnet-4-5", false, "context-1m-2025-08-07, files-api-2025-04-14"},
        std::move(*parts), with_key("sk-ant"), report);
    REQUIRE(out.has_value());
    CHECK(out->url == "https://api.anthropic.com/v1/messages");
    CHECK(header(*out, "x-api-key") == "sk-ant");
    CHECK(header(*out, "anthropic-version") == "2023-06-01");
    CHECK(header(*out, "anthropic-beta") ==
          "context-1m-2025-08-07,files-api-2025-04-14,prompt-caching-2024-07-31");
    CHECK(header(*out, "Authorization") == "<absent>");
    CHECK(anthropic.check({{}, json::parse(R"({"beta":7})").as_object()}) ==
          "settings.beta must be a string or an array of strings");
}

TEST_CASE("gemini: x-goog-api-key and the model in the path", "[providers]") {
    auto b = build(get("gemini"), {}, no_settings, "gemini-2.5-flash", true, with_key("AIza-k"));
    CHECK(b.http.url ==
          "https://generativelanguage.googleapis.com/v1beta/models/"
          "gemini-2.5-flash:streamGenerateContent?alt=sse");
    CHECK(header(b.http, "x-goog-api-key") == "AIza-k");
    CHECK(b.http.url.find("key=") == std::string::npos);  // the key never goes into the URL
    CHECK(build(get("gemini"), "http://127.0.0.1:7", no_settings, "gemini-2.5-pro", false,
                with_key("k"))
              .http.url == "http://127.0.0.1:7/v1beta/models/gemini-2.5-pro:generateContent");
}

TEST_CASE("cohere: native v2 with a bearer key, or the compatibility endpoint", "[providers]") {
    const adapter& cohere = get("cohere");
    CHECK(cohere.auth() == auth_kind::api_key);
    CHECK(cohere.format({{}, no_settings}, "command-a-03-2025") == upstream_format::cohere_chat);
    auto b = build(cohere, {}, no_settings, "command-a-03-2025", true, with_key("co-key"));
    CHECK(b.http.url == "https://api.cohere.com/v2/chat");
    CHECK(header(b.http, "Authorization") == "Bearer co-key");
    CHECK(header(b.http, "Content-Type") == "application/json");
    CHECK(header(b.http, "X-Client-Name") == "<absent>");
    CHECK(b.body.at("model") == "command-a-03-2025");
    CHECK(b.body.at("stream") == true);
    CHECK(b.body.at("max_tokens") == 100);
    // A base URL with or without the version; the channel's project name for Cohere's dashboard.
    const json::object named = json::parse(R"({"client_name":"gatewayd-prod"})").as_object();
    CHECK(cohere.check({{}, named}).empty());
    auto local =
        build(cohere, "http://127.0.0.1:7/", named, "command-r7b-12-2024", false, with_key("k"));
    CHECK(local.http.url == "http://127.0.0.1:7/v2/chat");
    CHECK(header(local.http, "X-Client-Name") == "gatewayd-prod");
    CHECK(build(cohere, "https://cohere.internal/v2", no_settings, "m", false, with_key("k"))
              .http.url == "https://cohere.internal/v2/chat");
    // The OpenAI-compatible endpoint on request.
    const json::object compat = json::parse(R"({"upstream_format":"openai_chat"})").as_object();
    CHECK(cohere.check({{}, compat}).empty());
    auto c = build(cohere, {}, compat, "command-a-03-2025", false, with_key("k"));
    CHECK(c.http.url == "https://api.cohere.com/compatibility/v1/chat/completions");
    CHECK(header(c.http, "Authorization") == "Bearer k");
    CHECK(c.body.contains("messages"));
    // Configuration mistakes name the setting.
    CHECK(cohere.check({{}, json::parse(R"({"upstream_format":"gemini"})").as_object()}) ==
          "settings.upstream_format must be cohere_chat or openai_chat for type cohere");
    CHECK(cohere.check({{}, json::parse(R"({"client_name":3})").as_object()}) ==
          "settings.client_name must be a string");
    CHECK(cohere.check({{}, json::parse(R"({"region":"eu"})").as_object()}) ==
          "unknown key settings.region");
}

TEST_CASE("vertex: regional and global hosts, Gemini and Claude paths, OAuth bearer",
          "[providers]") {
    const adapter& vertex = get("vertex");
    CHECK(vertex.auth() == auth_kind::google_oauth);
    const json::object regional =
        json::parse(R"({"project":"my-proj","region":"europe-west4"})").as_object();
    CHECK(vertex.check({{}, regional}).empty());
    const credentials creds = with_key("<service-account json>", "ya29.token", "key-project");

    auto g = build(vertex, {}, regional, "gemini-2.5-pro", true, creds);
    CHECK(g.http.url ==
          "https://europe-west4-aiplatform.googleapis.com/v1/projects/my-proj/locations/"
          "europe-west4/publishers/google/models/gemini-2.5-pro:streamGenerateContent?alt=sse");
    CHECK(header(g.http, "Authorization") == "Bearer ya29.token");
    CHECK(g.body.contains("contents"));

    // The global location, and the project of the key when the channel names none.
    const json::object global = json::parse(R"({"region":"global"})").as_object();
    auto c = build(vertex, {}, global, "claude-sonnet-4-5@20250929", false, creds);
    CHECK(c.http.url ==
          "https://aiplatform.googleapis.com/v1/projects/key-project/locations/"
          "global/publishers/anthropic/models/claude-sonnet-4-5@20250929:rawPredict");
    CHECK(!c.body.contains("model"));
    CHECK(c.body.at("anthropic_version") == "vertex-2023-10-16");
    CHECK(c.body.contains("max_tokens"));
    CHECK(header(c.http, "anthropic-version") == "<absent>");
    CHECK(build(vertex, {}, global, "claude-opus-4-1", true, creds)
              .http.url.ends_with("/publishers/anthropic/models/claude-opus-4-1:streamRawPredict"));

    const channel_config channel{{}, no_settings};
    conversion_report report;
    upstream::http_request_parts parts;
    CHECK(!vertex.prepare(channel, {"gemini-2.5-pro", false, {}}, parts, {"k", "token", {}, {}},
                          report));
    CHECK(report.error_message.find("names no project") != std::string::npos);
    CHECK(!vertex.prepare(channel, {"gemini/../../x", false, {}}, parts, creds, report));
    CHECK(vertex.check({{}, json::parse(R"({"region":"Europe West"})").as_object()})
              .starts_with("settings.region must be"));
}

TEST_CASE("bedrock: regional URL, SigV4 headers, session token, API keys, cross-region profiles",
          "[providers][bedrock]") {
    const adapter& bedrock = get("bedrock");
    CHECK(bedrock.auth() == auth_kind::aws_sigv4);
    const json::object settings{{"region", "us-east-1"}};
    credentials creds = with_key("AKIDEXAMPLE:wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
    using namespace std::chrono;
    creds.now = sys_days{year{2015} / 8 / 30} + hours{12} + minutes{36};

    auto b =
        build(bedrock, {}, settings, "anthropic.claude-3-5-sonnet-20240620-v1:0", false, creds);
    CHECK(b.http.url ==
          "https://bedrock-runtime.us-east-1.amazonaws.com/model/"
          "anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse");
    const std::string auth = header(b.http, "Authorization");
    CHECK(
        auth.starts_with("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/bedrock/"
                         "aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature="));
    CHECK(auth.size() == auth.find("Signature=") + 10 + 64);
    CHECK(header(b.http, "X-Amz-Date") == "20150830T123600Z");
    CHECK(header(b.http, "X-Amz-Security-Token") == "<absent>");
    CHECK(auth.find("wJalrXUtnFEMI") == std::string::npos);  // never the secret
    CHECK(b.body.at("messages").at(0).at("content").at(0).at("text") == "Hi");

    // The same request signed at another time, or another body, gets another signature.
    credentials later = creds;
    later.now += seconds{1};
    auto c =
        build(bedrock, {}, settings, "anthropic.claude-3-5-sonnet-20240620-v1:0", false, later);
    CHECK(header(c.http, "Authorization") != auth);

    credentials session =
        with_key("ASIAEXAMPLE:wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY:FwoGZXIvYXdzEXAMPLE==");
    session.now = creds.now;
    auto s = build(bedrock, {}, settings, "amazon.nova-pro-v1:0", true, session);
    CHECK(s.http.url.ends_with("/model/amazon.nova-pro-v1%3A0/converse-stream"));
    CHECK(header(s.http, "X-Amz-Security-Token") == "FwoGZXIvYXdzEXAMPLE==");
    CHECK(header(s.http, "Authorization")
              .find("SignedHeaders=accept;content-type;host;x-amz-date;"
                    "x-amz-security-token") != std::string::npos);

    // Bedrock API keys are bearer tokens.
    auto k = build(bedrock, {}, settings, "amazon.nova-pro-v1:0", false,
                   with_key("ABSKQmVkcm9ja0FQSUtleS1example"));
    CHECK(header(k.http, "Authorization") == "Bearer ABSKQmVkcm9ja0FQSUtleS1example");
    CHECK(header(k.http, "X-Amz-Date") == "<absent>");

    // Cross-region inference profiles, unless the id already is one; a configured base URL.
    const json::object eu{{"region", "eu-west-1"}, {"cross_region", "eu"}};
    auto p = build(bedrock, {}, eu, "anthropic.claude-sonnet-4-20250514-v1:0", false, creds);
    CHECK(p.http.url ==
          "https://bedrock-runtime.eu-west-1.amazonaws.com/model/"
          "eu.anthropic.claude-sonnet-4-20250514-v1%3A0/converse");
    CHECK(header(p.http, "Authorization").find("/eu-west-1/bedrock/aws4_request") !=
          std::string::npos);
    auto q = build(bedrock, "http://127.0.0.1:9/", eu, "global.anthropic.claude-sonnet-4-5-v1:0",
                   false, creds);
    CHECK(q.http.url ==
          "http://127.0.0.1:9/model/global.anthropic.claude-sonnet-4-5-v1%3A0/converse");

    // Configuration checks name the setting.
    const json::object none;
    CHECK(bedrock.check({{}, none}).find("settings.region") != std::string::npos);
    const json::object bad_region{{"region", "US East"}};
    CHECK(bedrock.check({{}, bad_region}).find("settings.region") != std::string::npos);
    const json::object bad_prefix{{"region", "us-east-1"}, {"cross_region", "mars"}};
    CHECK(bedrock.check({{}, bad_prefix}).find("settings.cross_region") != std::string::npos);
    const json::object gov{{"region", "us-gov-west-1"}, {"cross_region", "us-gov"}};
    CHECK(bedrock.check({{}, gov}).empty());
    const json::object unknown{{"region", "us-east-1"}, {"zone", "a"}};
    CHECK(bedrock.check({{}, unknown}).find("settings.zone") != std::string::npos);

    // A malformed AWS key fails without quoting it.
    const channel_config channel{{}, settings};
    upstream::http_request_parts parts;
    parts.body = "{}";
    conversion_report report;
    auto bad = bedrock.prepare(channel, request_target{"amazon.nova-pro-v1:0", false, {}}, parts,
                               with_key("AKID::secretpart"), report);
    REQUIRE_FALSE(bad.has_value());
    CHECK(report.error_message.find("secretpart") == std::string::npos);
    CHECK(report.error_message.find("ACCESS_KEY_ID:SECRET") != std::string::npos);
}
