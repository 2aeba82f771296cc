// The request-log journal: record framing, torn tails, replay into a real SQLite file (once,
// charged once), and the log writer keeping its journal until a batch is committed.

#include <gateway/storage/journal.hpp>
#include <gateway/storage/log_writer.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <span>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using namespace gateway::storage;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

/// A private directory, removed with everything in it at the end of the test.
struct temp_dir {
    fs::path path;
    temp_dir() {
        char tmpl[] = "/tmp/gateway-journal-XXXXXX";
        if (::mkdtemp(tmpl) == nullptr) throw std::runtime_error("mkdtemp failed");
        path = tmpl;
    }
    ~temp_dir() {
        std::error_code ignored;
        fs::remove_all(path, ignored);
    }
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;
    std::string db() const { return (path / "gatewayd.db").string(); }
};

/// The journal files next to `base`, sorted.
std::vector<fs::path> journal_files(const std::string& base) {
    const fs::path b(base);
    const std::string prefix = b.filename().string() + ".journal-";
    std::vector<fs::path> out;
    for (const auto& entry : fs::directory_iterator(b.parent_path())) {
        if (entry.path().filename().string().starts_with(prefix)) out.push_back(entry.path());
    }
    std::sort(out.begin(), out.end());
    return out;
}

std::string read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_file(const fs::path& p, const std::string& bytes) {
    std::ofstream(p, std::ios::binary) << bytes;
}

request_log sample(int n, std::int64_t token_id = 1, std::int64_t quota = 7) {
    request_log l;
    l.request_id = "0123456789abcdef" + std::to_string(1000000 + n);
    l.token_id = token_id;
    l.channel_id = 3;
    l.endpoint = "/v1/chat/completions";
    l.model = "gpt-4o";
    l.upstream_model = "gpt-4o-2024-08-06";
    l.stream = n % 2 == 0;
    l.status = 200;
    l.prompt_tokens = quota - 2;
    l.completion_tokens = 2;
    l.quota = quota;
    l.created_at_ms = 1'765'000'000'000 + n;
    l.duration_ms = 12;
    l.first_byte_ms = n % 3 == 0 ? -1 : 5;
    return l;
}

void require_same(const request_log& a, const request_log& b) {
    CHECK(a.request_id == b.request_id);
    CHECK(a.token_id == b.token_id);
    CHECK(a.channel_id == b.channel_id);
    CHECK(a.endpoint == b.endpoint);
    CHECK(a.model == b.model);
    CHECK(a.upstream_model == b.upstream_model);
    CHECK(a.stream == b.stream);
    CHECK(a.status == b.status);
    CHECK(a.prompt_tokens == b.prompt_tokens);
    CHECK(a.completion_tokens == b.completion_tokens);
    CHECK(a.quota == b.quota);
    CHECK(a.created_at_ms == b.created_at_ms);
    CHECK(a.duration_ms == b.duration_ms);
    CHECK(a.first_byte_ms == b.first_byte_ms);
    CHECK(a.error == b.error);
}

std::unique_ptr<store> open_or_fail(const std::string& path) {
    auto opened = open_sqlite_store(path);
    REQUIRE(opened.has_value());
    return std::move(*opened);
}

/// A limited token with `allowance` units; returns its id.
std::int64_t add_token(store& s, std::int64_t allowance) {
    token_record t;
    t.name = "journal";
    t.key_hash = hash_key("sk-journal-test-key-0001");
    t.unlimited_quota = false;
    t.remain_quota = allowance;
    auto id = s.upsert_token(t);
    REQUIRE(id.has_value());
    return *id;
}

token_record token_named(store& s, std::string_view name) {
    auto tokens = s.load_tokens();
    REQUIRE(tokens.has_value());
    for (auto& t : *tokens) {
        if (t.name == name) return t;
    }
    FAIL("no token " << name);
    return {};
}

}  // namespace

TEST_CASE("journal records round-trip every field", "[storage][journal]") {
    std::vector<request_log> logs{sample(1), sample(2), sample(3)};
    logs[1].error = "upstream failed";
    logs[1].status = 502;
    logs[2].model = std::string("mod\0el \xe2\x9c\x93", 10);  // a NUL and UTF-8 kept as bytes
    logs[2].token_id = -1;
    logs[2].request_id.clear();
    std::string bytes;
    for (const auto& l : logs) append_journal_record(bytes, l);

    const auto read = read_journal_records(bytes);
    CHECK(read.ignored_bytes == 0);
    REQUIRE(read.logs.size() == logs.size());
    for (std::size_t i = 0; i < logs.size(); ++i) require_same(read.logs[i], logs[i]);
    CHECK(read_journal_records("").logs.empty());
}

