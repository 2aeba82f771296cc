#include "gateway/stream/sse_parser.hpp"
#include "support/fixtures.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iomanip>
#include <iterator>
#include <new>
#include <optional>
#include <ostream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

// Counts heap allocations while enabled, to check that the parser does not allocate per event
// in steady state. Replacing the global allocation functions affects this whole test binary;
// they only count and forward to malloc/free. The whole non-aligned set is replaced so that
// every new/delete pair (Catch uses the nothrow forms) meets the same allocator; the aligned
// forms keep their defaults.
namespace {
std::atomic<bool> g_count_allocations{false};
std::atomic<std::size_t> g_allocations{0};

void* counted_malloc(std::size_t size) noexcept {
    if (g_count_allocations.load(std::memory_order_relaxed)) {
        g_allocations.fetch_add(1, std::memory_order_relaxed);
    }
    return std::malloc(size == 0 ? 1 : size);
}
}  // namespace

void* operator new(std::size_t size) {
    if (void* p = counted_malloc(size)) return p;
    throw std::bad_alloc();
}
void* operator new[](std::size_t size) {
    if (void* p = counted_malloc(size)) return p;
    throw std::bad_alloc();
}
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
    return counted_malloc(size);
}
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
    return counted_malloc(size);
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }

namespace {

using gateway::stream::sse_event;
using gateway::stream::sse_parser;
using gateway::test::count_occurrences;
using namespace std::string_literals;

struct event {
    std::string type;
    std::string data;
    std::string id;
    std::optional<std::uint64_t> retry;

    bool operator==(const event&) const = default;
};

std::ostream& operator<<(std::ostream& os, const event& e) {
    os << "{event=" << std::quoted(e.type) << " data=" << std::quoted(e.data)
       << " id=" << std::quoted(e.id);
    if (e.retry) os << " retry=" << *e.retry;
    return os << '}';
}

event ev(std::string data, std::string type = {}, std::string id = {},
         std::optional<std::uint64_t> retry = std::nullopt) {
    return {std::move(type), std::move(data), std::move(id), retry};
}

// Everything a parse produces: the events, the error that stopped it (if any) and finish().
struct outcome {
    std::vector<event> events;
    gateway::error_code error;
    bool truncated = false;

