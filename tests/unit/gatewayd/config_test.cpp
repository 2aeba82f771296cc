// gatewayd's configuration: defaults, the JSON file and the environment.

#include "config.hpp"

#include <gateway/storage/store.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>

namespace {

using namespace std::chrono_literals;
using Catch::Matchers::Contains;
using gatewayd::config;
using gatewayd::config_error;

/// The message of the config_error thrown by `parse_config(text)`, or "" if none.
std::string parse_error(const std::string& text) {
    try {
        gatewayd::parse_config(text);
    } catch (const config_error& e) {
        return e.what();
    }
    return {};
}

gatewayd::env_lookup env(std::map<std::string, std::string> vars) {
    return [vars = std::move(vars)](const char* name) -> std::optional<std::string> {
        auto it = vars.find(name);
        if (it == vars.end()) return std::nullopt;
        return it->second;
    };
}

std::string env_error(std::map<std::string, std::string> vars) {
    config cfg = gatewayd::default_config();
    try {
        gatewayd::apply_env_overrides(cfg, env(std::move(vars)));
    } catch (const config_error& e) {
        return e.what();
    }
    return {};
}

const char* const full_file = R"json({
  "server": {"host": "0.0.0.0", "port": 8080, "threads": 4, "max_body_bytes": 1048576,
             "max_body_bytes_in_flight": 8388608, "header_timeout_ms": 1000, "body_timeout_ms": 2000, "idle_timeout_ms": 3000,
             "write_timeout_ms": 4000, "shutdown_timeout_ms": 5000},
  "sqlite_path": "/var/lib/gatewayd/state.db",
  "log_level": "debug",
  "upstream": {"connect_timeout_ms": 1500, "first_byte_timeout_ms": 2500, "idle_timeout_ms": 3500,
               "total_timeout_ms": 4500, "max_idle_connections_per_host": 8,
               "idle_connection_ttl_s": 30, "verify_tls": false, "ca_file": "/etc/ca.pem",
               "max_response_body_bytes": 2097152, "read_buffer_bytes": 4096},
  "channels": [
    {"name": "openai", "type": "openai", "base_url": "https://api.openai.com/",
     "keys": ["sk-upstream-a", "sk-upstream-b"], "models": ["gpt-4o", "gpt-4o-mini"],
     "model_mapping": {"gpt-4o": "gpt-4o-2024-08-06"}, "priority": 2, "weight": 5,
     "enabled": false, "settings": {"default_max_tokens": 1000}},
    {"name": "local", "type": "mock", "key": "single-upstream-key", "models": ["m1"]}
  ],
  "tokens": [
    {"name": "alice", "key": "sk-alice-0123456789abcdef", "models": ["gpt-4o"], "quota": 500000,
     "expires_at": 1900000000, "enabled": false},
    {"name": "bob", "key": "sk-bob-0123456789abcdef"},
    {"name": "carol", "key": "sk-carol-0123456789abcdef", "quota": 10, "unlimited_quota": true}
  ]
})json";

}  // namespace

TEST_CASE("the default configuration", "[config]") {
    const config cfg = gatewayd::default_config();
    CHECK(cfg.server.host == "127.0.0.1");
    CHECK(cfg.server.port == 3000);
    CHECK(cfg.server.threads == 0);
    CHECK(cfg.server.max_body_bytes == 32U * 1024 * 1024);
    CHECK(cfg.server.max_body_bytes_in_flight == 256U * 1024 * 1024);
    CHECK(cfg.server.shutdown_timeout == 30s);
    CHECK(cfg.sqlite_path == "./data/gatewayd.db");
    CHECK(cfg.log_level == "info");
    CHECK(cfg.upstream.verify_peer);
    CHECK(cfg.upstream.default_timeouts.first_byte == 300s);
    REQUIRE(cfg.channels.size() == 1);
    CHECK(cfg.channels[0].name == "mock");
    CHECK(cfg.channels[0].type == "mock");
    CHECK(cfg.channels[0].models == std::vector<std::string>{"mock-gpt-4o", "mock-claude"});
    CHECK(cfg.channels[0].enabled);
    CHECK(cfg.tokens.empty());

    // An empty document changes nothing.
    const config same = gatewayd::parse_config("{}");
    CHECK(same.server.port == 3000);
    CHECK(same.channels.size() == 1);
}

