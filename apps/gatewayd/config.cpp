// gatewayd's configuration: a strict reader of the JSON file and of the environment.
//
// Every error names the key path or variable it is about, and never quotes a value from the
// file: values may be keys (relay or upstream) or URLs with credentials.

#include "config.hpp"

#include <gateway/provider/registry.hpp>
#include <gateway/storage/store.hpp>

#include <fmt/format.h>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/stream_parser.hpp>
#include <boost/json/value.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/scheme.hpp>
#include <boost/url/url_view.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <limits>
#include <map>
#include <set>
#include <system_error>
#include <utility>

namespace gatewayd {
namespace {

namespace json = boost::json;

// ---------------------------------------------------------------------------------------------
// Vocabulary. One row per channel type gatewayd can serve; add a provider here.

constexpr std::array<std::string_view, 4> log_levels{"debug", "info", "warn", "error"};

constexpr std::int64_t int64_max = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t max_timeout_s = 365LL * 24 * 3600;  // a year: far from any overflow
constexpr std::int64_t max_timeout_ms = max_timeout_s * 1000;
constexpr std::int64_t max_threads = 1024;
constexpr std::size_t min_token_key_chars = 16;
constexpr std::uintmax_t max_file_bytes = 16 * 1024 * 1024;

/// Thrown by the readers below with the detail only; the entry points add the prefix.
struct problem {
    std::string detail;
};

[[noreturn]] void fail(std::string detail) { throw problem{std::move(detail)}; }

std::string key_name(std::string_view path) { return fmt::format("\"{}\"", path); }

std::string member_path(std::string_view parent, std::string_view key) {
    return parent.empty() ? std::string(key) : fmt::format("{}.{}", parent, key);
}

std::string element_path(std::string_view parent, std::size_t index) {
    return fmt::format("{}[{}]", parent, index);
}

template <std::size_t N>
std::string join(const std::array<std::string_view, N>& words, std::string_view last_sep) {
    std::string out;
    for (std::size_t i = 0; i < N; ++i) {
        if (i > 0) out += (i + 1 == N) ? last_sep : std::string_view(", ");
        out += words[i];
    }
    return out;
}

bool is_log_level(std::string_view level) {
    return std::find(log_levels.begin(), log_levels.end(), level) != log_levels.end();
}

std::optional<std::int64_t> as_int64(const json::value& value) {
    if (value.is_int64()) return value.get_int64();
    if (value.is_uint64() && value.get_uint64() <= static_cast<std::uint64_t>(int64_max)) {
        return static_cast<std::int64_t>(value.get_uint64());
    }
    return std::nullopt;
}

std::string integer_range_text(std::int64_t min, std::int64_t max) {
    if (max == int64_max) {
        return min == 1 ? std::string("an integer > 0") : fmt::format("an integer >= {}", min);
    }
    return fmt::format("an integer between {} and {}", min, max);
}

// ---------------------------------------------------------------------------------------------
// A JSON object with a known set of keys, read field by field.

class object_reader {
  public:
    object_reader(const json::value& value, std::string path,
                  std::initializer_list<std::string_view> known)
        : path_(std::move(path)) {
        if (!value.is_object()) {
            fail(path_.empty() ? std::string("the document must be a JSON object")
                               : fmt::format("{} must be an object", key_name(path_)));
        }
        object_ = &value.get_object();
        for (const auto& member : *object_) {
            if (std::find(known.begin(), known.end(), member.key()) == known.end()) {
                fail(fmt::format("unknown key {}", key_name(member_path(path_, member.key()))));
            }
        }
    }

    const std::string& path() const noexcept { return path_; }
    std::string path(std::string_view key) const { return member_path(path_, key); }
    bool has(std::string_view key) const { return object_->contains(key); }

    const json::value* find(std::string_view key) const { return object_->if_contains(key); }

    [[noreturn]] void missing(std::string_view key) const {
        fail(fmt::format("{} is required", key_name(path(key))));
    }

    std::optional<std::string> string(std::string_view key, bool allow_empty = false) const {
        const json::value* value = find(key);
        if (value == nullptr) return std::nullopt;
        if (!value->is_string() || (!allow_empty && value->get_string().empty())) {
            fail(fmt::format("{} must be a {}string", key_name(path(key)),
                             allow_empty ? "" : "non-empty "));
        }
        return std::string(value->get_string());
    }

