#pragma once
// Parsing of upstream URLs (private to http/). Sans I/O.

#include "gateway/core/error.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace gateway::http::detail {

/// Where and what to ask: the parts of an absolute `http://` or `https://` URL the client needs.
struct upstream_target {
    bool tls = false;
    std::string host;  ///< DNS name (lowercase) or IP literal without brackets: DNS, SNI, checks
    bool host_is_ip = false;
    std::uint16_t port = 0;
    std::string host_header;  ///< value of the Host header: brackets for IPv6, port if not default
    std::string target;       ///< origin-form request target: path and query, never empty
};

/// Parses `url`; `errc::bad_request` unless it is an absolute http(s) URL with a host, a valid
/// port and no user information (credentials belong in headers).
result<upstream_target> parse_upstream_url(std::string_view url);

/// A forward proxy: where to connect, and the `Proxy-Authorization` value (empty without
/// credentials).
struct proxy_target {
    std::string host;
    bool host_is_ip = false;
    std::uint16_t port = 80;
    std::string authorization;  ///< "Basic base64(user:password)" (a secret)
};

/// Parses `http://[user:password@]host[:port][/]`; `errc::bad_request` otherwise (another
/// scheme, a path, query or fragment).
result<proxy_target> parse_proxy_url(std::string_view url);

/// Whether `host` (lowercase name or IP literal) matches an entry of a no-proxy list.
bool bypasses_proxy(const std::vector<std::string>& no_proxy, std::string_view host) noexcept;

}  // namespace gateway::http::detail
