#pragma once
// Golden files under tests/golden/: compare a converter's output with the expected bytes or JSON,
// or rewrite the expected file on purpose with GATEWAY_UPDATE_GOLDEN=1 (then review the diff).
// JSON is compared as parsed values, SSE event by event (name, then data as JSON when it is JSON).

#include <boost/json/value.hpp>

#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace gateway::test {

/// The bytes of tests/golden/<relative_path>; throws std::runtime_error if missing.
std::string read_golden(std::string_view relative_path);

/// CHECKs that `actual` equals the JSON document in the golden file.
void check_golden_json(std::string_view relative_path, const boost::json::value& actual);
/// CHECKs JSON lines (e.g. canonical.jsonl) line by line as JSON values.
void check_golden_jsonl(std::string_view relative_path, std::string_view actual);
/// CHECKs an SSE body: the same events, in order, with the same names and data.
void check_golden_sse(std::string_view relative_path, std::string_view actual);
/// CHECKs exact bytes.
void check_golden_text(std::string_view relative_path, std::string_view actual);

/// `value` as indented JSON with a trailing newline (how golden JSON files are written).
std::string pretty_json(const boost::json::value& value);

/// Calls `feed` with `bytes` cut into chunks in every way a decoder must not notice: whole, split
/// at every single byte boundary (two chunks; about 4096 spread boundaries above 16 KiB), one
/// byte at a time, and in `random_rounds` seeded random chunkings. Each call gets the complete
/// input as a sequence of chunks.
void for_each_chunking(std::string_view bytes,
                       const std::function<void(std::span<const std::string_view>)>& feed,
                       int random_rounds = 20);

}  // namespace gateway::test
