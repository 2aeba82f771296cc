// End-to-end provider behaviour through the real gatewayd: Vertex AI's OAuth flow (a token
// fetched with a signed service-account assertion, cached, refreshed after a 401), Azure's
// deployment URLs and api-key, a provider declared as data in the configuration, and per-channel
// deadlines.

#include "e2e/gatewayd_process.hpp"
#include "support/fake_upstream.hpp"
#include "support/fixtures.hpp"
#include "support/golden.hpp"
#include "support/google_keys.hpp"
#include "support/test_client.hpp"

#include <gateway/storage/store.hpp>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <atomic>
#include <mutex>

using namespace gateway::test;
namespace json = boost::json;
namespace http = boost::beast::http;
using namespace std::chrono_literals;

namespace {

constexpr const char* relay_key = "sk-providers-e2e-key-0123";

std::vector<std::pair<std::string, std::string>> bearer() {
    return {{"Authorization", std::string("Bearer ") + relay_key}};
}

std::string chat_request(std::string_view model) {
    return R"({"model":")" + std::string(model) +
           R"(","messages":[{"role":"user","content":"What is the capital of France?"}]})";
}

std::string config_with(const std::string& channels, const std::string& extra = {}) {
    return R"({
  "server": {"port": 0, "threads": 1, "shutdown_timeout_ms": 5000},
  "sqlite_path": "@DIR@/gatewayd.db",
  "log_level": "warn",)" +
           extra + R"(
  "channels": [)" +
           channels + R"(],
  "tokens": [{"name": "e2e", "key": ")" +
           relay_key + R"("}]
})";
}

/// The form field `name` of an `application/x-www-form-urlencoded` body (JWTs need no decoding).
std::string form_field(std::string_view body, std::string_view name) {
    const std::string key = std::string(name) + "=";
    const std::size_t at = body.find(key);
    if (at == std::string_view::npos) return {};
    const std::size_t end = body.find('&', at);
    return std::string(body.substr(at + key.size(), end == std::string_view::npos
                                                        ? std::string_view::npos
                                                        : end - at - key.size()));
}

struct google_key {
    pkey_ptr key = make_rsa_key();
    std::string pem = pkcs8_pem(key.get());
};

google_key& shared_key() {
    static google_key k;  // RSA generation is slow: one key for the binary
    return k;
}

}  // namespace

TEST_CASE("vertex: a signed assertion buys a token, reused until Google refuses it",
          "[e2e][providers]") {
    std::mutex m;
    int token_requests = 0;
    std::string last_assertion_error;
    std::atomic<int> model_calls{0};
    std::atomic<bool> refuse_next{false};
    fake_upstream upstream{[&](const recorded_request& r) -> scripted_response {
        if (r.target == "/token") {
            // What Google's token endpoint checks: the grant type and a valid RS256 JWT.
            std::lock_guard lock(m);
            ++token_requests;
            const std::string assertion = form_field(r.body, "assertion");
            const auto parts = split_jwt(assertion);
            if (form_field(r.body, "grant_type") !=
                    "urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer" ||
                parts.size() != 3 ||
                !verify_rs256(shared_key().key.get(), parts[0] + "." + parts[1],
                              base64url_decode(parts[2]))) {
                return json_response(400, R"({"error":"invalid_grant"})");
            }
            const auto claims = json::parse(base64url_decode(parts[1])).as_object();
            if (claims.at("scope") != "https://www.googleapis.com/auth/cloud-platform") {
                return json_response(400, R"({"error":"invalid_scope"})");
            }
            return json_response(200, R"({"access_token":"ya29.token-)" +
                                          std::to_string(token_requests) +
                                          R"(","expires_in":3599,"token_type":"Bearer"})");
        }
        ++model_calls;
        if (refuse_next.exchange(false)) {
            return json_response(
                401,
                R"({"error":{"code":401,"message":"Request had invalid authentication credentials.","status":"UNAUTHENTICATED"}})");
        }
        if (r.target.find("/publishers/anthropic/") != std::string::npos) {
            return json_response(200,
                                 read_golden("anthropic_messages/response-text/upstream.json"));
        }
        return json_response(200, read_golden("gemini/response-text/upstream.json"));
    }};
    const std::string key_file =
        json::serialize(account_json(shared_key().pem, upstream.base_url() + "/token", "key-proj"));
    json::string escaped(key_file);
    const std::string channel = R"({"name": "vertex", "type": "vertex", "base_url": ")" +
                                upstream.base_url() + R"(", "key": )" + json::serialize(escaped) +
                                R"(, "models": ["gemini-2.5-flash", "claude-sonnet-4-5@20250929"],
       "settings": {"region": "europe-west4"}})";
    gatewayd_process gw{config_with(channel)};

    auto first = http_call(gw.port(), http::verb::post, "/v1/chat/completions",
                           chat_request("gemini-2.5-flash"), bearer());
    REQUIRE(first.status == 200);
    auto second = http_call(gw.port(), http::verb::post, "/v1/chat/completions",
                            chat_request("claude-sonnet-4-5@20250929"), bearer());
    REQUIRE(second.status == 200);
    CHECK(json::parse(second.body).at("choices").at(0).at("message").at("content").as_string() ==
          "Hello! I'm doing well, thanks for asking. How are you doing today? Is there "
          "anything I can help you with?");

    auto seen = upstream.requests();
    REQUIRE(seen.size() == 3);  // one token, two model calls: the token was reused
    CHECK(seen[1].target ==
          "/v1/projects/key-proj/locations/europe-west4/publishers/google/"
          "models/gemini-2.5-flash:generateContent");
    CHECK(seen[1].headers[http::field::authorization] == "Bearer ya29.token-1");
    CHECK(seen[2].target ==
          "/v1/projects/key-proj/locations/europe-west4/publishers/anthropic/"
          "models/claude-sonnet-4-5@20250929:rawPredict");
    CHECK(seen[2].headers[http::field::authorization] == "Bearer ya29.token-1");
    const auto claude_body = json::parse(seen[2].body).as_object();
    CHECK(claude_body.at("anthropic_version") == "vertex-2023-10-16");
    CHECK(!claude_body.contains("model"));
    CHECK(seen[2].headers["anthropic-version"].empty());

    // Google refuses the token: the client's own key was fine, so it sees a gateway-side 502 (not
    // a 401 that would tell it to fix its key); the next request fetches a new token.
    refuse_next = true;
    auto refused = http_call(gw.port(), http::verb::post, "/v1/chat/completions",
                             chat_request("gemini-2.5-flash"), bearer());
    CHECK(refused.status == 502);
    auto again = http_call(gw.port(), http::verb::post, "/v1/chat/completions",
                           chat_request("gemini-2.5-flash"), bearer());
    CHECK(again.status == 200);
    seen = upstream.requests();
    REQUIRE(seen.size() == 6);
    CHECK(seen[4].target == "/token");
    CHECK(seen[5].headers[http::field::authorization] == "Bearer ya29.token-2");
    // The key never leaves the gateway: not in a URL, a header or gatewayd's output.
    for (const auto& r : seen) CHECK(r.body.find("PRIVATE KEY") == std::string::npos);
    CHECK(gw.output().find("PRIVATE KEY") == std::string::npos);
}

