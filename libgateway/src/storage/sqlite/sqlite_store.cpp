// The SQLite implementation of gateway::storage::store.
//
// One connection, serialised by a mutex: the store is used at start-up and by one background log
// writer, so a connection pool would add nothing. SQLiteCpp throws; every member function
// catches at its boundary and returns an error code instead.

#include "gateway/storage/store.hpp"

#include <SQLiteCpp/SQLiteCpp.h>
#include <sqlite3.h>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <limits>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <unordered_set>
#include <utility>

namespace gateway::storage {
namespace {

// ---------------------------------------------------------------------------------------------
// Schema. `PRAGMA user_version` holds the number of steps applied. Append new steps at the end;
// never edit a released one (databases in the field have already run it).

struct migration {
    std::string_view description;
    const char* sql;
};

constexpr std::array migrations{
    migration{
        "initial schema: channels, tokens, request_logs",
        R"sql(
CREATE TABLE channels (
    id                 INTEGER PRIMARY KEY,
    name               TEXT    NOT NULL UNIQUE,
    type               TEXT    NOT NULL,
    base_url           TEXT    NOT NULL DEFAULT '',
    keys_json          TEXT    NOT NULL DEFAULT '[]',
    models_json        TEXT    NOT NULL DEFAULT '[]',
    model_mapping_json TEXT    NOT NULL DEFAULT '{}',
    priority           INTEGER NOT NULL DEFAULT 0,
    weight             INTEGER NOT NULL DEFAULT 1,
    enabled            INTEGER NOT NULL DEFAULT 1,
    settings_json      TEXT    NOT NULL DEFAULT '{}',
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL
);
CREATE TABLE tokens (
    id              INTEGER PRIMARY KEY,
    name            TEXT    NOT NULL UNIQUE,
    key_hash        TEXT    NOT NULL UNIQUE,
    models_json     TEXT    NOT NULL DEFAULT '[]',
    remain_quota    INTEGER NOT NULL DEFAULT 0,
    unlimited_quota INTEGER NOT NULL DEFAULT 1,
    used_quota      INTEGER NOT NULL DEFAULT 0,
    expires_at      INTEGER NOT NULL DEFAULT 0,
    enabled         INTEGER NOT NULL DEFAULT 1,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
-- No foreign keys: a log outlives its token and channel, and a log naming an unknown token
-- is still kept.
CREATE TABLE request_logs (
    id                INTEGER PRIMARY KEY,
    request_id        TEXT    NOT NULL,
    token_id          INTEGER NOT NULL,
    channel_id        INTEGER NOT NULL,
    endpoint          TEXT    NOT NULL,
    model             TEXT    NOT NULL,
    upstream_model    TEXT    NOT NULL,
    stream            INTEGER NOT NULL,
    status            INTEGER NOT NULL,
    prompt_tokens     INTEGER NOT NULL,
    completion_tokens INTEGER NOT NULL,
    quota             INTEGER NOT NULL,
    created_at_ms     INTEGER NOT NULL,
    duration_ms       INTEGER NOT NULL,
    first_byte_ms     INTEGER NOT NULL,
    error             TEXT    NOT NULL
);
CREATE INDEX request_logs_created_at_ms ON request_logs (created_at_ms);
CREATE INDEX request_logs_token_id ON request_logs (token_id);
)sql",
    },
};

constexpr int busy_timeout_ms = 5'000;

// ---------------------------------------------------------------------------------------------
// Statements

constexpr const char* upsert_channel_sql = R"sql(
INSERT INTO channels (name, type, base_url, keys_json, models_json, model_mapping_json,
                      priority, weight, enabled, settings_json, created_at, updated_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11)
ON CONFLICT (name) DO UPDATE SET
    type = excluded.type,
    base_url = excluded.base_url,
    keys_json = excluded.keys_json,
    models_json = excluded.models_json,
    model_mapping_json = excluded.model_mapping_json,
    priority = excluded.priority,
    weight = excluded.weight,
    enabled = excluded.enabled,
    settings_json = excluded.settings_json,
    updated_at = excluded.updated_at
RETURNING id
)sql";

// On update the stored used_quota is kept, and for a limited token the given remain_quota is
// the total allowance, so what is left is the allowance minus what was already used.
constexpr const char* upsert_token_sql = R"sql(
INSERT INTO tokens (name, key_hash, models_json, remain_quota, unlimited_quota, used_quota,
                    expires_at, enabled, created_at, updated_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)
ON CONFLICT (name) DO UPDATE SET
    key_hash = excluded.key_hash,
    models_json = excluded.models_json,
    remain_quota = CASE WHEN excluded.unlimited_quota THEN excluded.remain_quota
                        ELSE max(0, excluded.remain_quota - tokens.used_quota) END,
    unlimited_quota = excluded.unlimited_quota,
    expires_at = excluded.expires_at,
    enabled = excluded.enabled,
    updated_at = excluded.updated_at
RETURNING id
)sql";