    std::string required_string(std::string_view key) const {
        std::optional<std::string> value = string(key);
        if (!value) missing(key);
        return std::move(*value);
    }

    std::optional<std::int64_t> integer(std::string_view key, std::int64_t min,
                                        std::int64_t max) const {
        const json::value* value = find(key);
        if (value == nullptr) return std::nullopt;
        std::optional<std::int64_t> number = as_int64(*value);
        if (!number || *number < min || *number > max) {
            fail(fmt::format("{} must be {}", key_name(path(key)), integer_range_text(min, max)));
        }
        return number;
    }

    std::optional<bool> boolean(std::string_view key) const {
        const json::value* value = find(key);
        if (value == nullptr) return std::nullopt;
        if (!value->is_bool()) fail(fmt::format("{} must be true or false", key_name(path(key))));
        return value->get_bool();
    }

    std::optional<std::vector<std::string>> string_list(std::string_view key) const {
        const json::value* value = find(key);
        if (value == nullptr) return std::nullopt;
        const std::string where = path(key);
        if (!value->is_array())
            fail(fmt::format("{} must be an array of strings", key_name(where)));
        std::vector<std::string> out;
        out.reserve(value->get_array().size());
        for (std::size_t i = 0; i < value->get_array().size(); ++i) {
            const json::value& item = value->get_array()[i];
            if (!item.is_string()) {
                fail(fmt::format("{} must be an array of strings", key_name(where)));
            }
            if (item.get_string().empty()) {
                fail(fmt::format("{} must not be empty", key_name(element_path(where, i))));
            }
            out.emplace_back(item.get_string());
        }
        return out;
    }

    std::optional<std::map<std::string, std::string>> string_map(std::string_view key) const {
        const json::value* value = find(key);
        if (value == nullptr) return std::nullopt;
        const std::string where = path(key);
        auto wrong = [&] {
            fail(fmt::format("{} must be an object whose values are non-empty strings",
                             key_name(where)));
        };
        if (!value->is_object()) wrong();
        std::map<std::string, std::string> out;
        for (const auto& member : value->get_object()) {
            if (!member.value().is_string() || member.value().get_string().empty()) wrong();
            out.emplace(std::string(member.key()), std::string(member.value().get_string()));
        }
        return out;
    }

    const json::object* object(std::string_view key) const {
        const json::value* value = find(key);
        if (value == nullptr) return nullptr;
        if (!value->is_object()) fail(fmt::format("{} must be an object", key_name(path(key))));
        return &value->get_object();
    }

    const json::array* array(std::string_view key) const {
        const json::value* value = find(key);
        if (value == nullptr) return nullptr;
        if (!value->is_array()) fail(fmt::format("{} must be an array", key_name(path(key))));
        return &value->get_array();
    }

