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

#include <gateway/stream/aws_event_stream.hpp>

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

std::string converse_stream_bytes() {
    using gateway::stream::encode_aws_event_stream_event;
    std::string s;
    s += encode_aws_event_stream_event("messageStart", R"({"p":"abcd","role":"assistant"})");
    s += encode_aws_event_stream_event(
        "contentBlockDelta", R"({"contentBlockIndex":0,"delta":{"text":"Paris"},"p":"ab"})");
    s += encode_aws_event_stream_event(
        "contentBlockDelta", R"({"contentBlockIndex":0,"delta":{"text":" it is."},"p":"a"})");
    s += encode_aws_event_stream_event("contentBlockStop", R"({"contentBlockIndex":0,"p":"abc"})");
    s += encode_aws_event_stream_event("messageStop", R"({"p":"abcdef","stopReason":"end_turn"})");
    s += encode_aws_event_stream_event(
        "metadata",
        R"({"metrics":{"latencyMs":320},"p":"a","usage":{"inputTokens":14,"outputTokens":4,"totalTokens":18}})");
    return s;
}

}  // namespace

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
            const std::string bytes = converse_stream_bytes();
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
    CHECK(streamed.body.find(R"("content":"Paris")") != std::string::npos);
    CHECK(streamed.body.find(R"("content":" it is.")") != std::string::npos);
    CHECK(streamed.body.find(R"("finish_reason":"stop")") != std::string::npos);
    CHECK(streamed.body.find(R"("completion_tokens":4)") != std::string::npos);
    CHECK(streamed.body.find("data: [DONE]") != std::string::npos);

    auto messages = http_call(gw.port(), http::verb::post, "/v1/messages",
                              R"({"model":"claude-sonnet","max_tokens":100,"system":"Be brief.",)"
                              R"("messages":[{"role":"user","content":"Capital of France?"}]})",
                              {{"x-api-key", relay_key}, {"anthropic-version", "2023-06-01"}});
    REQUIRE(messages.status == 200);
    const auto message = json::parse(messages.body);
    CHECK(message.at("content").at(0).at("text") == "Paris.");
    CHECK(message.at("stop_reason") == "end_turn");

    CHECK(unsigned_requests == 0);
    auto seen = upstream.requests();
    REQUIRE(seen.size() == 3);
    CHECK(seen[0].target == "/model/us.anthropic.claude-sonnet-4-20250514-v1%3A0/converse");
    CHECK(seen[1].target == "/model/us.anthropic.claude-sonnet-4-20250514-v1%3A0/converse-stream");
    CHECK(seen[1].headers[http::field::accept] == "application/vnd.amazon.eventstream");
    const auto sent = json::parse(seen[2].body).as_object();
    CHECK(sent.at("system").at(0).at("text") == "Be brief.");
    CHECK(sent.at("inferenceConfig").at("maxTokens") == 100);
    CHECK_FALSE(sent.contains("model"));
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
