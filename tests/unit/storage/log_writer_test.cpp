#include <gateway/storage/log_writer.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <thread>

using namespace gateway::storage;

namespace {

request_log log_for(std::int64_t token_id, std::int64_t quota, int n) {
    request_log l;
    l.request_id = "req-" + std::to_string(n);
    l.token_id = token_id;
    l.endpoint = "/v1/chat/completions";
    l.model = "m";
    l.status = 200;
    l.quota = quota;
    l.created_at_ms = n;
    return l;
}

}  // namespace

TEST_CASE("the log writer writes every log once and charges its token", "[storage]") {
    auto opened = open_sqlite_store(":memory:");
    REQUIRE(opened.has_value());
    auto& store = **opened;
    token_record t;
    t.name = "t";
    t.key_hash = hash_key("sk-log-writer-test-key");
    t.unlimited_quota = false;
    t.remain_quota = 100000;
    auto id = store.upsert_token(t);
    REQUIRE(id.has_value());

    constexpr int threads = 4;
    constexpr int per_thread = 250;
    {
        log_writer writer{store, 64};
        std::vector<std::thread> submitters;
        for (int i = 0; i < threads; ++i) {
            submitters.emplace_back([&, i] {
                for (int j = 0; j < per_thread; ++j) {
                    writer.submit(log_for(*id, 3, i * per_thread + j));
                }
            });
        }
        for (auto& s : submitters) s.join();
        writer.flush();
        REQUIRE(writer.written() == threads * per_thread);
        REQUIRE(writer.failed() == 0);
        writer.submit(log_for(*id, 5, 99999));
        // Destroying the writer writes what is still queued.
    }
    auto logs = store.recent_logs(5000);
    REQUIRE(logs.has_value());
    REQUIRE(logs->size() == threads * per_thread + 1);
    auto tokens = store.load_tokens();
    REQUIRE(tokens.has_value());
    REQUIRE(tokens->at(0).used_quota == threads * per_thread * 3 + 5);
    REQUIRE(tokens->at(0).remain_quota == 100000 - (threads * per_thread * 3 + 5));
}

TEST_CASE("flush returns at once when nothing is queued", "[storage]") {
    auto opened = open_sqlite_store(":memory:");
    REQUIRE(opened.has_value());
    log_writer writer{**opened};
    writer.flush();
    REQUIRE(writer.written() == 0);
}

TEST_CASE("a lone log is written within the commit interval, without a flush", "[storage]") {
    auto opened = open_sqlite_store(":memory:");
    REQUIRE(opened.has_value());
    log_writer writer{**opened, 512, std::chrono::milliseconds(20)};
    writer.submit(log_for(0, 0, 1));
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (writer.written() == 0 && std::chrono::steady_clock::now() < give_up) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    REQUIRE(writer.written() == 1);
}

TEST_CASE("flush and a full batch do not wait for the commit interval", "[storage]") {
    auto opened = open_sqlite_store(":memory:");
    REQUIRE(opened.has_value());
    log_writer writer{**opened, 4, std::chrono::hours(1)};
    writer.submit(log_for(0, 0, 1));
    writer.flush();
    REQUIRE(writer.written() == 1);
    for (int i = 2; i <= 5; ++i) writer.submit(log_for(0, 0, i));
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (writer.written() < 5 && std::chrono::steady_clock::now() < give_up) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    REQUIRE(writer.written() == 5);
}
