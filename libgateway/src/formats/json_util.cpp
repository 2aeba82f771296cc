#include "formats/json_util.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

namespace gateway::formats {

namespace json = boost::json;

result<json::value> parse_json(std::string_view text, std::string* why, json::storage_ptr storage) {
    error_code ec;
    json::value v = json::parse(text, ec, std::move(storage));
    if (ec) {
        if (why != nullptr) *why = ec.message();
        return errc::bad_request;
    }
    return v;
}

result<json::value> parse_upstream_object(std::string_view body, conversion_report& report,
                                          json::storage_ptr storage) {
    std::string why;
    auto parsed = parse_json(body, &why, std::move(storage));
    if (!parsed) {
        report.fail("", "the upstream's answer is not valid JSON: " + why);
        return errc::bad_upstream_response;
    }
    if (!parsed->is_object()) {
        report.fail("", "the upstream's answer is not a JSON object");
        return errc::bad_upstream_response;
    }
    return parsed;
}

namespace {

// `step` (a key or `[i]`) put in front of the path found below it.
void prepend(std::string& path, std::string_view step) {
    if (!path.empty() && path.front() != '[') path.insert(0, ".");
    path.insert(0, step);
}

// The path of the first number in `v` that is not finite, built on the way back up (only for
// the one found); nesting is bounded by the parser's depth limit.
bool find_infinite(const json::value& v, std::string& path) {
    switch (v.kind()) {
        case json::kind::double_:
            return !std::isfinite(v.get_double());
        case json::kind::array: {
            const json::array& a = v.get_array();
            for (std::size_t i = 0; i < a.size(); ++i) {
                if (find_infinite(a[i], path)) {
                    prepend(path, "[" + std::to_string(i) + "]");
                    return true;
                }
            }
            return false;
        }
        case json::kind::object:
            for (const auto& member : v.get_object()) {
                if (find_infinite(member.value(), path)) {
                    prepend(path, member.key());
                    return true;
                }
            }
            return false;
        default:
            return false;
    }
}

}  // namespace

bool numbers_in_range(const json::object& body, conversion_report& report) {
    std::string path;
    bool found = false;
    for (const auto& member : body) {
        if (find_infinite(member.value(), path)) {
            prepend(path, member.key());
            found = true;
            break;
        }
    }
    if (!found) return true;
    report.fail(path, "Invalid value for '" + path + "': the number is out of range.");
    return false;
}

std::string_view get_string(const json::object& o, std::string_view key) noexcept {
    const json::value* v = o.if_contains(key);
    if (v == nullptr || !v->is_string()) return {};
    return v->get_string();
}

const json::object* get_object(const json::object& o, std::string_view key) noexcept {
    const json::value* v = o.if_contains(key);
    return v == nullptr ? nullptr : v->if_object();
}

const json::array* get_array(const json::object& o, std::string_view key) noexcept {
    const json::value* v = o.if_contains(key);
    return v == nullptr ? nullptr : v->if_array();
}

std::optional<std::int64_t> get_int(const json::object& o, std::string_view key) noexcept {
    const json::value* v = o.if_contains(key);
    if (v == nullptr) return std::nullopt;
    if (v->is_int64()) return v->get_int64();
    if (v->is_uint64()) {
        if (v->get_uint64() >
            static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
            return std::nullopt;
        }
        return static_cast<std::int64_t>(v->get_uint64());
    }
    if (v->is_double()) {
        const double d = v->get_double();
        if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9.0e15) {
            return static_cast<std::int64_t>(d);
        }
    }
    return std::nullopt;
}

std::optional<double> get_number(const json::object& o, std::string_view key) noexcept {
    const json::value* v = o.if_contains(key);
    if (v == nullptr) return std::nullopt;
    if (v->is_double()) return v->get_double();
    if (v->is_int64()) return static_cast<double>(v->get_int64());
    if (v->is_uint64()) return static_cast<double>(v->get_uint64());
    return std::nullopt;
}

std::optional<bool> get_bool(const json::object& o, std::string_view key) noexcept {
    const json::value* v = o.if_contains(key);
    if (v == nullptr || !v->is_bool()) return std::nullopt;
    return v->get_bool();
}

std::string_view kind_name(const json::value& v) noexcept {
    switch (v.kind()) {
        case json::kind::null:
            return "null";
        case json::kind::bool_:
            return "boolean";
        case json::kind::int64:
        case json::kind::uint64:
        case json::kind::double_:
            return "number";
        case json::kind::string:
            return "string";
        case json::kind::array:
            return "array";
        case json::kind::object:
            return "object";
    }
    return "value";
}

