#pragma once
/// A provider adapter: everything that makes one upstream service different from another wire
/// format's reference API — base URL, endpoint paths, authentication, model-name rules and
/// parameter quirks. The conversion itself belongs to the wire format (`gateway::upstream`);
/// an adapter wraps the encoded body into the HTTP request that service expects.
///
/// Sans-I/O: adapters never open a socket, read a clock or a file. What needs I/O to obtain
/// (an OAuth access token, the signing time) comes in `credentials`, fetched by the caller.
///
/// Thread safety: adapters are immutable after construction; one instance serves every thread.
/// Errors are values: `prepare` fails with a message in the conversion report.

#include "gateway/core/error.hpp"
#include "gateway/upstream/capabilities.hpp"
#include "gateway/upstream/codec.hpp"

#include <boost/json/object.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gateway::provider {

/// One channel's configuration as its adapter reads it. Views valid for the call.
struct channel_config {
    /// As configured, trailing slashes removed; empty means the adapter's default.
    std::string_view base_url;
    /// The channel's `settings` object (empty when it has none).
    const boost::json::object& settings;
};

/// How an adapter authenticates, which tells the caller what to fetch before `prepare`.
enum class auth_kind : std::uint8_t {
    none,          ///< nothing (local servers); a configured key is still sent as a bearer
    api_key,       ///< the channel key, in a header of the adapter's choice
    google_oauth,  ///< the channel key is a service-account JSON key: fetch an access token
    aws_sigv4,     ///< the channel key is `ACCESS_KEY_ID:SECRET[:SESSION_TOKEN]`, or a
                   ///< Bedrock API key used as a bearer
};

/// What an attempt authenticates with.
struct credentials {
    std::string_view key;           ///< this attempt's channel key (a secret)
    std::string_view access_token;  ///< auth_kind::google_oauth: the current access token
    std::string_view project;       ///< auth_kind::google_oauth: the key's `project_id`
    std::chrono::system_clock::time_point now{};  ///< auth_kind::aws_sigv4: the signing time
};

/// What the request is, besides its body.
struct request_target {
    std::string_view model;  ///< the upstream model name (after the channel's mapping)
    bool stream = false;
    /// The client's `anthropic-beta` header, passed on to Anthropic-format upstreams.
    std::string_view anthropic_beta;
};

/// A complete upstream HTTP request (POST): absolute URL, every header, authentication
/// included, and the body.
struct prepared_request {
    std::string url;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
};

class adapter {
  public:
    virtual ~adapter() = default;

    /// The provider id used as a channel `type` ("openai", "azure", "deepseek", ...).
    virtual std::string_view id() const noexcept = 0;

    /// Checks a channel's configuration once, at start-up: an error for the operator (naming the
    /// setting, never quoting a secret), empty when it is fine.
    virtual std::string check(const channel_config& channel) const = 0;

    /// The wire format `model` is served in on this channel.
    virtual upstream::upstream_format format(const channel_config& channel,
                                             std::string_view model) const = 0;

    virtual auth_kind auth() const noexcept { return auth_kind::api_key; }

    /// The parameter rows of `model` on this provider, before the channel's own overrides
    /// (default: the wire format's built-in table).
    virtual upstream::model_capabilities capabilities(const channel_config& channel,
                                                      std::string_view model) const;

    /// Provider-specific encoding options (field renames, fields added to the body, whether the
    /// model goes into the body); called before the request is encoded.
    virtual void tune(const channel_config& channel, upstream::encode_options& options) const;

    /// Wraps the encoded request (`parts.path` is the format's own path relative to a base URL
    /// such as `https://api.openai.com/v1`) into the HTTP request this service expects.
    /// Errors: `errc::bad_request` with `report.error_message` saying why (a model name that
    /// cannot go into a URL, credentials in the wrong shape), never quoting a secret.
    virtual result<prepared_request> prepare(const channel_config& channel,
                                             const request_target& target,
                                             upstream::http_request_parts parts,
                                             const credentials& creds,
                                             conversion_report& report) const = 0;
};

/// Settings every channel may have whatever its provider (read by the gateway, not the
/// adapter): `upstream_format` (checked by the adapter), `default_max_tokens`, `params`,
/// `reasoning_model`, `timeouts`.
bool is_common_setting(std::string_view key) noexcept;

/// `check` for the settings an adapter does not know: "unknown key settings.<key>" for the
/// first key that is neither common nor in `own`, empty otherwise.
std::string unknown_settings(const boost::json::object& settings,
                             std::initializer_list<std::string_view> own);

/// `base_url` (or `fallback` when empty) + `path`, with the URL's trailing slashes dropped.
std::string join_url(std::string_view base_url, std::string_view fallback, std::string_view path);

/// Like `join_url`, for APIs whose paths start with a version (`/v1`, `/v1beta`,
/// `/openai/v1`): a configured `base_url` may be given with or without it
/// (`https://api.openai.com` and `https://api.openai.com/v1` are the same API).
std::string join_versioned_url(std::string_view base_url, std::string_view fallback,
                               std::string_view version_prefix, std::string_view path);

/// The path of a URL (`https://api.groq.com/openai/v1` → `/openai/v1`), empty when it has none.
std::string_view url_path(std::string_view url) noexcept;

/// Whether `name` can go into a URL path as one segment unchanged: 1 to `max_size` ASCII letters,
/// digits and the characters of `punctuation`. Model and deployment names reach URL paths on
/// several providers; anything else could change the request's target.
bool is_url_segment(std::string_view name, std::size_t max_size,
                    std::string_view punctuation) noexcept;

/// A string member of `settings`, or empty.
std::string_view setting(const boost::json::object& settings, std::string_view key) noexcept;

}  // namespace gateway::provider
