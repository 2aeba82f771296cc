// End-to-end: the real gatewayd binary between a test client and a fake OpenAI upstream that
// replays recorded wire bytes (tests/fixtures/openai_chat/).

#include "e2e/gatewayd_process.hpp"
#include "support/fake_upstream.hpp"
#include "support/fixtures.hpp"
#include "support/test_client.hpp"

#include <gateway/storage/store.hpp>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

using namespace gateway::test;
namespace json = boost::json;
namespace http = boost::beast::http;
using namespace std::chrono_literals;

namespace {

constexpr const char* relay_key = "sk-e2e-test-key-0123456789";
constexpr const char* mock_only_key = "sk-e2e-mock-only-key-012345";
constexpr const char* upstream_key = "sk-upstream-secret-0001";

std::string config_for(const std::string& upstream_base, std::size_t max_body = 65536) {
    return R"({
  "server": {"port": 0, "threads": 2, "max_body_bytes": )" +
           std::to_string(max_body) + R"(, "shutdown_timeout_ms": 5000},
  "sqlite_path": "@DIR@/gatewayd.db",
  "log_level": "warn",
  "channels": [
    {"name": "fake-openai", "type": "openai", "base_url": ")" +
           upstream_base + R"(", "keys": [")" + upstream_key + R"("],
     "models": ["gpt-4o", "gpt-4o-mini"], "model_mapping": {"gpt-4o": "gpt-4o-2024-08-06"}},
    {"name": "mock", "type": "mock", "models": ["mock-gpt-4o"]}
  ],
  "tokens": [
    {"name": "e2e", "key": ")" +
           std::string(relay_key) + R"("},
    {"name": "mock-only", "key": ")" +
           std::string(mock_only_key) + R"(", "models": ["mock-gpt-4o"]}
  ]
})";
}

std::vector<std::pair<std::string, std::string>> bearer(const char* key = relay_key) {
    return {{"Authorization", std::string("Bearer ") + key}};
}

std::string chat_body(std::string_view model, bool stream, bool include_usage = false) {
    json::object body{
        {"model", model},
        {"messages", json::array{json::object{{"role", "user"},
                                              {"content", "What is the capital of France?"}}}}};
    if (stream) body["stream"] = true;
    if (include_usage) body["stream_options"] = json::object{{"include_usage", true}};
    return json::serialize(body);
}

// Replays the fixtures: streams for stream requests, the JSON body otherwise.
scripted_response openai_upstream(const recorded_request& req,
                                  std::chrono::milliseconds pace = 2ms) {
    auto body = json::parse(req.body).as_object();
    if (body.contains("stream") && body.at("stream").as_bool()) {
        return sse_response(read_fixture("openai_chat/text-stream.sse"), pace);
    }
    return json_response(200, read_fixture("openai_chat/text.json"));
}

json::object parse_object(const std::string& text) { return json::parse(text).as_object(); }

/// `bytes` with every `"model":"<from>"` member written as `"model":"<to>"`: what pass-through
/// does to the upstream's bytes (clients see the model name they asked for, nothing else
/// changes).
std::string with_model(std::string bytes, std::string_view from, std::string_view to) {
    const std::string needle = "\"model\":\"" + std::string(from) + "\"";
    const std::string replacement = "\"model\":\"" + std::string(to) + "\"";
    for (std::size_t at = bytes.find(needle); at != std::string::npos;
         at = bytes.find(needle, at + replacement.size())) {
        bytes.replace(at, needle.size(), replacement);
    }
    return bytes;
}

/// The recorded stream as a client that asked for gpt-4o receives it.
std::string stream_as_relayed() {
    return with_model(read_fixture("openai_chat/text-stream.sse"), "gpt-4o-2024-08-06", "gpt-4o");
}

void require_openai_error(const http_result& res, unsigned status) {
    REQUIRE(res.status == status);
    REQUIRE(res.headers[http::field::content_type] == "application/json");
    auto body = parse_object(res.body);
    REQUIRE(body.contains("error"));
    const auto& error = body.at("error").as_object();
    REQUIRE(error.at("message").is_string());
    REQUIRE(!error.at("message").as_string().empty());
    REQUIRE(error.at("type").is_string());
    REQUIRE(error.contains("param"));
    REQUIRE(error.contains("code"));
}

}  // namespace