TEST_CASE("a file with every key", "[config]") {
    const config cfg = gatewayd::parse_config(full_file);

    CHECK(cfg.server.host == "0.0.0.0");
    CHECK(cfg.server.port == 8080);
    CHECK(cfg.server.threads == 4);
    CHECK(cfg.server.max_body_bytes == 1048576);
    CHECK(cfg.server.max_body_bytes_in_flight == 8388608);
    CHECK(cfg.server.header_timeout == 1000ms);
    CHECK(cfg.server.body_timeout == 2000ms);
    CHECK(cfg.server.idle_timeout == 3000ms);
    CHECK(cfg.server.write_timeout == 4000ms);
    CHECK(cfg.server.shutdown_timeout == 5000ms);
    CHECK(cfg.sqlite_path == "/var/lib/gatewayd/state.db");
    CHECK(cfg.log_level == "debug");

    const auto& up = cfg.upstream;
    CHECK(up.default_timeouts.connect == 1500ms);
    CHECK(up.default_timeouts.first_byte == 2500ms);
    CHECK(up.default_timeouts.idle == 3500ms);
    CHECK(up.default_timeouts.total == 4500ms);
    CHECK(up.max_idle_connections_per_host == 8);
    CHECK(up.idle_connection_ttl == 30s);
    CHECK_FALSE(up.verify_peer);
    CHECK(up.ca_file == "/etc/ca.pem");
    CHECK(up.max_body_bytes == 2097152);
    CHECK(up.read_buffer_bytes == 4096);

    // "channels" replaces the default list.
    REQUIRE(cfg.channels.size() == 2);
    const auto& openai = cfg.channels[0];
    CHECK(openai.name == "openai");
    CHECK(openai.type == "openai");
    CHECK(openai.base_url == "https://api.openai.com");  // trailing slash dropped
    CHECK(openai.keys == std::vector<std::string>{"sk-upstream-a", "sk-upstream-b"});
    CHECK(openai.models == std::vector<std::string>{"gpt-4o", "gpt-4o-mini"});
    CHECK(openai.model_mapping ==
          std::map<std::string, std::string>{{"gpt-4o", "gpt-4o-2024-08-06"}});
    CHECK(openai.priority == 2);
    CHECK(openai.weight == 5);
    CHECK_FALSE(openai.enabled);
    CHECK(openai.settings_json == R"({"default_max_tokens":1000})");
    const auto& local = cfg.channels[1];
    CHECK(local.keys == std::vector<std::string>{"single-upstream-key"});
    CHECK(local.base_url.empty());
    CHECK(local.priority == 0);
    CHECK(local.weight == 1);
    CHECK(local.enabled);
    CHECK(local.settings_json == "{}");

    REQUIRE(cfg.tokens.size() == 3);
    const auto& alice = cfg.tokens[0].record;
    CHECK(alice.name == "alice");
    CHECK(alice.key_hash == gateway::storage::hash_key("sk-alice-0123456789abcdef"));
    CHECK(alice.models == std::vector<std::string>{"gpt-4o"});
    CHECK_FALSE(alice.unlimited_quota);
    CHECK(alice.remain_quota == 500000);
    CHECK(alice.used_quota == 0);
    CHECK(alice.expires_at == 1900000000);
    CHECK_FALSE(alice.enabled);
    const auto& bob = cfg.tokens[1].record;
    CHECK(bob.unlimited_quota);  // no quota: unlimited
    CHECK(bob.models.empty());
    CHECK(bob.enabled);
    CHECK(bob.expires_at == 0);
    const auto& carol = cfg.tokens[2].record;
    CHECK(carol.unlimited_quota);  // explicitly unlimited despite a quota
}

TEST_CASE("sections present replace only the keys they name", "[config]") {
    const config cfg = gatewayd::parse_config(R"({"server": {"port": 9000}, "upstream": {}})");
    CHECK(cfg.server.port == 9000);
    CHECK(cfg.server.host == "127.0.0.1");
    CHECK(cfg.upstream.default_timeouts.connect == 10s);
    CHECK(cfg.channels.size() == 1);

    const config empty_lists = gatewayd::parse_config(R"({"channels": [], "tokens": []})");
    CHECK(empty_lists.channels.empty());
    CHECK(empty_lists.tokens.empty());

    // A custom base is the starting point.
    config base = gatewayd::default_config();
    base.log_level = "warn";
    CHECK(gatewayd::parse_config(R"({"sqlite_path": "x.db"})", base).log_level == "warn");
}

