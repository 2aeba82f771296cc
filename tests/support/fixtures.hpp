#pragma once
// Access to tests/fixtures/ (modelled on real recorded provider traffic; see its README.md).

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gateway::test {

/// The bytes of tests/fixtures/<relative_path>; throws std::runtime_error if missing.
std::string read_fixture(std::string_view relative_path);

/// Splits an SSE body after each blank line (LF LF, CRLF CRLF or CR CR), keeping the bytes
/// exact, so a fake upstream can send one event per write.
std::vector<std::string> split_sse_events(std::string_view body);

/// Splits an AWS event stream (`application/vnd.amazon.eventstream`) into its messages by the
/// total length at the start of each, without checking CRCs, so tests can send one message per
/// write or corrupt the n-th one. A tail shorter than its length field says is the last piece.
std::vector<std::string_view> split_aws_event_stream(std::string_view body);

/// How many non-overlapping times `needle` occurs in `haystack`.
std::size_t count_occurrences(std::string_view haystack, std::string_view needle);

/// The `data:` payloads of an SSE body with their event names ("" when none), one per event.
std::vector<std::pair<std::string, std::string>> sse_events(const std::string& body);

}  // namespace gateway::test