TEST_CASE("health and request ids", "[e2e]") {
    fake_upstream upstream{[](const recorded_request& r) { return openai_upstream(r); }};
    gatewayd_process gw{config_for(upstream.base_url())};

    auto res = http_call(gw.port(), http::verb::get, "/health");
    REQUIRE(res.status == 200);
    REQUIRE(parse_object(res.body).at("status") == "ok");
    auto id1 = std::string(res.headers["X-Request-Id"]);
    REQUIRE(id1.size() == 32);
    auto id2 =
        std::string(http_call(gw.port(), http::verb::get, "/health").headers["X-Request-Id"]);
    REQUIRE(id2.size() == 32);
    REQUIRE(id1 != id2);

    auto missing = http_call(gw.port(), http::verb::get, "/v1/nope");
    require_openai_error(missing, 404);
    REQUIRE(missing.headers["X-Request-Id"].size() == 32);
}

TEST_CASE("non-stream chat completion is relayed to the OpenAI upstream", "[e2e]") {
    fake_upstream upstream{[](const recorded_request& r) { return openai_upstream(r); }};
    gatewayd_process gw{config_for(upstream.base_url())};

    auto res = http_call(gw.port(), http::verb::post, "/v1/chat/completions",
                         chat_body("gpt-4o", false), bearer());
    REQUIRE(res.status == 200);
    // The upstream's bytes, with only the model name the client asked for put back.
    REQUIRE(res.body ==
            with_model(read_fixture("openai_chat/text.json"), "gpt-4.1-nano-2025-04-14", "gpt-4o"));
    REQUIRE(res.headers["X-Request-Id"].size() == 32);

    auto seen = upstream.requests();
    REQUIRE(seen.size() == 1);
    REQUIRE(seen[0].method == "POST");
    REQUIRE(seen[0].target == "/v1/chat/completions");
    REQUIRE(seen[0].headers[http::field::authorization] == std::string("Bearer ") + upstream_key);
    auto sent = parse_object(seen[0].body);
    REQUIRE(sent.at("model") == "gpt-4o-2024-08-06");  // model_mapping applied
    REQUIRE(sent.at("messages").as_array().size() == 1);
    REQUIRE(!sent.contains("stream_options"));
}

TEST_CASE("pass-through sends the client's own bytes with only the model replaced", "[e2e]") {
    fake_upstream upstream{[](const recorded_request& r) { return openai_upstream(r); }};
    gatewayd_process gw{config_for(upstream.base_url())};
    const auto sent_for = [&](const std::string& body) {
        auto res = http_call(gw.port(), http::verb::post, "/v1/chat/completions", body, bearer());
        REQUIRE(res.status == 200);
        return upstream.requests().back().body;
    };
    const std::string messages = R"([{"role":"user","content":"say \"hi\" {not json} \\ \u00e9"}])";
    SECTION("numbers and escapes as the client wrote them; whitespace between members goes") {
        const std::string body =
            "{\n  \"model\": \"gpt-4o\",\n  \"temperature\": 0.70,\n"
            "  \"messages\": " +
            messages +
            ",\n  \"frequency_penalty\": 1.5e-1,\n"
            "  \"metadata\": {\"k\": \"v\" , \"n\": \"1\"}\n}";
        CHECK(sent_for(body) ==
              R"({"model":"gpt-4o-2024-08-06","temperature": 0.70,"messages": )" + messages +
                  R"(,"frequency_penalty": 1.5e-1,"metadata": {"k": "v" , "n": "1"}})");
    }
    SECTION("a Chat stream asks for usage after the client's members") {
        CHECK(sent_for(R"({"stream":true,"model":"gpt-4o","messages":)" + messages + "}") ==
              R"({"stream":true,"model":"gpt-4o-2024-08-06","messages":)" + messages +
                  R"(,"stream_options":{"include_usage":true}})");
    }
    SECTION("or in the client's own stream_options, where it was") {
        CHECK(sent_for(R"({"model":"gpt-4o","stream_options":{"include_obfuscation":false},)"
                       R"("stream":true,"messages":)" +
                       messages + "}") ==
              R"({"model":"gpt-4o-2024-08-06","stream_options":{"include_obfuscation":false,)"
              R"("include_usage":true},"stream":true,"messages":)" +
                  messages + "}");
    }
    SECTION("a repeated member is sent once, with its last value, as a parser reads it") {
        const auto sent = parse_object(sent_for(R"({"model":"gpt-4o","top_p":0.5,"messages":)" +
                                                messages + R"(,"top_p":0.25})"));
        CHECK(sent.at("model") == "gpt-4o-2024-08-06");
        CHECK(sent.at("top_p") == 0.25);
        CHECK(sent.size() == 3);
    }
}

