#include "gateway/core/error.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <utility>

namespace {

using gateway::condition;
using gateway::errc;
using gateway::error_code;

// Every code, with whether it belongs to each condition.
struct code_row {
    errc code;
    const char* message;
    bool client_error;
    bool retryable;
    bool upstream_fault;
};

constexpr code_row all_codes[] = {
    {errc::bad_request, "bad request", true, false, false},
    {errc::unsupported_feature, "unsupported feature", true, false, false},
    {errc::auth_failed, "authentication failed", true, false, false},
    {errc::forbidden, "forbidden", true, false, false},
    {errc::quota_exceeded, "quota exceeded", true, false, false},
    {errc::no_route, "no channel serves this model", true, false, false},
    {errc::upstream_connect_failed, "could not connect to the upstream", false, true, true},
    {errc::upstream_timeout, "upstream timed out", false, true, true},
    {errc::upstream_rate_limited, "upstream rate limited", false, true, true},
    {errc::upstream_error, "upstream error", false, true, true},
    {errc::bad_upstream_response, "malformed upstream response", false, false, true},
    {errc::stream_truncated, "stream truncated", false, false, true},
    {errc::body_too_large, "body too large", true, false, false},
    {errc::storage_error, "storage error", false, false, false},
    {errc::cancelled, "cancelled", false, false, false},
};

gateway::result<int> parse_positive(int v) {
    if (v <= 0) return errc::bad_request;
    return v;
}

}  // namespace

TEST_CASE("error codes belong to the gateway category and have messages", "[core]") {
    for (const auto& row : all_codes) {
        CAPTURE(row.message);
        error_code ec = row.code;  // implicit, through is_error_code_enum
        CHECK(ec.category() == gateway::gateway_category());
        CHECK(ec.value() == static_cast<int>(row.code));
        CHECK(ec.message() == row.message);
        CHECK(ec == row.code);
        CHECK(ec.failed());
        CHECK(gateway::make_error_code(row.code) == ec);
    }
    CHECK(std::string(gateway::gateway_category().name()) == "gateway");
    CHECK(std::string(gateway::gateway_condition_category().name()) == "gateway.condition");
    CHECK(gateway::gateway_category().message(0) == "unknown gateway error");
    CHECK(gateway::gateway_category().message(999) == "unknown gateway error");
}

TEST_CASE("error conditions group the codes", "[core]") {
    for (const auto& row : all_codes) {
        CAPTURE(row.message);
        error_code ec = row.code;
        CHECK((ec == condition::client_error) == row.client_error);
        CHECK((ec == condition::retryable) == row.retryable);
        CHECK((ec == condition::upstream_fault) == row.upstream_fault);
    }
    SECTION("the examples callers rely on") {
        error_code timeout = errc::upstream_timeout;
        CHECK(timeout == condition::retryable);
        CHECK(timeout == condition::upstream_fault);
        CHECK(timeout != condition::client_error);

        error_code bad = errc::bad_request;
        CHECK(bad == condition::client_error);
        CHECK(bad != condition::retryable);
        CHECK(bad != condition::upstream_fault);
    }
    SECTION("conditions have names and messages") {
        auto c = gateway::make_error_condition(condition::retryable);
        CHECK(c.category() == gateway::gateway_condition_category());
        CHECK(c.message() == "retryable");
        CHECK(gateway::make_error_condition(condition::client_error).message() == "client error");
        CHECK(gateway::make_error_condition(condition::upstream_fault).message() ==
              "upstream fault");
        CHECK(gateway::gateway_condition_category().message(42) == "unknown condition");
    }
    SECTION("codes of other categories are not in gateway conditions") {
        error_code foreign = boost::system::errc::make_error_code(boost::system::errc::timed_out);
        CHECK(foreign != condition::retryable);
        CHECK(foreign != condition::client_error);
        CHECK(foreign != condition::upstream_fault);
        // and a gateway code is not equal to a foreign code with the same value
        error_code same_value{static_cast<int>(errc::upstream_timeout),
                              boost::system::generic_category()};
        CHECK(same_value != error_code(errc::upstream_timeout));
    }
    SECTION("a default error_code is no error and in no condition") {
        error_code none;
        CHECK_FALSE(none.failed());
        CHECK(none != condition::retryable);
        CHECK(none != condition::client_error);
    }
}

TEST_CASE("result carries a value or an error", "[core]") {
    SECTION("value") {
        auto r = parse_positive(7);
        REQUIRE(r.has_value());
        CHECK_FALSE(r.has_error());
        CHECK(*r == 7);
        CHECK(r.value() == 7);
    }
    SECTION("error") {
        auto r = parse_positive(-1);
        REQUIRE(r.has_error());
        CHECK_FALSE(r.has_value());
        CHECK(r.error() == errc::bad_request);
        CHECK(r.error() == condition::client_error);
        CHECK(r.error().message() == "bad request");
        // value() on an error throws system_error carrying the code (start-up code only).
        CHECK_THROWS_AS(r.value(), boost::system::system_error);
    }
    SECTION("result<void>") {
        gateway::result<void> ok;
        CHECK(ok.has_value());
        gateway::result<void> failed = errc::stream_truncated;
        REQUIRE(failed.has_error());
        CHECK(failed.error() == errc::stream_truncated);
        CHECK(failed.error() == condition::upstream_fault);
    }
    SECTION("the value can be moved out") {
        gateway::result<std::string> r = std::string(100, 'x');
        REQUIRE(r);
        std::string moved = std::move(*r);
        CHECK(moved.size() == 100);
    }
}