TEST_CASE("the literal token key is not kept in the configuration", "[config]") {
    const config cfg = gatewayd::parse_config(full_file);
    for (const auto& token : cfg.tokens) {
        CHECK(token.record.key_hash.size() == 64);
        CHECK(token.record.key_hash.find("sk-") == std::string::npos);
    }
}

TEST_CASE("unknown keys are named with their full path", "[config]") {
    CHECK_THAT(parse_error(R"({"sever": {}})"), Contains(R"(config: unknown key "sever")"));
    CHECK_THAT(parse_error(R"({"server": {"prot": 1}})"),
               Contains(R"(config: unknown key "server.prot")"));
    CHECK_THAT(parse_error(R"({"upstream": {"verify": true}})"),
               Contains(R"(unknown key "upstream.verify")"));
    CHECK_THAT(parse_error(R"({"channels": [{"name": "a", "type": "mock", "models": ["m"]},
                                            {"name": "b", "type": "mock", "models": ["m"],
                                             "modles": []}]})"),
               Contains(R"(unknown key "channels[1].modles")"));
    CHECK_THAT(parse_error(R"({"tokens": [{"name": "a", "key": "sk-0123456789abcdef",
                                           "qouta": 1}]})"),
               Contains(R"(unknown key "tokens[0].qouta")"));
}

TEST_CASE("wrong types are named with their full path", "[config]") {
    CHECK_THAT(parse_error(R"([1, 2])"), Contains("must be a JSON object"));
    CHECK_THAT(parse_error(R"({"server": []})"), Contains(R"("server" must be an object)"));
    CHECK_THAT(parse_error(R"({"server": {"port": "3000"}})"),
               Contains(R"("server.port" must be an integer)"));
    CHECK_THAT(parse_error(R"({"server": {"port": 3000.5}})"),
               Contains(R"("server.port" must be an integer)"));
    CHECK_THAT(parse_error(R"({"server": {"host": 1}})"), Contains(R"("server.host" must be)"));
    CHECK_THAT(parse_error(R"({"sqlite_path": ""})"), Contains(R"("sqlite_path" must be)"));
    CHECK_THAT(parse_error(R"({"upstream": {"verify_tls": "no"}})"),
               Contains(R"("upstream.verify_tls" must be true or false)"));
    CHECK_THAT(parse_error(R"({"channels": {}})"), Contains(R"("channels" must be an array)"));
    CHECK_THAT(parse_error(R"({"channels": ["openai"]})"),
               Contains(R"("channels[0]" must be an object)"));
    CHECK_THAT(parse_error(R"({"channels": [{"name": "a", "type": "mock", "models": ["m"]},
                                     {"name": "b", "type": "mock", "models": "m"}]})"),
               Contains(R"(config: "channels[1].models" must be an array of strings)"));
    CHECK_THAT(parse_error(R"({"channels": [{"name": "b", "type": "mock", "models": [1]}]})"),
               Contains(R"("channels[0].models" must be an array of strings)"));
    CHECK_THAT(parse_error(R"({"channels": [{"name": "b", "type": "mock", "models": ["m"],
                                             "model_mapping": {"m": 1}}]})"),
               Contains(R"("channels[0].model_mapping" must be an object)"));
    CHECK_THAT(parse_error(R"({"channels": [{"name": "b", "type": "mock", "models": ["m"],
                                             "settings": "x"}]})"),
               Contains(R"("channels[0].settings" must be an object)"));
    CHECK_THAT(parse_error(R"({"tokens": [{"name": "a", "key": "sk-0123456789abcdef",
                                           "unlimited_quota": 1}]})"),
               Contains(R"("tokens[0].unlimited_quota" must be true or false)"));
}