TEST_CASE("a torn or corrupt last record is ignored, the records before it kept",
          "[storage][journal]") {
    std::string bytes;
    append_journal_record(bytes, sample(1));
    append_journal_record(bytes, sample(2));
    const std::size_t two = bytes.size();
    append_journal_record(bytes, sample(3));

    // The third record cut at every length, as a crash in the middle of its write leaves it.
    for (std::size_t cut = two; cut < bytes.size(); ++cut) {
        const auto read = read_journal_records(std::string_view(bytes).substr(0, cut));
        REQUIRE(read.logs.size() == 2);
        CHECK(read.logs[1].request_id == sample(2).request_id);
        CHECK(read.ignored_bytes == cut - two);
    }
    // Any byte of it changed: its checksum fails.
    for (std::size_t at = two; at < bytes.size(); ++at) {
        std::string damaged = bytes;
        damaged[at] = static_cast<char>(damaged[at] ^ 0x20);
        const auto read = read_journal_records(damaged);
        REQUIRE(read.logs.size() == 2);
        CHECK(read.ignored_bytes == bytes.size() - two);
    }
    // A power loss can leave zeros where a record was to be: nothing is read from them.
    const auto zeros = read_journal_records(bytes.substr(0, two) + std::string(64, '\0'));
    CHECK(zeros.logs.size() == 2);
    CHECK(zeros.ignored_bytes == 64);
}

TEST_CASE("replay inserts the logs the store lacks, charges each once, and is idempotent",
          "[storage][journal]") {
    temp_dir dir;
    auto db = open_or_fail(dir.db());
    const auto token = add_token(*db, 1000);
    std::vector<request_log> logs;
    for (int i = 0; i < 5; ++i) logs.push_back(sample(i, token, 10 + i));  // 60 units
    // The first two were committed before the kill; the journal still holds all five.
    REQUIRE(db->append_logs(std::span(logs).first(2)));
    std::string bytes;
    for (const auto& l : logs) append_journal_record(bytes, l);
    const fs::path file = dir.db() + ".journal-00000000000000aa-00000001";
    write_file(file, bytes);

    auto replayed = replay_journals(dir.db(), *db);
    REQUIRE(replayed.has_value());
    CHECK(replayed->files == 1);
    CHECK(replayed->records == 5);
    CHECK(replayed->inserted == 3);
    CHECK(replayed->ignored_bytes == 0);
    CHECK_FALSE(fs::exists(file));

    auto stored = db->recent_logs(100);
    REQUIRE(stored.has_value());
    REQUIRE(stored->size() == 5);
    for (const auto& l : logs) {
        CHECK(std::count_if(stored->begin(), stored->end(), [&](const request_log& s) {
                  return s.request_id == l.request_id;
              }) == 1);
    }
    auto t = token_named(*db, "journal");
    CHECK(t.used_quota == 60);
    CHECK(t.remain_quota == 1000 - 60);

    // Killed again after the commit but before the file was removed: the same file replayed
    // again inserts and charges nothing. A torn tail after the records changes nothing either.
    write_file(file, bytes + bytes.substr(0, 20));
    auto again = replay_journals(dir.db(), *db);
    REQUIRE(again.has_value());
    CHECK(again->files == 1);
    CHECK(again->records == 5);
    CHECK(again->inserted == 0);
    CHECK(again->ignored_bytes == 20);
    CHECK(db->recent_logs(100)->size() == 5);
    CHECK(token_named(*db, "journal").used_quota == 60);

    // Nothing left to replay.
    auto empty = replay_journals(dir.db(), *db);
    REQUIRE(empty.has_value());
    CHECK(empty->files == 0);
}

TEST_CASE("replay leaves alone a journal file that a running writer holds", "[storage][journal]") {
    temp_dir dir;
    auto db = open_or_fail(dir.db());
    std::string detail;
    auto live = journal_file::create(dir.db(), detail);
    REQUIRE(live.has_value());
    std::string bytes;
    append_journal_record(bytes, sample(1));
    REQUIRE(live->append(bytes));

    auto replayed = replay_journals(dir.db(), *db);
    REQUIRE(replayed.has_value());
    CHECK(replayed->files == 0);
    CHECK(replayed->files_in_use == 1);
    CHECK(fs::exists(live->path()));
    CHECK(db->recent_logs(10)->empty());

    // Its writer gone without removing it (a killed process): the next replay takes it.
    const std::string path = live->path();
    live = journal_file::create(dir.db(), detail);  // closes the first one
    REQUIRE(live.has_value());
    auto later = replay_journals(dir.db(), *db);
    REQUIRE(later.has_value());
    CHECK(later->files == 1);
    CHECK(later->inserted == 1);
    CHECK(later->files_in_use == 1);  // the new, empty one
    CHECK_FALSE(fs::exists(path));
}

