// The error-path battery: every client-visible error of every route, with short messages and
// long ones (heap-allocated, beyond any small-string buffer), repeated hundreds of times on one
// gatewayd process, then good requests and a clean SIGTERM.
//
// A server that answers an error correctly but corrupts its heap doing so (a double free on every
// 400 of the generation routes went unnoticed this way, 2026-12) fails here: under ASan on the
// first such request, and with the Release binary's own allocator (ctest's `error_battery_release`,
// see tests/CMakeLists.txt) by crashing or hanging on shutdown. Each answer is also checked for
// its status and the client's own error envelope.

#include "e2e/gatewayd_process.hpp"
#include "support/fake_upstream.hpp"
#include "support/test_client.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <functional>
#include <string>
#include <vector>

using namespace gateway::test;
namespace json = boost::json;
namespace http = boost::beast::http;
using namespace std::chrono_literals;

namespace {

constexpr const char* relay_key = "sk-battery-key-0123456789abcdef";
constexpr const char* narrow_key = "sk-battery-narrow-key-0123456789";
constexpr const char* spent_key = "sk-battery-spent-key-0123456789";
constexpr const char* upstream_key = "sk-battery-upstream-secret-0001";

/// Long enough that no standard library keeps it inline (libstdc++ keeps 15 bytes).
std::string long_text(char fill = 'x') { return std::string(300, fill); }

std::string config_for(const std::string& upstream_base) {
    return R"({
  "server": {"port": 0, "threads": 2, "max_body_bytes": 65536, "shutdown_timeout_ms": 5000},
  "sqlite_path": "@DIR@/gatewayd.db",
  "log_level": "error",
  "channels": [
    {"name": "failing-openai", "type": "openai", "base_url": ")" +
           upstream_base + R"(", "keys": [")" + upstream_key + R"("],
     "models": ["upstream-400", "upstream-401", "upstream-429", "upstream-500", "upstream-junk"]},
    {"name": "mock", "type": "mock", "models": ["mock-gpt-4o", "mock-claude"]}
  ],
  "tokens": [
    {"name": "battery", "key": ")" +
           std::string(relay_key) + R"("},
    {"name": "narrow", "key": ")" +
           std::string(narrow_key) + R"(", "models": ["mock-claude"]},
    {"name": "spent", "key": ")" +
           std::string(spent_key) + R"(", "quota": 0}
  ]
})";
}

/// An upstream that fails the way its model name says, with a long message that quotes the key
/// it received, as some OpenAI-compatible servers and proxies do: whole, and with its middle
/// elided.
scripted_response failing_upstream(const recorded_request& req) {
    const auto body = json::parse(req.body).as_object();
    const std::string model(body.at("model").as_string());
    std::string key(req.headers[http::field::authorization]);
    if (key.starts_with("Bearer ")) key.erase(0, 7);
    const std::string message = "Incorrect API key provided: " + key + " (" + key.substr(0, 14) +
                                "..." + key.substr(key.size() - 4) + ") " + long_text('u');
    const auto error_body = [&](std::string_view type) {
        return json::serialize(json::object{
            {"error", json::object{{"message", message}, {"type", type}, {"code", nullptr}}}});
    };
    if (model == "upstream-400") return json_response(400, error_body("invalid_request_error"));
    if (model == "upstream-401") return json_response(401, error_body("invalid_api_key"));
    if (model == "upstream-429") return json_response(429, error_body("rate_limit_exceeded"));
    if (model == "upstream-500") return json_response(500, error_body("server_error"));
    return json_response(200, "this is not JSON " + long_text('j'));
}

/// A stream that breaks off with an error event quoting the key, as in the recorded
/// tests/golden/openai_chat/error-mid-stream (OpenAI's own in-stream error shape).
scripted_response failing_stream(const recorded_request& req) {
    std::string key(req.headers[http::field::authorization]);
    if (key.starts_with("Bearer ")) key.erase(0, 7);
    const std::string chunk =
        R"({"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"upstream-500",)"
        R"("choices":[{"index":0,"delta":{"role":"assistant","content":"The"},"finish_reason":null}]})";
    const std::string error = json::serialize(
        json::object{{"error", json::object{{"message", "Your key " + key + " is suspended"},
                                            {"type", "server_error"},
                                            {"param", nullptr},
                                            {"code", nullptr}}}});
    return sse_response("data: " + chunk + "\n\ndata: " + error + "\n\n");
}

enum class route_format { openai, anthropic };

struct route {
    std::string path;
    route_format format;
    /// A valid body for `model`, with `messages` (or `input`) replaced by `turns` when given.
    std::function<json::object(std::string_view model)> body;
};