TEST_CASE("integers out of range are refused", "[config]") {
    CHECK_THAT(parse_error(R"({"server": {"port": -1}})"),
               Contains(R"("server.port" must be an integer between 0 and 65535)"));
    CHECK_THAT(parse_error(R"({"server": {"port": 65536}})"),
               Contains(R"("server.port" must be an integer between 0 and 65535)"));
    // 0 asks for any free port (used by the end-to-end tests).
    CHECK(gatewayd::parse_config(R"({"server": {"port": 0}})").server.port == 0);
    CHECK_THAT(parse_error(R"({"server": {"threads": 1025}})"),
               Contains(R"("server.threads" must be an integer between 0 and 1024)"));
    CHECK_THAT(parse_error(R"({"server": {"max_body_bytes": 0}})"),
               Contains(R"("server.max_body_bytes" must be an integer > 0)"));
    CHECK_THAT(parse_error(R"({"server": {"max_body_bytes_in_flight": -1}})"),
               Contains(R"("server.max_body_bytes_in_flight" must be an integer >= 0)"));
    CHECK(gatewayd::parse_config(R"({"server": {"max_body_bytes_in_flight": 0}})")
              .server.max_body_bytes_in_flight == 0);
    CHECK_THAT(parse_error(R"({"server": {"idle_timeout_ms": -1}})"),
               Contains(R"("server.idle_timeout_ms" must be an integer between 0 and)"));
    CHECK_THAT(parse_error(R"({"upstream": {"max_response_body_bytes": 0}})"),
               Contains(R"("upstream.max_response_body_bytes" must be an integer > 0)"));
    CHECK_THAT(parse_error(R"({"upstream": {"read_buffer_bytes": 512}})"),
               Contains(R"("upstream.read_buffer_bytes" must be an integer between 1024 and)"));
    CHECK_THAT(parse_error(R"({"upstream": {"connect_timeout_ms": 18446744073709551615}})"),
               Contains(R"("upstream.connect_timeout_ms" must be an integer)"));
    CHECK_THAT(parse_error(R"({"tokens": [{"name": "a", "key": "sk-0123456789abcdef",
                                           "quota": -5}]})"),
               Contains(R"("tokens[0].quota" must be an integer >= 0)"));
    CHECK_THAT(parse_error(R"({"channels": [{"name": "b", "type": "mock", "models": ["m"],
                                             "weight": -1}]})"),
               Contains(R"("channels[0].weight" must be an integer between 0 and)"));
    CHECK(gatewayd::parse_config(R"({"server": {"port": 65535, "threads": 1024}})").server.port ==
          65535);
}

