// End-to-end: a gatewayd killed with SIGKILL right after its last client saw its response loses
// no request log, and charges nothing twice, once it is started again (the request-log journal,
// docs/architecture.md "Request log").

#include "e2e/gatewayd_process.hpp"
#include "support/test_client.hpp"

#include <gateway/storage/store.hpp>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <map>
#include <string>

using namespace gateway::test;
namespace json = boost::json;
namespace http = boost::beast::http;
using namespace std::chrono_literals;

namespace {

constexpr const char* relay_key = "sk-durability-test-key-0123456789";
constexpr std::int64_t allowance = 1'000'000;

std::string config() {
    return R"({
  "server": {"port": 0, "threads": 2, "shutdown_timeout_ms": 5000},
  "sqlite_path": "@DIR@/gatewayd.db",
  "log_level": "warn",
  "channels": [{"name": "mock", "type": "mock", "models": ["mock-gpt-4o"]}],
  "tokens": [{"name": "durable", "key": ")" +
           std::string(relay_key) + R"(", "quota": )" + std::to_string(allowance) + R"(}]
})";
}

std::string chat_body(int n, bool stream) {
    // Prompts of different lengths, so that the charges differ from request to request.
    json::object body{
        {"model", "mock-gpt-4o"},
        {"messages",
         json::array{json::object{
             {"role", "user"},
             {"content", "Request " + std::to_string(n) +
                             std::string(static_cast<std::size_t>(n % 7) * 11, '!')}}}}};
    if (stream) {
        body["stream"] = true;
        body["stream_options"] = json::object{{"include_usage", true}};
    }
    return json::serialize(body);
}

/// prompt + completion tokens of the usage the client saw (Chat's usage object, in the body or
/// in the stream's usage chunk).
std::int64_t usage_seen(const http_result& res, bool stream) {
    auto total = [](const json::value& usage) {
        return usage.at("prompt_tokens").as_int64() + usage.at("completion_tokens").as_int64();
    };
    if (!stream) return total(json::parse(res.body).at("usage"));
    std::int64_t found = -1;
    std::string_view rest = res.body;
    for (auto line_end = rest.find('\n'); line_end != std::string_view::npos;
         line_end = rest.find('\n')) {
        std::string_view line = rest.substr(0, line_end);
        rest.remove_prefix(line_end + 1);
        if (!line.starts_with("data: {")) continue;
        auto event = json::parse(line.substr(6));
        if (const auto* usage = event.as_object().if_contains("usage");
            usage != nullptr && usage->is_object()) {
            found = total(*usage);
        }
    }
    return found;
}

std::size_t journal_files_in(const std::string& dir) {
    std::size_t n = 0;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
        if (entry.path().filename().string().starts_with("gatewayd.db.journal-")) ++n;
    }
    return n;
}

}  // namespace

TEST_CASE("kill -9 right after the last response loses no request log and charges once",
          "[e2e][durability]") {
    gatewayd_process gw{config()};
    constexpr int requests = 40;
    std::map<std::string, std::int64_t> charged;  // request id → quota the client's usage implies
    for (int i = 0; i < requests; ++i) {
        const bool stream = i % 2 == 1;
        const auto res =
            http_call(gw.port(), http::verb::post, "/v1/chat/completions", chat_body(i, stream),
                      {{"Authorization", std::string("Bearer ") + relay_key}});
        REQUIRE(res.status == 200);
        const std::int64_t quota = usage_seen(res, stream);
        REQUIRE(quota > 0);
        charged.emplace(std::string(res.headers["X-Request-Id"]), quota);
    }
    // The last client has its whole response: the process dies before its group commit.
    REQUIRE(gw.kill_now());
    REQUIRE(charged.size() == requests);

    gw.restart();
    REQUIRE(http_call(gw.port(), http::verb::get, "/health").status == 200);
    REQUIRE(gw.terminate(10s) == 0);
    const std::string output = gw.output();
    CHECK(output.find("Sanitizer") == std::string::npos);
    CHECK(output.find("Z error") == std::string::npos);
    CHECK(output.find("Z warn") == std::string::npos);
    CHECK(journal_files_in(gw.dir()) == 0);

    auto store = gateway::storage::open_sqlite_store(gw.dir() + "/gatewayd.db");
    REQUIRE(store.has_value());
    auto logs = (*store)->recent_logs(1000);
    REQUIRE(logs.has_value());
    std::int64_t total = 0;
    for (const auto& [id, quota] : charged) {
        INFO("request " << id);
        const auto count = std::count_if(logs->begin(), logs->end(),
                                         [&](const auto& l) { return l.request_id == id; });
        CHECK(count == 1);
        const auto it = std::find_if(logs->begin(), logs->end(),
                                     [&](const auto& l) { return l.request_id == id; });
        if (it != logs->end()) {
            CHECK(it->status == 200);
            CHECK(it->quota == quota);
        }
        total += quota;
    }
    CHECK(logs->size() == charged.size());
    auto tokens = (*store)->load_tokens();
    REQUIRE(tokens.has_value());
    const auto token = std::find_if(tokens->begin(), tokens->end(),
                                    [](const auto& t) { return t.name == "durable"; });
    REQUIRE(token != tokens->end());
    CHECK(token->used_quota == total);
    CHECK(token->remain_quota == allowance - total);
}
