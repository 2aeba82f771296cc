#include "app.hpp"

#include <gateway/auth/token_table.hpp>
#include <gateway/core/log.hpp>
#include <gateway/routing/router.hpp>
#include <gateway/server/http_server.hpp>
#include <gateway/server/io_pool.hpp>
#include <gateway/server/relay_service.hpp>
#include <gateway/storage/log_writer.hpp>
#include <gateway/storage/store.hpp>

#include <fmt/format.h>
#include <fmt/ostream.h>

#include <pthread.h>
#include <algorithm>
#include <charconv>
#include <csignal>
#include <iostream>
#include <optional>
#include <ostream>

namespace gatewayd {

namespace {

constexpr std::string_view usage_text = R"(usage: gatewayd [--config FILE]
       gatewayd token create NAME [--models MODEL,MODEL...] [--quota N] [--config FILE]
       gatewayd --help | --version

Starts the gateway (by default on 127.0.0.1:3000 with ./data/gatewayd.db and the built-in
mock provider). Settings: docs/configuration.md; environment variables override the file.
)";

std::string display_host(const std::string& host) {
    return host == "0.0.0.0" || host == "::" ? std::string("127.0.0.1") : host;
}

void print_first_request(std::ostream& out, const config& cfg, std::uint16_t port,
                         std::string_view key) {
    auto base = fmt::format("http://{}:{}", display_host(cfg.server.host), port);
    std::string model = "mock-gpt-4o";
    for (const auto& c : cfg.channels) {
        if (!c.models.empty()) {
            model = c.models.front();
            break;
        }
    }
    fmt::print(out, "gatewayd listening on {}\n", base);
    if (!key.empty()) {
        fmt::print(
            out,
            "\nA relay key was created for you (it is shown only this once; the database "
            "keeps only its hash):\n  {}\n\nTry it:\n"
            "  curl {}/v1/chat/completions -H 'Authorization: Bearer {}' "
            "-H 'Content-Type: application/json' "
            "-d "
            "'{{\"model\":\"{}\",\"messages\":[{{\"role\":\"user\",\"content\":\"Hello!\"}}]}}'\n",
            key, base, key, model);
    } else {
        fmt::print(
            out,
            "\nTry it (with one of your relay keys; create one with "
            "'gatewayd token create NAME'):\n"
            "  curl {}/v1/chat/completions -H 'Authorization: Bearer $KEY' "
            "-H 'Content-Type: application/json' "
            "-d "
            "'{{\"model\":\"{}\",\"messages\":[{{\"role\":\"user\",\"content\":\"Hello!\"}}]}}'\n"
            "or, with no key at all, the sandbox:\n"
            "  curl {}/sandbox/v1/chat/completions -H 'Content-Type: application/json' "
            "-d "
            "'{{\"model\":\"mock\",\"messages\":[{{\"role\":\"user\",\"content\":\"Hello!\"}}]}}'"
            "\n",
            base, model, base);
    }
    out.flush();
}

/// Opens the database and upserts the channels and tokens the configuration declares.
std::unique_ptr<gateway::storage::store> open_store(const config& cfg, std::ostream& err) {
    std::string why;
    auto opened = gateway::storage::open_sqlite_store(cfg.sqlite_path, &why);
    if (!opened) {
        fmt::print(err, "gatewayd: cannot open the database {}: {}\n", cfg.sqlite_path,
                   why.empty() ? opened.error().message() : why);
        return nullptr;
    }
    auto store = std::move(*opened);
    for (const auto& channel : cfg.channels) {
        if (auto r = store->upsert_channel(channel); !r) {
            fmt::print(err, "gatewayd: cannot store channel {}: {}\n", channel.name,
                       r.error().message());
            return nullptr;
        }
    }
    for (const auto& token : cfg.tokens) {
        if (auto r = store->upsert_token(token.record); !r) {
            fmt::print(err, "gatewayd: cannot store token {}: {}\n", token.record.name,
                       r.error().message());
            return nullptr;
        }
    }
    return store;
}

}  // namespace

