#pragma once
// The members of a JSON object's text, found without parsing their values (private). Strings are
// passed with memchr and nested values by counting brackets, which must pair; a scalar must look
// like one. Nothing else is validated: callers either parse the values they need or hand the
// bytes on unchanged. Used to read a few members of a relayed answer and to edit the top level of
// a relayed request without copying the rest of its tree.

#include <array>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace gateway::formats {

/// One member of the root object: its key as written between the quotes, its value's text, and
/// the whole member from the key's opening quote to the value's last byte.
struct skimmed_member {
    std::string_view key;
    std::string_view value;
    std::string_view whole;
};

namespace skim_detail {

inline const char* skip_space(const char* p, const char* end) noexcept {
    while (p != end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')) ++p;
    return p;
}

// `p` is at an opening quote: past the closing one, or null.
inline const char* skip_string(const char* p, const char* end) noexcept {
    ++p;
    for (;;) {
        const auto* quote =
            static_cast<const char*>(std::memchr(p, '"', static_cast<std::size_t>(end - p)));
        if (quote == nullptr) return nullptr;
        // Escaped when an odd number of backslashes precede it.
        const char* b = quote;
        while (b != p && b[-1] == '\\') --b;
        if ((quote - b) % 2 == 0) return quote + 1;
        p = quote + 1;
    }
}

// The bytes that matter inside a container: quotes and brackets.
inline constexpr auto structural = [] {
    std::array<bool, 256> table{};
    for (const char c : std::string_view("\"{}[]")) table[static_cast<unsigned char>(c)] = true;
    return table;
}();

// `p` is at the first byte of a value: past its last byte, or null.
inline const char* skip_value(const char* p, const char* end) noexcept {
    if (p == end) return nullptr;
    if (*p == '"') return skip_string(p, end);
    if (*p == '{' || *p == '[') {
        // The kinds of the brackets open, as bits: 1 for '{'. 64 levels are plenty; deeper
        // values make the caller parse instead.
        std::uint64_t kinds = 0;
        int depth = 0;
        while (p != end) {
            // Most bytes between strings are indentation and scalars: pass them in a tight loop.
            while (!structural[static_cast<unsigned char>(*p)]) {
                if (++p == end) return nullptr;
            }
            const char c = *p;
            if (c == '"') {
                p = skip_string(p, end);
                if (p == nullptr) return nullptr;
                continue;
            }
            if (c == '{' || c == '[') {
                if (depth == 64) return nullptr;
                kinds = (kinds << 1) | (c == '{' ? 1U : 0U);
                ++depth;
            } else {
                if (depth == 0 || (kinds & 1U) != (c == '}' ? 1U : 0U)) return nullptr;
                kinds >>= 1;
                if (--depth == 0) return p + 1;
            }
            ++p;
        }
        return nullptr;
    }
    const char* start = p;
    while (p != end && *p != ',' && *p != '}' && *p != ']' && *p != ' ' && *p != '\n' &&
           *p != '\r' && *p != '\t') {
        ++p;
    }
    const std::string_view token(start, static_cast<std::size_t>(p - start));
    if (token == "true" || token == "false" || token == "null") return p;
    if (token.empty() || token.find_first_not_of("-+.0123456789eE") != std::string_view::npos) {
        return nullptr;
    }
    return p;
}

}  // namespace skim_detail

/// Calls `on_member(const skimmed_member&)` for each member of the object that `text` holds, in
/// order, and returns true; or returns false (possibly after some calls) when `text` is not an
/// object the skim can follow: not an object, unbalanced, trailing bytes, or a key with an escape
/// (whose name only a parser can tell).
template <class OnMember>
bool skim_object(std::string_view text, OnMember&& on_member) {
    using namespace skim_detail;
    const char* p = text.data();
    const char* const end = p + text.size();
    p = skip_space(p, end);
    if (p == end || *p != '{') return false;
    p = skip_space(p + 1, end);
    if (p != end && *p == '}') {
        ++p;
    } else {
        for (;;) {
            if (p == end || *p != '"') return false;
            const char* key_end = skip_string(p, end);
            if (key_end == nullptr) return false;
            const std::string_view key(p + 1, static_cast<std::size_t>(key_end - p - 2));
            if (key.find('\\') != std::string_view::npos) return false;
            const char* member_start = p;
            p = skip_space(key_end, end);
            if (p == end || *p != ':') return false;
            p = skip_space(p + 1, end);
            const char* value_end = skip_value(p, end);
            if (value_end == nullptr) return false;
            on_member(skimmed_member{
                key, std::string_view(p, static_cast<std::size_t>(value_end - p)),
                std::string_view(member_start,
                                 static_cast<std::size_t>(value_end - member_start))});
            p = skip_space(value_end, end);
            if (p == end) return false;
            if (*p == '}') {
                ++p;
                break;
            }
            if (*p != ',') return false;
            p = skip_space(p + 1, end);
        }
    }
    return skip_space(p, end) == end;
}

}  // namespace gateway::formats