    bool operator==(const outcome&) const = default;
};

std::ostream& operator<<(std::ostream& os, const outcome& o) {
    os << "events:";
    for (const auto& e : o.events) os << "\n  " << e;
    return os << "\nerror: " << o.error.message() << "\ntruncated: " << o.truncated;
}

// Parses `input` fed as the chunks that end at each of `cuts` (and at the end of input).
outcome parse_chunks(std::string_view input, const std::vector<std::size_t>& cuts,
                     std::size_t max_event_bytes = sse_parser::default_max_event_bytes) {
    sse_parser parser(max_event_bytes);
    outcome out;
    auto on_event = [&out](const sse_event& e) {
        out.events.push_back(
            {std::string(e.event), std::string(e.data), std::string(e.id), e.retry});
    };
    std::size_t pos = 0;
    auto feed_to = [&](std::size_t end) {
        auto r = parser.feed(input.substr(pos, end - pos), on_event);
        pos = end;
        if (!r) out.error = r.error();
        return r.has_value();
    };
    bool ok = true;
    for (std::size_t cut : cuts) {
        if (!(ok = feed_to(cut))) break;
    }
    if (ok) feed_to(input.size());
    out.truncated = parser.finish();
    return out;
}

outcome parse(std::string_view input,
              std::size_t max_event_bytes = sse_parser::default_max_event_bytes) {
    return parse_chunks(input, {}, max_event_bytes);
}

// Parses `input` whole, split in two at every byte boundary, in 1-byte chunks and in seeded
// random chunks (including empty feeds), requires the same outcome every time and returns it.
outcome parse_every_way(std::string_view input,
                        std::size_t max_event_bytes = sse_parser::default_max_event_bytes) {
    const outcome whole = parse(input, max_event_bytes);
    const std::size_t n = input.size();

    for (std::size_t i = 0; i <= n; ++i) {
        auto split = parse_chunks(input, {i}, max_event_bytes);
        if (!(split == whole)) {
            INFO("split in two at byte " << i);
            REQUIRE(split == whole);
        }
    }

    std::vector<std::size_t> cuts;
    for (std::size_t i = 1; i < n; ++i) cuts.push_back(i);
    {
        auto bytewise = parse_chunks(input, cuts, max_event_bytes);
        INFO("1-byte chunks");
        REQUIRE(bytewise == whole);
    }

    for (std::uint32_t seed = 1; seed <= 24; ++seed) {
        std::mt19937 rng(seed);
        // Small chunks for some seeds, large ones for others.
        std::size_t max_chunk = seed % 3 == 0 ? n / 2 + 1 : (seed % 3 == 1 ? 7 : 64);
        std::uniform_int_distribution<std::size_t> size(0, max_chunk);
        cuts.clear();
        for (std::size_t pos = 0; pos < n;) {
            pos = std::min(n, pos + size(rng));
            cuts.push_back(pos);
        }
        auto random = parse_chunks(input, cuts, max_event_bytes);
        if (!(random == whole)) {
            INFO("random chunks, seed " << seed);
            REQUIRE(random == whole);
        }
    }
    return whole;
}

// A literal, deliberately naive transcription of the WHATWG "event stream interpretation"
// (byte-level), used as the oracle for randomly generated streams. The limit mirrors the
// documented rule: a completed line plus the open event's data and type, or the final
// incomplete line plus them, may not exceed `max`.
outcome reference_parse(std::string_view s, std::size_t max = sse_parser::default_max_event_bytes) {
    outcome out;
    constexpr std::string_view bom = "\xEF\xBB\xBF";
    if (s.size() < bom.size() && bom.substr(0, s.size()) == s) {
        out.truncated = !s.empty();  // an incomplete BOM: held, not counted, discarded
        return out;
    }
    if (s.substr(0, 3) == bom) s.remove_prefix(3);

    std::string data_buffer, type, last_id;
    std::optional<std::uint64_t> retry;
    auto event_size = [&] {
        return (data_buffer.empty() ? 0 : data_buffer.size() - 1) + type.size();
    };
    auto process = [&](const std::string& line) {
        if (line.empty()) {
            if (data_buffer.empty()) {
                type.clear();
                retry.reset();
                return;
            }
            data_buffer.pop_back();
            out.events.push_back({type, data_buffer, last_id, retry});
            data_buffer.clear();
            type.clear();
            retry.reset();
            return;
        }
        if (line[0] == ':') return;
        std::string field = line, value;
        if (auto colon = line.find(':'); colon != std::string::npos) {
            field = line.substr(0, colon);
            value = line.substr(colon + 1);
            if (!value.empty() && value[0] == ' ') value.erase(0, 1);
        }
        if (field == "event") {
            type = value;
        } else if (field == "data") {
            data_buffer += value;
            data_buffer += '\n';
        } else if (field == "id") {
            if (value.find('\0') == std::string::npos) last_id = value;
        } else if (field == "retry") {
            std::uint64_t n = 0;
            const char* end = value.data() + value.size();
            auto [ptr, ec] = std::from_chars(value.data(), end, n);
            if (ec == std::errc() && ptr == end) retry = n;
        }
    };

    std::string line;
    for (std::size_t i = 0; i < s.size(); ++i) {
        char c = s[i];
        if (c == '\r' || c == '\n') {
            if (c == '\r' && i + 1 < s.size() && s[i + 1] == '\n') ++i;
            if (line.size() + event_size() > max) {
                out.error = gateway::errc::body_too_large;
                out.truncated = true;
                return out;
            }
            process(line);
            line.clear();
        } else {
            line += c;
        }
    }
    if (line.size() + event_size() > max) {
        out.error = gateway::errc::body_too_large;
        out.truncated = true;
        return out;
    }
    out.truncated = !line.empty() || !data_buffer.empty();
    return out;
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot open " + path);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string fixture(std::string_view relative) {
    return read_file(std::string(GATEWAY_FIXTURES_DIR) + "/" + std::string(relative));
}

}  // namespace

// --- The WHATWG examples and rules -----------------------------------------------------------

TEST_CASE("sse: multi-line data is joined with LF (WHATWG example)", "[sse]") {
    auto out = parse_every_way("data: YHOO\ndata: +2\ndata: 10\n\n");
    CHECK(out.events == std::vector{ev("YHOO\n+2\n10")});
    CHECK_FALSE(out.truncated);
    CHECK_FALSE(out.error);
}

TEST_CASE("sse: comments, ids and the optional space (WHATWG example)", "[sse]") {
    auto out = parse_every_way(
        ": test stream\n\n"
        "data: first event\nid: 1\n\n"
        "data:second event\nid\n\n"
        "data:  third event\n\n");
    // `id` without a colon sets the last event ID to empty; only one space is removed.
    CHECK(out.events ==
          std::vector{ev("first event", "", "1"), ev("second event"), ev(" third event")});
}

TEST_CASE("sse: fields without a colon and empty data (WHATWG example)", "[sse]") {
    auto out = parse_every_way("data\n\ndata\ndata\n\ndata:");
    // The first block is an event with empty data, the second has data "\n", the third is
    // discarded at the end of the stream.
    CHECK(out.events == std::vector{ev(""), ev("\n")});
    CHECK(out.truncated);
}

