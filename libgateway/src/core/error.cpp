#include "gateway/core/error.hpp"

#include <string>

namespace gateway {
namespace {

class gateway_category_impl final : public boost::system::error_category {
  public:
    const char* name() const noexcept override { return "gateway"; }

    std::string message(int ev) const override {
        switch (static_cast<errc>(ev)) {
            case errc::bad_request:
                return "bad request";
            case errc::unsupported_feature:
                return "unsupported feature";
            case errc::auth_failed:
                return "authentication failed";
            case errc::forbidden:
                return "forbidden";
            case errc::quota_exceeded:
                return "quota exceeded";
            case errc::no_route:
                return "no channel serves this model";
            case errc::upstream_connect_failed:
                return "could not connect to the upstream";
            case errc::upstream_timeout:
                return "upstream timed out";
            case errc::upstream_rate_limited:
                return "upstream rate limited";
            case errc::upstream_error:
                return "upstream error";
            case errc::bad_upstream_response:
                return "malformed upstream response";
            case errc::stream_truncated:
                return "stream truncated";
            case errc::body_too_large:
                return "body too large";
            case errc::storage_error:
                return "storage error";
            case errc::cancelled:
                return "cancelled";
        }
        return "unknown gateway error";
    }

    bool equivalent(int code, const boost::system::error_condition& cond) const noexcept override {
        if (cond.category() != gateway_condition_category()) return false;
        auto e = static_cast<errc>(code);
        switch (static_cast<condition>(cond.value())) {
            case condition::client_error:
                return e == errc::bad_request || e == errc::unsupported_feature ||
                       e == errc::auth_failed || e == errc::forbidden ||
                       e == errc::quota_exceeded || e == errc::no_route ||
                       e == errc::body_too_large;
            case condition::retryable:
                return e == errc::upstream_connect_failed || e == errc::upstream_timeout ||
                       e == errc::upstream_rate_limited || e == errc::upstream_error;
            case condition::upstream_fault:
                return e == errc::upstream_connect_failed || e == errc::upstream_timeout ||
                       e == errc::upstream_rate_limited || e == errc::upstream_error ||
                       e == errc::bad_upstream_response || e == errc::stream_truncated;
        }
        return false;
    }
};

class gateway_condition_category_impl final : public boost::system::error_category {
  public:
    const char* name() const noexcept override { return "gateway.condition"; }
    std::string message(int ev) const override {
        switch (static_cast<condition>(ev)) {
            case condition::client_error:
                return "client error";
            case condition::retryable:
                return "retryable";
            case condition::upstream_fault:
                return "upstream fault";
        }
        return "unknown condition";
    }
};

}  // namespace

const boost::system::error_category& gateway_category() noexcept {
    static const gateway_category_impl instance;
    return instance;
}

const boost::system::error_category& gateway_condition_category() noexcept {
    static const gateway_condition_category_impl instance;
    return instance;
}

}  // namespace gateway