TEST_CASE("vertex: a key Google rejects is a 502 that does not leak the key", "[e2e][providers]") {
    fake_upstream upstream{[](const recorded_request& r) -> scripted_response {
        if (r.target == "/token") {
            return json_response(
                400, R"({"error":"invalid_grant","error_description":"Invalid JWT Signature."})");
        }
        return json_response(500, "{}");
    }};
    const std::string key_file =
        json::serialize(account_json(shared_key().pem, upstream.base_url() + "/token"));
    json::string escaped(key_file);
    gatewayd_process gw{config_with(
        R"({"name": "vertex", "type": "vertex", "base_url": ")" + upstream.base_url() +
        R"(", "key": )" + json::serialize(escaped) + R"(, "models": ["gemini-2.5-pro"]})")};
    auto res = http_call(gw.port(), http::verb::post, "/v1/chat/completions",
                         chat_request("gemini-2.5-pro"), bearer());
    CHECK(res.status == 502);
    CHECK(res.body.find("could not authenticate") != std::string::npos);
    CHECK(res.body.find("PRIVATE") == std::string::npos);
    CHECK(upstream.requests().size() == 1);  // the model was never called without a token
}

TEST_CASE("azure: deployment URL, api-version and api-key through gatewayd", "[e2e][providers]") {
    fake_upstream upstream{[](const recorded_request&) {
        return json_response(200, read_fixture("openai_chat/text.json"));
    }};
    gatewayd_process gw{config_with(R"({"name": "azure", "type": "azure", "base_url": ")" +
                                    upstream.base_url() +
                                    R"(", "key": "azure-secret-key", "models": ["gpt-4o"],
       "model_mapping": {"gpt-4o": "prod-gpt4o"}, "settings": {"api_version": "2024-10-21"}})")};
    auto res = http_call(gw.port(), http::verb::post, "/v1/chat/completions",
                         chat_request("gpt-4o"), bearer());
    REQUIRE(res.status == 200);
    CHECK(json::parse(res.body).at("model") == "gpt-4o");
    auto seen = upstream.requests();
    REQUIRE(seen.size() == 1);
    CHECK(seen[0].target ==
          "/openai/deployments/prod-gpt4o/chat/completions?api-version=2024-10-21");
    CHECK(seen[0].headers["api-key"] == "azure-secret-key");
    CHECK(seen[0].headers[http::field::authorization].empty());
}

TEST_CASE("azure: content-filter annotations through a conversion", "[e2e][providers]") {
    fake_upstream upstream{[](const recorded_request& r) {
        if (r.body.find(R"("stream":true)") != std::string::npos) {
            return sse_response(read_fixture("azure/text-stream.sse"));
        }
        return json_response(200, read_fixture("azure/content-filter.json"));
    }};
    gatewayd_process gw{config_with(R"({"name": "azure", "type": "azure", "base_url": ")" +
                                    upstream.base_url() +
                                    R"(", "key": "azure-secret-key", "models": ["gpt-4o"]})")};
    const std::vector<std::pair<std::string, std::string>> claude_headers{
        {"x-api-key", relay_key}, {"anthropic-version", "2023-06-01"}};
    const std::string claude_body =
        R"({"model":"gpt-4o","max_tokens":64,"messages":[{"role":"user","content":"Hi"}])";

    SECTION("stream: the annotation-only first chunk opens nothing, the message is the model's") {
        auto res = http_call(gw.port(), http::verb::post, "/v1/messages",
                             claude_body + R"(,"stream":true})", claude_headers);
        REQUIRE(res.status == 200);
        auto events = sse_events(res.body);
        REQUIRE(events.size() >= 5);
        CHECK(events.front().first == "message_start");
        CHECK(events.back().first == "message_stop");
        std::string text;
        int text_blocks = 0;
        for (const auto& [name, data] : events) {
            auto o = json::parse(data).as_object();
            if (name == "message_start") {
                CHECK(o.at("message").at("id").as_string().starts_with("msg_"));
                CHECK(o.at("message").at("model") == "gpt-4o");
            }
            if (name == "content_block_start") ++text_blocks;
            if (name == "content_block_delta") text += o.at("delta").at("text").as_string();
            if (name == "message_delta") {
                CHECK(o.at("delta").at("stop_reason") == "end_turn");
                CHECK(o.at("usage").at("output_tokens") == 8);
            }
        }
        CHECK(text_blocks == 1);
        CHECK(text == "The capital of France is Paris.");
    }
    SECTION("non-stream: a completion cut by the filter is a refusal to a Claude client") {
        auto res = http_call(gw.port(), http::verb::post, "/v1/messages", claude_body + "}",
                             claude_headers);
        REQUIRE(res.status == 200);
        auto msg = json::parse(res.body).as_object();
        CHECK(msg.at("stop_reason") == "refusal");
        CHECK(msg.at("content").at(0).at("text") == "The duel ended when");
        CHECK(msg.at("usage").at("input_tokens") == 18);
    }
    SECTION("pass-through: a Chat client gets Azure's chunks as they are") {
        auto res = http_call(
            gw.port(), http::verb::post, "/v1/chat/completions",
            R"({"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"Hi"}]})",
            bearer());
        REQUIRE(res.status == 200);
        CHECK(res.body.find(R"("prompt_filter_results")") != std::string::npos);
        CHECK(res.body.find(R"("content_filter_offsets")") != std::string::npos);
        CHECK(res.body.ends_with("data: [DONE]\n\n"));
    }
}