TEST_CASE("sse: with and without the space after the colon (WHATWG example)", "[sse]") {
    auto out = parse_every_way("data:test\n\ndata: test\n\n");
    CHECK(out.events == std::vector{ev("test"), ev("test")});
}

TEST_CASE("sse: LF, CRLF and CR line ends, also mixed", "[sse]") {
    const std::vector expected{ev("a", "x"), ev("b\nc")};
    CHECK(parse_every_way("event: x\ndata: a\n\ndata: b\ndata: c\n\n").events == expected);
    CHECK(parse_every_way("event: x\r\ndata: a\r\n\r\ndata: b\r\ndata: c\r\n\r\n").events ==
          expected);
    CHECK(parse_every_way("event: x\rdata: a\r\rdata: b\rdata: c\r\r").events == expected);
    CHECK(parse_every_way("event: x\r\ndata: a\n\rdata: b\rdata: c\r\n\n").events == expected);
}

TEST_CASE("sse: a CRLF split across feeds is one line end", "[sse]") {
    // "\r" then "\n" must not produce an extra blank line (which would dispatch early).
    auto out = parse_chunks("data: a\r\ndata: b\r\n\r\n", {8, 17, 18});
    CHECK(out.events == std::vector{ev("a\nb")});
    // A CR at the end of a feed followed by a non-LF byte: the CR alone ended the line.
    out = parse_chunks("data: a\r\rdata: b\r\r", {8, 9, 17});
    CHECK(out.events == std::vector{ev("a"), ev("b")});
    // CR CR LF: a line end, then a blank line (CRLF).
    CHECK(parse_every_way("data: a\r\r\n").events == std::vector{ev("a")});
}

TEST_CASE("sse: a leading UTF-8 BOM is skipped once", "[sse]") {
    CHECK(parse_every_way("\xEF\xBB\xBF"
                          "data: x\n\n")
              .events == std::vector{ev("x")});
    // Only one BOM, and only at the start: a second one is part of the field name.
    CHECK(parse_every_way("\xEF\xBB\xBF\xEF\xBB\xBF"
                          "data: x\n\ndata: y\n\n")
              .events == std::vector{ev("y")});
    CHECK(parse_every_way("data: a\n\n\xEF\xBB\xBF"
                          "data: b\n\n")
              .events == std::vector{ev("a")});
    // Bytes that start like a BOM but are not one belong to the first line.
    CHECK(parse_every_way("\xEF\xBB:comment\ndata: y\n\n").events == std::vector{ev("y")});
    CHECK(parse_every_way("\xEF"
                          "data: x\n\ndata: y\n\n")
              .events == std::vector{ev("y")});
    // A BOM is not a field name: the BOM-stripped line is "data: z".
    auto split = parse_chunks(
        "\xEF\xBB\xBF"
        "data: z\n\n",
        {1, 2, 3});
    CHECK(split.events == std::vector{ev("z")});
    // An incomplete BOM at the end of the stream is a truncated line.
    CHECK(parse("\xEF\xBB").truncated);
    CHECK_FALSE(parse("\xEF\xBB\xBF").truncated);
}

TEST_CASE("sse: the event type is set by `event` and reset after each block", "[sse]") {
    auto out = parse_every_way(
        "event: first\ndata: a\n\n"
        "data: b\n\n"      // type reset after dispatch
        "event: lost\n\n"  // no data: nothing dispatched, type reset
        "data: c\n\n"
        "event: one\nevent: two\ndata: d\n\n"  // the last `event` wins
        "event\ndata: e\n\n");                 // `event` without a value: empty type
    CHECK(out.events == std::vector{ev("a", "first"), ev("b"), ev("c"), ev("d", "two"), ev("e")});
}

TEST_CASE("sse: blank lines without data dispatch nothing", "[sse]") {
    auto out = parse_every_way("\n\n\r\n\r\r: comment\n\nid: 3\n\nretry: 10\n\n");
    CHECK(out.events.empty());
    CHECK_FALSE(out.truncated);
}

TEST_CASE("sse: the last event ID persists; ids with NUL are ignored", "[sse]") {
    auto out = parse_every_way(
        "id: 1\ndata: a\n\n"
        "data: b\n\n"             // still 1
        "id: 2\0x\ndata: c\n\n"s  // NUL: ignored, still 1
        "id: 7\n\n"               // a block without data still sets the last event ID
        "data: d\n\n"
        "id\ndata: e\n\n"     // reset to empty
        "data: f\nid: 9\n\n"  // order within the block does not matter
    );
    CHECK(out.events == std::vector{ev("a", "", "1"), ev("b", "", "1"), ev("c", "", "1"),
                                    ev("d", "", "7"), ev("e", "", ""), ev("f", "", "9")});
}