TEST_CASE("streamed chat completion arrives event by event and byte-identical", "[e2e]") {
    fake_upstream upstream{[](const recorded_request& r) { return openai_upstream(r, 100ms); }};
    gatewayd_process gw{config_for(upstream.base_url())};
    const auto fixture = stream_as_relayed();
    const auto events = split_sse_events(fixture);
    REQUIRE(events.size() == 11);  // role, 7 deltas, finish, usage, [DONE]

    raw_connection conn{gw.port()};
    conn.send(raw_post("/v1/chat/completions", chat_body("gpt-4o", true, true),
                       "Authorization: Bearer " + std::string(relay_key) + "\r\n"));
    auto start = std::chrono::steady_clock::now();
    // The first event must come through long before the upstream has finished its stream.
    auto head = conn.read_until("\"role\":\"assistant\"", 5s);
    auto first_event_after = std::chrono::steady_clock::now() - start;
    REQUIRE(head.find("HTTP/1.1 200") == 0);
    REQUIRE(head.find("text/event-stream") != std::string::npos);
    REQUIRE(head.find("X-Request-Id: ") != std::string::npos);
    // Not a speed test: the upstream needs 10 × 100 ms for the whole stream, so an early first
    // event proves it was passed on as it came instead of being buffered.
    REQUIRE(first_event_after < 600ms);

    auto rest = head + conn.read_until("\r\n0\r\n\r\n", 5s);
    auto body = dechunk(rest.substr(rest.find("\r\n\r\n") + 4));
    // Pass-through keeps the exact bytes but the model name, usage chunk included.
    REQUIRE(body == fixture);

    auto sent = parse_object(upstream.requests().at(0).body);
    REQUIRE(sent.at("stream") == true);
    REQUIRE(sent.at("stream_options").at("include_usage") == true);
}

TEST_CASE("usage chunk is requested upstream but hidden from clients that did not ask", "[e2e]") {
    fake_upstream upstream{[](const recorded_request& r) { return openai_upstream(r); }};
    gatewayd_process gw{config_for(upstream.base_url())};

    auto res = http_call(gw.port(), http::verb::post, "/v1/chat/completions",
                         chat_body("gpt-4o", true, false), bearer());
    REQUIRE(res.status == 200);
    auto fixture_events = split_sse_events(read_fixture("openai_chat/text-stream.sse"));
    auto got = split_sse_events(res.body);
    REQUIRE(got.size() == fixture_events.size() - 1);
    REQUIRE(got.back() == "data: [DONE]\n\n");
    REQUIRE(res.body.find("\"usage\":{") == std::string::npos);
    auto sent = parse_object(upstream.requests().at(0).body);
    REQUIRE(sent.at("stream_options").at("include_usage") == true);
}