TEST_CASE("channel entries are checked", "[config]") {
    SECTION("missing required fields") {
        CHECK_THAT(parse_error(R"({"channels": [{"type": "mock", "models": ["m"]}]})"),
                   Contains(R"("channels[0].name" is required)"));
        CHECK_THAT(parse_error(R"({"channels": [{"name": "a", "models": ["m"]}]})"),
                   Contains(R"("channels[0].type" is required)"));
        CHECK_THAT(parse_error(R"({"channels": [{"name": "a", "type": "mock"}]})"),
                   Contains(R"("channels[0].models" is required)"));
        CHECK_THAT(parse_error(R"({"channels": [{"name": "a", "type": "mock", "models": []}]})"),
                   Contains(R"("channels[0].models" must not be empty)"));
        // Services with a known address default to it; self-hosted ones need their own.
        CHECK(gatewayd::parse_config(
                  R"({"channels": [{"name": "a", "type": "openai", "models": ["m"]}]})")
                  .channels.at(0)
                  .base_url.empty());
        CHECK_THAT(
            parse_error(R"({"channels": [{"name": "a", "type": "custom", "models": ["m"]}]})"),
            Contains(R"("channels[0]": base_url is required for type custom)"));
        CHECK_THAT(
            parse_error(R"({"channels": [{"name": "a", "type": "azure", "models": ["m"]}]})"),
            Contains(R"("channels[0]": base_url is required for type azure)"));
    }
    SECTION("unknown type") {
        CHECK_THAT(
            parse_error(R"({"channels": [{"name": "a", "type": "openia", "models": ["m"]}]})"),
            Contains(R"("channels[0].type" must be one of: mock, openai, deepseek, openrouter)"));
    }
    SECTION("settings name the upstream format the type allows") {
        const auto ok = gatewayd::parse_config(
            R"({"channels": [{"name": "a", "type": "openai", "base_url": "https://h",
                              "models": ["m"], "settings": {"upstream_format": "openai_responses",
                                                            "default_max_tokens": 2048}}]})");
        REQUIRE(ok.channels.size() == 1);
        CHECK_THAT(ok.channels[0].settings_json, Contains("openai_responses"));
        CHECK_THAT(
            parse_error(R"({"channels": [{"name": "a", "type": "anthropic", "base_url": "https://h",
                              "models": ["m"], "settings": {"upstream_format": "gemini"}}]})"),
            Contains(
                R"("channels[0]": settings.upstream_format must be anthropic_messages for type anthropic)"));
        CHECK_THAT(
            parse_error(R"({"channels": [{"name": "a", "type": "gemini", "base_url": "https://h",
                              "models": ["m"], "settings": {"default_max_tokens": 0}}]})"),
            Contains(R"("channels[0].settings.default_max_tokens" must be)"));
        CHECK_THAT(
            parse_error(R"({"channels": [{"name": "a", "type": "openai", "base_url": "https://h",
                              "models": ["m"], "settings": {"region": "x"}}]})"),
            Contains(R"("channels[0]": unknown key settings.region for type openai)"));
    }
    SECTION("settings.params override what a model does with a parameter") {
        const auto ok = gatewayd::parse_config(
            R"({"channels": [{"name": "a", "type": "openai", "base_url": "https://h",
                              "models": ["m"], "settings": {"params": {"top_k": "reject",
                              "reasoning": "pass"}, "reasoning_model": true}}]})");
        REQUIRE(ok.channels.size() == 1);
        CHECK_THAT(ok.channels[0].settings_json, Contains(R"("top_k":"reject")"));
        CHECK_THAT(
            parse_error(R"({"channels": [{"name": "a", "type": "openai", "base_url": "https://h",
                              "models": ["m"], "settings": {"params": {"seed": "ignore"}}}]})"),
            Contains(
                R"("channels[0].settings.params.seed" must be one of: pass, drop, emulate or reject)"));
        CHECK_THAT(
            parse_error(R"({"channels": [{"name": "a", "type": "openai", "base_url": "https://h",
                              "models": ["m"], "settings": {"reasoning_model": "yes"}}]})"),
            Contains(R"("channels[0].settings.reasoning_model" must be true or false)"));
    }
    SECTION("bad base URLs") {
        for (const char* url : {"api.openai.com", "ftp://api.openai.com", "https://",
                                "https://user:secret@api.openai.com", "https://h/v1?x=1",
                                "https://h/#frag", "not a url"}) {
            INFO(url);
            const std::string text =
                std::string(R"({"channels": [{"name": "a", "type": "openai", "models": ["m"],
                                              "base_url": ")") +
                url + R"("}]})";
            const std::string message = parse_error(text);
            CHECK_THAT(message, Contains(R"("channels[0].base_url")"));
            if (std::string_view(url).size() > 8) {
                CHECK_THAT(message, !Contains(url));  // never echoed: it may hold credentials
            }
        }
        const config ok = gatewayd::parse_config(
            R"({"channels": [{"name": "a", "type": "openai", "models": ["m"],
                              "base_url": "http://127.0.0.1:8080/v1//"}]})");
        CHECK(ok.channels[0].base_url == "http://127.0.0.1:8080/v1");
    }
    SECTION("key and keys together") {
        CHECK_THAT(parse_error(R"({"channels": [{"name": "a", "type": "mock", "models": ["m"],
                                                 "key": "k1", "keys": ["k2"]}]})"),
                   Contains(R"("channels[0]": use either "key" or "keys")"));
    }
    SECTION("duplicate names") {
        CHECK_THAT(parse_error(R"({"channels": [{"name": "a", "type": "mock", "models": ["m"]},
                                                {"name": "a", "type": "mock", "models": ["n"]}]})"),
                   Contains(R"("channels[1].name" repeats the channel name "a" of "channels[0]")"));
    }
    SECTION("upstream keys never appear in messages") {
        const std::string message =
            parse_error(R"({"channels": [{"name": "a", "type": "mock", "models": ["m"],
                                          "keys": ["sk-upstream-secret-1", 7]}]})");
        CHECK_THAT(message, Contains(R"("channels[0].keys" must be an array of strings)"));
        CHECK_THAT(message, !Contains("sk-upstream-secret-1"));
    }
}