TEST_CASE("the log writer journals a log before submit returns and removes it once committed",
          "[storage][journal]") {
    temp_dir dir;
    auto db = open_or_fail(dir.db());
    const auto token = add_token(*db, 1000);
    {
        log_writer_options options;
        options.commit_interval = 1h;  // nothing is committed unless flushed
        options.journal_base = dir.db();
        log_writer writer{*db, options};
        writer.submit(sample(1, token, 4));
        writer.submit(sample(2, token, 5));

        // On disk (in the page cache) already, in the writer's current file.
        std::vector<request_log> journaled;
        for (const auto& f : journal_files(dir.db())) {
            auto read = read_journal_records(read_file(f));
            CHECK(read.ignored_bytes == 0);
            journaled.insert(journaled.end(), read.logs.begin(), read.logs.end());
        }
        REQUIRE(journaled.size() == 2);
        require_same(journaled[0], sample(1, token, 4));
        require_same(journaled[1], sample(2, token, 5));
        CHECK(db->recent_logs(10)->empty());

        // Committed: the file that held them is removed; the writer goes on with a fresh one.
        writer.flush();
        REQUIRE(writer.written() == 2);
        std::size_t still_journaled = 0;
        for (const auto& f : journal_files(dir.db())) {
            still_journaled += read_journal_records(read_file(f)).logs.size();
        }
        CHECK(still_journaled == 0);
        CHECK(writer.journal_failures() == 0);
        writer.submit(sample(3, token, 6));
    }
    // A clean stop commits the rest and leaves no journal behind.
    CHECK(journal_files(dir.db()).empty());
    CHECK(db->recent_logs(10)->size() == 3);
    CHECK(token_named(*db, "journal").used_quota == 15);
}

TEST_CASE("a log writer replays what a killed writer left, before it starts",
          "[storage][journal]") {
    temp_dir dir;
    auto db = open_or_fail(dir.db());
    const auto token = add_token(*db, 1000);
    // What a writer killed with two logs in its commit window leaves.
    std::string bytes;
    append_journal_record(bytes, sample(1, token, 4));
    append_journal_record(bytes, sample(2, token, 5));
    write_file(dir.db() + ".journal-00000000000000bb-00000007", bytes);

    log_writer writer{*db, log_writer_options{.journal_base = dir.db()}};
    CHECK(writer.replayed().files == 1);
    CHECK(writer.replayed().inserted == 2);
    CHECK(db->recent_logs(10)->size() == 2);
    CHECK(token_named(*db, "journal").used_quota == 9);
}

namespace {

/// A store whose batches fail while `failing` is set (a full disk, a locked database).
struct flaky_store final : store {
    store& real;
    bool failing = true;
    explicit flaky_store(store& r) : real(r) {}
    gateway::result<std::int64_t> upsert_channel(const channel_record& c) override {
        return real.upsert_channel(c);
    }
    gateway::result<std::int64_t> upsert_token(const token_record& t) override {
        return real.upsert_token(t);
    }
    gateway::result<std::vector<channel_record>> load_channels() override {
        return real.load_channels();
    }
    gateway::result<std::vector<token_record>> load_tokens() override { return real.load_tokens(); }
    gateway::result<void> append_logs(std::span<const request_log> logs) override {
        if (failing) return gateway::make_error_code(gateway::errc::storage_error);
        return real.append_logs(logs);
    }
    gateway::result<std::size_t> append_missing_logs(std::span<const request_log> logs) override {
        if (failing) return gateway::make_error_code(gateway::errc::storage_error);
        return real.append_missing_logs(logs);
    }
    gateway::result<std::vector<request_log>> recent_logs(std::size_t limit) override {
        return real.recent_logs(limit);
    }
};

}  // namespace

TEST_CASE("the logs of a failed batch stay in the journal for the next start",
          "[storage][journal]") {
    temp_dir dir;
    auto db = open_or_fail(dir.db());
    const auto token = add_token(*db, 1000);
    flaky_store flaky{*db};
    {
        log_writer writer{flaky, log_writer_options{.journal_base = dir.db()}};
        writer.submit(sample(1, token, 4));
        writer.flush();
        CHECK(writer.failed() == 1);
        flaky.failing = false;
        writer.submit(sample(2, token, 5));
        writer.flush();
        CHECK(writer.written() == 1);
    }
    CHECK(db->recent_logs(10)->size() == 1);
    CHECK_FALSE(journal_files(dir.db()).empty());

    auto replayed = replay_journals(dir.db(), *db);
    REQUIRE(replayed.has_value());
    CHECK(replayed->inserted == 1);
    CHECK(db->recent_logs(10)->size() == 2);
    CHECK(token_named(*db, "journal").used_quota == 9);
    CHECK(journal_files(dir.db()).empty());
}
