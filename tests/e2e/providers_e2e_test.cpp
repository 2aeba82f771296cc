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