TEST_CASE("a client that disconnects mid-stream cancels the upstream request", "[e2e]") {
    // 200 events 50 ms apart: 10 s if nobody stopped it.
    std::string long_stream;
    for (int i = 0; i < 200; ++i) {
        long_stream +=
            R"(data: {"id":"chatcmpl-x","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[{"index":0,"delta":{"content":"tick"},"logprobs":null,"finish_reason":null}]})";
        long_stream += "\n\n";
    }
    long_stream += "data: [DONE]\n\n";
    fake_upstream upstream{
        [&](const recorded_request&) { return sse_response(long_stream, 50ms); }};
    gatewayd_process gw{config_for(upstream.base_url())};

    {
        raw_connection conn{gw.port()};
        conn.send(raw_post("/v1/chat/completions", chat_body("gpt-4o", true),
                           "Authorization: Bearer " + std::string(relay_key) + "\r\n"));
        auto head = conn.read_until("tick", 5s);
        REQUIRE(head.find("tick") != std::string::npos);
        conn.close();
    }
    auto disconnected_at = std::chrono::steady_clock::now();
    REQUIRE(upstream.wait_for_aborted(1, 3s));
    REQUIRE(std::chrono::steady_clock::now() - disconnected_at < 2s);

    // The gateway is still healthy and logs the request once, as cut by the client.
    REQUIRE(http_call(gw.port(), http::verb::get, "/health").status == 200);
    REQUIRE(gw.terminate(10s) == 0);
    auto store = gateway::storage::open_sqlite_store(gw.dir() + "/gatewayd.db");
    REQUIRE(store.has_value());
    auto logs = (*store)->recent_logs(10);
    REQUIRE(logs.has_value());
    REQUIRE(logs->size() == 1);
    REQUIRE(logs->at(0).status == 499);
    REQUIRE(logs->at(0).stream);
}

TEST_CASE("a client that hangs up before the upstream's headers cancels the upstream call",
          "[e2e]") {
    // The upstream answers after 5 s (first_byte_timeout_ms is 300 s): the gateway must not wait
    // for that to let go of a request whose client has left.
    fake_upstream upstream{[](const recorded_request& r) {
        auto res = openai_upstream(r);
        res.delay_before_headers = 5s;
        return res;
    }};
    gatewayd_process gw{config_for(upstream.base_url())};
    bool stream = false;
    SECTION("non-stream") { stream = false; }
    SECTION("stream") { stream = true; }

    {
        raw_connection conn{gw.port()};
        conn.send(raw_post("/v1/chat/completions", chat_body("gpt-4o", stream),
                           "Authorization: Bearer " + std::string(relay_key) + "\r\n"));
        const auto sent_by = std::chrono::steady_clock::now() + 5s;
        while (upstream.requests().empty() && std::chrono::steady_clock::now() < sent_by) {
            std::this_thread::sleep_for(5ms);
        }
        REQUIRE(upstream.requests().size() == 1);
        conn.close();
    }
    const auto hung_up_at = std::chrono::steady_clock::now();
    REQUIRE(upstream.wait_for_aborted(1, 1s));
    CHECK(std::chrono::steady_clock::now() - hung_up_at < 1s);

    REQUIRE(http_call(gw.port(), http::verb::get, "/health").status == 200);
    REQUIRE(gw.terminate(10s) == 0);
    // Nothing to warn about: the client's hang-up is not an upstream failure.
    CHECK(gw.output().find("Z warn") == std::string::npos);
    CHECK(gw.output().find("Sanitizer") == std::string::npos);
    auto store = gateway::storage::open_sqlite_store(gw.dir() + "/gatewayd.db");
    REQUIRE(store.has_value());
    auto logs = (*store)->recent_logs(10);
    REQUIRE(logs.has_value());
    REQUIRE(logs->size() == 1);
    CHECK(logs->at(0).status == 499);
    CHECK(logs->at(0).stream == stream);
    CHECK(logs->at(0).error == "client closed the connection");
    CHECK(logs->at(0).first_byte_ms == -1);
    CHECK(logs->at(0).quota == 0);
}