TEST_CASE("a provider declared as data in the configuration", "[e2e][providers]") {
    fake_upstream upstream{[](const recorded_request&) {
        return json_response(200, read_fixture("openai_chat/text.json"));
    }};
    const std::string providers = R"(
  "providers": [{"id": "acme", "base_url": ")" +
                                  upstream.base_url() +
                                  R"(/api/v2", "renames": {"seed": "random_seed"},
                 "params": {"temperature": "drop"}, "headers": {"X-Acme-Tenant": "blue"}}],)";
    gatewayd_process gw{config_with(
        R"({"name": "acme", "type": "acme", "key": "acme-key", "models": ["acme-large"]})",
        providers)};
    auto res = http_call(gw.port(), http::verb::post, "/v1/chat/completions",
                         R"({"model":"acme-large","seed":7,"temperature":0.3,)"
                         R"("messages":[{"role":"user","content":"Hi"}]})",
                         bearer());
    REQUIRE(res.status == 200);
    auto seen = upstream.requests();
    REQUIRE(seen.size() == 1);
    CHECK(seen[0].target == "/api/v2/chat/completions");
    CHECK(seen[0].headers["X-Acme-Tenant"] == "blue");
    CHECK(seen[0].headers[http::field::authorization] == "Bearer acme-key");
    const auto body = json::parse(seen[0].body).as_object();
    CHECK(body.at("random_seed") == 7);
    CHECK(!body.contains("seed"));
    CHECK(!body.contains("temperature"));
}

TEST_CASE("a channel's own first-byte deadline", "[e2e][providers]") {
    fake_upstream upstream{[](const recorded_request&) {
        auto slow = json_response(200, read_fixture("openai_chat/text.json"));
        slow.delay_before_headers = 3s;
        return slow;
    }};
    gatewayd_process gw{config_with(R"({"name": "slow", "type": "openai", "base_url": ")" +
                                    upstream.base_url() + R"(", "key": "k", "models": ["gpt-4o"],
       "settings": {"timeouts": {"first_byte_ms": 300}}})")};
    const auto start = std::chrono::steady_clock::now();
    auto res = http_call(gw.port(), http::verb::post, "/v1/chat/completions",
                         chat_request("gpt-4o"), bearer());
    const auto took = std::chrono::steady_clock::now() - start;
    CHECK(res.status == 504);
    // Not a speed test: the upstream needs 3 s, so an answer well before shows the deadline.
    CHECK(took < 2500ms);
}

namespace {

/// A loopback Cohere: checks that what arrives is a v2 chat request (Cohere answers 400 to
/// Chat Completions names such as `top_p` or `stop`), then answers in the v2 wire format from
/// the golden files, streamed or not, with tool calls when the request has tools.
scripted_response fake_cohere(const recorded_request& r) {
    if (r.target != "/v2/chat" ||
        r.headers[http::field::authorization] != "Bearer cohere-secret-key") {
        return json_response(404, R"({"id":"e","message":"no such route or bad key"})");
    }
    const auto body = json::parse(r.body).as_object();
    for (const char* chat_name : {"top_p", "stop", "stream_options", "max_completion_tokens"}) {
        if (body.contains(chat_name)) {
            return json_response(400, std::string(R"({"id":"e","message":"invalid request: )") +
                                          chat_name + R"( is not a valid field"})");
        }
    }
    if (!body.contains("messages") || body.at("model") != "command-a-03-2025") {
        return json_response(
            400, R"({"id":"e","message":"invalid request: model and messages are required"})");
    }
    const bool stream = body.contains("stream") && body.at("stream") == true;
    const bool tools = body.contains("tools");
    if (stream) {
        return sse_response(read_golden(tools ? "cohere_chat/stream-tool-calls/upstream.sse"
                                              : "cohere_chat/stream-text/upstream.sse"));
    }
    return json_response(200, read_golden(tools ? "cohere_chat/response-tool-calls/upstream.json"
                                                : "cohere_chat/response-text/upstream.json"));
}

std::string cohere_channel(const std::string& base_url) {
    return R"({"name": "cohere", "type": "cohere", "base_url": ")" + base_url +
           R"(", "key": "cohere-secret-key", "models": ["command-a"],
       "model_mapping": {"command-a": "command-a-03-2025"}})";
}

constexpr const char* weather_tool_chat =
    R"([{"type":"function","function":{"name":"get_weather","parameters":{"type":"object",)"
    R"("properties":{"location":{"type":"string"}}}}}])";
