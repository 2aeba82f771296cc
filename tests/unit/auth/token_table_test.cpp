#include <gateway/auth/token_table.hpp>

#include <catch2/catch.hpp>

using gateway::auth::auth_status;
using gateway::auth::presented_key;
using gateway::auth::token_table;
using gateway::storage::token_record;

namespace {

token_record make(std::int64_t id, std::string name, std::string_view key) {
    token_record r;
    r.id = id;
    r.name = std::move(name);
    r.key_hash = gateway::storage::hash_key(key);
    return r;
}

}  // namespace

TEST_CASE("keys are found by their hash and checked", "[auth]") {
    auto ok = make(1, "ok", "sk-ok-0123456789abcdef");
    auto off = make(2, "off", "sk-off-0123456789abcdef");
    off.enabled = false;
    auto old = make(3, "old", "sk-old-0123456789abcdef");
    old.expires_at = 1000;
    token_table table{{ok, off, old}};

    REQUIRE(table.size() == 3);
    auto found = table.authenticate("sk-ok-0123456789abcdef", 5000);
    REQUIRE(found.status == auth_status::ok);
    REQUIRE(found.found->name == "ok");
    REQUIRE(table.authenticate("", 5000).status == auth_status::missing_key);
    REQUIRE(table.authenticate("sk-ok-0123456789abcdeF", 5000).status == auth_status::unknown_key);
    REQUIRE(table.authenticate("sk-off-0123456789abcdef", 5000).status == auth_status::disabled);
    REQUIRE(table.authenticate("sk-old-0123456789abcdef", 999).status == auth_status::ok);
    REQUIRE(table.authenticate("sk-old-0123456789abcdef", 1000).status == auth_status::expired);
}

TEST_CASE("model lists and quota of a token", "[auth]") {
    auto limited = make(1, "limited", "sk-limited-0123456789");
    limited.models = {"gpt-4o"};
    limited.unlimited_quota = false;
    limited.remain_quota = 100;
    token_table table{{limited}};
    const auto* t = table.authenticate("sk-limited-0123456789", 0).found;
    REQUIRE(t != nullptr);
    REQUIRE(t->allows_model("gpt-4o"));
    REQUIRE(!t->allows_model("gpt-4o-mini"));
    REQUIRE(t->has_quota());
    t->charge(99);
    REQUIRE(t->has_quota());
    t->charge(1);
    REQUIRE(!t->has_quota());
}

TEST_CASE("the presented key comes from Bearer auth or x-api-key", "[auth]") {
    REQUIRE(presented_key("Bearer sk-abc", "") == "sk-abc");
    REQUIRE(presented_key("bearer   sk-abc  ", "") == "sk-abc");
    REQUIRE(presented_key("BEARER sk-abc", "sk-other") == "sk-abc");
    REQUIRE(presented_key("", "sk-anthropic") == "sk-anthropic");
    REQUIRE(presented_key("Basic dXNlcjpwYXNz", "") == "");
    REQUIRE(presented_key("", "") == "");
}
