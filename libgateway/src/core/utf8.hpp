#pragma once
// UTF-8 for text that reaches a client's JSON from bytes no JSON parser checked (private): a
// request target echoed in an error, an upstream's non-JSON error page, AWS event-stream header
// values. JSON text must be UTF-8 (RFC 8259, section 8.1); Boost.JSON's serializer and our own
// writers copy string bytes as they are, so invalid bytes would make the whole body unreadable
// for the client's parser.

#include <cstddef>
#include <string>
#include <string_view>

namespace gateway::detail {

/// Length of the valid UTF-8 sequence at the start of `s` (RFC 3629, section 4: no overlong
/// forms, no surrogates, nothing above U+10FFFF), 0 when `s` is empty or does not start with one.
std::size_t utf8_sequence(std::string_view s) noexcept;

/// True when all of `s` is valid UTF-8.
bool is_valid_utf8(std::string_view s) noexcept;

/// `s` with every byte that is not part of a valid sequence replaced by U+FFFD.
std::string valid_utf8(std::string_view s);

/// `s` fit for a one-line message: valid sequences kept, control characters as spaces, bytes
/// that are not UTF-8 as '?'.
std::string printable_excerpt(std::string_view s);

}  // namespace gateway::detail
