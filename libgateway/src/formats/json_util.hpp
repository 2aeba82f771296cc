#pragma once
// Small JSON helpers shared by the wire formats (private). Reading never throws: input comes
// from clients and upstreams. Writing appends to a caller's buffer, so encoders can build bodies
// and SSE events without a boost::json::value in between.

#include "gateway/core/conversion.hpp"
#include "gateway/core/error.hpp"

#include <boost/json/object.hpp>
#include <boost/json/storage_ptr.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace gateway::formats {

/// Parses a whole JSON document. Errors: `errc::bad_request`; `why` (if not null) gets the
/// parser's message and offset.
result<boost::json::value> parse_json(std::string_view text, std::string* why = nullptr,
                                      boost::json::storage_ptr storage = {});

/// Parses an upstream's complete answer, which must be a JSON object. Errors:
/// `errc::bad_upstream_response` with `report.error_message` saying why.
result<boost::json::value> parse_upstream_object(std::string_view body, conversion_report& report,
                                                 boost::json::storage_ptr storage = {});

/// The first block of a `boost::json::monotonic_resource` that holds the tree of `body`, for a
/// decoder that only reads the tree: what it keeps is copied out (strings, and values assigned
/// into objects of its own storage, never copy-constructed), so the tree needs no allocation per
/// node and no free per node. Callers keep the block on the heap, not the stack, so that
/// AddressSanitizer would see a value that outlives the arena.
inline std::size_t read_arena_size(std::string_view body) noexcept {
    return 2 * body.size() + 1024;
}

/// Checks that every number in a client's request fits a double. Boost.JSON reads one beyond
/// that range (`1e999`) as infinity, which no JSON writer can write back: an encoder would send
/// the upstream `Infinity`, which is not JSON. False, with `report` naming the first such number
/// by its path (`frequency_penalty`, `tools[0].parameters.maximum`), when one does not fit.
/// Run after the member checks (formats/member_rules.hpp), which name a top-level member's range.
bool numbers_in_range(const boost::json::object& body, conversion_report& report);

/// Typed reads of an object member; absent or of another type gives the empty value.
std::string_view get_string(const boost::json::object& o, std::string_view key) noexcept;
const boost::json::object* get_object(const boost::json::object& o, std::string_view key) noexcept;
const boost::json::array* get_array(const boost::json::object& o, std::string_view key) noexcept;
/// Integers, also integral doubles (1.0) as some clients send them.
std::optional<std::int64_t> get_int(const boost::json::object& o, std::string_view key) noexcept;
std::optional<double> get_number(const boost::json::object& o, std::string_view key) noexcept;
std::optional<bool> get_bool(const boost::json::object& o, std::string_view key) noexcept;

/// The JSON name of a value's kind ("string", "object", ...), for error messages.
std::string_view kind_name(const boost::json::value& v) noexcept;

/// Appends `s` as a JSON string literal (quotes included), escaping as RFC 8259 requires.
/// Bytes are copied as they are (UTF-8 passes through unchanged).
void append_json_string(std::string& out, std::string_view s);
/// Appends `"key":` (for hand-built objects).
void append_json_key(std::string& out, std::string_view key);
/// Appends an integer / a number in the shortest form that reads back the same.
void append_json_int(std::string& out, std::int64_t v);
void append_json_number(std::string& out, double v);
/// Appends a value as compact JSON, numbers in their shortest form (`2.1`, never `2.1E0`), as
/// JavaScript's JSON.stringify writes them.
void append_json_value(std::string& out, const boost::json::value& v);

/// "upstream answered HTTP <status>: <excerpt>" for an error body that is not the format's
/// envelope (a proxy's HTML page, an empty body): at most 200 bytes, trailing blanks dropped,
/// printable ASCII only (it ends up in the client's JSON error message).
std::string status_message(unsigned http_status, std::string_view body);

}  // namespace gateway::formats