constexpr const char* weather_tool_anthropic =
    R"([{"name":"get_weather","input_schema":{"type":"object",)"
    R"("properties":{"location":{"type":"string"}}}}])";

std::vector<std::pair<std::string, std::string>> anthropic_key() {
    return {{"x-api-key", relay_key}, {"anthropic-version", "2023-06-01"}};
}

/// The JSON data of every `data:` line of an SSE body, `[DONE]` left out.
std::vector<json::object> sse_data(std::string_view body) {
    std::vector<json::object> out;
    std::size_t at = 0;
    while ((at = body.find("data: ", at)) != std::string_view::npos) {
        const std::size_t end = body.find('\n', at);
        const std::string_view data = body.substr(at + 6, end - at - 6);
        if (data != "[DONE]") out.push_back(json::parse(data).as_object());
        at = end;
    }
    return out;
}

/// What a Bedrock runtime endpoint checks first: a SigV4 Authorization header for the
/// `bedrock` service in the channel's region, over at least host and x-amz-date, and the
/// matching X-Amz-Date header.
bool well_formed_sigv4(const recorded_request& r) {
    const std::string auth(r.headers[http::field::authorization]);
    const std::string date(r.headers["X-Amz-Date"]);
    const std::string prefix = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/";
    if (!auth.starts_with(prefix) || date.size() != 16) return false;
    // Credential=AKIDEXAMPLE/<yyyymmdd>/us-west-2/bedrock/aws4_request, the date of X-Amz-Date
    const std::string scope = date.substr(0, 8) + "/us-west-2/bedrock/aws4_request, SignedHeaders=";
    if (auth.compare(prefix.size(), scope.size(), scope) != 0) return false;
    const std::size_t sig = auth.find(", Signature=");
    if (sig == std::string::npos) return false;
    const std::string signed_headers =
        auth.substr(prefix.size() + scope.size(), sig - prefix.size() - scope.size());
    const std::string signature = auth.substr(sig + 12);
    const bool hex = signature.size() == 64 &&
                     signature.find_first_not_of("0123456789abcdef") == std::string::npos;
    return hex && signed_headers.find("host") != std::string::npos &&
           signed_headers.find("x-amz-date") != std::string::npos &&
           auth.find("secret") == std::string::npos;
}

}  // namespace

TEST_CASE("cohere: an OpenAI Chat client, answered and streamed by Cohere v2",
          "[e2e][providers][cohere]") {
    fake_upstream upstream{fake_cohere};
    gatewayd_process gw{config_with(cohere_channel(upstream.base_url()))};

    auto res = http_call(gw.port(), http::verb::post, "/v1/chat/completions",
                         R"({"model":"command-a","top_p":0.5,"stop":["END"],"max_tokens":64,)"
                         R"("messages":[{"role":"system","content":"Be brief."},)"
                         R"({"role":"user","content":"What are LLMs?"}]})",
                         bearer());
    INFO(res.body);
    REQUIRE(res.status == 200);
    const auto answer = json::parse(res.body).as_object();
    CHECK(answer.at("model") == "command-a");
    CHECK(answer.at("choices").at(0).at("message").at("content") ==
          "LLMs stand for Large Language Models, which are a type of neural network model.");
    CHECK(answer.at("choices").at(0).at("finish_reason") == "stop");
    CHECK(answer.at("usage").at("prompt_tokens") == 17);
    CHECK(answer.at("usage").at("completion_tokens") == 16);
    auto seen = upstream.requests();
    REQUIRE(seen.size() == 1);
    const auto sent = json::parse(seen[0].body).as_object();
    CHECK(sent.at("p") == 0.5);
    CHECK(sent.at("stop_sequences") == json::parse(R"(["END"])"));
    CHECK(sent.at("max_tokens") == 64);
    CHECK(sent.at("messages") == json::parse(R"([{"role":"system","content":"Be brief."},)"
                                             R"({"role":"user","content":"What are LLMs?"}])"));

    auto streamed = http_call(gw.port(), http::verb::post, "/v1/chat/completions",
                              R"({"model":"command-a","stream":true,)"
                              R"("stream_options":{"include_usage":true},)"
                              R"("messages":[{"role":"user","content":"Capital of France?"}]})",
                              bearer());
    INFO(streamed.body);
    REQUIRE(streamed.status == 200);
    std::string text;
    std::string finish;
    std::int64_t prompt_tokens = -1;
    for (const auto& chunk : sse_data(streamed.body)) {
        CHECK(chunk.at("model") == "command-a");
        for (const auto& choice : chunk.at("choices").as_array()) {
            const auto& delta = choice.at("delta").as_object();
            if (const auto* c = delta.if_contains("content"); c && c->is_string()) {
                text += c->as_string();
            }
            if (const auto* f = choice.as_object().if_contains("finish_reason"); f && !f->is_null())
                finish = f->as_string();
        }
        if (const auto* u = chunk.if_contains("usage"); u && u->is_object()) {
            prompt_tokens = u->at("prompt_tokens").as_int64();
        }
    }
    CHECK(text == "The capital of France is Paris. \xc3\x89");
    CHECK(finish == "stop");
    CHECK(prompt_tokens == 8);
    CHECK(streamed.body.find("data: [DONE]") != std::string::npos);
    seen = upstream.requests();
    REQUIRE(seen.size() == 2);
    CHECK(json::parse(seen[1].body).at("stream") == true);
}

