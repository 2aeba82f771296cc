#include "formats/member_rules.hpp"

#include "formats/json_util.hpp"

#include <cmath>
#include <string>

namespace gateway::formats {

namespace json = boost::json;

namespace {

/// The json_kind bits `v` satisfies; none for null and for a non-finite double.
std::uint8_t kinds_of(const json::value& v) noexcept {
    constexpr auto integral = static_cast<std::uint8_t>(json_kind::integer | json_kind::number);
    switch (v.kind()) {
        case json::kind::null:
            return 0;
        case json::kind::bool_:
            return json_kind::boolean;
        case json::kind::int64:
            return integral;
        case json::kind::uint64:
            return v.get_uint64() <=
                           static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())
                       ? integral
                       : json_kind::number;
        case json::kind::double_: {
            const double d = v.get_double();
            if (!std::isfinite(d)) return 0;
            // The bound get_int reads integral doubles with: they are exact below it.
            return d == std::floor(d) && std::fabs(d) < 9.0e15 ? integral : json_kind::number;
        }
        case json::kind::string:
            return json_kind::string;
        case json::kind::array:
            return json_kind::array;
        case json::kind::object:
            return json_kind::object;
    }
    return 0;
}

double as_double(const json::value& v) noexcept {
    if (v.is_int64()) return static_cast<double>(v.get_int64());
    if (v.is_uint64()) return static_cast<double>(v.get_uint64());
    return v.get_double();
}

bool fail(conversion_report& report, std::string_view path, std::string_view what) {
    std::string message(path);
    message += ": ";
    message += what;
    report.fail(path, message);
    return false;
}

/// "a string or an array", "a boolean, a number or an object", ...
void append_kinds(std::string& out, std::uint8_t kinds, bool non_empty_array) {
    std::string_view names[6];
    std::size_t n = 0;
    if ((kinds & json_kind::boolean) != 0) names[n++] = "a boolean";
    if ((kinds & json_kind::number) != 0) {
        names[n++] = "a number";
    } else if ((kinds & json_kind::integer) != 0) {
        names[n++] = "an integer";
    }
    if ((kinds & json_kind::string) != 0) names[n++] = "a string";
    if ((kinds & json_kind::array) != 0)
        names[n++] = non_empty_array ? "a non-empty array" : "an array";
    if ((kinds & json_kind::object) != 0) names[n++] = "an object";
    for (std::size_t i = 0; i < n; ++i) {
        if (i > 0) out += i + 1 == n ? " or " : ", ";
        out += names[i];
    }
}

/// "an integer of at least 1", "a number between 0 and 2".
void append_range(std::string& out, const member_rule& rule, bool finite) {
    const bool integer_only =
        (rule.kinds & json_kind::integer) != 0 && (rule.kinds & json_kind::number) == 0;
    out += finite ? (integer_only ? "an integer" : "a number") : "a finite number";
    const bool low = std::isfinite(rule.minimum);
    const bool high = std::isfinite(rule.maximum);
    if (low && high) {
        out += " between ";
        append_json_number(out, rule.minimum);
        out += " and ";
        append_json_number(out, rule.maximum);
    } else if (low) {
        out += " of at least ";
        append_json_number(out, rule.minimum);
    } else if (high) {
        out += " of at most ";
        append_json_number(out, rule.maximum);
    }
}

bool wrong_kind(conversion_report& report, std::string_view path, std::uint8_t kinds,
                bool non_empty_array, const json::value& v) {
    std::string what = "expected ";
    append_kinds(what, kinds, non_empty_array);
    what += ", got ";
    what += kind_name(v);
    return fail(report, path, what);
}

bool has_range(const member_rule& rule) noexcept {
    return std::isfinite(rule.minimum) || std::isfinite(rule.maximum);
}

std::string item_path(std::string_view path, std::size_t i) {
    std::string p(path);
    p += '[';
    p += std::to_string(i);
    p += ']';
    return p;
}

std::string value_path(std::string_view path, std::string_view key) {
    std::string p(path);
    p += '.';
    p += key;
    return p;
}

bool check_count(conversion_report& report, std::string_view path, const member_rule& rule,
                 std::size_t size) {
    if (size < rule.min_items) {
        if (rule.min_items == 1) return fail(report, path, "must not be empty");
        std::string what = "expected at least " + std::to_string(rule.min_items) + " items, got " +
                           std::to_string(size);
        return fail(report, path, what);
    }
    if (rule.max_items != 0 && size > rule.max_items) {
        std::string what = "expected at most " + std::to_string(rule.max_items) + " items, got " +
                           std::to_string(size);
        return fail(report, path, what);
    }
    return true;
}

}  // namespace

bool check_member(const json::value& v, const member_rule& rule, std::string_view path,
                  conversion_report& report) {
    if (v.is_null()) return true;
    constexpr auto numeric = static_cast<std::uint8_t>(json_kind::integer | json_kind::number);
    const std::uint8_t have = kinds_of(v);
    if (v.is_double() && !std::isfinite(v.get_double()) && (rule.kinds & json_kind::number) != 0) {
        // JSON has no infinity: the client wrote a literal beyond a double's range (1e999).
        std::string what = "expected ";
        append_range(what, rule, false);
        what += ", got a number beyond a double's range";
        return fail(report, path, what);
    }
    if ((have & rule.kinds) == 0) {
        if ((rule.kinds & ~numeric) == 0 && has_range(rule)) {
            // "an integer of at least 1, got string": the whole expectation in one message.
            std::string what = "expected ";
            append_range(what, rule, true);
            what += ", got ";
            what += kind_name(v);
            return fail(report, path, what);
        }
        return wrong_kind(report, path, rule.kinds, rule.min_items == 1, v);
    }
    if ((have & numeric) != 0) {
        const double d = as_double(v);
        if (d < rule.minimum || d > rule.maximum) {
            std::string what = "expected ";
            append_range(what, rule, true);
            what += ", got ";
            append_json_value(what, v);
            return fail(report, path, what);
        }
        return true;
    }
    if (const json::array* a = v.if_array()) {
        if (!check_count(report, path, rule, a->size())) return false;
        if (rule.items == 0) return true;
        for (std::size_t i = 0; i < a->size(); ++i) {
            if ((kinds_of((*a)[i]) & rule.items) == 0) {
                return wrong_kind(report, item_path(path, i), rule.items, false, (*a)[i]);
            }
        }
        return true;
    }
    if (const json::object* o = v.if_object(); o != nullptr && rule.items != 0) {
        for (const auto& kv : *o) {
            if ((kinds_of(kv.value()) & rule.items) == 0) {
                return wrong_kind(report, value_path(path, kv.key()), rule.items, false,
                                  kv.value());
            }
        }
    }
    return true;
}

bool check_members(const json::object& body, std::span<const member_rule> rules,
                   conversion_report& report) {
    for (const auto& kv : body) {
        for (const member_rule& rule : rules) {
            if (rule.name != kv.key()) continue;
            if (!check_member(kv.value(), rule, kv.key(), report)) return false;
            break;
        }
    }
    return true;
}

}  // namespace gateway::formats
