#include "core/utf8.hpp"

namespace gateway::detail {

std::size_t utf8_sequence(std::string_view s) noexcept {
    if (s.empty()) return 0;
    auto byte = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
    const unsigned char b0 = byte(0);
    if (b0 < 0x80U) return 1;
    std::size_t n = 0;
    unsigned char lo = 0x80U;
    unsigned char hi = 0xBFU;
    if (b0 >= 0xC2U && b0 <= 0xDFU) {
        n = 2;
    } else if (b0 >= 0xE0U && b0 <= 0xEFU) {
        n = 3;
        if (b0 == 0xE0U) lo = 0xA0U;  // overlong
        if (b0 == 0xEDU) hi = 0x9FU;  // surrogates
    } else if (b0 >= 0xF0U && b0 <= 0xF4U) {
        n = 4;
        if (b0 == 0xF0U) lo = 0x90U;  // overlong
        if (b0 == 0xF4U) hi = 0x8FU;  // above U+10FFFF
    } else {
        return 0;
    }
    if (s.size() < n || byte(1) < lo || byte(1) > hi) return 0;
    for (std::size_t i = 2; i < n; ++i) {
        if (byte(i) < 0x80U || byte(i) > 0xBFU) return 0;
    }
    return n;
}

bool is_valid_utf8(std::string_view s) noexcept {
    while (!s.empty()) {
        const std::size_t n = utf8_sequence(s);
        if (n == 0) return false;
        s.remove_prefix(n);
    }
    return true;
}

std::string valid_utf8(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    while (!s.empty()) {
        const std::size_t n = utf8_sequence(s);
        if (n == 0) {
            out += "\xEF\xBF\xBD";  // U+FFFD REPLACEMENT CHARACTER
            s.remove_prefix(1);
        } else {
            out.append(s.substr(0, n));
            s.remove_prefix(n);
        }
    }
    return out;
}

std::string printable_excerpt(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    while (!s.empty()) {
        const std::size_t n = utf8_sequence(s);
        if (n == 0) {
            out += '?';
            s.remove_prefix(1);
        } else if (n == 1) {
            const auto c = static_cast<unsigned char>(s[0]);
            out += c < 0x20U || c == 0x7FU ? ' ' : s[0];
            s.remove_prefix(1);
        } else {
            out.append(s.substr(0, n));
            s.remove_prefix(n);
        }
    }
    return out;
}

}  // namespace gateway::detail