constexpr const char* select_channels_sql = R"sql(
SELECT id, name, type, base_url, keys_json, models_json, model_mapping_json, priority, weight,
       enabled, settings_json
FROM channels ORDER BY id
)sql";

constexpr const char* select_tokens_sql = R"sql(
SELECT id, name, key_hash, models_json, remain_quota, unlimited_quota, used_quota, expires_at,
       enabled
FROM tokens ORDER BY id
)sql";

constexpr int log_columns = 15;
// Logs are inserted up to 64 rows per statement, a batch taken greedily in statements of 64, 16,
// 4 and 1 rows: SQLite's per-statement work (step, halt, reset) was a third of a single-row
// insert's cost.
constexpr std::array<std::size_t, 4> logs_per_statement{64, 16, 4, 1};

/// `INSERT INTO request_logs ... VALUES (?,...), ...` with `rows` rows of numbered parameters.
std::string insert_logs_sql(std::size_t rows) {
    std::string sql =
        "INSERT INTO request_logs (request_id, token_id, channel_id, endpoint, model, "
        "upstream_model, stream, status, prompt_tokens, completion_tokens, quota, created_at_ms, "
        "duration_ms, first_byte_ms, error) VALUES ";
    int parameter = 0;
    for (std::size_t row = 0; row < rows; ++row) {
        sql += row == 0 ? "(" : ", (";
        for (int column = 0; column < log_columns; ++column) {
            if (column != 0) sql += ", ";
            sql += '?';
            sql += std::to_string(++parameter);
        }
        sql += ')';
    }
    return sql;
}

constexpr const char* charge_token_sql = R"sql(
UPDATE tokens SET
    used_quota = used_quota + ?1,
    remain_quota = CASE WHEN unlimited_quota THEN remain_quota ELSE remain_quota - ?1 END
WHERE id = ?2
)sql";

// By created_at_ms first: its index narrows the search to the rows of that millisecond.
constexpr const char* log_exists_sql = R"sql(
SELECT 1 FROM request_logs WHERE created_at_ms = ?1 AND request_id = ?2 LIMIT 1
)sql";

constexpr const char* select_recent_logs_sql = R"sql(
SELECT request_id, token_id, channel_id, endpoint, model, upstream_model, stream, status,
       prompt_tokens, completion_tokens, quota, created_at_ms, duration_ms, first_byte_ms, error
FROM request_logs ORDER BY created_at_ms DESC, id DESC LIMIT ?1
)sql";

// ---------------------------------------------------------------------------------------------
// Helpers

error_code storage_failure() { return error_code{errc::storage_error}; }
error_code invalid_record() { return error_code{errc::bad_request}; }

/// A violated UNIQUE/NOT NULL constraint comes from the record (e.g. a token whose key_hash
/// belongs to another token); anything else is the database's fault.
error_code classify(const SQLite::Exception& e) {
    return (e.getErrorCode() & 0xff) == SQLITE_CONSTRAINT ? invalid_record() : storage_failure();
}

/// Runs `body`, turning any exception into an error code.
template <class Body>
auto guarded(Body&& body) noexcept -> decltype(body()) {
    try {
        return body();
    } catch (const SQLite::Exception& e) {
        return classify(e);
    } catch (const std::exception&) {
        return storage_failure();
    } catch (...) {
        return storage_failure();
    }
}