TEST_CASE("token entries are checked", "[config]") {
    CHECK_THAT(parse_error(R"({"tokens": [{"key": "sk-0123456789abcdef"}]})"),
               Contains(R"("tokens[0].name" is required)"));
    CHECK_THAT(parse_error(R"({"tokens": [{"name": "a"}]})"),
               Contains(R"("tokens[0].key" is required)"));

    const std::string short_key = parse_error(R"({"tokens": [{"name": "a", "key": "sk-short"}]})");
    CHECK_THAT(short_key, Contains(R"("tokens[0].key" must be at least 16 characters)"));
    CHECK_THAT(short_key, !Contains("sk-short"));

    const std::string spaced =
        parse_error(R"({"tokens": [{"name": "a", "key": "sk-0123456789 abcdef"}]})");
    CHECK_THAT(spaced, Contains(R"("tokens[0].key" must contain only visible ASCII)"));
    CHECK_THAT(spaced, !Contains("0123456789 abcdef"));

    CHECK_THAT(parse_error(R"({"tokens": [{"name": "a", "key": "sk-0123456789abcdef",
                                           "unlimited_quota": false}]})"),
               Contains(R"("tokens[0].quota" is required when "tokens[0].unlimited_quota")"));

    CHECK_THAT(parse_error(R"({"tokens": [{"name": "a", "key": "sk-0123456789abcdef"},
                                          {"name": "a", "key": "sk-0123456789abcdeX"}]})"),
               Contains(R"("tokens[1].name" repeats the token name "a" of "tokens[0]")"));

    const std::string same_key =
        parse_error(R"({"tokens": [{"name": "a", "key": "sk-the-shared-key-0123"},
                                   {"name": "b", "key": "sk-the-shared-key-0123"}]})");
    CHECK_THAT(same_key, Contains(R"("tokens[1].key" is the same key as "tokens[0].key")"));
    CHECK_THAT(same_key, !Contains("sk-the-shared-key-0123"));

    const config limited = gatewayd::parse_config(
        R"({"tokens": [{"name": "a", "key": "sk-0123456789abcdef", "quota": 0}]})");
    CHECK_FALSE(limited.tokens[0].record.unlimited_quota);
    CHECK(limited.tokens[0].record.remain_quota == 0);
}

TEST_CASE("log_level must be a known level", "[config]") {
    CHECK_THAT(parse_error(R"({"log_level": "verbose"})"),
               Contains(R"("log_level" must be one of debug, info, warn or error)"));
    CHECK_THAT(parse_error(R"({"log_level": 3})"), Contains(R"("log_level" must be)"));
    for (const char* level : {"debug", "info", "warn", "error"}) {
        CHECK(gatewayd::parse_config(std::string(R"({"log_level": ")") + level + "\"}").log_level ==
              level);
    }
}

TEST_CASE("invalid JSON is reported with its location", "[config]") {
    CHECK_THAT(parse_error("{\n  \"server\": {\n    \"port\": 30 00\n  }\n}"),
               Contains("config: invalid JSON at line 3, column 16"));
    CHECK_THAT(parse_error("{\"a\": 1,}"), Contains("invalid JSON at line 1, column 9"));
    CHECK_THAT(parse_error("{\"server\": {}"), Contains("invalid JSON at line 1, column 14"));
    CHECK_THAT(parse_error("{} {}"), Contains("invalid JSON at line 1, column 4"));
    CHECK_THAT(parse_error("// comment\n{}"), Contains("invalid JSON at line 1, column 1"));
    CHECK_THAT(parse_error(""), Contains("invalid JSON"));

    // The parser's message never quotes the text (which may hold keys).
    const std::string message =
        parse_error(R"({"tokens": [{"name": "a", "key": "sk-secret-0123456789\q"}]})");
    CHECK_THAT(message, Contains("invalid JSON"));
    CHECK_THAT(message, !Contains("sk-secret"));
}