namespace {

// Whether any of the eight bytes in `w` needs an escape in a JSON string: a control character,
// '"' or '\\'. Bytes of 0x80 and above (UTF-8) never do.
constexpr bool word_needs_escape(std::uint64_t w) noexcept {
    constexpr std::uint64_t ones = 0x0101010101010101ULL;
    constexpr std::uint64_t highs = 0x8080808080808080ULL;
    const std::uint64_t below_space = (w - ones * 0x20) & ~w & highs;
    const std::uint64_t quote = w ^ (ones * '"');
    const std::uint64_t backslash = w ^ (ones * '\\');
    return (below_space | ((quote - ones) & ~quote & highs) |
            ((backslash - ones) & ~backslash & highs)) != 0;
}

}  // namespace

void append_json_string(std::string& out, std::string_view s) {
    static constexpr char hex[] = "0123456789abcdef";
    out += '"';
    std::size_t run = 0;  // start of the pending run of bytes that need no escape
    for (std::size_t i = 0; i < s.size();) {
        // Text is mostly plain: eight bytes at a time while none needs an escape.
        if (s.size() - i >= 8) {
            std::uint64_t w = 0;
            std::memcpy(&w, s.data() + i, sizeof w);
            if (!word_needs_escape(w)) {
                i += 8;
                continue;
            }
        }
        const auto c = static_cast<unsigned char>(s[i]);
        if (c >= 0x20 && c != '"' && c != '\\') {
            ++i;
            continue;
        }
        out.append(s.data() + run, i - run);
        run = ++i;
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            case '\b':
                out += "\\b";
                break;
            case '\f':
                out += "\\f";
                break;
            default:
                out += "\\u00";
                out += hex[c >> 4];
                out += hex[c & 0xF];
        }
    }
    out.append(s.data() + run, s.size() - run);
    out += '"';
}

void append_json_key(std::string& out, std::string_view key) {
    append_json_string(out, key);
    out += ':';
}

void append_json_int(std::string& out, std::int64_t v) {
    char buf[24];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, r.ptr);
}

void append_json_number(std::string& out, double v) {
    if (!std::isfinite(v)) {  // JSON has no NaN or infinity
        out += "null";
        return;
    }
    char buf[32];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, r.ptr);
}

void append_json_value(std::string& out, const json::value& v) {
    // Written by hand rather than with json::serialize, whose doubles come out as `2.1E0`:
    // valid JSON, but not the text a model or a client wrote, and tool arguments and structured
    // output are compared as text by clients. Nesting is bounded by the parser's depth limit.
    switch (v.kind()) {
        case json::kind::null:
            out += "null";
            break;
        case json::kind::bool_:
            out += v.get_bool() ? "true" : "false";
            break;
        case json::kind::int64:
            append_json_int(out, v.get_int64());
            break;
        case json::kind::uint64: {
            char buf[24];
            const auto r = std::to_chars(buf, buf + sizeof buf, v.get_uint64());
            out.append(buf, r.ptr);
            break;
        }
        case json::kind::double_:
            append_json_number(out, v.get_double());
            break;
        case json::kind::string:
            append_json_string(out, v.get_string());
            break;
        case json::kind::array: {
            out += '[';
            bool first = true;
            for (const json::value& item : v.get_array()) {
                if (!first) out += ',';
                first = false;
                append_json_value(out, item);
            }
            out += ']';
            break;
        }
        case json::kind::object: {
            out += '{';
            bool first = true;
            for (const auto& member : v.get_object()) {
                if (!first) out += ',';
                first = false;
                append_json_key(out, member.key());
                append_json_value(out, member.value());
            }
            out += '}';
            break;
        }
    }
}

std::string status_message(unsigned http_status, std::string_view body) {
    std::string_view excerpt = body.substr(0, std::min<std::size_t>(body.size(), 200));
    while (!excerpt.empty() && (excerpt.back() == '\n' || excerpt.back() == ' ')) {
        excerpt.remove_suffix(1);
    }
    std::string message = "upstream answered HTTP " + std::to_string(http_status);
    if (!excerpt.empty()) {
        message += ": ";
        for (const char c : excerpt) message += (c >= 0x20 && c < 0x7f) ? c : '?';
    }
    return message;
}

}  // namespace gateway::formats
