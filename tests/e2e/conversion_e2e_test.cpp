// End-to-end conversion: the real gatewayd between a client of one format and fake upstreams of
// another that replay recorded wire bytes (tests/fixtures/, tests/golden/). What the C++ side
// checks here is the server's part of a conversion: the upstream request (path, auth header,
// converted body), the client's answer in its own format, the adjustment header, errors in the
// client's envelope, and the request log. The official SDKs drive every direction in
// tests/sdk/.

#include "e2e/gatewayd_process.hpp"
#include "support/fake_upstream.hpp"
#include "support/fixtures.hpp"
#include "support/golden.hpp"
#include "support/test_client.hpp"

#include <gateway/storage/store.hpp>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

using namespace gateway::test;
namespace json = boost::json;
namespace http = boost::beast::http;
using namespace std::chrono_literals;

namespace {

constexpr const char* relay_key = "sk-conversion-e2e-key-01234";
constexpr const char* openai_key = "sk-upstream-openai-0001";
constexpr const char* anthropic_key = "sk-ant-upstream-0001";
constexpr const char* gemini_key = "AIza-upstream-0001";

/// One channel per upstream format, all on the same fake server (told apart by path).
std::string config_for(const std::string& base) {
    return R"({
  "server": {"port": 0, "threads": 2, "shutdown_timeout_ms": 5000},
  "sqlite_path": "@DIR@/gatewayd.db",
  "log_level": "warn",
  "channels": [
    {"name": "chat", "type": "openai", "base_url": ")" +
           base + R"(", "key": ")" + openai_key + R"(",
     "models": ["m-chat"], "model_mapping": {"m-chat": "gpt-4o"}},
    {"name": "claude", "type": "anthropic", "base_url": ")" +
           base + R"(", "key": ")" + anthropic_key + R"(",
     "models": ["m-claude"], "model_mapping": {"m-claude": "claude-sonnet-4-5"},
     "settings": {"default_max_tokens": 2048}},
    {"name": "gemini", "type": "gemini", "base_url": ")" +
           base + R"(", "key": ")" + gemini_key + R"(",
     "models": ["m-gemini"], "model_mapping": {"m-gemini": "gemini-2.5-flash"}},
    {"name": "strict-chat", "type": "openai", "base_url": ")" +
           base + R"(", "key": ")" + openai_key + R"(",
     "models": ["m-strict"], "settings": {"params": {"temperature": "reject"}}}
  ],
  "tokens": [{"name": "e2e", "key": ")" +
           std::string(relay_key) + R"("}]
})";
}

bool wants_stream(const recorded_request& r) {
    // Gemini says so in the path, the others in the body.
    if (r.target.find(":streamGenerateContent") != std::string::npos) return true;
    if (r.target.find(":generateContent") != std::string::npos) return false;
    const auto body = json::parse(r.body).as_object();
    return body.contains("stream") && body.at("stream").as_bool();
}

/// Answers each upstream path with its format's recorded text answer.
scripted_response recorded_upstreams(const recorded_request& r) {
    const bool stream = wants_stream(r);
    if (r.target == "/v1/chat/completions") {
        return stream ? sse_response(read_fixture("openai_chat/text-stream.sse"))
                      : json_response(200, read_fixture("openai_chat/text.json"));
    }
    if (r.target == "/v1/messages") {
        return stream ? sse_response(read_fixture("anthropic_messages/text-stream.sse"))
                      : json_response(200, read_golden("anthropic_messages/response-text/"
                                                       "upstream.json"));
    }
    if (r.target.starts_with("/v1beta/models/")) {
        return stream ? sse_response(read_fixture("gemini/text-stream.sse"))
                      : json_response(200, read_golden("gemini/response-text/upstream.json"));
    }
    return json_response(404, R"({"error":{"message":"no such path"}})");
}

std::vector<std::pair<std::string, std::string>> bearer() {
    return {{"Authorization", std::string("Bearer ") + relay_key}};
}

std::string chat_request(std::string_view model, bool stream, std::string_view extra = {}) {
    std::string body = R"({"model":")" + std::string(model) +
                       R"(","messages":[{"role":"system","content":"Be brief."},)"
                       R"({"role":"user","content":"What is the capital of France?"}])";
    if (stream) body += R"(,"stream":true)";
    body += extra;
    body += '}';
    return body;
}

std::string claude_request(std::string_view model, bool stream, std::string_view extra = {}) {
    std::string body = R"({"model":")" + std::string(model) +
                       R"(","max_tokens":256,"system":"Be brief.",)"
                       R"("messages":[{"role":"user","content":"What is the capital of France?"}])";
    if (stream) body += R"(,"stream":true)";
    body += extra;
    body += '}';
    return body;
}