std::int64_t unix_seconds() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string to_json(const std::vector<std::string>& list) {
    boost::json::array array;
    array.reserve(list.size());
    for (const auto& item : list) array.emplace_back(item);
    return boost::json::serialize(array);
}

std::string to_json(const std::map<std::string, std::string>& map) {
    boost::json::object object;
    object.reserve(map.size());
    for (const auto& [key, value] : map) object.emplace(key, value);
    return boost::json::serialize(object);
}

/// The stored text is ours, but the disk is still input: a malformed column is an error.
class corrupt_row final : public std::exception {
  public:
    const char* what() const noexcept override { return "malformed JSON column"; }
};

std::vector<std::string> string_list_from_json(const std::string& text) {
    error_code ec;
    boost::json::value value = boost::json::parse(text, ec);
    if (ec || !value.is_array()) throw corrupt_row{};
    std::vector<std::string> out;
    out.reserve(value.get_array().size());
    for (const auto& item : value.get_array()) {
        if (!item.is_string()) throw corrupt_row{};
        out.emplace_back(item.get_string());
    }
    return out;
}

std::map<std::string, std::string> string_map_from_json(const std::string& text) {
    error_code ec;
    boost::json::value value = boost::json::parse(text, ec);
    if (ec || !value.is_object()) throw corrupt_row{};
    std::map<std::string, std::string> out;
    for (const auto& [key, item] : value.get_object()) {
        if (!item.is_string()) throw corrupt_row{};
        out.emplace(std::string(key), std::string(item.get_string()));
    }
    return out;
}

bool is_json_object(std::string_view text) {
    error_code ec;
    boost::json::value value = boost::json::parse(text, ec);
    return !ec && value.is_object();
}

bool is_sha256_hex(std::string_view text) {
    return text.size() == 64 && std::all_of(text.begin(), text.end(), [](char c) {
               return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
           });
}

bool valid(const channel_record& channel) {
    return !channel.name.empty() && !channel.type.empty() && channel.weight >= 0 &&
           is_json_object(channel.settings_json);
}

/// key_hash must look like a hash: this also stops a literal key from being stored by mistake.
bool valid(const token_record& token) {
    return !token.name.empty() && is_sha256_hex(token.key_hash) && token.used_quota >= 0 &&
           token.expires_at >= 0 && (token.unlimited_quota || token.remain_quota >= 0);
}

int as_int(bool value) { return value ? 1 : 0; }

/// Steps a `... RETURNING id` statement to its end (which commits it) and returns the id.
std::int64_t run_returning_id(SQLite::Statement& statement) {
    if (!statement.executeStep()) throw SQLite::Exception("RETURNING gave no row");
    std::int64_t id = statement.getColumn(0).getInt64();
    while (statement.executeStep()) {
    }
    return id;
}

/// Creates the file readable by its owner only before SQLite opens it: it holds upstream keys.
/// SQLite gives the -wal and -shm files the same mode as the database file.
void create_private_file(const std::string& path) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0) {
        ::close(fd);
    } else if (errno != EEXIST) {
        throw std::system_error(errno, std::generic_category(), "cannot create database file");
    }
}

/// A database whose `user_version` this binary cannot read.
class unknown_schema : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

void migrate(SQLite::Database& db) {
    for (;;) {
        // IMMEDIATE takes the write lock first, so two processes starting together cannot
        // both apply the same step: the second one re-reads the version after the first.
        SQLite::Transaction transaction(db, SQLite::TransactionBehavior::IMMEDIATE);
        const std::int64_t version = db.execAndGet("PRAGMA user_version").getInt64();
        if (version < 0) {
            throw unknown_schema("schema version " + std::to_string(version) +
                                 " is not one gatewayd writes");
        }
        if (version > static_cast<std::int64_t>(migrations.size())) {
            // Written by a newer gatewayd: refuse rather than misread it.
            throw unknown_schema(
                "schema version " + std::to_string(version) + " is newer than this binary's " +
                std::to_string(migrations.size()) + " (written by a newer gatewayd)");
        }
        if (version == static_cast<std::int64_t>(migrations.size())) return;  // rolls back
        db.exec(migrations[static_cast<std::size_t>(version)].sql);
        db.exec("PRAGMA user_version = " + std::to_string(version + 1));
        transaction.commit();
    }
}