const std::vector<route>& generation_routes() {
    static const std::vector<route> routes{
        {"/v1/chat/completions", route_format::openai,
         [](std::string_view model) {
             return json::object{
                 {"model", model},
                 {"messages", json::array{json::object{{"role", "user"}, {"content", "Hi"}}}}};
         }},
        {"/v1/messages", route_format::anthropic,
         [](std::string_view model) {
             return json::object{
                 {"model", model},
                 {"max_tokens", 16},
                 {"messages", json::array{json::object{{"role", "user"}, {"content", "Hi"}}}}};
         }},
        {"/v1/responses", route_format::openai,
         [](std::string_view model) {
             return json::object{{"model", model}, {"input", "Hi"}};
         }},
    };
    return routes;
}

/// The client's own error envelope: OpenAI's `{"error":{"message",...}}`, Anthropic's
/// `{"type":"error","error":{"type","message"}}`.
void require_error(const http_result& res, unsigned status, route_format format,
                   const std::string& what) {
    INFO(what << " -> " << res.status << " " << res.body.substr(0, 400));
    REQUIRE(res.status == status);
    const json::value parsed = json::parse(res.body);
    REQUIRE(parsed.is_object());
    const auto& body = parsed.as_object();
    REQUIRE(body.contains("error"));
    const auto& error = body.at("error").as_object();
    REQUIRE(error.at("message").is_string());
    REQUIRE_FALSE(error.at("message").as_string().empty());
    if (format == route_format::anthropic) {
        REQUIRE(body.at("type") == "error");
        REQUIRE(error.at("type").is_string());
    }
    // Not the upstream's key, nor a recognisable part of it.
    REQUIRE(res.body.find(upstream_key) == std::string::npos);
    REQUIRE(res.body.find(std::string(upstream_key).substr(0, 14)) == std::string::npos);
}

struct bad_request {
    std::string what;
    unsigned status;
    std::string target;
    route_format format;
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
    http::verb method = http::verb::post;
};

std::vector<std::pair<std::string, std::string>> auth(const char* key = relay_key) {
    return {{"Authorization", std::string("Bearer ") + key}};
}

/// Every error the routes can give a client, each with a short and a long variant where the
/// client's input reaches the message.
std::vector<bad_request> battery() {
    std::vector<bad_request> out;
    for (const route& r : generation_routes()) {
        const auto with = [&](std::string what, unsigned status, std::string body,
                              std::vector<std::pair<std::string, std::string>> headers = auth()) {
            out.push_back({r.path + ": " + std::move(what), status, r.path, r.format,
                           std::move(body), std::move(headers)});
        };
        const auto valid = [&](std::string_view model) { return r.body(model); };
        // The body itself.
        with("unparsable JSON", 400, R"({"model": "mock-gpt-4o", "messages": [)");
        with("unparsable JSON, long", 400, R"({"model": ")" + long_text() + R"(", "messages": [)");
        with("not an object", 400, "[1,2,3]");
        with("empty body", 400, "");
        {
            auto b = valid("mock-gpt-4o");
            b.erase("model");
            with("no model", 400, json::serialize(b));
        }
        {
            auto b = valid("mock-gpt-4o");
            b["model"] = 42;
            with("model of the wrong type", 400, json::serialize(b));
        }
        {
            auto b = valid("mock-gpt-4o");
            b["stream"] = "yes";
            with("stream of the wrong type", 400, json::serialize(b));
        }
        {
            // A role the format does not have, short and long: the message quotes it.
            for (const std::string& role : {std::string("wizard"), long_text('r')}) {
                auto b = valid("mock-gpt-4o");
                json::array turns{json::object{{"role", role}, {"content", "Hi"}}};
                if (b.contains("messages")) {
                    b["messages"] = turns;
                } else {
                    b["input"] = turns;
                }
                with("unexpected role of " + std::to_string(role.size()) + " bytes", 400,
                     json::serialize(b));
            }
        }
        {
            auto b = valid("mock-gpt-4o");
            b["temperature"] = "hot";
            with("temperature of the wrong type", 400, json::serialize(b));
        }
        // Keys and models.
        with("no key", 401, json::serialize(valid("mock-gpt-4o")), {});
        with("unknown key", 401, json::serialize(valid("mock-gpt-4o")),
             auth("sk-no-such-key-0123456789abcdef"));
        with("unknown key, long", 401, json::serialize(valid("mock-gpt-4o")),
             {{"Authorization", "Bearer sk-" + long_text('k')}});
        with("unknown model", 404, json::serialize(valid("no-such-model")));
        with("unknown model, long", 404, json::serialize(valid(long_text('m'))));
        with("model outside the key's list", 403, json::serialize(valid("mock-gpt-4o")),
             auth(narrow_key));
        with("no quota left", 429, json::serialize(valid("mock-gpt-4o")), auth(spent_key));
        // The upstream's failures, relayed in the client's format.
        with("upstream 400", 400, json::serialize(valid("upstream-400")));
        with("upstream 401", 502, json::serialize(valid("upstream-401")));
        with("upstream 429", 429, json::serialize(valid("upstream-429")));
        with("upstream 500", 502, json::serialize(valid("upstream-500")));
        with("upstream answers junk", 502, json::serialize(valid("upstream-junk")));
        // The method.
        out.push_back({r.path + ": GET", 405, r.path, r.format, "", auth(), http::verb::get});
    }
    // Chat's URL parameters.
    out.push_back({"chat: bad thinking parameter", 400,
                   "/v1/chat/completions?thinking=" + long_text('t'), route_format::openai,
                   json::serialize(generation_routes()[0].body("mock-gpt-4o")), auth()});
    // Embeddings and rerank.
    for (const char* path : {"/v1/embeddings", "/v1/rerank"}) {
        out.push_back({std::string(path) + ": unparsable", 400, path, route_format::openai,
                       "{\"model\":", auth()});
        out.push_back({std::string(path) + ": no key",
                       401,
                       path,
                       route_format::openai,
                       R"({"model":"m","input":"x"})",
                       {}});
        out.push_back({std::string(path) + ": unknown model, long", 404, path, route_format::openai,
                       json::serialize(json::object{{"model", long_text('e')},
                                                    {"input", "x"},
                                                    {"query", "q"},
                                                    {"documents", json::array{"a"}}}),
                       auth()});
    }
    // The other routes.
    out.push_back(
        {"models: no key", 401, "/v1/models", route_format::openai, "", {}, http::verb::get});
    out.push_back({"models: POST", 405, "/v1/models", route_format::openai, "", auth()});
    out.push_back({"health: POST", 405, "/health", route_format::openai, "", {}});
    out.push_back({"unknown route, long", 404, "/v1/" + long_text('p'), route_format::openai, "",
                   auth(), http::verb::get});
    out.push_back({"sandbox: unparsable",
                   400,
                   "/sandbox/v1/chat/completions",
                   route_format::openai,
                   "{",
                   {}});
    out.push_back({"sandbox: not an object",
                   400,
                   "/sandbox/v1/messages",
                   route_format::anthropic,
                   "\"" + long_text() + "\"",
                   {}});
    out.push_back({"sandbox: unknown route",
                   404,
                   "/sandbox/v1/" + long_text('s'),
                   route_format::openai,
                   "{}",
                   {}});
    out.push_back({"sandbox: GET",
                   405,
                   "/sandbox/v1/responses",
                   route_format::openai,
                   "",
                   {},
                   http::verb::get});
    return out;
}

}  // namespace