TEST_CASE("bad requests get OpenAI-style errors", "[e2e]") {
    fake_upstream upstream{[](const recorded_request& r) { return openai_upstream(r); }};
    gatewayd_process gw{config_for(upstream.base_url(), 4096)};

    SECTION("malformed JSON is 400") {
        auto res = http_call(gw.port(), http::verb::post, "/v1/chat/completions",
                             R"({"model": "gpt-4o", "messages": [)", bearer());
        require_openai_error(res, 400);
        REQUIRE(parse_object(res.body).at("error").at("type") == "invalid_request_error");
    }
    SECTION("missing model is 400") {
        auto res = http_call(gw.port(), http::verb::post, "/v1/chat/completions",
                             R"({"messages":[{"role":"user","content":"hi"}]})", bearer());
        require_openai_error(res, 400);
    }
    SECTION("stream of the wrong type is 400") {
        auto res = http_call(
            gw.port(), http::verb::post, "/v1/chat/completions",
            R"({"model":"gpt-4o","stream":"yes","messages":[{"role":"user","content":"hi"}]})",
            bearer());
        require_openai_error(res, 400);
        REQUIRE(parse_object(res.body).at("error").at("message").as_string().find("stream") !=
                json::string::npos);
    }
    SECTION("oversized body is 413") {
        std::string big = chat_body("gpt-4o", false);
        big.insert(big.size() - 1, ",\"padding\":\"" + std::string(8192, 'x') + "\"");
        auto res = http_call(gw.port(), http::verb::post, "/v1/chat/completions", big, bearer());
        require_openai_error(res, 413);
    }
    SECTION("wrong key is 401 and the key is not echoed") {
        auto res = http_call(gw.port(), http::verb::post, "/v1/chat/completions",
                             chat_body("gpt-4o", false), bearer("sk-wrong-key-abcdefghijkl"));
        require_openai_error(res, 401);
        REQUIRE(res.body.find("sk-wrong-key") == std::string::npos);
        REQUIRE(parse_object(res.body).at("error").at("code") == "invalid_api_key");
    }
    SECTION("missing key is 401") {
        auto res = http_call(gw.port(), http::verb::post, "/v1/chat/completions",
                             chat_body("gpt-4o", false));
        require_openai_error(res, 401);
    }
    SECTION("x-api-key is accepted like a bearer key") {
        auto res = http_call(gw.port(), http::verb::post, "/v1/chat/completions",
                             chat_body("gpt-4o", false), {{"x-api-key", relay_key}});
        REQUIRE(res.status == 200);
    }
    SECTION("unknown model is 404 model_not_found") {
        auto res = http_call(gw.port(), http::verb::post, "/v1/chat/completions",
                             chat_body("no-such-model", false), bearer());
        require_openai_error(res, 404);
        REQUIRE(parse_object(res.body).at("error").at("code") == "model_not_found");
    }
    SECTION("a token limited to other models gets 403") {
        auto res = http_call(gw.port(), http::verb::post, "/v1/chat/completions",
                             chat_body("gpt-4o", false), bearer(mock_only_key));
        require_openai_error(res, 403);
    }
    REQUIRE(upstream.requests().size() <= 1);
}

TEST_CASE("a request without a valid key gets its 401 before its body is read", "[e2e]") {
    // The body is announced and never sent: the answer must not wait for it.
    gatewayd_process gw{config_for("http://127.0.0.1:9", 1024 * 1024)};
    const auto head = [](std::string_view path, std::string_view key_field) {
        return "POST " + std::string(path) +
               " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: "
               "1000000\r\n" +
               std::string(key_field) + "\r\n";
    };
    const auto body_of = [](const std::string& raw) {
        return parse_object(raw.substr(raw.find("\r\n\r\n") + 4));
    };
    for (const std::string path : {"/v1/chat/completions", "/v1/responses", "/v1/embeddings"}) {
        for (const std::string key : {"", "Authorization: Bearer sk-wrong-key-abcdefghijkl\r\n"}) {
            INFO(path << " " << key);
            raw_connection conn{gw.port()};
            conn.send(head(path, key));
            const auto raw = conn.read_to_end(2s);
            REQUIRE(raw.find("HTTP/1.1 401 ") == 0);
            CHECK(raw.find("sk-wrong-key") == std::string::npos);
            const auto body = body_of(raw);
            CHECK(body.at("error").at("code") == "invalid_api_key");
        }
    }
    // The Anthropic route answers in Anthropic's envelope, as its handler does.
    raw_connection conn{gw.port()};
    conn.send(head("/v1/messages", "x-api-key: sk-wrong-key-abcdefghijkl\r\n"));
    const auto raw = conn.read_to_end(2s);
    REQUIRE(raw.find("HTTP/1.1 401 ") == 0);
    const auto body = body_of(raw);
    CHECK(body.at("type") == "error");
    CHECK(body.at("error").at("type") == "authentication_error");

    // With a valid key the body is waited for.
    raw_connection keyed{gw.port()};
    keyed.send(head("/v1/chat/completions", std::string("Authorization: Bearer ") + relay_key +
                                                "\r\n"));
    CHECK(keyed.read_until("\r\n\r\n", 300ms).empty());
}