SQLite::Database open_database(const std::string& path) {
    // NOMUTEX: every use of the connection holds the store's own mutex, so SQLite's per-call
    // locking would only repeat it.
    SQLite::Database db(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE | SQLite::OPEN_NOMUTEX,
                        busy_timeout_ms);
    // journal_mode answers with the mode in force ("memory" for ":memory:"); both are fine.
    db.execAndGet("PRAGMA journal_mode = WAL");
    db.exec("PRAGMA synchronous = NORMAL");
    db.exec("PRAGMA foreign_keys = ON");
    migrate(db);
    return db;
}

// ---------------------------------------------------------------------------------------------

class sqlite_store final : public store {
  public:
    /// Throws SQLite::Exception; open_sqlite_store catches.
    explicit sqlite_store(const std::string& path)
        : db_(open_database(path)),
          upsert_channel_(db_, upsert_channel_sql),
          upsert_token_(db_, upsert_token_sql),
          insert_logs_{SQLite::Statement(db_, insert_logs_sql(logs_per_statement[0])),
                       SQLite::Statement(db_, insert_logs_sql(logs_per_statement[1])),
                       SQLite::Statement(db_, insert_logs_sql(logs_per_statement[2])),
                       SQLite::Statement(db_, insert_logs_sql(logs_per_statement[3]))},
          charge_token_(db_, charge_token_sql),
          log_exists_(db_, log_exists_sql) {}

    result<std::int64_t> upsert_channel(const channel_record& channel) override {
        return guarded([&]() -> result<std::int64_t> {
            if (!valid(channel)) return invalid_record();
            std::string keys = to_json(channel.keys);
            std::string models = to_json(channel.models);
            std::string mapping = to_json(channel.model_mapping);
            std::lock_guard lock(mutex_);
            SQLite::Statement& s = upsert_channel_;
            s.tryReset();  // clears the state a failed earlier call may have left
            s.bind(1, channel.name);
            s.bind(2, channel.type);
            s.bind(3, channel.base_url);
            s.bind(4, keys);
            s.bind(5, models);
            s.bind(6, mapping);
            s.bind(7, channel.priority);
            s.bind(8, channel.weight);
            s.bind(9, as_int(channel.enabled));
            s.bind(10, channel.settings_json);
            s.bind(11, unix_seconds());
            std::int64_t id = run_returning_id(s);
            s.clearBindings();  // do not keep copies of upstream keys around
            return id;
        });
    }

    result<std::int64_t> upsert_token(const token_record& token) override {
        return guarded([&]() -> result<std::int64_t> {
            if (!valid(token)) return invalid_record();
            std::string models = to_json(token.models);
            std::lock_guard lock(mutex_);
            SQLite::Statement& s = upsert_token_;
            s.tryReset();
            s.bind(1, token.name);
            s.bind(2, token.key_hash);
            s.bind(3, models);
            s.bind(4, token.remain_quota);
            s.bind(5, as_int(token.unlimited_quota));
            s.bind(6, token.used_quota);
            s.bind(7, token.expires_at);
            s.bind(8, as_int(token.enabled));
            s.bind(9, unix_seconds());
            return run_returning_id(s);
        });
    }

    result<std::vector<channel_record>> load_channels() override {
        return guarded([&]() -> result<std::vector<channel_record>> {
            std::lock_guard lock(mutex_);
            SQLite::Statement s(db_, select_channels_sql);
            std::vector<channel_record> out;
            while (s.executeStep()) {
                channel_record& c = out.emplace_back();
                c.id = s.getColumn(0).getInt64();
                c.name = s.getColumn(1).getString();
                c.type = s.getColumn(2).getString();
                c.base_url = s.getColumn(3).getString();
                c.keys = string_list_from_json(s.getColumn(4).getString());
                c.models = string_list_from_json(s.getColumn(5).getString());
                c.model_mapping = string_map_from_json(s.getColumn(6).getString());
                c.priority = s.getColumn(7).getInt();
                c.weight = s.getColumn(8).getInt();
                c.enabled = s.getColumn(9).getInt() != 0;
                c.settings_json = s.getColumn(10).getString();
            }
            return out;
        });
    }

