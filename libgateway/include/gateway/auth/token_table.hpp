#pragma once
/// In-memory view of the relay tokens, consulted on every request without touching the disk.
///
/// Built from `storage::token_record`s at start-up; lookups hash the presented key with
/// SHA-256 and compare hashes only. Quota spent since the table was built is counted in memory
/// (the request-log writer charges the database).
/// Thread safety: immutable after construction except the atomic spend counters; share it
/// across threads freely.

#include "gateway/storage/store.hpp"

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace gateway::auth {

struct token {
    std::int64_t id = 0;
    std::string name;
    std::vector<std::string> models;  ///< empty: every model
    bool unlimited_quota = true;
    std::int64_t remain_quota_at_load = 0;
    std::int64_t expires_at = 0;  ///< unix seconds; 0 = never
    bool enabled = true;
    mutable std::atomic<std::int64_t> spent{0};  ///< quota charged since load

    bool allows_model(std::string_view model) const noexcept;
    bool has_quota() const noexcept;
    void charge(std::int64_t quota) const noexcept { spent.fetch_add(quota); }
};

enum class auth_status {
    ok,
    missing_key,
    unknown_key,
    disabled,
    expired,
};

struct auth_result {
    auth_status status = auth_status::missing_key;
    const token* found = nullptr;
};

class token_table {
  public:
    explicit token_table(const std::vector<storage::token_record>& records);

    /// Checks a literal key (from `Authorization: Bearer` or `x-api-key`) at time `now`
    /// (unix seconds).
    auth_result authenticate(std::string_view key, std::int64_t now) const;

    std::size_t size() const noexcept { return tokens_.size(); }

  private:
    std::vector<std::unique_ptr<token>> tokens_;
    std::unordered_map<std::string, const token*> by_hash_;
};

/// The key presented by a client: `Authorization: Bearer <key>` or else `x-api-key: <key>`.
std::string_view presented_key(std::string_view authorization, std::string_view x_api_key);

}  // namespace gateway::auth