  private:
    const json::object* object_ = nullptr;
    std::string path_;
};

std::chrono::milliseconds to_ms(std::int64_t value) { return std::chrono::milliseconds{value}; }

// ---------------------------------------------------------------------------------------------
// Sections

void read_server(const json::value& value, server_settings& server) {
    const object_reader r(
        value, "server",
        {"host", "port", "threads", "max_body_bytes", "max_body_bytes_in_flight",
         "header_timeout_ms", "body_timeout_ms", "idle_timeout_ms", "write_timeout_ms",
         "shutdown_timeout_ms"});
    if (auto v = r.string("host")) server.host = std::move(*v);
    if (auto v = r.integer("port", 0, 65535)) server.port = static_cast<std::uint16_t>(*v);
    if (auto v = r.integer("threads", 0, max_threads)) server.threads = static_cast<unsigned>(*v);
    if (auto v = r.integer("max_body_bytes", 1, int64_max)) {
        server.max_body_bytes = static_cast<std::size_t>(*v);
    }
    if (auto v = r.integer("max_body_bytes_in_flight", 0, int64_max)) {
        server.max_body_bytes_in_flight = static_cast<std::size_t>(*v);
    }
    if (auto v = r.integer("header_timeout_ms", 0, max_timeout_ms)) {
        server.header_timeout = to_ms(*v);
    }
    if (auto v = r.integer("body_timeout_ms", 0, max_timeout_ms)) server.body_timeout = to_ms(*v);
    if (auto v = r.integer("idle_timeout_ms", 0, max_timeout_ms)) server.idle_timeout = to_ms(*v);
    if (auto v = r.integer("write_timeout_ms", 0, max_timeout_ms)) {
        server.write_timeout = to_ms(*v);
    }
    if (auto v = r.integer("shutdown_timeout_ms", 0, max_timeout_ms)) {
        server.shutdown_timeout = to_ms(*v);
    }
}

std::string lowercase(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(), [](char ch) {
        return (ch >= 'A' && ch <= 'Z') ? static_cast<char>(ch - 'A' + 'a') : ch;
    });
    return out;
}

void read_upstream(const json::value& value, gateway::http::client_options& upstream) {
    const object_reader r(
        value, "upstream",
        {"connect_timeout_ms", "first_byte_timeout_ms", "idle_timeout_ms", "total_timeout_ms",
         "max_idle_connections_per_host", "idle_connection_ttl_s", "verify_tls", "ca_file",
         "max_response_body_bytes", "read_buffer_bytes", "proxy", "no_proxy"});
    gateway::http::timeouts& t = upstream.default_timeouts;
    if (auto v = r.integer("connect_timeout_ms", 0, max_timeout_ms)) t.connect = to_ms(*v);
    if (auto v = r.integer("first_byte_timeout_ms", 0, max_timeout_ms)) t.first_byte = to_ms(*v);
    if (auto v = r.integer("idle_timeout_ms", 0, max_timeout_ms)) t.idle = to_ms(*v);
    if (auto v = r.integer("total_timeout_ms", 0, max_timeout_ms)) t.total = to_ms(*v);
    if (auto v = r.integer("max_idle_connections_per_host", 0, 1'000'000)) {
        upstream.max_idle_connections_per_host = static_cast<std::size_t>(*v);
    }
    if (auto v = r.integer("idle_connection_ttl_s", 0, max_timeout_s)) {
        upstream.idle_connection_ttl = std::chrono::seconds{*v};
    }
    if (auto v = r.boolean("verify_tls")) upstream.verify_peer = *v;
    if (auto v = r.string("ca_file", /*allow_empty=*/true)) upstream.ca_file = std::move(*v);
    if (auto v = r.integer("max_response_body_bytes", 1, int64_max)) {
        upstream.max_body_bytes = static_cast<std::size_t>(*v);
    }
    if (auto v = r.integer("read_buffer_bytes", 1024, 16 * 1024 * 1024)) {
        upstream.read_buffer_bytes = static_cast<std::size_t>(*v);
    }
    if (auto v = r.string("proxy", /*allow_empty=*/true)) {
        // Not quoted back: the URL may carry the proxy's password.
        if (!v->empty() && !gateway::http::valid_proxy_url(*v)) {
            fail(fmt::format("{} must be an http://[user:password@]host[:port] URL",
                             key_name(r.path("proxy"))));
        }
        upstream.proxy = std::move(*v);
    }
    if (auto v = r.string_list("no_proxy")) {
        upstream.no_proxy.clear();
        for (const std::string& host : *v) upstream.no_proxy.push_back(lowercase(host));
    }
}

/// An absolute http(s) URL with a host, without credentials, query or fragment. Trailing
/// slashes are dropped so that providers can append paths ("/v1/chat/completions").
std::string checked_base_url(const std::string& text, const std::string& path) {
    auto parsed = boost::urls::parse_absolute_uri(text);
    const bool ok = parsed.has_value() &&
                    (parsed->scheme_id() == boost::urls::scheme::http ||
                     parsed->scheme_id() == boost::urls::scheme::https) &&
                    parsed->has_authority() && !parsed->encoded_host().empty() &&
                    !parsed->has_userinfo() && !parsed->has_query() && !parsed->has_fragment();
    if (!ok) {
        fail(
            fmt::format("{} must be an absolute http:// or https:// URL with a host and no "
                        "credentials, query or fragment",
                        key_name(path)));
    }
    std::string out = text;
    const std::size_t origin_size = parsed->encoded_origin().size();
    while (out.size() > origin_size && out.back() == '/') out.pop_back();
    return out;
}

/// The settings every channel may have (the adapter checks the rest of the object).
void read_common_settings(const json::object& settings, const std::string& path) {
    const auto* max_tokens = settings.if_contains("default_max_tokens");
    if (max_tokens != nullptr) {
        const auto n = as_int64(*max_tokens);
        if (!n || *n < 1 || *n > 1'000'000) {
            fail(fmt::format("{} must be {}", key_name(member_path(path, "default_max_tokens")),
                             integer_range_text(1, 1'000'000)));
        }
    }
    if (const auto* v = settings.if_contains("reasoning_model"); v != nullptr && !v->is_bool()) {
        fail(fmt::format("{} must be true or false",
                         key_name(member_path(path, "reasoning_model"))));
    }
    if (const auto* timeouts = settings.if_contains("timeouts")) {
        const object_reader t(*timeouts, member_path(path, "timeouts"),
                              {"connect_ms", "first_byte_ms", "idle_ms", "total_ms"});
        for (const char* key : {"connect_ms", "first_byte_ms", "idle_ms", "total_ms"}) {
            (void)t.integer(key, 0, max_timeout_ms);
        }
    }
    if (const auto* params = settings.if_contains("params")) {
        const std::string where = member_path(path, "params");
        if (!params->is_object()) fail(fmt::format("{} must be an object", key_name(where)));
        constexpr std::array<std::string_view, 4> actions{"pass", "drop", "emulate", "reject"};
        for (const auto& member : params->get_object()) {
            const json::value& action = member.value();
            if (!action.is_string() ||
                std::find(actions.begin(), actions.end(), action.get_string()) == actions.end()) {
                fail(fmt::format("{} must be one of: {}",
                                 key_name(member_path(where, member.key())),
                                 join(actions, " or ")));
            }
        }
    }
}

std::string channel_type_list(const gateway::provider::registry& providers) {
    std::string out = "mock";
    for (std::string_view id : providers.ids()) {
        out += ", ";
        out += id;
    }
    return out;
}

gateway::storage::channel_record read_channel(const json::value& value, const std::string& path,
                                              const gateway::provider::registry& providers) {
    const object_reader r(value, path,
                          {"name", "type", "base_url", "key", "keys", "models", "model_mapping",
                           "priority", "weight", "enabled", "settings"});
    gateway::storage::channel_record c;
    c.name = r.required_string("name");
    c.type = r.required_string("type");
    const gateway::provider::adapter* adapter = providers.find(c.type);
    if (adapter == nullptr && c.type != "mock") {
        fail(fmt::format("{} must be one of: {}", key_name(r.path("type")),
                         channel_type_list(providers)));
    }
    if (auto url = r.string("base_url", /*allow_empty=*/true)) {
        if (!url->empty()) c.base_url = checked_base_url(*url, r.path("base_url"));
    }
    if (r.has("key") && r.has("keys")) {
        fail(fmt::format("{}: use either \"key\" or \"keys\", not both", key_name(path)));
    }
    if (auto key = r.string("key")) c.keys.push_back(std::move(*key));
    if (auto keys = r.string_list("keys")) c.keys = std::move(*keys);
    auto models = r.string_list("models");
    if (!models) r.missing("models");
    if (models->empty()) fail(fmt::format("{} must not be empty", key_name(r.path("models"))));
    c.models = std::move(*models);
    if (auto mapping = r.string_map("model_mapping")) c.model_mapping = std::move(*mapping);
    if (auto v = r.integer("priority", std::numeric_limits<int>::min(),
                           std::numeric_limits<int>::max())) {
        c.priority = static_cast<int>(*v);
    }
    if (auto v = r.integer("weight", 0, std::numeric_limits<int>::max())) {
        c.weight = static_cast<int>(*v);
    }
    if (auto v = r.boolean("enabled")) c.enabled = *v;
    const json::object no_settings;
    const json::object* settings = r.object("settings");
    if (settings != nullptr) {
        read_common_settings(*settings, r.path("settings"));
        c.settings_json = json::serialize(*settings);
    }
    if (adapter != nullptr) {
        // The adapter's own rules: a required base URL, its settings (the message names them
        // relative to the channel).
        const gateway::provider::channel_config channel{
            c.base_url, settings != nullptr ? *settings : no_settings};
        if (std::string problem = adapter->check(channel); !problem.empty()) {
            fail(fmt::format("{}: {}", key_name(path), problem));
        }
    } else if (settings != nullptr && !settings->empty()) {
        fail(fmt::format("{} must be empty for type \"mock\"", key_name(r.path("settings"))));
    }
    return c;
}

/// Keys travel in an `Authorization: Bearer` header: visible ASCII only.
bool is_header_safe(std::string_view key) {
    return std::all_of(key.begin(), key.end(), [](char ch) { return ch > ' ' && ch < '\x7f'; });
}

configured_token read_token(const json::value& value, const std::string& path) {
    const object_reader r(
        value, path,
        {"name", "key", "models", "quota", "unlimited_quota", "expires_at", "enabled"});
    gateway::storage::token_record t;
    t.name = r.required_string("name");
    {
        // The literal key lives only in this scope; only its hash is kept.
        const std::string key = r.required_string("key");
        if (key.size() < min_token_key_chars) {
            fail(fmt::format("{} must be at least {} characters long", key_name(r.path("key")),
                             min_token_key_chars));
        }
        if (!is_header_safe(key)) {
            fail(fmt::format("{} must contain only visible ASCII characters (no spaces)",
                             key_name(r.path("key"))));
        }
        t.key_hash = gateway::storage::hash_key(key);
        if (t.key_hash.empty())
            fail(fmt::format("{} could not be hashed", key_name(r.path("key"))));
    }
    if (auto models = r.string_list("models")) t.models = std::move(*models);
    const std::optional<std::int64_t> quota = r.integer("quota", 0, int64_max);
    const std::optional<bool> unlimited = r.boolean("unlimited_quota");
    if (quota) {
        t.unlimited_quota = unlimited.value_or(false);
        t.remain_quota = *quota;
    } else if (unlimited == false) {
        fail(fmt::format("{} is required when {} is false", key_name(r.path("quota")),
                         key_name(r.path("unlimited_quota"))));
    } else {
        t.unlimited_quota = true;
        t.remain_quota = 0;
    }
    if (auto v = r.integer("expires_at", 0, int64_max)) t.expires_at = *v;
    if (auto v = r.boolean("enabled")) t.enabled = *v;
    return configured_token{std::move(t)};
}

std::vector<gateway::storage::channel_record> read_channels(
    const json::array& list, const gateway::provider::registry& providers) {
    std::vector<gateway::storage::channel_record> out;
    std::map<std::string, std::size_t, std::less<>> seen;
    for (std::size_t i = 0; i < list.size(); ++i) {
        const std::string path = element_path("channels", i);
        auto channel = read_channel(list[i], path, providers);
        auto [it, inserted] = seen.emplace(channel.name, i);
        if (!inserted) {
            fail(fmt::format("{} repeats the channel name \"{}\" of {}",
                             key_name(member_path(path, "name")), channel.name,
                             key_name(element_path("channels", it->second))));
        }
        out.push_back(std::move(channel));
    }
    return out;
}

/// `providers`: OpenAI-compatible services declared as data, like the built-in rows
/// (docs/providers.md).
gateway::provider::compatible_profile read_provider(const json::value& value,
                                                    const std::string& path) {
    const object_reader r(value, path,
                          {"id", "base_url", "key_required", "responses_api", "params", "renames",
                           "headers", "reasoning_model_prefixes", "reasoning_effort_prefixes"});
    gateway::provider::compatible_profile p;
    p.id = r.required_string("id");
    const bool id_ok = std::all_of(p.id.begin(), p.id.end(), [](char ch) {
        return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '-';
    });
    if (!id_ok || p.id == "mock") {
        fail(fmt::format("{} must be lowercase letters, digits, '_' or '-' (and not \"mock\")",
                         key_name(r.path("id"))));
    }
    if (auto url = r.string("base_url"))
        p.default_base_url = checked_base_url(*url, r.path("base_url"));
    if (auto v = r.boolean("key_required")) p.key_required = *v;
    if (auto v = r.boolean("responses_api")) p.responses_api = *v;
    if (const json::object* params = r.object("params")) {
        read_common_settings(json::object{{"params", *params}}, path);
        for (const auto& member : *params) {
            const std::string_view action = member.value().get_string();
            const gateway::param_action a = action == "drop"      ? gateway::param_action::drop
                                            : action == "emulate" ? gateway::param_action::emulate
                                            : action == "reject"  ? gateway::param_action::reject
                                                                  : gateway::param_action::pass;
            p.params.emplace_back(std::string(member.key()), a);
        }
    }
    if (auto renames = r.string_map("renames")) {
        p.renames.assign(renames->begin(), renames->end());
    }
    if (auto headers = r.string_map("headers")) {
        p.headers.assign(headers->begin(), headers->end());
    }
    if (auto list = r.string_list("reasoning_model_prefixes")) p.reasoning_model_prefixes = *list;
    if (auto list = r.string_list("reasoning_effort_prefixes")) {
        p.reasoning_effort_prefixes = *list;
    }
    return p;
}

std::vector<gateway::provider::compatible_profile> read_providers(const json::array& list) {
    std::vector<gateway::provider::compatible_profile> out;
    for (std::size_t i = 0; i < list.size(); ++i) {
        const std::string path = element_path("providers", i);
        auto p = read_provider(list[i], path);
        for (const auto& earlier : out) {
            if (earlier.id == p.id) {
                fail(fmt::format("{} repeats the provider id \"{}\"",
                                 key_name(member_path(path, "id")), p.id));
            }
        }
        out.push_back(std::move(p));
    }
    return out;
}

std::vector<configured_token> read_tokens(const json::array& list) {
    std::vector<configured_token> out;
    std::map<std::string, std::size_t, std::less<>> names;
    std::map<std::string, std::size_t, std::less<>> hashes;
    for (std::size_t i = 0; i < list.size(); ++i) {
        const std::string path = element_path("tokens", i);
        auto token = read_token(list[i], path);
        if (auto [it, inserted] = names.emplace(token.record.name, i); !inserted) {
            fail(fmt::format("{} repeats the token name \"{}\" of {}",
                             key_name(member_path(path, "name")), token.record.name,
                             key_name(element_path("tokens", it->second))));
        }
        if (auto [it, inserted] = hashes.emplace(token.record.key_hash, i); !inserted) {
            fail(fmt::format("{} is the same key as {}", key_name(member_path(path, "key")),
                             key_name(member_path(element_path("tokens", it->second), "key"))));
        }
        out.push_back(std::move(token));
    }
    return out;
}

// ---------------------------------------------------------------------------------------------
// Document

std::pair<std::size_t, std::size_t> line_and_column(std::string_view text, std::size_t offset) {
    offset = std::min(offset, text.size());
    std::size_t line = 1;
    std::size_t line_start = 0;
    for (std::size_t i = 0; i < offset; ++i) {
        if (text[i] == '\n') {
            ++line;
            line_start = i + 1;
        }
    }
    return {line, offset - line_start + 1};
}

/// Plain JSON (no comments, no trailing commas). Boost.JSON keeps the last of duplicate keys.
json::value parse_json(std::string_view text) {
    json::stream_parser parser;
    gateway::error_code ec;
    std::size_t consumed = parser.write(text.data(), text.size(), ec);
    if (!ec) {
        parser.finish(ec);
        consumed = text.size();
    }
    if (ec) {
        // The parser stops where the error is. Its message is generic ("syntax error"): it
        // never echoes the text, which may hold keys.
        auto [line, column] = line_and_column(text, consumed);
        fail(fmt::format("invalid JSON at line {}, column {}: {}", line, column, ec.message()));
    }
    return parser.release();
}

config apply_document(std::string_view text, config cfg) {
    const json::value document = parse_json(text);
    const object_reader r(
        document, "",
        {"server", "sqlite_path", "log_level", "upstream", "providers", "channels", "tokens"});
    if (const json::value* server = r.find("server")) read_server(*server, cfg.server);
    if (auto v = r.string("sqlite_path")) cfg.sqlite_path = std::move(*v);
    if (auto v = r.string("log_level")) {
        if (!is_log_level(*v)) {
            fail(fmt::format("\"log_level\" must be one of {}", join(log_levels, " or ")));
        }
        cfg.log_level = std::move(*v);
    }
    if (const json::value* upstream = r.find("upstream")) read_upstream(*upstream, cfg.upstream);
    // Providers first: channels may use the types they declare.
    if (const json::array* providers = r.array("providers")) {
        cfg.providers = read_providers(*providers);
    }
    if (const json::array* channels = r.array("channels")) {
        cfg.channels = read_channels(*channels, *make_registry(cfg.providers));
    }
    if (const json::array* tokens = r.array("tokens")) cfg.tokens = read_tokens(*tokens);
    return cfg;
}

std::string read_file(const std::string& path) {
    std::error_code ec;
    const auto status = std::filesystem::status(path, ec);
    if (ec) fail(fmt::format("cannot read: {}", ec.message()));
    if (!std::filesystem::is_regular_file(status)) fail("cannot read: not a regular file");
    const std::uintmax_t size = std::filesystem::file_size(path, ec);
    if (ec) fail(fmt::format("cannot read: {}", ec.message()));
    if (size > max_file_bytes) fail(fmt::format("larger than {} bytes", max_file_bytes));
    std::ifstream in(path, std::ios::binary);
    std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    if (in.bad() || !in.is_open()) fail("cannot read: I/O error");
    return text;
}

// ---------------------------------------------------------------------------------------------
// Environment

/// Values are echoed in messages (none of these variables is a secret), made printable and
/// cut short.
std::string printable(std::string_view value) {
    std::string out;
    for (char ch : value.substr(0, 64)) out += (ch >= ' ' && ch < '\x7f') ? ch : '?';
    if (value.size() > 64) out += "...";
    return out;
}

[[noreturn]] void bad_variable(const char* name, std::string_view value, std::string_view what) {
    fail(fmt::format("{}=\"{}\" is not {}", name, printable(value), what));
}

std::optional<std::uint64_t> parse_unsigned(std::string_view text) {
    std::uint64_t value = 0;
    const char* end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (text.empty() || ec != std::errc{} || ptr != end) return std::nullopt;
    return value;
}

std::uint64_t env_unsigned(const char* name, std::string_view value, std::uint64_t min,
                           std::uint64_t max, std::string_view what) {
    auto number = parse_unsigned(value);
    if (!number || *number < min || *number > max) bad_variable(name, value, what);
    return *number;
}

void apply_environment(config& cfg, const env_lookup& getenv) {
    // An empty variable counts as unset (as compose files often pass them).
    auto get = [&](const char* name) -> std::optional<std::string> {
        if (!getenv) return std::nullopt;
        std::optional<std::string> value = getenv(name);
        if (!value || value->empty()) return std::nullopt;
        return value;
    };
    const auto seconds_text = fmt::format("a number of seconds (0 to {})", max_timeout_s);
    auto seconds = [&](const char* name, const std::string& value) {
        return std::chrono::milliseconds{static_cast<std::int64_t>(
            env_unsigned(name, value, 0, static_cast<std::uint64_t>(max_timeout_s), seconds_text) *
            1000)};
    };

    if (auto v = get("HOST")) {
        if (!std::all_of(v->begin(), v->end(), [](char ch) { return ch > ' ' && ch < '\x7f'; })) {
            bad_variable("HOST", *v, "a host name or address");
        }
        cfg.server.host = *v;
    }
    if (auto v = get("PORT")) {
        cfg.server.port = static_cast<std::uint16_t>(
            env_unsigned("PORT", *v, 1, 65535, "a port number (1 to 65535)"));
    }
    if (auto v = get("THREADS")) {
        cfg.server.threads = static_cast<unsigned>(
            env_unsigned("THREADS", *v, 0, static_cast<std::uint64_t>(max_threads),
                         fmt::format("a thread count (0 to {})", max_threads)));
    }
    if (auto v = get("MAX_BODY_BYTES")) {
        cfg.server.max_body_bytes = static_cast<std::size_t>(
            env_unsigned("MAX_BODY_BYTES", *v, 1, static_cast<std::uint64_t>(int64_max),
                         "a positive number of bytes"));
    }
    if (auto v = get("SHUTDOWN_TIMEOUT")) {
        cfg.server.shutdown_timeout = seconds("SHUTDOWN_TIMEOUT", *v);
    }
    if (auto v = get("SQLITE_PATH")) cfg.sqlite_path = *v;
    if (auto v = get("LOG_LEVEL")) {
        if (!is_log_level(*v)) {
            bad_variable("LOG_LEVEL", *v,
                         fmt::format("a log level ({})", join(log_levels, " or ")));
        }
        cfg.log_level = *v;
    }
    if (auto v = get("RELAY_TIMEOUT")) {
        const auto timeout = seconds("RELAY_TIMEOUT", *v);
        cfg.upstream.default_timeouts.first_byte = timeout;
        cfg.upstream.default_timeouts.idle = timeout;
    }
    if (auto v = get("CONNECT_TIMEOUT")) {
        cfg.upstream.default_timeouts.connect = seconds("CONNECT_TIMEOUT", *v);
    }
    if (auto v = get("TLS_VERIFY")) {
        const std::string flag = lowercase(*v);
        if (flag == "true" || flag == "1") {
            cfg.upstream.verify_peer = true;
        } else if (flag == "false" || flag == "0") {
            cfg.upstream.verify_peer = false;
        } else {
            bad_variable("TLS_VERIFY", *v, "a boolean (true, false, 1 or 0)");
        }
    }
    if (auto v = get("CA_FILE")) cfg.upstream.ca_file = *v;
    if (auto v = get("RELAY_PROXY")) {
        // The value is not quoted back: it may carry the proxy's password.
        if (!gateway::http::valid_proxy_url(*v)) {
            fail("RELAY_PROXY is not an http://[user:password@]host[:port] URL");
        }
        cfg.upstream.proxy = *v;
    }
    if (auto v = get("RELAY_NO_PROXY")) {
        cfg.upstream.no_proxy.clear();
        std::string_view rest = *v;
        while (!rest.empty()) {
            const std::size_t comma = rest.find(',');
            std::string_view item = rest.substr(0, comma);
            rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
            while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
            while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
            if (!item.empty()) cfg.upstream.no_proxy.emplace_back(lowercase(item));
        }
    }
}

}  // namespace