TEST_CASE("a body with too many JSON elements for its size is 413 before it is parsed", "[e2e]") {
    // A one-word message is 30 bytes of JSON but over 600 in the parsed tree and the canonical
    // request: a body of them would take about 20 times its size (bench/memory/run.py).
    gatewayd_process gw{config_for("http://127.0.0.1:9", 8 * 1024 * 1024)};
    const auto messages = [](std::size_t count) {
        std::string out = R"({"model":"mock-gpt-4o","messages":[)";
        for (std::size_t i = 0; i < count; ++i) {
            if (i != 0) out += ',';
            out += R"({"role":"user","content":"w"})";
        }
        return out + "]}";
    };
    const auto zeros = [](std::size_t count) {
        std::string out = R"({"model":"mock-gpt-4o","messages":[{"role":"user","content":"hi"}],)"
                          R"("logit_bias_x":[)";
        for (std::size_t i = 0; i < count; ++i) out += i == 0 ? "0" : ",0";
        return out + "]}";
    };
    SECTION("200,000 one-word messages") {
        auto res = http_call(gw.port(), http::verb::post, "/v1/chat/completions",
                             messages(200'000), bearer());
        require_openai_error(res, 413);
        CHECK(parse_object(res.body).at("error").at("message").as_string().find(
                  "too many JSON elements") != json::string::npos);
    }
    SECTION("a million numbers") {
        auto res = http_call(gw.port(), http::verb::post, "/v1/chat/completions", zeros(1'000'000),
                             bearer());
        require_openai_error(res, 413);
    }
    SECTION("the sandbox too, in the route's format") {
        auto res = http_call(gw.port(), http::verb::post, "/sandbox/v1/messages",
                             messages(200'000));
        REQUIRE(res.status == 413);
        CHECK(parse_object(res.body).at("error").at("type") == "request_too_large");
    }
    SECTION("a long conversation of short messages still passes") {
        auto res = http_call(gw.port(), http::verb::post, "/v1/chat/completions",
                             messages(10'000), bearer());
        CHECK(res.status == 200);
    }
}

TEST_CASE("upstream errors reach the client in OpenAI shape", "[e2e]") {
    SECTION("an upstream 400 is passed on with its status and body") {
        fake_upstream upstream{[](const recorded_request&) {
            return json_response(400, read_fixture("openai_chat/error-400.json"));
        }};
        gatewayd_process gw{config_for(upstream.base_url())};
        auto res = http_call(gw.port(), http::verb::post, "/v1/chat/completions",
                             chat_body("gpt-4o", false), bearer());
        REQUIRE(res.status == 400);
        REQUIRE(res.body == read_fixture("openai_chat/error-400.json"));
    }
    SECTION("an unreachable upstream is 502") {
        std::string dead_base;
        {
            fake_upstream gone{[](const recorded_request& r) { return openai_upstream(r); }};
            dead_base = gone.base_url();
        }
        gatewayd_process gw{config_for(dead_base)};
        auto res = http_call(gw.port(), http::verb::post, "/v1/chat/completions",
                             chat_body("gpt-4o", true), bearer());
        require_openai_error(res, 502);
        REQUIRE(res.body.find(upstream_key) == std::string::npos);
    }
}

TEST_CASE("models, the mock provider and the sandbox", "[e2e]") {
    fake_upstream upstream{[](const recorded_request& r) { return openai_upstream(r); }};
    gatewayd_process gw{config_for(upstream.base_url())};

    SECTION("GET /v1/models lists what the token may use") {
        auto all =
            parse_object(http_call(gw.port(), http::verb::get, "/v1/models", {}, bearer()).body);
        REQUIRE(all.at("object") == "list");
        std::vector<std::string> ids;
        for (const auto& m : all.at("data").as_array()) ids.emplace_back(m.at("id").as_string());
        REQUIRE(ids == std::vector<std::string>{"gpt-4o", "gpt-4o-mini", "mock-gpt-4o"});
        auto limited = parse_object(
            http_call(gw.port(), http::verb::get, "/v1/models", {}, bearer(mock_only_key)).body);
        REQUIRE(limited.at("data").as_array().size() == 1);
        require_openai_error(http_call(gw.port(), http::verb::get, "/v1/models"), 401);
    }
    SECTION("the mock channel answers deterministically, also streamed") {
        auto a = http_call(gw.port(), http::verb::post, "/v1/chat/completions",
                           chat_body("mock-gpt-4o", false), bearer());
        REQUIRE(a.status == 200);
        auto body = parse_object(a.body);
        REQUIRE(body.at("object") == "chat.completion");
        REQUIRE(body.at("model") == "mock-gpt-4o");
        const auto text =
            std::string(body.at("choices").at(0).at("message").at("content").as_string());
        REQUIRE(text.find("What is the capital of France?") != std::string::npos);
        REQUIRE(body.at("usage").at("completion_tokens").as_int64() > 0);

        auto s = http_call(gw.port(), http::verb::post, "/v1/chat/completions",
                           chat_body("mock-gpt-4o", true), bearer());
        REQUIRE(s.status == 200);
        std::string joined;
        for (const auto& ev : split_sse_events(s.body)) {
            if (ev == "data: [DONE]\n\n") continue;
            auto chunk = parse_object(ev.substr(6));
            const auto& delta = chunk.at("choices").at(0).at("delta").as_object();
            if (const auto* c = delta.if_contains("content")) joined += c->as_string();
        }
        REQUIRE(joined == text);
        REQUIRE(s.body.ends_with("data: [DONE]\n\n"));
    }
    SECTION("sandbox routes need no key and answer in each format") {
        auto chat = http_call(gw.port(), http::verb::post, "/sandbox/v1/chat/completions",
                              chat_body("anything", false));
        REQUIRE(chat.status == 200);
        REQUIRE(parse_object(chat.body).at("object") == "chat.completion");

        auto responses = http_call(gw.port(), http::verb::post, "/sandbox/v1/responses",
                                   R"({"model":"m","input":"Say hi"})");
        REQUIRE(responses.status == 200);
        auto r = parse_object(responses.body);
        REQUIRE(r.at("object") == "response");
        REQUIRE(r.at("status") == "completed");
        REQUIRE(r.at("id").as_string().starts_with("resp_"));
        REQUIRE(r.at("output").at(0).at("content").at(0).at("type") == "output_text");

        auto messages = http_call(
            gw.port(), http::verb::post, "/sandbox/v1/messages",
            R"({"model":"claude","max_tokens":64,"stream":true,"messages":[{"role":"user","content":"Say hi"}]})");
        REQUIRE(messages.status == 200);
        std::vector<std::string> names;
        for (const auto& ev : split_sse_events(messages.body)) {
            names.push_back(ev.substr(7, ev.find('\n') - 7));
        }
        REQUIRE(names.front() == "message_start");
        REQUIRE(names[1] == "content_block_start");
        REQUIRE(names.back() == "message_stop");
        REQUIRE(names[names.size() - 2] == "message_delta");

        auto bad = http_call(gw.port(), http::verb::post, "/sandbox/v1/messages", "{oops");
        REQUIRE(bad.status == 400);
        auto err = parse_object(bad.body);
        REQUIRE(err.at("type") == "error");  // Anthropic's envelope on the Anthropic route
        REQUIRE(err.at("error").at("type") == "invalid_request_error");
    }
}

TEST_CASE("every accepted request is logged once with its usage", "[e2e]") {
    fake_upstream upstream{[](const recorded_request& r) { return openai_upstream(r); }};
    gatewayd_process gw{config_for(upstream.base_url())};
    REQUIRE(http_call(gw.port(), http::verb::post, "/v1/chat/completions",
                      chat_body("gpt-4o", false), bearer())
                .status == 200);
    REQUIRE(http_call(gw.port(), http::verb::post, "/v1/chat/completions",
                      chat_body("gpt-4o", true), bearer())
                .status == 200);
    // Rejected before acceptance: not logged.
    REQUIRE(http_call(gw.port(), http::verb::post, "/v1/chat/completions",
                      chat_body("gpt-4o", false), bearer("sk-nobody-at-all-000000"))
                .status == 401);
    REQUIRE(gw.terminate(10s) == 0);

    auto store = gateway::storage::open_sqlite_store(gw.dir() + "/gatewayd.db");
    REQUIRE(store.has_value());
    auto logs = (*store)->recent_logs(10);
    REQUIRE(logs.has_value());
    REQUIRE(logs->size() == 2);
    const auto& streamed = logs->at(0);  // newest first
    const auto& plain = logs->at(1);
    REQUIRE(plain.status == 200);
    REQUIRE(!plain.stream);
    REQUIRE(plain.prompt_tokens == 14);  // from text.json's usage
    REQUIRE(plain.completion_tokens == 38);
    REQUIRE(plain.upstream_model == "gpt-4o-2024-08-06");
    REQUIRE(streamed.stream);
    REQUIRE(streamed.prompt_tokens == 14);  // from the stream's usage chunk
    REQUIRE(streamed.completion_tokens == 7);
    REQUIRE(streamed.quota == 21);
    auto tokens = (*store)->load_tokens();
    REQUIRE(tokens.has_value());
    auto e2e =
        std::find_if(tokens->begin(), tokens->end(), [](auto& t) { return t.name == "e2e"; });
    REQUIRE(e2e != tokens->end());
    REQUIRE(e2e->used_quota == 52 + 21);
}

TEST_CASE("SIGTERM lets a running stream finish, then exits 0", "[e2e]") {
    fake_upstream upstream{[](const recorded_request& r) { return openai_upstream(r, 100ms); }};
    gatewayd_process gw{config_for(upstream.base_url())};
    raw_connection conn{gw.port()};
    conn.send(raw_post("/v1/chat/completions", chat_body("gpt-4o", true, true),
                       "Authorization: Bearer " + std::string(relay_key) + "\r\n"));
    auto head = conn.read_until("\"role\":\"assistant\"", 5s);
    REQUIRE(head.find("HTTP/1.1 200") == 0);

    std::atomic<int> exit_status{-2};
    std::thread stopper([&] { exit_status = gw.terminate(10s); });
    std::this_thread::sleep_for(150ms);
    // No new connections once shutdown started.
    bool refused = false;
    try {
        http_call(gw.port(), http::verb::get, "/health");
    } catch (const std::exception&) {
        refused = true;
    }
    REQUIRE(refused);

    auto rest = head + conn.read_to_end(10s);
    auto body = dechunk(rest.substr(rest.find("\r\n\r\n") + 4));
    REQUIRE(body == stream_as_relayed());
    stopper.join();
    REQUIRE(exit_status == 0);
}

TEST_CASE("gatewayd names why it cannot open its database", "[e2e][storage]") {
    // Each used to end in the same "storage error". `token create` opens the database as the
    // server does at start-up (the same open_store) and exits either way.
    char tmpl[] = "/tmp/gatewayd-db-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    const std::filesystem::path dir = tmpl;

    const auto garbage = dir / "garbage.db";
    std::ofstream(garbage, std::ios::binary) << std::string(4096, 'g');
    const auto directory = dir / "directory.db";
    std::filesystem::create_directory(directory);
    // A database of a newer gatewayd: PRAGMA user_version (header offset 60, big-endian) 9999.
    const auto newer = dir / "newer.db";
    REQUIRE(gateway::storage::open_sqlite_store(newer.string()).has_value());
    {
        std::fstream f(newer, std::ios::binary | std::ios::in | std::ios::out);
        f.seekp(60);
        const char version[4] = {0, 0, 0x27, 0x0f};
        f.write(version, sizeof version);
    }

    const std::pair<std::filesystem::path, std::string> cases[] = {
        {garbage, "not a database (SQLite: file is not a database)"},
        {directory, "it is a directory, not a database file"},
        {newer, "schema version 9999 is newer than this binary's "},
    };
    for (const auto& [path, cause] : cases) {
        INFO(path);
        const auto [status, output] =
            run_gatewayd({"token", "create", "alice"}, {{"SQLITE_PATH", path.string()}});
        CHECK(status == 1);
        CHECK_THAT(output, Catch::Contains("gatewayd: cannot open the database " + path.string() +
                                           ": " + cause));
        CHECK_THAT(output, !Catch::Contains("storage error"));
        CHECK_THAT(output, !Catch::Contains("Sanitizer"));
        CHECK_THAT(output, !Catch::Contains("runtime error"));
    }
    std::filesystem::remove_all(dir);
}
