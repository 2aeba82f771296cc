#pragma once
/// Serialises Server-Sent Events. Appends to a caller-owned buffer so a stream can reuse one
/// allocation for every event. No I/O, no errors, no shared state (thread safety: as for the
/// caller's `std::string`).

#include <string>
#include <string_view>

namespace gateway::stream {

/// Appends `event: <name>\n` (when `name` is not empty), one `data: <line>\n` per line of `data`,
/// and the terminating blank line.
///
/// `data` is split at LF, CRLF and CR, and a WHATWG parser joins the lines with LF, so data
/// whose line ends are LF reads back byte for byte; CRLF and CR come back as LF. Every line is
/// written with the `data: ` prefix including the space, so a line starting with a space keeps
/// it. An empty `data` writes one `data: \n` line, which a parser delivers as an event with empty
/// data (WHATWG dispatches any block that had a `data` field); a `data` ending in a line end
/// writes a final empty `data: ` line so that the trailing LF survives. `name` must not contain
/// a line end: it is cut at the first CR or LF, so the output is always exactly one event.
void append_sse_event(std::string& out, std::string_view name, std::string_view data);

/// Appends `data: <data>\n\n` (with `data` split into lines as above).
inline void append_sse_data(std::string& out, std::string_view data) {
    append_sse_event(out, {}, data);
}

/// Appends a comment (`: text\n\n`), used as a keep-alive; a `text` with line ends becomes one
/// `: line` per line (split as above). Parsers ignore comments and the blank line after them.
void append_sse_comment(std::string& out, std::string_view text);

/// `data: [DONE]\n\n`, the terminator of OpenAI Chat Completions streams.
inline constexpr std::string_view sse_done = "data: [DONE]\n\n";

}  // namespace gateway::stream
