#pragma once
// Google Vertex AI authentication with a service-account key, sans-I/O.
//
// The flow (Google, "Using OAuth 2.0 for Server to Server Applications",
// https://developers.google.com/identity/protocols/oauth2/service-account):
//   1. parse the JSON key file once at start-up (`parse_service_account`);
//   2. sign a JWT assertion with the account's RSA key (`make_jwt_assertion`);
//   3. the caller POSTs `token_request_body(assertion)` to `service_account::token_uri` with
//      `Content-Type: application/x-www-form-urlencoded`;
//   4. `parse_token_response` turns the answer into an `access_token`, kept in a `token_cache`
//      and sent upstream as `Authorization: Bearer <token>`.
// Nothing here opens a socket, reads a clock or a file: the caller passes the bytes and `now`.
//
// Secrets: no function puts the private key, an assertion or an access token into an error
// code or a diagnostic string.

#include "gateway/core/error.hpp"

#include <openssl/evp.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace gateway::providers::vertex {

using time_point = std::chrono::system_clock::time_point;

inline constexpr std::string_view default_token_uri = "https://oauth2.googleapis.com/token";
inline constexpr std::string_view cloud_platform_scope =
    "https://www.googleapis.com/auth/cloud-platform";

/// A parsed service-account key file. Copies share the same immutable `EVP_PKEY`; signing with
/// a shared key from several threads is safe (OpenSSL 3 keys are read-only once loaded).
struct service_account {
    std::string project_id;
    std::string private_key_id;             // the JWT header's "kid"
    std::string client_email;               // the JWT's "iss"
    std::string token_uri;                  // the JWT's "aud" and where the token request goes
    std::shared_ptr<EVP_PKEY> private_key;  // RSA, never null in a parsed account
};

/// Parses a Google service-account JSON key file. `type` must be "service_account";
/// `project_id`, `private_key_id`, `private_key` (an unencrypted PEM RSA key, PKCS#8
/// "PRIVATE KEY" as Google issues them) and `client_email` are required; `token_uri` defaults
/// to `default_token_uri`.
/// Errors: `errc::bad_request` for malformed JSON, a missing or mistyped field, a wrong `type`,
/// or a key that is not a loadable RSA private key. When `why` is not null it receives a short
/// reason naming the field, never the key material.
result<service_account> parse_service_account(std::string_view json, std::string* why = nullptr);

/// A signed RS256 JWT for the OAuth 2.0 JWT-bearer grant: header
/// `{"alg":"RS256","typ":"JWT","kid":private_key_id}`, claims
/// `{"iss":client_email,"scope":scope,"aud":token_uri,"iat":now,"exp":now+3600}` (seconds since
/// the epoch; Google accepts at most one hour), each segment base64url without padding.
/// Errors: `errc::bad_request` if the account has no key or OpenSSL cannot sign with it.
result<std::string> make_jwt_assertion(const service_account& account, time_point now,
                                       std::string_view scope = cloud_platform_scope);

/// The form body of the token request:
/// `grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=<assertion>`,
/// with the assertion percent-encoded (a JWT needs no escaping, but the body stays correct for
/// any input).
std::string token_request_body(std::string_view assertion);

/// An OAuth 2.0 access token. (Named `token`, not `access_token` like the JSON field, because a
/// member may not share its class's name.)
struct access_token {
    std::string token;
    std::string token_type;  // "Bearer"
    time_point expires_at;
};

/// Parses the token endpoint's answer: `{"access_token","expires_in","token_type"}` with
/// `expires_at = now + expires_in` seconds.
/// Errors: `errc::auth_failed` for an OAuth error body (`{"error":"invalid_grant",...}`; `why`
/// gets the error code and description); `errc::bad_upstream_response` for anything else that
/// is not a valid token response (not JSON, no `access_token`, no positive `expires_in`).
result<access_token> parse_token_response(std::string_view json, time_point now,
                                          std::string* why = nullptr);

/// Holds the current access token and says when to fetch a new one, ahead of expiry by a margin
/// (default five minutes) so a request never leaves with a token about to lapse.
/// Thread safety: none. gatewayd keeps one cache per worker thread (per io_context), so no
/// locking is needed; share one between threads only behind your own mutex.
class token_cache {
  public:
    static constexpr std::chrono::seconds default_margin{300};

    explicit token_cache(std::chrono::seconds margin = default_margin) : margin_(margin) {}

    /// True when there is no token or `now` is within the margin of its expiry (or past it).
    bool needs_refresh(time_point now) const;

    /// Replaces the held token.
    void store(access_token token);

    /// The token value if one is held and not yet expired at `now` (a token inside the margin
    /// is still returned: it is valid, just due for refresh). The view lives until the next
    /// `store` or `clear`.
    std::optional<std::string_view> current(time_point now) const;

    /// Forgets the token (e.g. after the upstream answered 401 with it).
    void clear() { token_.reset(); }

  private:
    std::chrono::seconds margin_;
    std::optional<access_token> token_;
};

/// Vertex AI endpoint pieces. Hosts: `aiplatform.googleapis.com` for the `global` location,
/// `{region}-aiplatform.googleapis.com` otherwise. Paths, from
/// https://cloud.google.com/vertex-ai/generative-ai/docs/model-reference/inference (Gemini:
/// `projects.locations.publishers.models.generateContent` / `streamGenerateContent`, SSE with
/// `?alt=sse`) and
/// https://cloud.google.com/vertex-ai/generative-ai/docs/partner-models/claude/use-claude
/// (Claude: `publishers/anthropic/models/{model}:rawPredict` / `:streamRawPredict`; the model
/// goes in the URL, not the body).
std::string vertex_host(std::string_view region);
std::string gemini_path(std::string_view project, std::string_view region, std::string_view model,
                        bool stream);
std::string claude_path(std::string_view project, std::string_view region, std::string_view model,
                        bool stream);

}  // namespace gateway::providers::vertex
