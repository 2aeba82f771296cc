#pragma once
/// AWS Signature Version 4 request signing (private to the Bedrock provider).
///
/// Pure and free of I/O: the signing time is passed in, never read from a clock, and nothing is
/// sent. The algorithm follows AWS's documentation ("Create a canonical request", "Create a
/// string to sign", "Calculate the signature" in the IAM user guide, "Elements of an AWS API
/// request signature") and is checked against the published aws-sig-v4-test-suite.
///
/// What the caller passes:
/// - `path`: the path exactly as it will appear on the request line, i.e. already URI-encoded
///   once (no query string, no fragment; empty means "/"). The path is not normalised (no
///   removal of `.`/`..` segments or repeated slashes): build it normalised. For every service
///   except S3 AWS requires each segment to be URI-encoded a second time in the canonical URI
///   (`uri_encode_path = true`, the default): a literal ':' on the wire (allowed in a path by
///   RFC 3986, and what a Bedrock model id such as `anthropic.claude-3-5-sonnet-20240620-v1:0`
///   contains) becomes `%3A`, a `%3A` on the wire becomes `%253A`. With `uri_encode_path =
///   false` (S3) the path is used as given.
/// - `query`: the query parameters *decoded* (raw bytes, UTF-8 for text); they are encoded here
///   with AWS's rules (everything but A-Z a-z 0-9 - _ . ~ as %XY, upper-case hex, space as %20)
///   and sorted by encoded name, then value. A parameter without '=' is a pair with an empty
///   value.
/// - `headers`: every header to be signed, including `Host` (required). Names are compared
///   case-insensitively; repeated names are joined with ',' in the order given; values are
///   trimmed and runs of spaces collapsed. `Authorization`, `X-Amz-Date`,
///   `X-Amz-Security-Token` and `x-amz-content-sha256` are produced by the signer: if present in
///   `headers` they are ignored.
/// - `payload`: the exact body bytes.
///
/// Errors (as values): `errc::bad_request` for missing credentials, region or service, a
/// missing `Host` header, a header name that is empty or not a token, a header value containing
/// CR, LF or NUL, or a time outside the years 1970-9999.
///
/// Thread safety: the function is reentrant; it keeps no state.

#include "gateway/core/error.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gateway::providers::bedrock {

struct aws_credentials {
    std::string access_key_id;
    std::string secret_access_key;
    /// A temporary credential's token (STS): sent as `X-Amz-Security-Token` and signed.
    std::optional<std::string> session_token;
};

struct sigv4_request {
    std::string_view method;  ///< e.g. "POST"; used as given (upper case expected)
    std::string_view path;    ///< as on the request line, already URI-encoded once (see above)
    std::vector<std::pair<std::string, std::string>> query;    ///< decoded name/value pairs
    std::vector<std::pair<std::string, std::string>> headers;  ///< must include Host
    std::string_view payload;                                  ///< the body bytes
};

struct sigv4_options {
    std::string_view region;   ///< e.g. "us-east-1"
    std::string_view service;  ///< the signing name, e.g. "bedrock"
    /// Add (and sign) `x-amz-content-sha256` with the payload hash (S3 requires it).
    bool add_content_sha256_header = false;
    /// Encode each path segment once more (every service but S3).
    bool uri_encode_path = true;
};

struct sigv4_signature {
    /// The headers to add to the request, in this order: `X-Amz-Date`, then
    /// `X-Amz-Security-Token` (with a session token), `x-amz-content-sha256` (when requested),
    /// and `Authorization`.
    std::vector<std::pair<std::string, std::string>> headers;
    std::string canonical_request;  ///< for tests and debugging (contains no secret)
    std::string string_to_sign;     ///< for tests and debugging (contains no secret)
    std::string signed_headers;     ///< e.g. "content-type;host;x-amz-date"
    std::string signature;          ///< 64 lower-case hex digits
    std::string authorization;      ///< the `Authorization` header's value
};

/// Signs `request` at time `now` (truncated to whole seconds, UTC).
result<sigv4_signature> sign_v4(const sigv4_request& request, const aws_credentials& credentials,
                                const sigv4_options& options,
                                std::chrono::system_clock::time_point now);

/// AWS's URI encoding: unreserved bytes (A-Z a-z 0-9 - _ . ~) are kept, every other byte is
/// written as %XY with upper-case hex; with `keep_slash`, '/' is kept too.
std::string aws_uri_encode(std::string_view bytes, bool keep_slash = false);

/// Lower-case hex SHA-256 of `bytes`.
std::string sha256_hex(std::string_view bytes);

}  // namespace gateway::providers::bedrock