json::object parse_object(const std::string& text) { return json::parse(text).as_object(); }

}  // namespace

TEST_CASE("a Claude client reaches an OpenAI Chat upstream, streamed and not", "[e2e][convert]") {
    fake_upstream upstream{recorded_upstreams};
    gatewayd_process gw{config_for(upstream.base_url())};

    SECTION("non-stream") {
        auto res =
            http_call(gw.port(), http::verb::post, "/v1/messages", claude_request("m-chat", false),
                      {{"x-api-key", relay_key}, {"anthropic-version", "2023-06-01"}});
        REQUIRE(res.status == 200);
        auto msg = parse_object(res.body);
        CHECK(msg.at("type") == "message");
        CHECK(msg.at("role") == "assistant");
        CHECK(msg.at("model") == "m-chat");  // the name the client asked for
        CHECK(msg.at("id").as_string().starts_with("msg_"));
        CHECK(msg.at("stop_reason") == "end_turn");
        const auto& content = msg.at("content").as_array();
        REQUIRE(content.size() == 1);
        CHECK(content[0].at("type") == "text");
        CHECK(content[0].at("text").as_string().starts_with("The capital of France is **Paris**."));
        CHECK(msg.at("usage").at("input_tokens") == 14);
        CHECK(msg.at("usage").at("output_tokens") == 38);

        auto seen = upstream.requests();
        REQUIRE(seen.size() == 1);
        CHECK(seen[0].target == "/v1/chat/completions");
        CHECK(seen[0].headers[http::field::authorization] == std::string("Bearer ") + openai_key);
        auto sent = parse_object(seen[0].body);
        CHECK(sent.at("model") == "gpt-4o");
        const auto& messages = sent.at("messages").as_array();
        REQUIRE(messages.size() == 2);
        CHECK(messages[0].at("role") == "system");
        CHECK(messages[0].at("content") == "Be brief.");
        CHECK(messages[1].at("content") == "What is the capital of France?");
        CHECK(sent.at("max_tokens") == 256);
        CHECK(!sent.contains("system"));  // Anthropic's field never leaks into Chat
    }

    SECTION("stream: Anthropic's event grammar with the upstream's text and usage") {
        auto res =
            http_call(gw.port(), http::verb::post, "/v1/messages", claude_request("m-chat", true),
                      {{"Authorization", std::string("Bearer ") + relay_key},
                       {"anthropic-version", "2099-01-01"}});
        REQUIRE(res.status == 200);
        CHECK(res.headers[http::field::content_type].starts_with("text/event-stream"));
        auto events = sse_events(res.body);
        REQUIRE(events.size() >= 5);
        CHECK(events.front().first == "message_start");
        CHECK(events.back().first == "message_stop");
        std::string text;
        std::int64_t output_tokens = -1;
        for (const auto& [name, data] : events) {
            auto o = parse_object(data);
            CHECK(o.at("type").as_string() ==
                  name);  // event name equals the JSON type, as Anthropic sends
            if (name == "message_start") CHECK(o.at("message").at("model") == "m-chat");
            if (name == "content_block_delta") text += o.at("delta").at("text").as_string();
            if (name == "message_delta") {
                CHECK(o.at("delta").at("stop_reason") == "end_turn");
                output_tokens = o.at("usage").at("output_tokens").as_int64();
            }
        }
        CHECK(text == "The capital of France is Paris.");
        CHECK(output_tokens == 7);
        auto sent = parse_object(upstream.requests().at(0).body);
        CHECK(sent.at("stream") == true);
        CHECK(sent.at("stream_options").at("include_usage") == true);
    }
}