TEST_CASE("cohere: tool calls and tool results for Chat and Anthropic clients",
          "[e2e][providers][cohere]") {
    fake_upstream upstream{fake_cohere};
    gatewayd_process gw{config_with(cohere_channel(upstream.base_url()))};

    // Chat, not streamed: Cohere's tool plan is text, its calls are Chat tool_calls.
    auto chat =
        http_call(gw.port(), http::verb::post, "/v1/chat/completions",
                  std::string(R"({"model":"command-a","tool_choice":"required","tools":)") +
                      weather_tool_chat + R"(,"messages":[{"role":"user","content":"Weather?"}]})",
                  bearer());
    INFO(chat.body);
    REQUIRE(chat.status == 200);
    const auto msg = json::parse(chat.body).at("choices").at(0).as_object();
    CHECK(msg.at("finish_reason") == "tool_calls");
    const auto& calls = msg.at("message").at("tool_calls").as_array();
    REQUIRE(calls.size() == 2);
    CHECK(calls[0].at("id") == "get_weather_1byjy32y4hvq");
    CHECK(calls[0].at("function").at("arguments") == R"({"location":"Toronto"})");
    auto seen = upstream.requests();
    REQUIRE(seen.size() == 1);
    CHECK(json::parse(seen[0].body).at("tool_choice") == "REQUIRED");

    // Anthropic, not streamed, with the results of an earlier turn: they reach Cohere as
    // `role: tool` messages after an assistant turn with `tool_plan` and `tool_calls`.
    auto claude = http_call(
        gw.port(), http::verb::post, "/v1/messages",
        std::string(R"({"model":"command-a","max_tokens":256,"tools":)") + weather_tool_anthropic +
            R"(,"messages":[{"role":"user","content":"Weather in Oslo?"},)"
            R"({"role":"assistant","content":[{"type":"text","text":"Checking."},)"
            R"({"type":"tool_use","id":"call_9","name":"get_weather","input":{"location":"Oslo"}}]},)"
            R"({"role":"user","content":[{"type":"tool_result","tool_use_id":"call_9",)"
            R"("content":"-3C"}]}]})",
        anthropic_key());
    INFO(claude.body);
    REQUIRE(claude.status == 200);
    const auto message = json::parse(claude.body).as_object();
    CHECK(message.at("stop_reason") == "tool_use");
    CHECK(message.at("model") == "command-a");
    const auto& content = message.at("content").as_array();
    REQUIRE(content.size() == 3);
    CHECK(content[0].at("type") == "text");
    CHECK(content[1].at("type") == "tool_use");
    CHECK(content[1].at("input") == json::parse(R"({"location":"Toronto"})"));
    CHECK(message.at("usage").at("input_tokens") == 37);
    seen = upstream.requests();
    REQUIRE(seen.size() == 2);
    const auto sent = json::parse(seen[1].body).as_object();
    CHECK(sent.at("messages") ==
          json::parse(R"([{"role":"user","content":"Weather in Oslo?"},)"
                      R"({"role":"assistant","tool_plan":"Checking.","tool_calls":[{"id":"call_9",)"
                      R"("type":"function","function":{"name":"get_weather",)"
                      R"("arguments":"{\"location\":\"Oslo\"}"}}]},)"
                      R"({"role":"tool","tool_call_id":"call_9","content":"-3C"}])"));

    // Anthropic, streamed: the tool plan, then two tool_use blocks with their arguments.
    auto stream = http_call(gw.port(), http::verb::post, "/v1/messages",
                            std::string(R"({"model":"command-a","max_tokens":256,"stream":true,)") +
                                R"("tools":)" + weather_tool_anthropic +
                                R"(,"messages":[{"role":"user","content":"Weather?"}]})",
                            anthropic_key());
    INFO(stream.body);
    REQUIRE(stream.status == 200);
    std::vector<std::string> kinds;
    std::string plan;
    std::string args;
    std::string stop_reason;
    for (const auto& e : sse_data(stream.body)) {
        const std::string type(e.at("type").as_string());
        if (type == "content_block_start") {
            kinds.emplace_back(e.at("content_block").at("type").as_string());
        } else if (type == "content_block_delta") {
            const auto& d = e.at("delta").as_object();
            if (d.at("type") == "text_delta") plan += d.at("text").as_string();
            if (d.at("type") == "input_json_delta") args += d.at("partial_json").as_string();
        } else if (type == "message_delta") {
            stop_reason = e.at("delta").at("stop_reason").as_string();
        }
    }
    CHECK(kinds == std::vector<std::string>{"text", "tool_use", "tool_use"});
    CHECK(plan == "I will look up the weather in Toronto and Paris.");
    CHECK(args == "{\n    \"location\": \"Toronto\"\n}{\"location\": \"Paris\"}");
    CHECK(stop_reason == "tool_use");
    CHECK(stream.body.find("event: message_stop") != std::string::npos);

    // Chat, streamed: the same calls as Chat tool_call deltas.
    auto chat_stream =
        http_call(gw.port(), http::verb::post, "/v1/chat/completions",
                  std::string(R"({"model":"command-a","stream":true,"tools":)") +
                      weather_tool_chat + R"(,"messages":[{"role":"user","content":"Weather?"}]})",
                  bearer());
    REQUIRE(chat_stream.status == 200);
    std::vector<std::string> names;
    for (const auto& chunk : sse_data(chat_stream.body)) {
        for (const auto& choice : chunk.at("choices").as_array()) {
            const auto* tc = choice.at("delta").as_object().if_contains("tool_calls");
            if (tc == nullptr) continue;
            for (const auto& call : tc->as_array()) {
                const auto* fn = call.as_object().if_contains("function");
                if (fn && fn->as_object().contains("name")) {
                    names.emplace_back(fn->at("name").as_string());
                }
            }
        }
    }
    CHECK(names == std::vector<std::string>{"get_weather", "get_weather"});
}