TEST_CASE("sse: retry takes ASCII digits only", "[sse]") {
    auto out = parse_every_way(
        "retry: 1500\ndata: a\n\n"
        "data: b\n\n"                               // retry belongs to its own event only
        "retry: 15x\ndata: c\n\n"                   // not digits
        "retry:\ndata: d\n\n"                       // empty
        "retry:  10\ndata: e\n\n"                   // " 10" after removing one space: not digits
        "retry: -1\ndata: f\n\n"                    // sign
        "retry: 18446744073709551615\ndata: g\n\n"  // UINT64_MAX fits
        "retry: 18446744073709551616\ndata: h\n\n"  // overflow: ignored
        "retry: 5\nretry: bad\ndata: i\n\n"         // an invalid value keeps the valid one
        "retry: 0\ndata: j\n\n");
    CHECK(out.events == std::vector{ev("a", "", "", 1500), ev("b"), ev("c"), ev("d"), ev("e"),
                                    ev("f"), ev("g", "", "", UINT64_MAX), ev("h"),
                                    ev("i", "", "", 5), ev("j", "", "", 0)});
}

TEST_CASE("sse: field names are exact, values keep everything after one space", "[sse]") {
    auto out = parse_every_way(
        "Data: no\n\n"                       // case-sensitive: unknown field
        "data : no\n\n"                      // the field name is "data "
        "foo: bar\ndata: a\n\n"              // unknown fields are ignored
        "data: b:c: d\n\n"                   // only the first colon separates
        "data:\tt\n\n"                       // a tab is not removed
        "data: \n\n"                         // empty value
        "data: x  \n\n"                      // trailing spaces are kept
        "data: {\"k\": \"\xC3\xA9\"}\n\n");  // bytes pass through
    CHECK(out.events == std::vector{ev("a"), ev("b:c: d"), ev("\tt"), ev(""), ev("x  "),
                                    ev("{\"k\": \"\xC3\xA9\"}")});
}

TEST_CASE("sse: finish reports an undispatched event", "[sse]") {
    CHECK_FALSE(parse("").truncated);
    CHECK_FALSE(parse("data: a\n\n").truncated);
    CHECK_FALSE(parse("data: a\r\n\r\n").truncated);
    CHECK_FALSE(parse("data: a\n\n: done\n").truncated);
    CHECK_FALSE(parse("event: x\n").truncated);  // no data pending, no partial line

    auto pending_data = parse_every_way("data: a\n\ndata: b\n");
    CHECK(pending_data.events == std::vector{ev("a")});
    CHECK(pending_data.truncated);

    auto partial_line = parse_every_way("data: a\n\ndata: b");
    CHECK(partial_line.events == std::vector{ev("a")});
    CHECK(partial_line.truncated);

    CHECK(parse(": partial comment").truncated);  // any incomplete line counts

    // The last line of "data: a\n" ends with LF, but the event needs a blank line.
    CHECK(parse("data: a\n").events.empty());
}

TEST_CASE("sse: finish resets the parser for a new stream", "[sse]") {
    sse_parser parser;
    std::vector<event> got;
    auto on_event = [&](const sse_event& e) {
        got.push_back({std::string(e.event), std::string(e.data), std::string(e.id), e.retry});
    };
    REQUIRE(parser.feed("\xEF\xBB\xBFid: 4\ndata: a\n\ndata: pending", on_event));
    CHECK(parser.finish());
    CHECK(parser.buffered_bytes() == 0);
    REQUIRE(
        parser.feed("\xEF\xBB\xBF"
                    "data: b\n\n",
                    on_event));
    CHECK_FALSE(parser.finish());
    CHECK(got == std::vector{ev("a", "", "4"), ev("b")});  // BOM skipped again, id forgotten
}

TEST_CASE("sse: buffered_bytes counts the carried line and the open event", "[sse]") {
    sse_parser parser;
    int events = 0;
    auto on_event = [&](const sse_event&) { ++events; };
    REQUIRE(parser.feed("event: ab\ndata: xyz", on_event));
    CHECK(parser.buffered_bytes() == 2 + 9);  // type "ab" + partial line "data: xyz"
    REQUIRE(parser.feed("\n", on_event));
    CHECK(parser.buffered_bytes() == 2 + 3);  // type + data "xyz"
    REQUIRE(parser.feed("data: 1\n", on_event));
    CHECK(parser.buffered_bytes() == 2 + 5);  // "xyz\n1"
    REQUIRE(parser.feed("\n", on_event));
    CHECK(parser.buffered_bytes() == 0);
    CHECK(events == 1);
    // A single data line inside the chunk that is still open when feed returns is kept.
    REQUIRE(parser.feed("data: 12345\n", on_event));
    CHECK(parser.buffered_bytes() == 5);
}