int serve(const config& cfg, std::ostream& out) {
    auto store = open_store(cfg, std::cerr);
    if (!store) return 1;

    // Before the tokens are loaded: replaying the journal a killed process left charges them.
    gateway::storage::log_writer_options log_options;
    if (cfg.sqlite_path != ":memory:") log_options.journal_base = cfg.sqlite_path;
    std::optional<gateway::storage::log_writer> logs;
    try {
        logs.emplace(*store, std::move(log_options));
    } catch (const std::exception& e) {
        fmt::print(std::cerr, "gatewayd: {}\n", e.what());
        return 1;
    }

    auto tokens = store->load_tokens();
    if (!tokens) {
        gateway::log::error(fmt::format("cannot load tokens: {}", tokens.error().message()));
        return 1;
    }
    std::string new_key;
    if (tokens->empty()) {
        // First start with no token anywhere: make one so the first request can be sent.
        new_key = gateway::storage::generate_key();
        gateway::storage::token_record quickstart;
        quickstart.name = "quickstart";
        quickstart.key_hash = gateway::storage::hash_key(new_key);
        if (auto r = store->upsert_token(quickstart); !r) {
            gateway::log::error(fmt::format("cannot create a token: {}", r.error().message()));
            return 1;
        }
        tokens = store->load_tokens();
        if (!tokens) return 1;
    }
    auto channels = store->load_channels();
    if (!channels) {
        gateway::log::error(fmt::format("cannot load channels: {}", channels.error().message()));
        return 1;
    }

    // Signals are taken by sigwait() below; every thread started from here inherits the mask.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    std::signal(SIGPIPE, SIG_IGN);

    auto token_table = std::make_shared<const gateway::auth::token_table>(*tokens);
    auto router = std::make_shared<const gateway::routing::router>(*channels);
    {
        gateway::server::io_pool pool{cfg.server.threads};
        gateway::server::relay_service relay{
            pool,
            token_table,
            router,
            &*logs,
            {.upstream = cfg.upstream, .sandbox = true, .providers = make_registry(cfg.providers)}};
        gateway::server::server_options options;
        options.host = cfg.server.host;
        options.port = cfg.server.port;
        options.max_body_bytes = cfg.server.max_body_bytes;
        options.max_body_bytes_in_flight = cfg.server.max_body_bytes_in_flight;
        options.header_timeout = cfg.server.header_timeout;
        options.body_timeout = cfg.server.body_timeout;
        options.idle_timeout = cfg.server.idle_timeout;
        options.write_timeout = cfg.server.write_timeout;
        gateway::server::http_server server{pool, options, relay.handler(),
                                            relay.head_checker()};
        if (auto listening = server.listen(); !listening) {
            gateway::log::error(fmt::format("cannot listen on {}:{}: {}", cfg.server.host,
                                            cfg.server.port, listening.error().message()));
            return 1;
        }
        pool.run();
        gateway::log::info(fmt::format("{} worker threads, {} channels, {} tokens, database {}",
                                       pool.size(), router->channel_count(), token_table->size(),
                                       cfg.sqlite_path));
        print_first_request(out, cfg, server.port(), new_key);

        int received = 0;
        sigwait(&signals, &received);
        gateway::log::info(fmt::format("received {}, shutting down (grace {} ms)",
                                       received == SIGINT ? "SIGINT" : "SIGTERM",
                                       cfg.server.shutdown_timeout.count()));
        bool clean = server.shutdown(cfg.server.shutdown_timeout);
        if (!clean) {
            gateway::log::warn("shutdown grace period over: remaining requests were cut");
        }
        pool.stop();
        pool.join();
        logs->flush();
        gateway::log::info(fmt::format("stopped; {} request logs written", logs->written()));
    }
    return 0;
}

int token_command(const config& cfg, std::span<const std::string_view> args, std::ostream& out,
                  std::ostream& err) {
    if (args.size() < 2 || args[0] != "create") {
        fmt::print(err, "{}", usage_text);
        return 2;
    }
    gateway::storage::token_record token;
    token.name = std::string(args[1]);
    for (std::size_t i = 2; i < args.size(); ++i) {
        if (args[i] == "--models" && i + 1 < args.size()) {
            std::string_view list = args[++i];
            while (!list.empty()) {
                auto comma = list.find(',');
                auto item = list.substr(0, comma);
                if (!item.empty()) token.models.emplace_back(item);
                if (comma == std::string_view::npos) break;
                list.remove_prefix(comma + 1);
            }
        } else if (args[i] == "--quota" && i + 1 < args.size()) {
            auto text = args[++i];
            std::int64_t quota = 0;
            auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), quota);
            if (ec != std::errc{} || end != text.data() + text.size() || quota < 0) {
                fmt::print(err, "gatewayd: --quota takes a non-negative integer\n");
                return 2;
            }
            token.unlimited_quota = false;
            token.remain_quota = quota;
        } else {
            fmt::print(err, "gatewayd: unknown option {}\n{}", args[i], usage_text);
            return 2;
        }
    }
    auto store = open_store(cfg, err);
    if (!store) return 1;
    auto existing = store->load_tokens();
    if (!existing) {
        fmt::print(err, "gatewayd: {}\n", existing.error().message());
        return 1;
    }
    if (std::any_of(existing->begin(), existing->end(),
                    [&](const auto& t) { return t.name == token.name; })) {
        fmt::print(err, "gatewayd: a token named \"{}\" exists already\n", token.name);
        return 1;
    }
    auto key = gateway::storage::generate_key();
    token.key_hash = gateway::storage::hash_key(key);
    if (auto r = store->upsert_token(token); !r) {
        fmt::print(err, "gatewayd: {}\n", r.error().message());
        return 1;
    }
    fmt::print(out, "{}\n", key);
    return 0;
}

int main_with_args(std::span<const std::string_view> args, std::ostream& out, std::ostream& err) {
    std::string config_path;
    std::vector<std::string_view> rest;
    for (std::size_t i = 0; i < args.size(); ++i) {
        if (args[i] == "--help" || args[i] == "-h") {
            fmt::print(out, "{}", usage_text);
            return 0;
        }
        if (args[i] == "--version") {
            fmt::print(out, "gatewayd 0.1.0 ({})\n", allocator_name);
            return 0;
        }
        if (args[i] == "--config") {
            if (i + 1 >= args.size()) {
                fmt::print(err, "gatewayd: --config needs a file name\n");
                return 2;
            }
            config_path = std::string(args[++i]);
        } else {
            rest.push_back(args[i]);
        }
    }
    config cfg;
    try {
        cfg = config_path.empty() ? default_config() : load_config_file(config_path);
        apply_env_overrides(cfg);
    } catch (const config_error& e) {
        fmt::print(err, "gatewayd: {}\n", e.what());
        return 2;
    }
    gateway::log::level level = gateway::log::level::info;
    gateway::log::parse_level(cfg.log_level, level);
    gateway::log::set_level(level);

    if (!rest.empty() && rest[0] == "token") {
        return token_command(cfg, std::span(rest).subspan(1), out, err);
    }
    if (!rest.empty()) {
        fmt::print(err, "gatewayd: unexpected argument {}\n{}", rest[0], usage_text);
        return 2;
    }
    return serve(cfg, out);
}

}  // namespace gatewayd