TEST_CASE("cohere: Cohere's error body reaches the client in its own format",
          "[e2e][providers][cohere]") {
    fake_upstream upstream{[](const recorded_request&) {
        return json_response(400, read_golden("cohere_chat/errors/error-400-invalid-request.json"));
    }};
    gatewayd_process gw{config_with(cohere_channel(upstream.base_url()))};
    auto chat = http_call(gw.port(), http::verb::post, "/v1/chat/completions",
                          chat_request("command-a"), bearer());
    CHECK(chat.status == 400);
    const auto err = json::parse(chat.body).at("error").as_object();
    CHECK(err.at("type") == "invalid_request_error");
    CHECK(err.at("message").as_string().starts_with("invalid request: message must be"));
    auto claude = http_call(gw.port(), http::verb::post, "/v1/messages",
                            R"({"model":"command-a","max_tokens":9,)"
                            R"("messages":[{"role":"user","content":"Hi"}]})",
                            anthropic_key());
    CHECK(claude.status == 400);
    CHECK(json::parse(claude.body).at("type") == "error");
}

namespace {

/// A loopback Cohere for /v2/embed and /v2/rerank, and an OpenAI-compatible server for
/// /v1/embeddings and /v1/rerank, on one port.
scripted_response fake_retrieval(const recorded_request& r) {
    const auto body = json::parse(r.body).as_object();
    if (r.target == "/v2/embed") {
        if (r.headers[http::field::authorization] != "Bearer cohere-secret-key" ||
            !body.contains("input_type") || body.at("embedding_types") != json::array{"float"}) {
            return json_response(
                400,
                R"({"id":"e","message":"invalid request: valid input_type must be provided with the provided model"})");
        }
        json::array vectors;
        for (std::size_t i = 0; i < body.at("texts").as_array().size(); ++i) {
            vectors.push_back(json::array{0.5, 0.25 * static_cast<double>(i)});
        }
        return json_response(
            200, json::serialize(
                     json::object{{"id", "emb-1"},
                                  {"embeddings", json::object{{"float", vectors}}},
                                  {"texts", body.at("texts")},
                                  {"meta", json::parse(R"({"api_version":{"version":"2"},)"
                                                       R"("billed_units":{"input_tokens":6}})")},
                                  {"response_type", "embeddings_by_type"}}));
    }
    if (r.target == "/v2/rerank") {
        if (body.contains("return_documents")) {
            return json_response(
                400,
                R"({"id":"e","message":"invalid request: return_documents is not a valid field"})");
        }
        return json_response(200, R"({"results":[{"index":1,"relevance_score":0.98},)"
                                  R"({"index":0,"relevance_score":0.12}],"id":"rr-1",)"
                                  R"("meta":{"api_version":{"version":"2"},)"
                                  R"("billed_units":{"search_units":1}}})");
    }
    if (r.target == "/v1/embeddings") {
        return json_response(200, R"({"object":"list","data":[{"object":"embedding","index":0,)"
                                  R"("embedding":[0.1,0.2]}],"model":"text-embedding-3-small",)"
                                  R"("usage":{"prompt_tokens":3,"total_tokens":3}})");
    }
    return json_response(404,
                         R"({"error":{"message":"no such route","type":"invalid_request_error"}})");
}

}  // namespace