TEST_CASE("a Chat client reaches Anthropic and Gemini upstreams", "[e2e][convert]") {
    fake_upstream upstream{recorded_upstreams};
    gatewayd_process gw{config_for(upstream.base_url())};

    SECTION("Anthropic, non-stream: x-api-key, anthropic-version, required max_tokens") {
        auto res = http_call(gw.port(), http::verb::post, "/v1/chat/completions",
                             chat_request("m-claude", false), bearer());
        REQUIRE(res.status == 200);
        auto body = parse_object(res.body);
        CHECK(body.at("object") == "chat.completion");
        CHECK(body.at("id").as_string().starts_with("chatcmpl-"));
        CHECK(body.at("model") == "m-claude");
        const auto& choice = body.at("choices").as_array().at(0);
        CHECK(choice.at("finish_reason") == "stop");
        CHECK(choice.at("message").at("role") == "assistant");
        CHECK(choice.at("message").at("content").as_string().starts_with("Hello!"));
        CHECK(body.at("usage").at("prompt_tokens") == 12);
        CHECK(body.at("usage").at("completion_tokens") == 29);

        auto seen = upstream.requests();
        REQUIRE(seen.size() == 1);
        CHECK(seen[0].target == "/v1/messages");
        CHECK(seen[0].headers["x-api-key"] == anthropic_key);
        CHECK(seen[0].headers[http::field::authorization].empty());
        CHECK(seen[0].headers["anthropic-version"] == "2023-06-01");
        auto sent = parse_object(seen[0].body);
        CHECK(sent.at("model") == "claude-sonnet-4-5");
        CHECK(sent.at("max_tokens") == 2048);  // the channel's default_max_tokens
        CHECK(sent.contains("system"));
        CHECK(sent.at("messages").as_array().size() == 1);  // the system message moved out
    }

    SECTION("Gemini, stream: streamGenerateContent?alt=sse and Chat chunks") {
        auto res =
            http_call(gw.port(), http::verb::post, "/v1/chat/completions",
                      chat_request("m-gemini", true, R"(,"stream_options":{"include_usage":true})"),
                      bearer());
        REQUIRE(res.status == 200);
        auto seen = upstream.requests();
        REQUIRE(seen.size() == 1);
        CHECK(seen[0].target == "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse");
        CHECK(seen[0].headers["x-goog-api-key"] == gemini_key);
        auto sent = parse_object(seen[0].body);
        CHECK(sent.contains("contents"));
        CHECK(sent.contains("systemInstruction"));
        CHECK(!sent.contains("messages"));
        CHECK(!sent.contains("model"));  // Gemini takes the model in the path only

        auto events = sse_events(res.body);
        REQUIRE(!events.empty());
        CHECK(events.back().second == "[DONE]");
        std::string text;
        std::string finish;
        json::object usage;
        for (std::size_t i = 0; i + 1 < events.size(); ++i) {
            auto chunk = parse_object(events[i].second);
            CHECK(chunk.at("object") == "chat.completion.chunk");
            CHECK(chunk.at("model") == "m-gemini");
            const auto& choices = chunk.at("choices").as_array();
            if (choices.empty()) {
                usage = chunk.at("usage").as_object();
                continue;
            }
            const auto& delta = choices[0].at("delta").as_object();
            if (const auto* c = delta.if_contains("content"); c && c->is_string()) {
                text += c->as_string();
            }
            if (choices[0].at("finish_reason").is_string()) {
                finish = choices[0].at("finish_reason").as_string();
            }
        }
        CHECK(text == "Paris is the capital of France.\n");
        CHECK(finish == "stop");
        CHECK(usage.at("prompt_tokens") == 7);  // the last chunk's snapshot counts
        CHECK(usage.at("completion_tokens") == 8);
    }
}

TEST_CASE("conversion reports, rejections and errors reach the client in its format",
          "[e2e][convert]") {
    fake_upstream upstream{[](const recorded_request& r) -> scripted_response {
        if (r.target == "/v1/messages") {
            // Anthropic's own 400 (error-400-invalid-request.cassette.yaml's shape).
            return json_response(
                400,
                R"({"type":"error","error":{"type":"invalid_request_error","message":"messages: text content blocks must be non-empty"},"request_id":"req_011CTest"})");
        }
        return recorded_upstreams(r);
    }};
    gatewayd_process gw{config_for(upstream.base_url())};

    SECTION("a parameter the target cannot take is dropped and named in X-Gateway-Adjusted") {
        // Chat Completions has no top_k.
        auto res = http_call(gw.port(), http::verb::post, "/v1/messages",
                             claude_request("m-chat", false, R"(,"top_k":40)"),
                             {{"x-api-key", relay_key}});
        REQUIRE(res.status == 200);
        CHECK(std::string(res.headers["X-Gateway-Adjusted"]).find("top_k=dropped") !=
              std::string::npos);
        CHECK(!parse_object(upstream.requests().at(0).body).contains("top_k"));
    }

    SECTION("a parameter the channel rejects is a 400 naming it, and nothing goes upstream") {
        auto res = http_call(gw.port(), http::verb::post, "/v1/messages",
                             claude_request("m-strict", false, R"(,"temperature":0.2)"),
                             {{"x-api-key", relay_key}});
        REQUIRE(res.status == 400);
        auto err = parse_object(res.body);
        CHECK(err.at("type") == "error");
        CHECK(err.at("error").at("type") == "invalid_request_error");
        CHECK(std::string(err.at("error").at("message").as_string()).find("temperature") !=
              std::string::npos);
        CHECK(upstream.requests().empty());
    }

    SECTION("an upstream's error in Anthropic's envelope becomes OpenAI's, status kept") {
        auto res = http_call(gw.port(), http::verb::post, "/v1/chat/completions",
                             chat_request("m-claude", false), bearer());
        REQUIRE(res.status == 400);
        auto err = parse_object(res.body);
        const auto& e = err.at("error").as_object();
        CHECK(e.at("type") == "invalid_request_error");
        CHECK(e.at("message") == "messages: text content blocks must be non-empty");
        CHECK(e.contains("param"));
        CHECK(e.contains("code"));
    }

    SECTION("a malformed Anthropic request gets Anthropic's error") {
        auto res = http_call(gw.port(), http::verb::post, "/v1/messages",
                             R"({"model":"m-chat","max_tokens":"many","messages":[]})",
                             {{"x-api-key", relay_key}});
        REQUIRE(res.status == 400);
        auto err = parse_object(res.body);
        CHECK(err.at("type") == "error");
        CHECK(err.at("error").at("type") == "invalid_request_error");
        CHECK(upstream.requests().empty());
    }
}

