#pragma once
/// Errors as values for every request path of the library.
///
/// `gateway::result<T>` is `boost::system::result<T>`: a value or an `error_code`. Codes of the
/// "gateway" category come from `gateway::errc`; callers test groups of them through
/// `gateway::condition` (`ec == gateway::condition::retryable`). Exceptions are used only at
/// start-up (configuration, opening the database), never on the data plane.

#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

#include <type_traits>

namespace gateway {

using error_code = boost::system::error_code;

template <class T>
using result = boost::system::result<T, error_code>;

enum class errc {
    bad_request = 1,          ///< the client sent something malformed or invalid
    unsupported_feature,      ///< valid, but the chosen upstream cannot honour it
    auth_failed,              ///< missing, unknown, disabled or expired key
    forbidden,                ///< the key may not use this model or endpoint
    quota_exceeded,           ///< the key or user has no quota left
    no_route,                 ///< no enabled channel serves the requested model
    upstream_connect_failed,  ///< DNS, TCP or TLS failure reaching the upstream
    upstream_timeout,         ///< a connect, first-byte, idle or total deadline expired
    upstream_rate_limited,    ///< the upstream answered 429
    upstream_error,           ///< the upstream answered with an error status
    bad_upstream_response,    ///< the upstream's bytes do not follow its protocol
    stream_truncated,         ///< a stream ended before its terminal event
    body_too_large,           ///< a body or event exceeded its configured limit
    storage_error,            ///< the database failed
    cancelled,                ///< the client went away or the server is stopping
};

enum class condition {
    client_error = 1,  ///< the caller must change the request
    retryable,         ///< another attempt (maybe on another channel) may succeed
    upstream_fault,    ///< the upstream, not the client, is at fault
};

const boost::system::error_category& gateway_category() noexcept;
const boost::system::error_category& gateway_condition_category() noexcept;

inline error_code make_error_code(errc e) noexcept {
    return {static_cast<int>(e), gateway_category()};
}

inline boost::system::error_condition make_error_condition(condition c) noexcept {
    return {static_cast<int>(c), gateway_condition_category()};
}

}  // namespace gateway

namespace boost::system {
template <>
struct is_error_code_enum<gateway::errc> : std::true_type {};
template <>
struct is_error_condition_enum<gateway::condition> : std::true_type {};
}  // namespace boost::system
