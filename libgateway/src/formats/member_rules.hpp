#pragma once
// The members of a request body as an API's schema declares them (private): the JSON kinds each
// may have, a number's range, an array's length and the kind of its items (or of an object's
// values). A client decoder checks its body against its format's table before reading it, so a
// wrong type or an out-of-range number is a 400 naming the member on every path, pass-through
// included: that path relays the client's own bytes, members the canonical form does not model
// among them, and decoding is the only look it takes at them.
//
// The tables sit next to each decoder, transcribed from the official schema with its version.

#include "gateway/core/conversion.hpp"

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <limits>
#include <span>
#include <string_view>

namespace gateway::formats {

/// Bits of `member_rule::kinds` and `member_rule::items`. An integer is a number without a
/// fraction that fits the canonical std::int64_t (also when written `1.0`, as some clients do);
/// `number` takes any finite number, integers included. JSON has no infinity, but Boost.JSON
/// reads an overflowing literal (`1e999`) as one: it is refused wherever a number is expected.
namespace json_kind {
inline constexpr std::uint8_t boolean = 1U << 0;
inline constexpr std::uint8_t integer = 1U << 1;
inline constexpr std::uint8_t number = 1U << 2;
inline constexpr std::uint8_t string = 1U << 3;
inline constexpr std::uint8_t array = 1U << 4;
inline constexpr std::uint8_t object = 1U << 5;
}  // namespace json_kind

inline constexpr double no_limit = std::numeric_limits<double>::infinity();

struct member_rule {
    std::string_view name;
    std::uint8_t kinds = 0;      ///< json_kind bits the member may have
    double minimum = -no_limit;  ///< inclusive, for a number
    double maximum = no_limit;   ///< inclusive, for a number
    std::uint8_t items = 0;      ///< kinds of an array's items or an object's values; 0: any
    std::uint32_t min_items = 0;
    std::uint32_t max_items = 0;  ///< 0: no limit
};

/// Checks every member of `body` that a rule names (first failure wins, in the body's order).
/// `null` is left to the decoder: most read it as absent, required members refuse it. Members
/// without a rule are not looked at. Errors: false, with `report.fail(param, "<param>: <what>")`
/// naming the member, the item (`stop[1]`) or the value (`logit_bias.50256`). Allocates nothing
/// unless it fails.
bool check_members(const boost::json::object& body, std::span<const member_rule> rules,
                   conversion_report& report);

/// The same check for one value at `path` (a nested member such as `thinking.budget_tokens`).
bool check_member(const boost::json::value& v, const member_rule& rule, std::string_view path,
                  conversion_report& report);

}  // namespace gateway::formats