TEST_CASE("embeddings and rerank: converted for Cohere, passed through to OpenAI, billed once",
          "[e2e][providers][cohere][embed]") {
    fake_upstream upstream{fake_retrieval};
    gatewayd_process gw{
        config_with(R"({"name": "cohere", "type": "cohere", "base_url": ")" + upstream.base_url() +
                    R"(", "key": "cohere-secret-key", "models": ["embed-v4.0", "rerank-v3.5"]},
        {"name": "openai", "type": "openai", "base_url": ")" +
                    upstream.base_url() + R"(/v1", "key": "sk-openai", "models": ["small"],
          "model_mapping": {"small": "text-embedding-3-small"}})")};

    auto cohere =
        http_call(gw.port(), http::verb::post, "/v1/embeddings",
                  R"({"model":"embed-v4.0","input":["a","b"],"dimensions":256})", bearer());
    INFO(cohere.body);
    REQUIRE(cohere.status == 200);
    CHECK(json::parse(cohere.body) ==
          json::parse(R"({"object":"list","data":[{"object":"embedding","index":0,)"
                      R"("embedding":[0.5,0]},{"object":"embedding","index":1,)"
                      R"("embedding":[0.5,0.25]}],"model":"embed-v4.0",)"
                      R"("usage":{"prompt_tokens":6,"total_tokens":6}})"));
    auto seen = upstream.requests();
    REQUIRE(seen.size() == 1);
    CHECK(json::parse(seen[0].body) ==
          json::parse(R"({"model":"embed-v4.0","texts":["a","b"],"input_type":"search_document",)"
                      R"("embedding_types":["float"],"output_dimension":256})"));

    auto b64 = http_call(gw.port(), http::verb::post, "/v1/embeddings",
                         R"({"model":"embed-v4.0","input":"a","encoding_format":"base64",)"
                         R"("input_type":"search_query"})",
                         bearer());
    REQUIRE(b64.status == 200);
    CHECK(json::parse(b64.body).at("data").at(0).at("embedding") == "AAAAPwAAAAA=");  // 0.5f, 0.0f
    CHECK(json::parse(upstream.requests().back().body).at("input_type") == "search_query");

    auto passed =
        http_call(gw.port(), http::verb::post, "/v1/embeddings",
                  R"({"model":"small","input":"hello","encoding_format":"float"})", bearer());
    REQUIRE(passed.status == 200);
    CHECK(json::parse(passed.body).at("model") == "small");
    seen = upstream.requests();
    CHECK(seen.back().target == "/v1/embeddings");
    CHECK(seen.back().headers[http::field::authorization] == "Bearer sk-openai");
    CHECK(json::parse(seen.back().body) ==
          json::parse(R"({"model":"text-embedding-3-small","input":"hello",)"
                      R"("encoding_format":"float"})"));

    auto ranked = http_call(gw.port(), http::verb::post, "/v1/rerank",
                            R"({"model":"rerank-v3.5","query":"capital?","top_n":2,)"
                            R"("return_documents":true,"documents":["Paris is in France.",)"
                            R"({"text":"Washington is the capital."}]})",
                            bearer());
    INFO(ranked.body);
    REQUIRE(ranked.status == 200);
    CHECK(json::parse(ranked.body) ==
          json::parse(R"({"id":"rr-1","model":"rerank-v3.5","results":[)"
                      R"({"index":1,"relevance_score":0.98,)"
                      R"("document":{"text":"Washington is the capital."}},)"
                      R"({"index":0,"relevance_score":0.12,)"
                      R"("document":{"text":"Paris is in France."}}],)"
                      R"("usage":{"total_tokens":0,"search_units":1}})"));
    CHECK(upstream.requests().back().target == "/v2/rerank");

    // Errors in OpenAI's envelope: the client's mistakes, and Cohere's own message.
    auto bad = http_call(gw.port(), http::verb::post, "/v1/rerank",
                         R"({"model":"rerank-v3.5","documents":["a"]})", bearer());
    CHECK(bad.status == 400);
    CHECK(json::parse(bad.body).at("error").at("param") == "query");
    auto unknown = http_call(gw.port(), http::verb::post, "/v1/embeddings",
                             R"({"model":"nope","input":"a"})", bearer());
    CHECK(unknown.status == 404);
    auto anonymous = http_call(gw.port(), http::verb::post, "/v1/embeddings",
                               R"({"model":"embed-v4.0","input":"a"})");
    CHECK(anonymous.status == 401);
    auto get = http_call(gw.port(), http::verb::get, "/v1/rerank", {}, bearer());
    CHECK(get.status == 405);
    const std::size_t before = upstream.requests().size();
    auto tokens = http_call(gw.port(), http::verb::post, "/v1/embeddings",
                            R"({"model":"embed-v4.0","input":[[1,2,3]]})", bearer());
    CHECK(tokens.status == 400);
    CHECK(json::parse(tokens.body).at("error").at("param") == "input");
    CHECK(upstream.requests().size() == before);  // refused before any upstream call

    // Every accepted request is logged once, with its usage.
    REQUIRE(gw.terminate(10s) == 0);
    auto store = gateway::storage::open_sqlite_store(gw.dir() + "/gatewayd.db");
    REQUIRE(store.has_value());
    auto logs = (*store)->recent_logs(20);
    REQUIRE(logs.has_value());
    // Accepted: 3 embeddings, 1 rerank, the token-id embeddings (answered 400 by the channel
    // attempt); refused at the door (bad body, unknown model, no key, GET): not logged.
    REQUIRE(logs->size() == 5);
    std::int64_t embed_tokens = 0;
    int reranks = 0;
    for (const auto& l : *logs) {
        if (l.endpoint == "/v1/embeddings" && l.status == 200) embed_tokens += l.prompt_tokens;
        if (l.endpoint == "/v1/rerank") {
            ++reranks;
            CHECK(l.prompt_tokens == 1);
            CHECK(l.upstream_model == "rerank-v3.5");
        }
    }
    CHECK(embed_tokens == 6 + 6 + 3);
    CHECK(reranks == 1);
}

