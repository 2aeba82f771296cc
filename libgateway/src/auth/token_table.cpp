#include "gateway/auth/token_table.hpp"

#include <algorithm>

namespace gateway::auth {

bool token::allows_model(std::string_view model) const noexcept {
    return models.empty() || std::find(models.begin(), models.end(), model) != models.end();
}

bool token::has_quota() const noexcept {
    return unlimited_quota || remain_quota_at_load - spent.load() > 0;
}

token_table::token_table(const std::vector<storage::token_record>& records) {
    tokens_.reserve(records.size());
    for (const auto& r : records) {
        auto t = std::make_unique<token>();
        t->id = r.id;
        t->name = r.name;
        t->models = r.models;
        t->unlimited_quota = r.unlimited_quota;
        t->remain_quota_at_load = r.remain_quota;
        t->expires_at = r.expires_at;
        t->enabled = r.enabled;
        by_hash_.emplace(r.key_hash, t.get());
        tokens_.push_back(std::move(t));
    }
}

auth_result token_table::authenticate(std::string_view key, std::int64_t now) const {
    if (key.empty()) return {auth_status::missing_key, nullptr};
    auto it = by_hash_.find(storage::hash_key(key));
    if (it == by_hash_.end()) return {auth_status::unknown_key, nullptr};
    const token* t = it->second;
    if (!t->enabled) return {auth_status::disabled, t};
    if (t->expires_at != 0 && t->expires_at <= now) return {auth_status::expired, t};
    return {auth_status::ok, t};
}

std::string_view presented_key(std::string_view authorization, std::string_view x_api_key) {
    auto trim = [](std::string_view s) {
        while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
        while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
        return s;
    };
    authorization = trim(authorization);
    constexpr std::string_view bearer = "bearer ";
    if (authorization.size() > bearer.size()) {
        bool is_bearer = std::equal(
            bearer.begin(), bearer.end(), authorization.begin(),
            [](char a, char b) { return a == (b >= 'A' && b <= 'Z' ? b - 'A' + 'a' : b); });
        if (is_bearer) return trim(authorization.substr(bearer.size()));
    }
    return trim(x_api_key);
}

}  // namespace gateway::auth