TEST_CASE(
    "an upstream error in the middle of a converted stream ends the client's stream "
    "with its format's error, and the request is logged once",
    "[e2e][convert]") {
    // Anthropic's documented mid-stream error after two text deltas.
    const std::string broken =
        "event: message_start\n"
        R"(data: {"type":"message_start","message":{"model":"claude-sonnet-4-5","id":"msg_01Broken","type":"message","role":"assistant","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":21,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":1}}})"
        "\n\n"
        "event: content_block_start\n"
        R"(data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}})"
        "\n\n"
        "event: content_block_delta\n"
        R"(data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Par"}})"
        "\n\n"
        "event: error\n"
        R"(data: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})"
        "\n\n";
    fake_upstream upstream{[&](const recorded_request&) { return sse_response(broken, 5ms); }};
    gatewayd_process gw{config_for(upstream.base_url())};

    auto res = http_call(gw.port(), http::verb::post, "/v1/chat/completions",
                         chat_request("m-claude", true), bearer());
    REQUIRE(res.status == 200);  // the stream had started
    auto events = sse_events(res.body);
    REQUIRE(events.size() >= 2);
    CHECK(res.body.find("\"content\":\"Par\"") != std::string::npos);
    auto last = parse_object(events.back().second);
    REQUIRE(last.contains("error"));
    CHECK(last.at("error").at("message") == "Overloaded");
    CHECK(res.body.find("[DONE]") == std::string::npos);  // never presented as complete

    REQUIRE(gw.terminate(10s) == 0);
    auto store = gateway::storage::open_sqlite_store(gw.dir() + "/gatewayd.db");
    REQUIRE(store.has_value());
    auto logs = (*store)->recent_logs(10);
    REQUIRE(logs.has_value());
    REQUIRE(logs->size() == 1);
    CHECK(logs->at(0).stream);
    CHECK(logs->at(0).prompt_tokens == 21);  // billed from the usage that did arrive
}

TEST_CASE("converted answers are billed from the upstream's usage", "[e2e][convert]") {
    fake_upstream upstream{recorded_upstreams};
    gatewayd_process gw{config_for(upstream.base_url())};
    REQUIRE(http_call(gw.port(), http::verb::post, "/v1/chat/completions",
                      chat_request("m-gemini", false), bearer())
                .status == 200);
    REQUIRE(http_call(gw.port(), http::verb::post, "/v1/messages", claude_request("m-chat", true),
                      {{"x-api-key", relay_key}})
                .status == 200);
    REQUIRE(gw.terminate(10s) == 0);

    auto store = gateway::storage::open_sqlite_store(gw.dir() + "/gatewayd.db");
    REQUIRE(store.has_value());
    auto logs = (*store)->recent_logs(10);
    REQUIRE(logs.has_value());
    REQUIRE(logs->size() == 2);
    const auto& claude_stream = logs->at(0);  // newest first
    const auto& gemini_plain = logs->at(1);
    const auto gemini_usage = json::parse(read_golden("gemini/response-text/upstream.json"))
                                  .at("usageMetadata")
                                  .as_object();
    CHECK(gemini_plain.prompt_tokens == gemini_usage.at("promptTokenCount").as_int64());
    CHECK(gemini_plain.upstream_model == "gemini-2.5-flash");
    CHECK(claude_stream.stream);
    CHECK(claude_stream.prompt_tokens == 14);  // the Chat stream's usage chunk
    CHECK(claude_stream.completion_tokens == 7);
    CHECK(claude_stream.endpoint == "/v1/messages");
}