    result<std::vector<token_record>> load_tokens() override {
        return guarded([&]() -> result<std::vector<token_record>> {
            std::lock_guard lock(mutex_);
            SQLite::Statement s(db_, select_tokens_sql);
            std::vector<token_record> out;
            while (s.executeStep()) {
                token_record& t = out.emplace_back();
                t.id = s.getColumn(0).getInt64();
                t.name = s.getColumn(1).getString();
                t.key_hash = s.getColumn(2).getString();
                t.models = string_list_from_json(s.getColumn(3).getString());
                t.remain_quota = s.getColumn(4).getInt64();
                t.unlimited_quota = s.getColumn(5).getInt() != 0;
                t.used_quota = s.getColumn(6).getInt64();
                t.expires_at = s.getColumn(7).getInt64();
                t.enabled = s.getColumn(8).getInt() != 0;
            }
            return out;
        });
    }

    result<void> append_logs(std::span<const request_log> logs) override {
        return guarded([&]() -> result<void> {
            // Checked before anything is written: a batch is stored whole or not at all.
            for (const auto& log : logs) {
                if (log.quota < 0) return invalid_record();
            }
            if (logs.empty()) return {};
            std::lock_guard lock(mutex_);
            SQLite::Transaction transaction(db_, SQLite::TransactionBehavior::IMMEDIATE);
            insert_and_charge(logs);
            transaction.commit();
            return {};
        });
    }

    result<std::size_t> append_missing_logs(std::span<const request_log> logs) override {
        return guarded([&]() -> result<std::size_t> {
            for (const auto& log : logs) {
                if (log.quota < 0) return invalid_record();
            }
            if (logs.empty()) return std::size_t{0};
            std::lock_guard lock(mutex_);
            SQLite::Transaction transaction(db_, SQLite::TransactionBehavior::IMMEDIATE);
            std::vector<request_log> missing;
            std::unordered_set<std::string_view> seen;  // twice in the input counts once
            for (const auto& log : logs) {
                if (!seen.insert(log.request_id).second) continue;
                SQLite::Statement& e = log_exists_;
                e.tryReset();
                e.bind(1, log.created_at_ms);
                e.bindNoCopy(2, log.request_id);
                if (!e.executeStep()) missing.push_back(log);
            }
            log_exists_.tryReset();
            insert_and_charge(missing);
            transaction.commit();
            return missing.size();
        });
    }

    result<std::vector<request_log>> recent_logs(std::size_t limit) override {
        return guarded([&]() -> result<std::vector<request_log>> {
            std::vector<request_log> out;
            if (limit == 0) return out;
            const auto bounded = static_cast<std::int64_t>(
                std::min<std::size_t>(limit, std::numeric_limits<std::int64_t>::max()));
            std::lock_guard lock(mutex_);
            SQLite::Statement s(db_, select_recent_logs_sql);
            s.bind(1, bounded);
            while (s.executeStep()) {
                request_log& l = out.emplace_back();
                l.request_id = s.getColumn(0).getString();
                l.token_id = s.getColumn(1).getInt64();
                l.channel_id = s.getColumn(2).getInt64();
                l.endpoint = s.getColumn(3).getString();
                l.model = s.getColumn(4).getString();
                l.upstream_model = s.getColumn(5).getString();
                l.stream = s.getColumn(6).getInt() != 0;
                l.status = s.getColumn(7).getInt();
                l.prompt_tokens = s.getColumn(8).getInt64();
                l.completion_tokens = s.getColumn(9).getInt64();
                l.quota = s.getColumn(10).getInt64();
                l.created_at_ms = s.getColumn(11).getInt64();
                l.duration_ms = s.getColumn(12).getInt64();
                l.first_byte_ms = s.getColumn(13).getInt64();
                l.error = s.getColumn(14).getString();
            }
            return out;
        });
    }