TEST_CASE("every error of every route, hundreds of times, then good requests and a clean exit",
          "[e2e][battery]") {
    fake_upstream upstream{failing_upstream};
    gatewayd_process gw{config_for(upstream.base_url())};

    const auto cases = battery();
    constexpr int rounds = 8;
    std::size_t sent = 0;
    for (int round = 0; round < rounds; ++round) {
        for (const auto& c : cases) {
            const auto res = http_call(gw.port(), c.method, c.target, c.body, c.headers);
            require_error(res, c.status, c.format, c.what);
            ++sent;
        }
    }
    CHECK(sent >= 500);

    // The process still serves, in every format.
    for (int i = 0; i < 20; ++i) {
        for (const route& r : generation_routes()) {
            const std::string model =
                r.format == route_format::anthropic ? "mock-claude" : "mock-gpt-4o";
            const auto res = http_call(gw.port(), http::verb::post, r.path,
                                       json::serialize(r.body(model)), auth());
            INFO(r.path << ": " << res.body);
            REQUIRE(res.status == 200);
        }
    }
    const int status = gw.terminate(10s);
    const std::string output = gw.output();
    INFO(output);
    CHECK(status == 0);
    CHECK(output.find("AddressSanitizer") == std::string::npos);
    CHECK(output.find("runtime error") == std::string::npos);
    CHECK(output.find(upstream_key) == std::string::npos);
    CHECK(output.find(relay_key) == std::string::npos);
}

TEST_CASE("an upstream stream error that quotes the key reaches clients redacted",
          "[e2e][battery]") {
    fake_upstream upstream{failing_stream};
    gatewayd_process gw{config_for(upstream.base_url())};
    for (const route& r : generation_routes()) {
        auto body = r.body("upstream-500");
        body["stream"] = true;
        const auto res =
            http_call(gw.port(), http::verb::post, r.path, json::serialize(body), auth());
        INFO(r.path << ": " << res.body);
        REQUIRE(res.status == 200);
        // The error reached the client (passed through on Chat, converted on the others)...
        CHECK(res.body.find("is suspended") != std::string::npos);
        CHECK(res.body.find("[redacted]") != std::string::npos);
        // ...without the key.
        CHECK(res.body.find(upstream_key) == std::string::npos);
        CHECK(res.body.find(std::string(upstream_key).substr(0, 14)) == std::string::npos);
    }
}
