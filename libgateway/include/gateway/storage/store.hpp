#pragma once
/// Persistent state of a gateway: channels (upstream accounts), relay tokens and request logs.
///
/// The store is synchronous and may block on disk: never call it from an I/O thread on a
/// request path. gatewayd reads tokens and channels at start-up into memory and writes request
/// logs from a background writer thread in batches.
///
/// Thread safety: one store may be used from several threads; implementations serialise
/// internally. Errors: `errc::storage_error` (and `errc::bad_request` for invalid records);
/// no exception escapes a member function.

#include "gateway/core/error.hpp"

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace gateway::storage {

/// An upstream account: where to send requests for some models, and with which keys.
struct channel_record {
    std::int64_t id = 0;                               ///< assigned by the store; 0 when new
    std::string name;                                  ///< unique; the upsert key
    std::string type;                                  ///< provider id: "openai", "mock", ...
    std::string base_url;                              ///< e.g. "https://api.openai.com"
    std::vector<std::string> keys;                     ///< upstream API keys (used in turn)
    std::vector<std::string> models;                   ///< models this channel serves
    std::map<std::string, std::string> model_mapping;  ///< requested name → upstream name
    int priority = 0;                                  ///< higher is tried first
    int weight = 1;                                    ///< share among channels of equal priority
    bool enabled = true;
    std::string settings_json = "{}";  ///< provider-specific settings (JSON object)
};

/// A relay key handed to clients. Only the SHA-256 of the key is ever stored.
struct token_record {
    std::int64_t id = 0;              ///< assigned by the store; 0 when new
    std::string name;                 ///< unique; the upsert key
    std::string key_hash;             ///< lowercase hex SHA-256 of the literal key
    std::vector<std::string> models;  ///< allowed models; empty = every model
    std::int64_t remain_quota = 0;    ///< quota units left (ignored if unlimited)
    bool unlimited_quota = true;
    std::int64_t used_quota = 0;  ///< quota units consumed so far
    std::int64_t expires_at = 0;  ///< unix seconds; 0 = never
    bool enabled = true;
};

/// One relayed request, written exactly once when it ends (successfully or not).
struct request_log {
    std::string request_id;  ///< the X-Request-Id returned to the client
    std::int64_t token_id = 0;
    std::int64_t channel_id = 0;  ///< 0 when no channel was chosen
    std::string endpoint;         ///< e.g. "/v1/chat/completions"
    std::string model;            ///< as requested by the client
    std::string upstream_model;   ///< as sent upstream
    bool stream = false;
    int status = 0;  ///< HTTP status returned to the client
    std::int64_t prompt_tokens = 0;
    std::int64_t completion_tokens = 0;
    std::int64_t quota = 0;          ///< quota units charged to the token
    std::int64_t created_at_ms = 0;  ///< unix milliseconds when the request arrived
    std::int64_t duration_ms = 0;
    std::int64_t first_byte_ms = -1;  ///< time to the first byte sent; -1 if none
    std::string error;                ///< empty on success; never contains secrets
};

class store {
  public:
    virtual ~store() = default;

    /// Inserts or updates by `name`; returns the record's id.
    virtual result<std::int64_t> upsert_channel(const channel_record& channel) = 0;
    virtual result<std::int64_t> upsert_token(const token_record& token) = 0;

    virtual result<std::vector<channel_record>> load_channels() = 0;
    virtual result<std::vector<token_record>> load_tokens() = 0;

    /// Appends the logs in one transaction and charges each log's `quota` to its token
    /// (`used_quota += quota`, and `remain_quota -= quota` unless unlimited).
    virtual result<void> append_logs(std::span<const request_log> logs) = 0;

    /// Like `append_logs`, for logs that may be stored already (a journal replayed after a
    /// crash): in one transaction, appends and charges only the logs whose `request_id` (with
    /// its `created_at_ms`) is not in the log yet, each once. Returns how many it appended.
    virtual result<std::size_t> append_missing_logs(std::span<const request_log> logs) = 0;

    /// The newest logs first, for tests and the admin API.
    virtual result<std::vector<request_log>> recent_logs(std::size_t limit) = 0;
};

/// Opens (creating if needed, with its parent directory) a SQLite database at `path` and
/// migrates its schema. `":memory:"` gives a private in-memory database. Errors:
/// `errc::storage_error` (`errc::bad_request` for an empty path); `why`, if not null, gets the
/// cause for the operator, without the path: "it is a directory, not a database file", "not a
/// database (SQLite: file is not a database)", "schema version 9 is newer than this binary's 1
/// (written by a newer gatewayd)", "cannot create its directory …: …".
result<std::unique_ptr<store>> open_sqlite_store(const std::string& path,
                                                 std::string* why = nullptr);

/// Lowercase hex SHA-256 of `key`, the form in which relay keys are stored and looked up.
std::string hash_key(std::string_view key);

/// A new random relay key, "sk-" followed by 48 base62 characters (from OpenSSL's RNG).
std::string generate_key();

}  // namespace gateway::storage