TEST_CASE("sse: the event size limit", "[sse]") {
    using gateway::errc;

    SECTION("a data line over the limit") {
        auto out = parse_every_way("data: a\n\ndata: 0123456789abcdef\n\ndata: never\n\n", 16);
        CHECK(out.events == std::vector{ev("a")});  // events before the error are delivered
        CHECK(out.error == errc::body_too_large);
        CHECK(out.truncated);
    }
    SECTION("data accumulated over lines") {
        // Each line fits, the event does not: "0123456789\n0123456789" is 21 bytes.
        auto out = parse_every_way("data: 0123456789\ndata: 0123456789\n\n", 22);
        CHECK(out.events.empty());
        CHECK(out.error == errc::body_too_large);
    }
    SECTION("exactly at the limit") {
        // The limit applies to a line plus the open event's data and type: the second
        // "data: 0123456789" line (16) comes with the type "t" (1) of its event.
        const std::string input = "data: 0123456789\n\nevent: t\ndata: 0123456789\n\n";
        auto out = parse_every_way(input, 17);
        CHECK(out.events == std::vector{ev("0123456789"), ev("0123456789", "t")});
        CHECK_FALSE(out.error);
        auto over = parse_every_way(input, 16);
        CHECK(over.events == std::vector{ev("0123456789")});
        CHECK(over.error == errc::body_too_large);
        CHECK(parse("data: 0123456789\n\n", 15).error == errc::body_too_large);
    }
    SECTION("an incomplete line over the limit fails without waiting for its end") {
        sse_parser parser(16);
        auto on_event = [](const sse_event&) {};
        REQUIRE(parser.feed("data: 01234", on_event));
        auto r = parser.feed("56789abcdef", on_event);
        REQUIRE(r.has_error());
        CHECK(r.error() == errc::body_too_large);
        CHECK(parser.buffered_bytes() == 0);  // nothing kept
        // The parser refuses further input, even valid input.
        auto again = parser.feed("data: ok\n\n", on_event);
        REQUIRE(again.has_error());
        CHECK(again.error() == errc::body_too_large);
        CHECK(parser.finish());
        CHECK(parser.feed("data: ok\n\n", on_event).error() == errc::body_too_large);
    }
    SECTION("long comments and unknown fields count as lines too") {
        CHECK(parse(": " + std::string(100, 'c') + "\n", 64).error == errc::body_too_large);
        CHECK(parse("x: " + std::string(100, 'c') + "\n", 64).error == errc::body_too_large);
    }
    SECTION("a tiny limit") {
        auto out = parse_every_way("data\n\ndata\n\n", 4);
        CHECK(out.events == std::vector{ev(""), ev("")});
        CHECK(parse("data\n\n", 0).error == errc::body_too_large);  // "data" is 4 bytes
    }
}