TEST_CASE("load_config_file reads a file and names it in errors", "[config]") {
    const auto dir = std::filesystem::temp_directory_path() /
                     ("gatewayd-config-test-" + gateway::storage::generate_key().substr(3, 12));
    std::filesystem::create_directories(dir);
    const std::string good = (dir / "good.json").string();
    const std::string bad = (dir / "bad.json").string();
    std::ofstream(good) << R"({"server": {"port": 4000}})";
    std::ofstream(bad) << R"({"server": {"prot": 4000}})";

    CHECK(gatewayd::load_config_file(good).server.port == 4000);

    auto message_of = [](const std::string& path) -> std::string {
        try {
            gatewayd::load_config_file(path);
        } catch (const config_error& e) {
            return e.what();
        }
        return {};
    };
    const std::string bad_message = message_of(bad);
    CHECK_THAT(bad_message, Contains(bad));
    CHECK_THAT(bad_message, Contains(R"(unknown key "server.prot")"));

    const std::string missing = (dir / "missing.json").string();
    const std::string missing_message = message_of(missing);
    CHECK_THAT(missing_message, Contains(missing));
    CHECK_THAT(missing_message, Contains("cannot read"));

    CHECK_THAT(message_of(dir.string()), Contains("not a regular file"));

    std::filesystem::remove_all(dir);
}

TEST_CASE("environment variables override the file", "[config]") {
    config cfg = gatewayd::parse_config(full_file);
    gatewayd::apply_env_overrides(cfg, env({
                                           {"PORT", "9090"},
                                           {"HOST", "::1"},
                                           {"SQLITE_PATH", "/tmp/env.db"},
                                           {"THREADS", "16"},
                                           {"MAX_BODY_BYTES", "2048"},
                                           {"SHUTDOWN_TIMEOUT", "7"},
                                           {"RELAY_TIMEOUT", "120"},
                                           {"CONNECT_TIMEOUT", "3"},
                                           {"LOG_LEVEL", "error"},
                                           {"TLS_VERIFY", "true"},
                                           {"CA_FILE", "/env/ca.pem"},
                                       }));
    CHECK(cfg.server.port == 9090);
    CHECK(cfg.server.host == "::1");
    CHECK(cfg.sqlite_path == "/tmp/env.db");
    CHECK(cfg.server.threads == 16);
    CHECK(cfg.server.max_body_bytes == 2048);
    CHECK(cfg.server.shutdown_timeout == 7s);
    CHECK(cfg.upstream.default_timeouts.first_byte == 120s);
    CHECK(cfg.upstream.default_timeouts.idle == 120s);
    CHECK(cfg.upstream.default_timeouts.total == 4500ms);  // untouched
    CHECK(cfg.upstream.default_timeouts.connect == 3s);
    CHECK(cfg.log_level == "error");
    CHECK(cfg.upstream.verify_peer);
    CHECK(cfg.upstream.ca_file == "/env/ca.pem");
    // Other settings stay as the file had them.
    CHECK(cfg.server.header_timeout == 1000ms);
    CHECK(cfg.channels.size() == 2);

    SECTION("TLS_VERIFY spellings") {
        for (const auto& [text, expected] : std::map<std::string, bool>{
                 {"false", false}, {"0", false}, {"FALSE", false}, {"1", true}, {"True", true}}) {
            INFO(text);
            config c = gatewayd::default_config();
            gatewayd::apply_env_overrides(c, env({{"TLS_VERIFY", text}}));
            CHECK(c.upstream.verify_peer == expected);
        }
    }
    SECTION("unset and empty variables change nothing") {
        config c = gatewayd::default_config();
        gatewayd::apply_env_overrides(c, env({{"PORT", ""}}));
        CHECK(c.server.port == 3000);
        gatewayd::apply_env_overrides(c, gatewayd::env_lookup{});
        CHECK(c.server.port == 3000);
    }
}