config default_config() {
    config cfg;
    gateway::storage::channel_record mock;
    mock.name = "mock";
    mock.type = "mock";
    mock.models = {"mock-gpt-4o", "mock-claude"};
    cfg.channels.push_back(std::move(mock));
    return cfg;
}

std::shared_ptr<const gateway::provider::registry> make_registry(
    const std::vector<gateway::provider::compatible_profile>& providers) {
    auto r = std::make_shared<gateway::provider::registry>();
    gateway::provider::register_builtin_providers(*r);
    for (const auto& p : providers) r->add(gateway::provider::make_compatible_adapter(p));
    return r;
}

config parse_config(std::string_view json_text, config base) {
    try {
        return apply_document(json_text, std::move(base));
    } catch (const problem& p) {
        throw config_error(fmt::format("config: {}", p.detail));
    }
}

config load_config_file(const std::string& path, config base) {
    try {
        return apply_document(read_file(path), std::move(base));
    } catch (const problem& p) {
        throw config_error(fmt::format("config file \"{}\": {}", path, p.detail));
    }
}

void apply_env_overrides(config& cfg, const env_lookup& getenv) {
    try {
        // All or nothing: a bad variable leaves `cfg` as it was.
        config updated = cfg;
        apply_environment(updated, getenv);
        cfg = std::move(updated);
    } catch (const problem& p) {
        throw config_error(fmt::format("config: {}", p.detail));
    }
}

void apply_env_overrides(config& cfg) {
    apply_env_overrides(cfg, [](const char* name) -> std::optional<std::string> {
        // Start-up only, before any thread exists: getenv is safe here.
        if (const char* value = std::getenv(name)) return std::string(value);
        return std::nullopt;
    });
}

}  // namespace gatewayd
