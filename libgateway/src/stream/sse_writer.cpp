#include "gateway/stream/sse_writer.hpp"

#include <algorithm>
#include <cstddef>
#include <cstring>

namespace gateway::stream {
namespace {

// The first CR or LF of `text`, or npos. Two memchr passes: libstdc++'s find_first_of calls
// memchr once per character of the text, which made this the hottest function of a
// pass-through stream.
std::size_t find_line_end(std::string_view text) noexcept {
    if (text.empty()) return std::string_view::npos;
    const char* first = text.data();
    std::size_t limit = text.size();
    if (const void* lf = std::memchr(first, '\n', limit)) {
        limit = static_cast<std::size_t>(static_cast<const char*>(lf) - first);
    }
    if (const void* cr = std::memchr(first, '\r', limit)) {
        return static_cast<std::size_t>(static_cast<const char*>(cr) - first);
    }
    return limit == text.size() ? std::string_view::npos : limit;
}

// Calls `line(std::string_view)` for each line of `text`, split at LF, CRLF or CR (the SSE line
// ends). An empty text is one empty line; a trailing line end yields a final empty line, so
// LF-separated text survives a round trip through a parser unchanged.
template <class OnLine>
void for_each_line(std::string_view text, OnLine&& line) {
    for (;;) {
        std::size_t eol = find_line_end(text);
        if (eol == std::string_view::npos) {
            line(text);
            return;
        }
        line(text.substr(0, eol));
        std::size_t next = eol + 1;
        if (text[eol] == '\r' && next < text.size() && text[next] == '\n') ++next;
        text.remove_prefix(next);
    }
}

// A field value must not contain a line end (it would end the field); cut it at the first one.
std::string_view first_line(std::string_view text) { return text.substr(0, find_line_end(text)); }

}  // namespace

void append_sse_event(std::string& out, std::string_view name, std::string_view data) {
    name = first_line(name);
    // One allocation at most in the common case of a single data line (JSON payloads never
    // contain a raw line end); more lines grow the buffer by 7 bytes each. Growth stays
    // geometric, as reserve() may allocate exactly what is asked for.
    std::size_t needed = out.size() + (name.empty() ? 0 : name.size() + 8) + data.size() + 8;
    if (needed > out.capacity()) out.reserve(std::max(needed, 2 * out.capacity()));
    if (!name.empty()) {
        out.append("event: ");
        out.append(name);
        out.push_back('\n');
    }
    for_each_line(data, [&out](std::string_view line) {
        // Always "data: " with the space: a parser removes exactly one leading space, so a value
        // that itself starts with a space keeps it.
        out.append("data: ");
        out.append(line);
        out.push_back('\n');
    });
    out.push_back('\n');
}

void append_sse_comment(std::string& out, std::string_view text) {
    for_each_line(text, [&out](std::string_view line) {
        out.append(": ");
        out.append(line);
        out.push_back('\n');
    });
    out.push_back('\n');
}

}  // namespace gateway::stream