  private:
    /// Inserts `logs` and charges their tokens; the caller holds the mutex and a transaction.
    /// Throws SQLite::Exception.
    void insert_and_charge(std::span<const request_log> logs) {
        std::size_t next = 0;
        while (next < logs.size()) {
            std::size_t size = 0;
            while (logs_per_statement[size] > logs.size() - next) ++size;
            SQLite::Statement& s = insert_logs_[size];
            const std::size_t rows = logs_per_statement[size];
            s.tryReset();
            int p = 0;
            // The strings outlive exec(): SQLite need not copy them.
            for (const auto& log : logs.subspan(next, rows)) {
                s.bindNoCopy(++p, log.request_id);
                s.bind(++p, log.token_id);
                s.bind(++p, log.channel_id);
                s.bindNoCopy(++p, log.endpoint);
                s.bindNoCopy(++p, log.model);
                s.bindNoCopy(++p, log.upstream_model);
                s.bind(++p, as_int(log.stream));
                s.bind(++p, log.status);
                s.bind(++p, log.prompt_tokens);
                s.bind(++p, log.completion_tokens);
                s.bind(++p, log.quota);
                s.bind(++p, log.created_at_ms);
                s.bind(++p, log.duration_ms);
                s.bind(++p, log.first_byte_ms);
                s.bindNoCopy(++p, log.error);
            }
            s.exec();
            next += rows;
        }
        // One update per token and batch: the sums land in the same transaction.
        std::vector<std::pair<std::int64_t, std::int64_t>> charges;  // token id, quota
        for (const auto& log : logs) {
            if (log.quota == 0) continue;
            auto it = std::find_if(charges.begin(), charges.end(),
                                   [&](const auto& c) { return c.first == log.token_id; });
            if (it == charges.end()) {
                charges.emplace_back(log.token_id, log.quota);
            } else {
                it->second += log.quota;
            }
        }
        for (const auto& [token_id, quota] : charges) {
            // An unknown token_id updates no row; its logs above are kept regardless.
            SQLite::Statement& c = charge_token_;
            c.tryReset();
            c.bind(1, quota);
            c.bind(2, token_id);
            c.exec();
        }
    }

    std::mutex mutex_;
    SQLite::Database db_;
    // Cached statements; declared after db_ so they are finalised before it closes.
    SQLite::Statement upsert_channel_;
    SQLite::Statement upsert_token_;
    std::array<SQLite::Statement, logs_per_statement.size()> insert_logs_;
    SQLite::Statement charge_token_;
    SQLite::Statement log_exists_;
};

}  // namespace

result<std::unique_ptr<store>> open_sqlite_store(const std::string& path, std::string* why) {
    // The operator reads `why` at start-up: each failure says what is wrong with the file, not
    // only that storage failed.
    auto explain = [why](std::string text) {
        if (why != nullptr) *why = std::move(text);
    };
    if (path.empty()) {
        explain("the path is empty");
        return invalid_record();
    }
    try {
        if (path != ":memory:") {
            std::error_code ec;
            // SQLite would only say "unable to open database file".
            if (std::filesystem::is_directory(path, ec)) {
                explain("it is a directory, not a database file");
                return storage_failure();
            }
            const std::filesystem::path parent = std::filesystem::path(path).parent_path();
            if (!parent.empty()) {
                std::filesystem::create_directories(parent, ec);
                if (ec) {
                    explain("cannot create its directory " + parent.string() + ": " + ec.message());
                    return storage_failure();
                }
            }
            create_private_file(path);
        }
        std::unique_ptr<store> opened = std::make_unique<sqlite_store>(path);
        return opened;
    } catch (const SQLite::Exception& e) {
        switch (e.getErrorCode() & 0xff) {
            case SQLITE_NOTADB:
                explain(std::string("not a database (SQLite: ") + e.what() + ")");
                break;
            case SQLITE_CORRUPT:
                explain(std::string("the database is corrupt (SQLite: ") + e.what() + ")");
                break;
            default:
                explain(std::string("SQLite: ") + e.what());
        }
        return classify(e);
    } catch (const std::exception& e) {
        explain(e.what());  // unknown_schema, or create_private_file's system_error
        return storage_failure();
    } catch (...) {
        explain("unknown error");
        return storage_failure();
    }
}

}  // namespace gateway::storage