TEST_CASE("malformed environment variables are named", "[config]") {
    CHECK_THAT(env_error({{"PORT", "abc"}}), Contains(R"(PORT="abc" is not a port number)"));
    CHECK_THAT(env_error({{"PORT", "0"}}), Contains(R"(PORT="0" is not a port number)"));
    CHECK_THAT(env_error({{"PORT", "70000"}}), Contains(R"(PORT="70000" is not a port number)"));
    CHECK_THAT(env_error({{"PORT", " 80"}}), Contains(R"(PORT=" 80" is not a port number)"));
    CHECK_THAT(env_error({{"HOST", "a b"}}), Contains(R"(HOST="a b" is not a host)"));
    CHECK_THAT(env_error({{"THREADS", "-1"}}), Contains(R"(THREADS="-1" is not a thread count)"));
    CHECK_THAT(env_error({{"THREADS", "2000"}}), Contains(R"(THREADS="2000")"));
    CHECK_THAT(env_error({{"MAX_BODY_BYTES", "0"}}), Contains(R"(MAX_BODY_BYTES="0" is not)"));
    CHECK_THAT(env_error({{"SHUTDOWN_TIMEOUT", "5s"}}),
               Contains(R"(SHUTDOWN_TIMEOUT="5s" is not a number of seconds)"));
    CHECK_THAT(env_error({{"RELAY_TIMEOUT", "1.5"}}), Contains(R"(RELAY_TIMEOUT="1.5" is not)"));
    CHECK_THAT(env_error({{"CONNECT_TIMEOUT", "99999999999999999999"}}),
               Contains(R"(CONNECT_TIMEOUT="99999999999999999999" is not)"));
    CHECK_THAT(env_error({{"LOG_LEVEL", "trace"}}), Contains(R"(LOG_LEVEL="trace" is not a log)"));
    CHECK_THAT(env_error({{"TLS_VERIFY", "yes"}}),
               Contains(R"(TLS_VERIFY="yes" is not a boolean)"));

    // A bad variable leaves the configuration untouched.
    config cfg = gatewayd::default_config();
    CHECK_THROWS_AS(gatewayd::apply_env_overrides(cfg, env({{"PORT", "81"}, {"THREADS", "x"}})),
                    config_error);
    CHECK(cfg.server.port == 3000);
}

TEST_CASE("the upstream proxy is checked and never quoted", "[config]") {
    config cfg = gatewayd::parse_config(
        R"({"upstream": {"proxy": "http://u:p@proxy.internal:3128",
                         "no_proxy": ["LocalHost", ".corp.example"]}})");
    CHECK(cfg.upstream.proxy == "http://u:p@proxy.internal:3128");
    CHECK(cfg.upstream.no_proxy == std::vector<std::string>{"localhost", ".corp.example"});

    for (const std::string bad : {"https://secret-pw@proxy:3128", "socks5://h:1080",
                                  "http://h:99999", "http://h/path", "proxy:3128"}) {
        INFO(bad);
        const std::string error = parse_error(R"({"upstream": {"proxy": ")" + bad + R"("}})");
        CHECK_THAT(error, Contains(R"("upstream.proxy" must be an http://)"));
        CHECK_THAT(error, !Contains(bad));
    }
    CHECK_THAT(parse_error(R"({"upstream": {"no_proxy": "localhost"}})"),
               Contains("upstream.no_proxy"));

    config env_cfg = gatewayd::default_config();
    gatewayd::apply_env_overrides(env_cfg,
                                  env({{"RELAY_PROXY", "http://proxy:8080"},
                                       {"RELAY_NO_PROXY", " Localhost, .Corp.example ,,"}}));
    CHECK(env_cfg.upstream.proxy == "http://proxy:8080");
    CHECK(env_cfg.upstream.no_proxy == std::vector<std::string>{"localhost", ".corp.example"});
    const std::string error = env_error({{"RELAY_PROXY", "ftp://user:hunter2@proxy"}});
    CHECK_THAT(error, Contains("RELAY_PROXY is not an http://"));
    CHECK_THAT(error, !Contains("hunter2"));
}

TEST_CASE("the process environment overload reads getenv", "[config]") {
    ::setenv("PORT", "4321", 1);
    ::setenv("LOG_LEVEL", "warn", 1);
    config cfg = gatewayd::default_config();
    gatewayd::apply_env_overrides(cfg);
    ::unsetenv("PORT");
    ::unsetenv("LOG_LEVEL");
    CHECK(cfg.server.port == 4321);
    CHECK(cfg.log_level == "warn");
}
