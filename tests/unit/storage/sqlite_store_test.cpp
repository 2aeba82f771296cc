// The SQLite store and the relay key helpers.

#include <gateway/core/error.hpp>
#include <gateway/storage/store.hpp>

#include <SQLiteCpp/SQLiteCpp.h>
#include <fmt/core.h>
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace fs = std::filesystem;
using gateway::errc;
using gateway::storage::channel_record;
using gateway::storage::request_log;
using gateway::storage::token_record;

/// A fresh directory under the system temp dir, removed with its content at scope exit.
class temp_dir {
  public:
    temp_dir()
        : path_(fs::temp_directory_path() /
                ("gateway-store-test-" + gateway::storage::generate_key().substr(3, 16))) {
        fs::create_directories(path_);
    }
    ~temp_dir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;

    const fs::path& path() const { return path_; }

  private:
    fs::path path_;
};

std::unique_ptr<gateway::storage::store> open_or_fail(const std::string& path) {
    auto opened = gateway::storage::open_sqlite_store(path);
    REQUIRE(opened.has_value());
    return std::move(*opened);
}

std::string read_bytes(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// `PRAGMA user_version` straight from the file header (offset 60, big-endian): no SQL, so
/// nothing here can run a migration.
std::uint32_t user_version_in_header(const fs::path& path) {
    const std::string bytes = read_bytes(path);
    REQUIRE(bytes.size() >= 100);
    std::uint32_t version = 0;
    for (std::size_t i = 60; i < 64; ++i) {
        version = (version << 8U) | static_cast<unsigned char>(bytes[i]);
    }
    return version;
}

channel_record sample_channel() {
    channel_record c;
    c.name = "openai-main";
    c.type = "openai";
    c.base_url = "https://api.openai.com";
    c.keys = {"sk-upstream-one", "sk-upstream-two"};
    c.models = {"gpt-4o", "gpt-4o-mini"};
    c.model_mapping = {{"gpt-4o", "gpt-4o-2024-08-06"}, {"gpt-4o-mini", "gpt-4o-mini-2024"}};
    c.priority = 5;
    c.weight = 3;
    c.enabled = false;
    c.settings_json = R"({"organization":"org-1","nested":{"a":[1,2]}})";
    return c;
}

token_record sample_token(std::string name, std::string_view key) {
    token_record t;
    t.name = std::move(name);
    t.key_hash = gateway::storage::hash_key(key);
    t.models = {"gpt-4o"};
    t.unlimited_quota = false;
    t.remain_quota = 1000;
    t.expires_at = 1'900'000'000;
    t.enabled = true;
    return t;
}

request_log sample_log(std::string request_id, std::int64_t token_id, std::int64_t quota,
                       std::int64_t created_at_ms) {
    request_log l;
    l.request_id = std::move(request_id);
    l.token_id = token_id;
    l.channel_id = 7;
    l.endpoint = "/v1/chat/completions";
    l.model = "gpt-4o";
    l.upstream_model = "gpt-4o-2024-08-06";
    l.stream = true;
    l.status = 200;
    l.prompt_tokens = 11;
    l.completion_tokens = 22;
    l.quota = quota;
    l.created_at_ms = created_at_ms;
    l.duration_ms = 345;
    l.first_byte_ms = 120;
    l.error = "";
    return l;
}

void require_same(const channel_record& got, const channel_record& want) {
    CHECK(got.name == want.name);
    CHECK(got.type == want.type);
    CHECK(got.base_url == want.base_url);
    CHECK(got.keys == want.keys);
    CHECK(got.models == want.models);
    CHECK(got.model_mapping == want.model_mapping);
    CHECK(got.priority == want.priority);
    CHECK(got.weight == want.weight);
    CHECK(got.enabled == want.enabled);
    CHECK(got.settings_json == want.settings_json);
}

void require_same(const request_log& got, const request_log& want) {
    CHECK(got.request_id == want.request_id);
    CHECK(got.token_id == want.token_id);
    CHECK(got.channel_id == want.channel_id);
    CHECK(got.endpoint == want.endpoint);
    CHECK(got.model == want.model);
    CHECK(got.upstream_model == want.upstream_model);
    CHECK(got.stream == want.stream);
    CHECK(got.status == want.status);
    CHECK(got.prompt_tokens == want.prompt_tokens);
    CHECK(got.completion_tokens == want.completion_tokens);
    CHECK(got.quota == want.quota);
    CHECK(got.created_at_ms == want.created_at_ms);
    CHECK(got.duration_ms == want.duration_ms);
    CHECK(got.first_byte_ms == want.first_byte_ms);
    CHECK(got.error == want.error);
}

token_record load_token(gateway::storage::store& store, std::string_view name) {
    auto tokens = store.load_tokens();
    REQUIRE(tokens.has_value());
    auto it = std::find_if(tokens->begin(), tokens->end(),
                           [&](const token_record& t) { return t.name == name; });
    REQUIRE(it != tokens->end());
    return *it;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Keys

TEST_CASE("hash_key is the lowercase hex SHA-256 of the key", "[storage]") {
    CHECK(gateway::storage::hash_key("abc") ==
          "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK(gateway::storage::hash_key("") ==
          "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(gateway::storage::hash_key("sk-test") != gateway::storage::hash_key("sk-tesT"));
}

TEST_CASE("generate_key gives sk- and 48 base62 characters, all different", "[storage]") {
    const std::string alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    std::set<std::string> keys;
    std::set<char> seen;
    for (int i = 0; i < 1000; ++i) {
        std::string key = gateway::storage::generate_key();
        REQUIRE(key.size() == 51);
        REQUIRE(key.substr(0, 3) == "sk-");
        for (char ch : key.substr(3)) {
            REQUIRE(alphabet.find(ch) != std::string::npos);
            seen.insert(ch);
        }
        keys.insert(std::move(key));
    }
    CHECK(keys.size() == 1000);
    // 48,000 draws over 62 symbols: every symbol shows up unless the sampling is broken.
    CHECK(seen.size() == 62);
}

// ---------------------------------------------------------------------------------------------
// Channels and tokens

TEST_CASE("channels are inserted and updated by name, every field round-trips", "[storage]") {
    auto store = open_or_fail(":memory:");

    const channel_record first = sample_channel();
    auto id = store->upsert_channel(first);
    REQUIRE(id.has_value());
    CHECK(*id > 0);

    channel_record other;
    other.name = "mock";
    other.type = "mock";
    other.models = {"mock-gpt-4o"};
    auto other_id = store->upsert_channel(other);
    REQUIRE(other_id.has_value());
    CHECK(*other_id != *id);

    auto loaded = store->load_channels();
    REQUIRE(loaded.has_value());
    REQUIRE(loaded->size() == 2);
    CHECK((*loaded)[0].id == *id);
    require_same((*loaded)[0], first);
    CHECK((*loaded)[1].id == *other_id);
    require_same((*loaded)[1], other);

    channel_record changed = first;
    changed.type = "mock";
    changed.base_url = "http://127.0.0.1:9000/v1";
    changed.keys = {"sk-upstream-three"};
    changed.models = {"o1"};
    changed.model_mapping = {};
    changed.priority = -2;
    changed.weight = 0;
    changed.enabled = true;
    changed.settings_json = "{}";
    auto same_id = store->upsert_channel(changed);
    REQUIRE(same_id.has_value());
    CHECK(*same_id == *id);

    loaded = store->load_channels();
    REQUIRE(loaded.has_value());
    REQUIRE(loaded->size() == 2);
    CHECK((*loaded)[0].id == *id);
    require_same((*loaded)[0], changed);
}

TEST_CASE("tokens are inserted and updated by name, every field round-trips", "[storage]") {
    auto store = open_or_fail(":memory:");

    token_record alice = sample_token("alice", "sk-alice-0123456789");
    auto id = store->upsert_token(alice);
    REQUIRE(id.has_value());

    token_record got = load_token(*store, "alice");
    CHECK(got.id == *id);
    CHECK(got.key_hash == alice.key_hash);
    CHECK(got.models == alice.models);
    CHECK(got.remain_quota == 1000);
    CHECK_FALSE(got.unlimited_quota);
    CHECK(got.used_quota == 0);
    CHECK(got.expires_at == 1'900'000'000);
    CHECK(got.enabled);

    token_record changed = alice;
    changed.key_hash = gateway::storage::hash_key("sk-alice-rotated-key");
    changed.models = {};
    changed.unlimited_quota = true;
    changed.remain_quota = 0;
    changed.expires_at = 0;
    changed.enabled = false;
    auto same_id = store->upsert_token(changed);
    REQUIRE(same_id.has_value());
    CHECK(*same_id == *id);

    got = load_token(*store, "alice");
    CHECK(got.key_hash == changed.key_hash);
    CHECK(got.models.empty());
    CHECK(got.unlimited_quota);
    CHECK(got.expires_at == 0);
    CHECK_FALSE(got.enabled);

    auto all = store->load_tokens();
    REQUIRE(all.has_value());
    CHECK(all->size() == 1);
}

TEST_CASE("a token upsert keeps used_quota and recomputes what remains", "[storage]") {
    auto store = open_or_fail(":memory:");
    token_record bob = sample_token("bob", "sk-bob-0123456789abc");
    bob.remain_quota = 1000;  // the allowance
    auto id = store->upsert_token(bob);
    REQUIRE(id.has_value());

    const std::array logs{sample_log("r1", *id, 300, 1), sample_log("r2", *id, 100, 2)};
    REQUIRE(store->append_logs(logs).has_value());
    token_record got = load_token(*store, "bob");
    CHECK(got.used_quota == 400);
    CHECK(got.remain_quota == 600);

    SECTION("a larger allowance") {
        bob.remain_quota = 5000;
        bob.used_quota = 0;  // ignored on update
        REQUIRE(store->upsert_token(bob).has_value());
        got = load_token(*store, "bob");
        CHECK(got.used_quota == 400);
        CHECK(got.remain_quota == 4600);
    }
    SECTION("an allowance below what was used leaves nothing, not a negative amount") {
        bob.remain_quota = 100;
        REQUIRE(store->upsert_token(bob).has_value());
        got = load_token(*store, "bob");
        CHECK(got.used_quota == 400);
        CHECK(got.remain_quota == 0);
    }
    SECTION("the same allowance at every restart is idempotent") {
        REQUIRE(store->upsert_token(bob).has_value());
        REQUIRE(store->upsert_token(bob).has_value());
        got = load_token(*store, "bob");
        CHECK(got.used_quota == 400);
        CHECK(got.remain_quota == 600);
    }
}

TEST_CASE("invalid records are refused with bad_request", "[storage]") {
    auto store = open_or_fail(":memory:");

    channel_record no_name = sample_channel();
    no_name.name.clear();
    CHECK(store->upsert_channel(no_name).error() == errc::bad_request);

    channel_record bad_settings = sample_channel();
    bad_settings.settings_json = "[1, 2]";
    CHECK(store->upsert_channel(bad_settings).error() == errc::bad_request);
    bad_settings.settings_json = "{not json";
    CHECK(store->upsert_channel(bad_settings).error() == errc::bad_request);

    token_record unnamed = sample_token("", "sk-0123456789abcdef");
    CHECK(store->upsert_token(unnamed).error() == errc::bad_request);

    // A literal key where the hash belongs is refused, so it cannot be stored by mistake.
    token_record literal = sample_token("carol", "sk-0123456789abcdef");
    literal.key_hash = "sk-0123456789abcdef";
    CHECK(store->upsert_token(literal).error() == errc::bad_request);

    token_record negative = sample_token("dave", "sk-0123456789abcdef");
    negative.remain_quota = -1;
    CHECK(store->upsert_token(negative).error() == errc::bad_request);

    // Two tokens may not share a key.
    REQUIRE(store->upsert_token(sample_token("erin", "sk-shared-0123456789")).has_value());
    CHECK(store->upsert_token(sample_token("frank", "sk-shared-0123456789")).error() ==
          errc::bad_request);

    auto channels = store->load_channels();
    REQUIRE(channels.has_value());
    CHECK(channels->empty());
    auto tokens = store->load_tokens();
    REQUIRE(tokens.has_value());
    CHECK(tokens->size() == 1);
}

// ---------------------------------------------------------------------------------------------
// Logs

TEST_CASE("append_logs charges each log's quota to its token once", "[storage]") {
    auto store = open_or_fail(":memory:");
    token_record limited = sample_token("limited", "sk-limited-0123456789");
    limited.remain_quota = 1000;
    token_record unlimited = sample_token("unlimited", "sk-unlimited-0123456789");
    unlimited.unlimited_quota = true;
    unlimited.remain_quota = 0;
    const std::int64_t limited_id = store->upsert_token(limited).value();
    const std::int64_t unlimited_id = store->upsert_token(unlimited).value();

    const std::array batch{
        sample_log("a", limited_id, 100, 10),
        sample_log("b", unlimited_id, 250, 11),
        sample_log("c", limited_id, 50, 12),
        sample_log("d", 999'999, 70, 13),  // no such token: logged, nothing charged
        sample_log("e", limited_id, 0, 14),
    };
    REQUIRE(store->append_logs(batch).has_value());

    token_record l = load_token(*store, "limited");
    CHECK(l.used_quota == 150);
    CHECK(l.remain_quota == 850);
    token_record u = load_token(*store, "unlimited");
    CHECK(u.used_quota == 250);
    CHECK(u.remain_quota == 0);

    auto logs = store->recent_logs(100);
    REQUIRE(logs.has_value());
    CHECK(logs->size() == 5);

    // A second batch charges again, only for its own logs; remain may go below zero (the
    // usage of a request is only known once it has been served).
    const std::array second{sample_log("f", limited_id, 900, 15)};
    REQUIRE(store->append_logs(second).has_value());
    l = load_token(*store, "limited");
    CHECK(l.used_quota == 1050);
    CHECK(l.remain_quota == -50);

    // An empty batch is a no-op.
    REQUIRE(store->append_logs({}).has_value());
    CHECK(load_token(*store, "limited").used_quota == 1050);
}

TEST_CASE("a batch of several insert statements keeps every log and each token's sum",
          "[storage]") {
    // 101 logs: statements of 64, 16, 16, 4 and 1 rows. Every field differs per log, so a value
    // bound to the wrong row or column shows.
    auto store = open_or_fail(":memory:");
    std::array<std::int64_t, 3> ids{};
    for (std::size_t t = 0; t < ids.size(); ++t) {
        token_record token =
            sample_token(fmt::format("t{}", t), fmt::format("sk-t{}-0123456789", t));
        token.remain_quota = 100'000;
        ids[t] = store->upsert_token(token).value();
    }
    std::vector<request_log> batch;
    std::array<std::int64_t, 3> charged{};
    for (int i = 0; i < 101; ++i) {
        const auto t = static_cast<std::size_t>(i % 3);
        request_log l = sample_log(fmt::format("req-{}", i), ids[t], i * 7, 1'000 + i);
        l.channel_id = 100 + i;
        l.endpoint = fmt::format("/v1/e{}", i);
        l.model = fmt::format("model-{}", i);
        l.upstream_model = fmt::format("upstream-{}", i);
        l.stream = i % 2 == 0;
        l.status = 200 + i;
        l.prompt_tokens = 1'000 + i;
        l.completion_tokens = 2'000 + i;
        l.duration_ms = 3'000 + i;
        l.first_byte_ms = i == 5 ? -1 : 4'000 + i;
        l.error = i % 4 == 0 ? fmt::format("error {}", i) : "";
        charged[t] += l.quota;
        batch.push_back(std::move(l));
    }
    REQUIRE(store->append_logs(batch).has_value());

    auto logs = store->recent_logs(200);
    REQUIRE(logs.has_value());
    REQUIRE(logs->size() == batch.size());
    for (std::size_t i = 0; i < batch.size(); ++i)
        require_same((*logs)[batch.size() - 1 - i], batch[i]);
    for (std::size_t t = 0; t < ids.size(); ++t) {
        token_record token = load_token(*store, fmt::format("t{}", t));
        CHECK(token.used_quota == charged[t]);
        CHECK(token.remain_quota == 100'000 - charged[t]);
    }
}

TEST_CASE("a batch that fails part-way leaves no log and no charge behind", "[storage]") {
    temp_dir dir;
    const std::string path = (dir.path() / "gateway.db").string();
    auto store = open_or_fail(path);
    const std::int64_t id = store->upsert_token(sample_token("t", "sk-t-0123456789abcdef")).value();
    {
        // A trigger from a second connection makes the inserts of 'boom' fail.
        SQLite::Database side(path, SQLite::OPEN_READWRITE);
        side.exec(
            "CREATE TRIGGER fail_boom BEFORE INSERT ON request_logs "
            "WHEN NEW.request_id = 'boom' BEGIN SELECT RAISE(ABORT, 'boom'); END");
    }
    const std::array batch{sample_log("ok-1", id, 10, 1), sample_log("ok-2", id, 20, 2),
                           sample_log("boom", id, 30, 3), sample_log("ok-4", id, 40, 4)};
    auto appended = store->append_logs(batch);
    REQUIRE_FALSE(appended.has_value());
    // The same inside a statement of several rows, after one that succeeded.
    std::vector<request_log> long_batch;
    for (int i = 0; i < 40; ++i) {
        long_batch.push_back(sample_log(i == 21 ? "boom" : fmt::format("ok-{}", i), id, 1, i));
    }
    REQUIRE_FALSE(store->append_logs(long_batch).has_value());

    auto logs = store->recent_logs(10);
    REQUIRE(logs.has_value());
    CHECK(logs->empty());
    token_record t = load_token(*store, "t");
    CHECK(t.used_quota == 0);
    CHECK(t.remain_quota == 1000);

    // The cached statements recover after the failure.
    const std::array next{sample_log("ok-5", id, 5, 5)};
    REQUIRE(store->append_logs(next).has_value());
    CHECK(load_token(*store, "t").used_quota == 5);

    // A negative charge is refused before anything is written.
    const std::array refund{sample_log("ok-6", id, 1, 6), sample_log("neg", id, -5, 7)};
    CHECK(store->append_logs(refund).error() == errc::bad_request);
    CHECK(store->recent_logs(10).value().size() == 1);
}

TEST_CASE("recent_logs returns the newest first, up to the limit", "[storage]") {
    auto store = open_or_fail(":memory:");
    request_log failed = sample_log("r3", 1, 0, 3000);
    failed.stream = false;
    failed.status = 502;
    failed.channel_id = 0;
    failed.first_byte_ms = -1;
    failed.error = "upstream error";
    const std::array first{sample_log("r1", 1, 0, 1000), failed};
    const std::array second{sample_log("r2", 1, 0, 2000), sample_log("r4", 1, 0, 3000)};
    REQUIRE(store->append_logs(first).has_value());
    REQUIRE(store->append_logs(second).has_value());

    auto logs = store->recent_logs(10);
    REQUIRE(logs.has_value());
    REQUIRE(logs->size() == 4);
    // Equal timestamps: the later insert comes first.
    CHECK((*logs)[0].request_id == "r4");
    CHECK((*logs)[1].request_id == "r3");
    CHECK((*logs)[2].request_id == "r2");
    CHECK((*logs)[3].request_id == "r1");
    require_same((*logs)[1], failed);
    require_same((*logs)[3], first[0]);

    auto two = store->recent_logs(2);
    REQUIRE(two.has_value());
    REQUIRE(two->size() == 2);
    CHECK((*two)[0].request_id == "r4");
    CHECK((*two)[1].request_id == "r3");

    CHECK(store->recent_logs(0).value().empty());
}

TEST_CASE("the store may be used from several threads", "[storage]") {
    auto store = open_or_fail(":memory:");
    const std::int64_t id = store->upsert_token(sample_token("t", "sk-t-0123456789abcdef")).value();
    constexpr int threads = 4;
    constexpr int batches = 25;
    std::vector<std::thread> workers;
    std::array<bool, threads> ok{};
    for (int w = 0; w < threads; ++w) {
        workers.emplace_back([&, w] {
            bool all = true;
            for (int b = 0; b < batches; ++b) {
                const std::array batch{sample_log("x", id, 1, b), sample_log("y", id, 2, b)};
                all = store->append_logs(batch).has_value() && all;
                all = store->load_tokens().has_value() && all;
            }
            ok[static_cast<std::size_t>(w)] = all;
        });
    }
    for (auto& worker : workers) worker.join();
    CHECK(std::all_of(ok.begin(), ok.end(), [](bool b) { return b; }));
    CHECK(load_token(*store, "t").used_quota == threads * batches * 3);
    CHECK(store->recent_logs(1000).value().size() == threads * batches * 2);
}

// ---------------------------------------------------------------------------------------------
// Files

TEST_CASE("a file database keeps its data across reopening, migrated once", "[storage]") {
    temp_dir dir;
    const fs::path path = dir.path() / "gateway.db";
    std::int64_t channel_id = 0;
    std::int64_t token_id = 0;
    {
        auto store = open_or_fail(path.string());
        channel_id = store->upsert_channel(sample_channel()).value();
        token_id = store->upsert_token(sample_token("alice", "sk-alice-0123456789")).value();
        const std::array logs{sample_log("r1", token_id, 30, 1)};
        REQUIRE(store->append_logs(logs).has_value());
    }
    const std::uint32_t version = user_version_in_header(path);
    CHECK(version >= 1);
    {
        // The first migration creates tables without IF NOT EXISTS: running it again would
        // fail the open.
        auto store = open_or_fail(path.string());
        auto channels = store->load_channels();
        REQUIRE(channels.has_value());
        REQUIRE(channels->size() == 1);
        CHECK((*channels)[0].id == channel_id);
        require_same((*channels)[0], sample_channel());
        token_record t = load_token(*store, "alice");
        CHECK(t.id == token_id);
        CHECK(t.used_quota == 30);
        CHECK(store->recent_logs(10).value().size() == 1);
    }
    CHECK(user_version_in_header(path) == version);

    SQLite::Database check(path.string(), SQLite::OPEN_READONLY);
    CHECK(check.execAndGet("PRAGMA journal_mode").getString() == "wal");
    CHECK(check.execAndGet("PRAGMA user_version").getInt64() == version);
}

TEST_CASE("a database written by a newer schema is refused", "[storage]") {
    temp_dir dir;
    const fs::path path = dir.path() / "gateway.db";
    REQUIRE(gateway::storage::open_sqlite_store(path.string()).has_value());
    const std::uint32_t current = user_version_in_header(path);
    REQUIRE(current > 0);
    {
        SQLite::Database side(path.string(), SQLite::OPEN_READWRITE);
        side.exec("PRAGMA user_version = 9999");
    }
    std::string why;
    auto reopened = gateway::storage::open_sqlite_store(path.string(), &why);
    REQUIRE_FALSE(reopened.has_value());
    CHECK(reopened.error() == errc::storage_error);
    CHECK(why == "schema version 9999 is newer than this binary's " + std::to_string(current) +
                     " (written by a newer gatewayd)");
}

TEST_CASE("the database's directory is created, and the file is private", "[storage]") {
    temp_dir dir;
    const fs::path path = dir.path() / "not" / "yet" / "there" / "gateway.db";
    REQUIRE_FALSE(fs::exists(path.parent_path()));
    auto store = open_or_fail(path.string());
    CHECK(fs::is_regular_file(path));

    struct stat info {};
    REQUIRE(::stat(path.c_str(), &info) == 0);
    CHECK((info.st_mode & 077U) == 0U);
}

TEST_CASE("an unusable path gives storage_error, not an exception", "[storage]") {
    temp_dir dir;
    const fs::path blocker = dir.path() / "file";
    std::ofstream(blocker) << "x";
    // Its parent is a regular file, so the directory cannot be created.
    auto opened = gateway::storage::open_sqlite_store((blocker / "gateway.db").string());
    REQUIRE_FALSE(opened.has_value());
    CHECK(opened.error() == errc::storage_error);

    // Not a database at all.
    const fs::path garbage = dir.path() / "garbage.db";
    std::ofstream(garbage, std::ios::binary) << std::string(4096, 'g');
    auto garbage_store = gateway::storage::open_sqlite_store(garbage.string());
    REQUIRE_FALSE(garbage_store.has_value());
    CHECK(garbage_store.error() == errc::storage_error);

    CHECK(gateway::storage::open_sqlite_store("").error() == errc::bad_request);
}

TEST_CASE("a database that cannot be opened says why", "[storage]") {
    temp_dir dir;
    auto why_of = [](const fs::path& path) {
        std::string why;
        auto opened = gateway::storage::open_sqlite_store(path.string(), &why);
        REQUIRE_FALSE(opened.has_value());
        CHECK(opened.error() == errc::storage_error);
        return why;
    };
    // A file of another kind, and a SQLite file whose header was overwritten: both fail SQLite's
    // header check (SQLITE_NOTADB, "file is not a database").
    const fs::path garbage = dir.path() / "garbage.db";
    std::ofstream(garbage, std::ios::binary) << std::string(4096, 'g');
    CHECK(why_of(garbage) == "not a database (SQLite: file is not a database)");
    const fs::path damaged = dir.path() / "damaged.db";
    REQUIRE(gateway::storage::open_sqlite_store(damaged.string()).has_value());
    {
        std::fstream f(damaged, std::ios::binary | std::ios::in | std::ios::out);
        f << "not the SQLite magic";
    }
    CHECK(why_of(damaged) == "not a database (SQLite: file is not a database)");

    const fs::path directory = dir.path() / "a-directory.db";
    fs::create_directory(directory);
    CHECK(why_of(directory) == "it is a directory, not a database file");

    const fs::path blocker = dir.path() / "file";
    std::ofstream(blocker) << "x";
    CHECK(why_of(blocker / "gateway.db") ==
          "cannot create its directory " + blocker.string() + ": Not a directory");
}

TEST_CASE("a relay key literal never reaches the database file", "[storage]") {
    temp_dir dir;
    const fs::path path = dir.path() / "gateway.db";
    const std::string literal = "sk-literal-relay-key-0123456789";
    {
        auto store = open_or_fail(path.string());
        REQUIRE(store->upsert_token(sample_token("alice", literal)).has_value());
        // While the store is open the row may still sit in the WAL file: look there too.
        for (const auto& entry : fs::directory_iterator(dir.path())) {
            CHECK(read_bytes(entry.path()).find(literal) == std::string::npos);
        }
    }
    const std::string bytes = read_bytes(path);
    CHECK(bytes.find(literal) == std::string::npos);
    CHECK(bytes.find(gateway::storage::hash_key(literal)) != std::string::npos);
}