TEST_CASE("sse: large events split anywhere", "[sse]") {
    std::string big(200'000, 'x');
    for (std::size_t i = 0; i < big.size(); i += 97) big[i] = ' ';
    std::string input = "event: big\ndata: " + big + "\ndata: " + big + "\r\n\r\n";
    auto whole = parse(input);
    REQUIRE(whole.events.size() == 1);
    CHECK(whole.events[0].data == big + "\n" + big);
    for (std::uint32_t seed = 1; seed <= 8; ++seed) {
        std::mt19937 rng(seed);
        std::uniform_int_distribution<std::size_t> size(1, 5000);
        std::vector<std::size_t> cuts;
        for (std::size_t pos = 0; pos < input.size();) {
            pos = std::min(input.size(), pos + size(rng));
            cuts.push_back(pos);
        }
        CHECK(parse_chunks(input, cuts) == whole);
    }
    // The second data line (6 + 200000) with the open data (200000) and type "big" (3).
    CHECK(parse(input, 2 * big.size() + 8).error == gateway::errc::body_too_large);
    CHECK_FALSE(parse(input, 2 * big.size() + 9).error);
}

TEST_CASE("sse: many CR-only lines in one chunk", "[sse]") {
    // Each line end is a CR, the only LF is at the very end: the parser must not rescan the
    // rest of the chunk for an LF at every line.
    std::string input;
    for (int i = 0; i < 50'000; ++i) input += "data: " + std::to_string(i) + "\r\r";
    input += "\n";
    auto out = parse(input);
    REQUIRE(out.events.size() == 50'000);
    CHECK(out.events.back().data == "49999");
}

TEST_CASE("sse: callbacks may be lvalues, const or mutable", "[sse]") {
    sse_parser parser;
    int count = 0;
    const auto counter = [&count](const sse_event&) { ++count; };
    REQUIRE(parser.feed("data: a\n\n", counter));
    auto mut = [n = 0, &count](const sse_event&) mutable { count += ++n; };
    REQUIRE(parser.feed("data: b\n\ndata: c\n\n", mut));
    CHECK(count == 1 + 1 + 2);
}

TEST_CASE("sse: random streams match the WHATWG reference, however split", "[sse]") {
    const std::vector<std::string> tokens{
        "data",   "data:",        "data: ", "event:",   "event: ", "id:",  "id: ",
        "retry:", "retry: ",      ":",      " ",        "x",       "yz",   "1",
        "42",     "\n",           "\n",     "\n\n",     "\r",      "\r\n", "\r\n\r\n",
        "\0"s,    "\xEF\xBB\xBF", "\xEF",   "\xC3\xA9", "\t"};
    std::mt19937 rng(20250611);
    std::uniform_int_distribution<std::size_t> pick(0, tokens.size() - 1);
    std::uniform_int_distribution<int> length(0, 40);
    std::uniform_int_distribution<std::size_t> limit(0, 40);
    for (int iteration = 0; iteration < 400; ++iteration) {
        std::string input;
        if (iteration % 5 == 0) input = "\xEF\xBB\xBF";
        for (int i = length(rng); i > 0; --i) input += tokens[pick(rng)];
        std::size_t max = iteration % 2 == 0 ? sse_parser::default_max_event_bytes : limit(rng);
        INFO("input: " << std::quoted(input) << " limit " << max);
        auto expected = reference_parse(input, max);
        REQUIRE(parse(input, max) == expected);
        if (iteration % 4 == 0) REQUIRE(parse_every_way(input, max) == expected);
    }
}

TEST_CASE("sse: no allocation per event in steady state", "[sse]") {
    // Events whose lines often straddle chunk boundaries, so the carried line and the data
    // buffer are in use: after one pass, the parser's buffers are large enough.
    std::string input;
    for (int i = 0; i < 500; ++i) {
        input += "event: content_block_delta\nid: " + std::to_string(i) +
                 "\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":"
                 "{\"type\":\"text_delta\",\"text\":\"chunk " +
                 std::to_string(i) + "\"}}\ndata: second line\n\n";
    }
    sse_parser parser;
    std::size_t events = 0, bytes = 0;
    auto on_event = [&](const sse_event& e) {
        ++events;
        bytes += e.data.size();
    };
    auto feed_all = [&](std::size_t chunk) {
        for (std::size_t pos = 0; pos < input.size(); pos += chunk) {
            if (!parser.feed(std::string_view(input).substr(pos, chunk), on_event)) return false;
        }
        return !parser.finish();
    };
    REQUIRE(feed_all(37));  // warm-up
    g_allocations = 0;
    g_count_allocations = true;
    bool ok = feed_all(37) && feed_all(1) && feed_all(4096);
    g_count_allocations = false;
    REQUIRE(ok);
    CHECK(events == 2000);
    CHECK(g_allocations.load() == 0);
}

TEST_CASE("sse: one data line inside the chunk is delivered without copying", "[sse]") {
    const std::string input = fixture("openai_chat/text-stream.sse");
    sse_parser parser;
    std::size_t events = 0;
    bool views_into_input = true;
    auto on_event = [&](const sse_event& e) {
        ++events;
        views_into_input = views_into_input && e.data.data() >= input.data() &&
                           e.data.data() + e.data.size() <= input.data() + input.size();
    };
    g_allocations = 0;
    g_count_allocations = true;
    auto r = parser.feed(input, on_event);  // a fresh parser, the whole body in one chunk
    g_count_allocations = false;
    REQUIRE(r);
    CHECK(events == 11);
    CHECK(views_into_input);
    CHECK(g_allocations.load() == 0);
}

// --- The recorded-traffic fixtures -------------------------------------------------------------

TEST_CASE("sse: OpenAI chat text stream fixture", "[sse][fixtures]") {
    const auto body = fixture("openai_chat/text-stream.sse");
    auto out = parse_every_way(body);
    CHECK_FALSE(out.truncated);
    CHECK_FALSE(out.error);
    // role chunk, 7 content deltas, finish chunk, usage chunk, [DONE]
    REQUIRE(out.events.size() == 11);
    CHECK(out.events.size() == count_occurrences(body, "data: "));
    for (const auto& e : out.events) {
        CHECK(e.type.empty());
        CHECK(e.id.empty());
    }
    CHECK(out.events.back().data == "[DONE]");

    std::string text;
    for (std::size_t i = 0; i + 1 < out.events.size(); ++i) {
        auto chunk = boost::json::parse(out.events[i].data).as_object();
        CHECK(chunk.at("object") == "chat.completion.chunk");
        CHECK(chunk.contains("obfuscation"));
        CHECK(chunk.contains("system_fingerprint"));
        auto& choices = chunk.at("choices").as_array();
        if (i == 9) {  // the usage chunk
            CHECK(choices.empty());
            CHECK(chunk.at("usage").at("total_tokens") == 21);
            continue;
        }
        CHECK(chunk.at("usage").is_null());
        auto& delta = choices.at(0).at("delta").as_object();
        if (i == 0) CHECK(delta.at("role") == "assistant");
        if (i == 8) CHECK(choices.at(0).at("finish_reason") == "stop");
        if (auto* content = delta.if_contains("content")) text += content->as_string().c_str();
    }
    CHECK(text == "The capital of France is Paris.");
}

TEST_CASE("sse: OpenAI chat parallel tool call stream fixture", "[sse][fixtures]") {
    const auto body = fixture("openai_chat/tool-call-stream.sse");
    auto out = parse_every_way(body);
    CHECK_FALSE(out.truncated);
    // role chunk, call 0 opening + 5 argument fragments, call 1 opening + 6 fragments, finish
    // chunk, usage chunk, [DONE]
    REQUIRE(out.events.size() == 17);
    CHECK(out.events.size() == count_occurrences(body, "data: "));
    CHECK(out.events.back().data == "[DONE]");

    std::vector<std::string> names, arguments(2);
    for (std::size_t i = 0; i + 1 < out.events.size(); ++i) {
        auto chunk = boost::json::parse(out.events[i].data).as_object();
        auto& choices = chunk.at("choices").as_array();
        if (choices.empty()) continue;
        auto& delta = choices.at(0).at("delta").as_object();
        if (auto* calls = delta.if_contains("tool_calls")) {
            for (auto& call : calls->as_array()) {
                auto index = call.at("index").to_number<std::size_t>();
                auto& function = call.at("function").as_object();
                if (auto* name = function.if_contains("name")) {
                    names.emplace_back(name->as_string());
                }
                arguments.at(index) += function.at("arguments").as_string().c_str();
            }
        }
    }
    CHECK(names == std::vector<std::string>{"get_weather", "get_local_time"});
    CHECK(arguments ==
          std::vector<std::string>{R"({"city":"Paris"})", R"({"timezone":"Europe/Paris"})"});
    auto finish = boost::json::parse(out.events[out.events.size() - 3].data);
    CHECK(finish.at("choices").at(0).at("finish_reason") == "tool_calls");
}

TEST_CASE("sse: Anthropic messages text stream fixture", "[sse][fixtures]") {
    const auto body = fixture("anthropic_messages/text-stream.sse");
    auto out = parse_every_way(body);
    CHECK_FALSE(out.truncated);
    std::vector<std::string> names;
    std::string text;
    for (const auto& e : out.events) {
        names.push_back(e.type);
        auto payload = boost::json::parse(e.data);  // padding spaces before '}' are valid JSON
        CHECK(payload.at("type") == e.type.c_str());
        if (e.type == "content_block_delta") {
            text += payload.at("delta").at("text").as_string().c_str();
        }
    }
    CHECK(names == std::vector<std::string>{"message_start", "content_block_start", "ping",
                                            "content_block_delta", "content_block_delta",
                                            "content_block_delta", "content_block_stop",
                                            "message_delta", "message_stop"});
    CHECK(text == "The capital of France is Paris.");
    CHECK(out.events.at(2).data == R"({"type": "ping"})");
}

TEST_CASE("sse: Gemini text stream fixture with CRLF framing", "[sse][fixtures]") {
    const auto body = fixture("gemini/text-stream.sse");
    REQUIRE(body.find("\r\n\r\n") != std::string::npos);  // the fixture keeps Gemini's framing
    auto out = parse_every_way(body);
    CHECK_FALSE(out.truncated);
    REQUIRE(out.events.size() == count_occurrences(body, "data: "));
    REQUIRE(out.events.size() == 3);
    std::string text;
    for (const auto& e : out.events) {
        CHECK(e.type.empty());
        CHECK(e.data.find('\r') == std::string::npos);
        auto chunk = boost::json::parse(e.data);
        text += chunk.at("candidates")
                    .at(0)
                    .at("content")
                    .at("parts")
                    .at(0)
                    .at("text")
                    .as_string()
                    .c_str();
    }
    CHECK(text == "Paris is the capital of France.\n");
    auto last = boost::json::parse(out.events.back().data);
    CHECK(last.at("candidates").at(0).at("finishReason") == "STOP");
}

TEST_CASE("fixtures: OpenAI chat JSON bodies are compact single-line JSON", "[fixtures]") {
    auto text = fixture("openai_chat/text.json");
    CHECK(text.find('\n') == text.size() - 1);  // one line, newline-terminated
    auto completion = boost::json::parse(text);
    CHECK(completion.at("object") == "chat.completion");
    CHECK(completion.at("choices").at(0).at("finish_reason") == "stop");
    CHECK(completion.at("usage").at("total_tokens") == 52);

    auto error = fixture("openai_chat/error-400.json");
    CHECK(error.find('\n') == error.size() - 1);
    auto body = boost::json::parse(error);
    CHECK(body.at("error").at("type") == "invalid_request_error");
    CHECK(body.at("error").at("code") == "unsupported_parameter");
    CHECK(body.at("error").at("param") == "max_tokens");
}

TEST_CASE("sse: a throwing callback leaves the parser consistent", "[sse]") {
    sse_parser parser;
    std::vector<event> got;
    auto on_event = [&](const sse_event& e) {
        if (e.data == "boom") throw std::runtime_error("callback failed");
        got.push_back({std::string(e.event), std::string(e.data), std::string(e.id), e.retry});
    };
    {
        // The throwing event is a view into this chunk, which dies right after the call.
        std::string chunk = "event: t\ndata: boom\n\ndata: skipped\n\n";
        CHECK_THROWS_AS(parser.feed(chunk, on_event), std::runtime_error);
    }
    REQUIRE(parser.feed("data: next\n\n", on_event));
    CHECK_FALSE(parser.finish());
    CHECK(got == std::vector{ev("next")});
}

// --- feed_blocks: the stream as it came, block by block --------------------------------------

namespace {

struct blocks_outcome {
    std::string joined;         // the raw blocks put together
    std::vector<event> events;  // the events of the blocks that have one
    std::size_t without_event = 0;
};

blocks_outcome parse_blocks(std::string_view input, const std::vector<std::size_t>& cuts) {
    sse_parser parser;
    blocks_outcome out;
    auto on_block = [&out](const gateway::stream::sse_block& b) {
        out.joined.append(b.raw);
        if (b.event != nullptr) {
            out.events.push_back({std::string(b.event->event), std::string(b.event->data),
                                  std::string(b.event->id), b.event->retry});
        } else {
            ++out.without_event;
        }
    };
    std::size_t pos = 0;
    for (std::size_t cut : cuts) {
        REQUIRE(parser.feed_blocks(input.substr(pos, cut - pos), on_block));
        pos = cut;
    }
    REQUIRE(parser.feed_blocks(input.substr(pos), on_block));
    return out;
}

}  // namespace

TEST_CASE("sse blocks: put together they are the stream, with feed's events", "[sse]") {
    const std::vector<std::string> tokens{
        "data", "data:", "data: ", "event: ", "id: ", "retry: ", ":",    " ",        "x",
        "yz",   "42",    "\n",     "\n",      "\n\n", "\r",      "\r\n", "\r\n\r\n", "\xC3\xA9"};
    std::mt19937 rng(20261207);
    std::uniform_int_distribution<std::size_t> pick(0, tokens.size() - 1);
    std::uniform_int_distribution<int> length(0, 40);
    for (int iteration = 0; iteration < 300; ++iteration) {
        std::string input;
        if (iteration % 5 == 0) input = "\xEF\xBB\xBF";
        for (int i = length(rng); i > 0; --i) input += tokens[pick(rng)];
        input += "\n\n";  // every block ends, so the blocks are the whole input
        INFO("input: " << std::quoted(input));
        const auto expected_events = parse(input).events;
        std::vector<std::size_t> cuts;
        for (int way = 0; way < 4; ++way) {
            if (way == 1) {
                for (std::size_t i = 1; i < input.size(); ++i) cuts.push_back(i);
            } else if (way > 1) {
                cuts.clear();
                std::uniform_int_distribution<std::size_t> size(0, way == 2 ? 5 : 40);
                for (std::size_t pos = 0; pos < input.size();) {
                    pos = std::min(input.size(), pos + size(rng));
                    cuts.push_back(pos);
                }
            }
            const auto got = parse_blocks(input, cuts);
            INFO("way " << way);
            REQUIRE(got.joined == input);
            REQUIRE(got.events == expected_events);
        }
    }
}

TEST_CASE("sse blocks: comments and id-only blocks are blocks without an event", "[sse]") {
    const std::string input =
        ": OPENROUTER PROCESSING\n\ndata: {\"a\":1}\n\n: keep-alive\r\n\r\nid: 7\n\ndata:x\n\n";
    const auto got = parse_blocks(input, {30, 31});
    CHECK(got.joined == input);
    CHECK(got.without_event == 3);
    REQUIRE(got.events.size() == 2);
    CHECK(got.events[0].data == "{\"a\":1}");
    CHECK(got.events[1] == ev("x", {}, "7"));
}

TEST_CASE("sse blocks: a block held across feeds counts against the limit", "[sse]") {
    sse_parser parser(64);
    auto ignore = [](const gateway::stream::sse_block&) {};
    // Comment lines that never end a block: kept for the block, until over the limit.
    gateway::result<void> r;
    int fed = 0;
    while (fed < 20 && (r = parser.feed_blocks(": keep-alive\n", ignore))) ++fed;
    REQUIRE_FALSE(r);
    CHECK(r.error() == gateway::errc::body_too_large);
    CHECK(fed < 6);
    CHECK(parser.buffered_bytes() == 0);
}