TEST_CASE("bedrock: Chat and Messages clients relayed to a SigV4-checking Converse upstream",
          "[e2e][providers][bedrock]") {
    std::atomic<int> unsigned_requests{0};
    fake_upstream upstream{[&](const recorded_request& r) -> scripted_response {
        if (!well_formed_sigv4(r)) {
            ++unsigned_requests;
            scripted_response denied = json_response(
                403, R"({"message":"The request signature we calculated does not match."})");
            denied.headers.emplace_back("x-amzn-ErrorType", "InvalidSignatureException");
            return denied;
        }
        if (r.target.ends_with("/converse-stream")) {
            scripted_response s;
            s.headers = {{"content-type", "application/vnd.amazon.eventstream"}};
            // The recorded streams of tests/fixtures/bedrock/: a tool call when tools were sent.
            const std::string bytes = read_fixture(r.body.find("get_weather") != std::string::npos
                                                       ? "bedrock/converse-stream-tool-use.bin"
                                                       : "bedrock/converse-stream-text.bin");
            // Frames cut across chunk boundaries, as TCP delivers them.
            for (std::size_t at = 0; at < bytes.size(); at += 37)
                s.chunks.push_back(bytes.substr(at, 37));
            return s;
        }
        return json_response(
            200,
            R"({"output":{"message":{"role":"assistant","content":[{"text":"Paris."}]}},"stopReason":"end_turn","usage":{"inputTokens":14,"outputTokens":2,"totalTokens":16},"metrics":{"latencyMs":210}})");
    }};
    gatewayd_process gw{config_with(
        R"({"name": "bedrock", "type": "bedrock", "base_url": ")" + upstream.base_url() +
        R"(", "key": "AKIDEXAMPLE:wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEsecret",
       "models": ["claude-sonnet"],
       "model_mapping": {"claude-sonnet": "anthropic.claude-sonnet-4-20250514-v1:0"},
       "settings": {"region": "us-west-2", "cross_region": "us"}})")};

    auto chat = http_call(gw.port(), http::verb::post, "/v1/chat/completions",
                          chat_request("claude-sonnet"), bearer());
    REQUIRE(chat.status == 200);
    const auto answer = json::parse(chat.body);
    CHECK(answer.at("choices").at(0).at("message").at("content") == "Paris.");
    CHECK(answer.at("choices").at(0).at("finish_reason") == "stop");
    CHECK(answer.at("usage").at("prompt_tokens") == 14);

    auto streamed = http_call(gw.port(), http::verb::post, "/v1/chat/completions",
                              R"({"model":"claude-sonnet","stream":true,)"
                              R"("stream_options":{"include_usage":true},)"
                              R"("messages":[{"role":"user","content":"Capital of France?"}]})",
                              bearer());
    REQUIRE(streamed.status == 200);
    CHECK(streamed.body.find(R"("content":"The capital")") != std::string::npos);
    CHECK(streamed.body.find(R"("content":" of France is Paris.")") != std::string::npos);
    CHECK(streamed.body.find(R"("finish_reason":"stop")") != std::string::npos);
    CHECK(streamed.body.find(R"("completion_tokens":10)") != std::string::npos);
    // inputTokens 14 plus the 1843 tokens written to the cache.
    CHECK(streamed.body.find(R"("prompt_tokens":1857)") != std::string::npos);
    CHECK(streamed.body.find("data: [DONE]") != std::string::npos);

    auto messages = http_call(gw.port(), http::verb::post, "/v1/messages",
                              R"({"model":"claude-sonnet","max_tokens":100,"system":"Be brief.",)"
                              R"("messages":[{"role":"user","content":"Capital of France?"}]})",
                              {{"x-api-key", relay_key}, {"anthropic-version", "2023-06-01"}});
    REQUIRE(messages.status == 200);
    const auto message = json::parse(messages.body);
    CHECK(message.at("content").at(0).at("text") == "Paris.");
    CHECK(message.at("stop_reason") == "end_turn");

    // A Messages client streaming a tool call, its tool and system prompt marked for caching.
    auto tool_stream = http_call(
        gw.port(), http::verb::post, "/v1/messages",
        R"({"model":"claude-sonnet","max_tokens":100,"stream":true,)"
        R"("system":[{"type":"text","text":"Be brief.","cache_control":{"type":"ephemeral"}}],)"
        R"("tools":[{"name":"get_weather","input_schema":{"type":"object"},)"
        R"("cache_control":{"type":"ephemeral"}}],)"
        R"("messages":[{"role":"user","content":"Weather in Paris?"}]})",
        {{"x-api-key", relay_key}, {"anthropic-version", "2023-06-01"}});
    REQUIRE(tool_stream.status == 200);
    std::string arguments;
    bool tool_block = false;
    std::string stop_reason;
    std::int64_t cache_read = -1;
    std::int64_t uncached = -1;
    for (const auto& [name, data] : sse_events(tool_stream.body)) {
        const auto ev = json::parse(data).as_object();
        if (name == "content_block_start" && ev.at("content_block").at("type") == "tool_use") {
            tool_block = ev.at("content_block").at("id") == "tooluse_Xq7hS2aNQxGk3Y0mB1cZ9w" &&
                         ev.at("content_block").at("name") == "get_weather";
        }
        if (name == "content_block_delta" && ev.at("delta").at("type") == "input_json_delta") {
            arguments += ev.at("delta").at("partial_json").as_string();
        }
        if (name == "message_delta") {
            stop_reason = ev.at("delta").at("stop_reason").as_string();
            cache_read = ev.at("usage").at("cache_read_input_tokens").as_int64();
            uncached = ev.at("usage").at("input_tokens").as_int64();
        }
    }
    CHECK(tool_block);
    CHECK(arguments == R"({"city": "Paris", "unit": "celsius"})");
    CHECK(stop_reason == "tool_use");
    CHECK(cache_read == 1843);
    CHECK(uncached == 402);  // Converse's inputTokens, as Anthropic counts input_tokens

    CHECK(unsigned_requests == 0);
    auto seen = upstream.requests();
    REQUIRE(seen.size() == 4);
    CHECK(seen[0].target == "/model/us.anthropic.claude-sonnet-4-20250514-v1%3A0/converse");
    CHECK(seen[1].target == "/model/us.anthropic.claude-sonnet-4-20250514-v1%3A0/converse-stream");
    CHECK(seen[1].headers[http::field::accept] == "application/vnd.amazon.eventstream");
    const auto sent = json::parse(seen[2].body).as_object();
    CHECK(sent.at("system").at(0).at("text") == "Be brief.");
    CHECK(sent.at("inferenceConfig").at("maxTokens") == 100);
    CHECK_FALSE(sent.contains("model"));
    // The cache_control marks arrived as Converse cache points.
    const auto cached = json::parse(seen[3].body).as_object();
    CHECK(cached.at("system") ==
          json::parse(R"([{"text":"Be brief."},{"cachePoint":{"type":"default"}}])"));
    CHECK(cached.at("toolConfig").at("tools").at(1) ==
          json::parse(R"({"cachePoint":{"type":"default"}})"));
}

TEST_CASE("bedrock: an upstream exception answer becomes the client's error, key unquoted",
          "[e2e][providers][bedrock]") {
    fake_upstream upstream{[](const recorded_request&) {
        scripted_response r =
            json_response(400, R"({"message":"The provided model identifier is invalid."})");
        r.headers.emplace_back("x-amzn-ErrorType", "ValidationException");
        return r;
    }};
    gatewayd_process gw{config_with(
        R"({"name": "bedrock", "type": "bedrock", "base_url": ")" + upstream.base_url() +
        R"(", "key": "AKIDEXAMPLE:wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEsecret",
       "models": ["amazon.nova-pro-v1:0"], "settings": {"region": "us-west-2"}})")};
    auto res = http_call(gw.port(), http::verb::post, "/v1/chat/completions",
                         chat_request("amazon.nova-pro-v1:0"), bearer());
    CHECK(res.status == 400);
    CHECK(res.body.find("The provided model identifier is invalid.") != std::string::npos);
    CHECK(res.body.find("EXAMPLEsecret") == std::string::npos);
}
