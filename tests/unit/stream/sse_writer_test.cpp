#include "gateway/stream/sse_writer.hpp"

#include "gateway/stream/sse_parser.hpp"

#include <catch2/catch.hpp>

#include <iomanip>
#include <ostream>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

using gateway::stream::append_sse_comment;
using gateway::stream::append_sse_data;
using gateway::stream::append_sse_event;
using gateway::stream::sse_event;
using gateway::stream::sse_parser;

struct named_data {
    std::string name;
    std::string data;

    bool operator==(const named_data&) const = default;
};

std::ostream& operator<<(std::ostream& os, const named_data& e) {
    return os << '{' << std::quoted(e.name) << ": " << std::quoted(e.data) << '}';
}

// Parses `wire` whole and in chunks of `chunk` bytes; requires both to agree and the stream to
// end cleanly.
std::vector<named_data> parse_wire(std::string_view wire, std::size_t chunk = 3) {
    auto run = [wire](std::size_t size) {
        sse_parser parser;
        std::vector<named_data> events;
        auto on_event = [&](const sse_event& e) {
            events.push_back({std::string(e.event), std::string(e.data)});
        };
        for (std::size_t pos = 0; pos < wire.size(); pos += size) {
            REQUIRE(parser.feed(wire.substr(pos, size), on_event));
        }
        REQUIRE_FALSE(parser.finish());
        return events;
    };
    auto whole = run(wire.size() + 1);
    REQUIRE(run(chunk) == whole);
    return whole;
}

// What a parser gives back for written data: CRLF and CR become LF.
std::string normalise_line_ends(std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '\r') {
            out += '\n';
            if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
        } else {
            out += text[i];
        }
    }
    return out;
}

}  // namespace

TEST_CASE("sse writer: event layout", "[sse]") {
    std::string out;
    SECTION("named event") {
        append_sse_event(out, "message_start", R"({"type":"message_start"})");
        CHECK(out == "event: message_start\ndata: {\"type\":\"message_start\"}\n\n");
    }
    SECTION("unnamed event") {
        append_sse_event(out, {}, "[DONE]");
        CHECK(out == gateway::stream::sse_done);
        out.clear();
        append_sse_data(out, "{}");
        CHECK(out == "data: {}\n\n");
    }
    SECTION("multi-line data: every line end kind") {
        append_sse_event(out, "x", "a\nb\r\nc\rd");
        CHECK(out == "event: x\ndata: a\ndata: b\ndata: c\ndata: d\n\n");
    }
    SECTION("empty data writes one empty data line") {
        append_sse_data(out, "");
        CHECK(out == "data: \n\n");
    }
    SECTION("a trailing line end writes a final empty line") {
        append_sse_data(out, "a\n");
        CHECK(out == "data: a\ndata: \n\n");
        out.clear();
        append_sse_data(out, "\r\n");
        CHECK(out == "data: \ndata: \n\n");
    }
    SECTION("a leading space is kept by the separator space") {
        append_sse_data(out, " x");
        CHECK(out == "data:  x\n\n");
    }
    SECTION("a name with a line end is cut there") {
        append_sse_event(out, "evil\ndata: injected", "ok");
        CHECK(out == "event: evil\ndata: ok\n\n");
        out.clear();
        append_sse_event(out, "\r\nx", "ok");  // nothing left: no event line
        CHECK(out == "data: ok\n\n");
    }
    SECTION("appends to what the buffer holds") {
        out = "data: 1\n\n";
        append_sse_data(out, "2");
        append_sse_comment(out, "ping");
        CHECK(out == "data: 1\n\ndata: 2\n\n: ping\n\n");
    }
}

TEST_CASE("sse writer: comments", "[sse]") {
    std::string out;
    append_sse_comment(out, "keep-alive");
    CHECK(out == ": keep-alive\n\n");
    out.clear();
    append_sse_comment(out, "");
    CHECK(out == ": \n\n");
    out.clear();
    append_sse_comment(out, "two\nlines");
    CHECK(out == ": two\n: lines\n\n");
    CHECK(parse_wire(out).empty());
}

TEST_CASE("sse writer: round trip through the parser", "[sse]") {
    const std::vector<named_data> events{
        {"message_start", R"({"type":"message_start","message":{"id":"msg_1"}})"},
        {"", "single line"},
        {"content_block_delta", "line one\nline two\nline three"},
        {"", ""},
        {"", "\n"},
        {"x", "trailing\n"},
        {"", "\nleading"},
        {"", "  two leading spaces"},
        {"colons", "a: b: c"},
        {"", ": not a comment"},
        {"utf8", "caf\xC3\xA9 \xE2\x80\x94 \xF0\x9F\x98\x80"},
        {"", "[DONE]"},
    };
    std::string wire;
    for (const auto& e : events) {
        append_sse_event(wire, e.name, e.data);
        append_sse_comment(wire, "interleaved keep-alive");
    }
    CHECK(parse_wire(wire) == events);
    CHECK(parse_wire(wire, 1) == events);

    SECTION("CR and CRLF in data come back as LF") {
        std::string crlf;
        append_sse_event(crlf, "n", "a\r\nb\rc");
        CHECK(parse_wire(crlf) == std::vector<named_data>{{"n", "a\nb\nc"}});
    }
}

TEST_CASE("sse writer: random data round trips", "[sse]") {
    const std::vector<std::string_view> pieces{
        "a", "bc", " ", ":", "\n", "\r", "\r\n", "\n\n", "data: ", "event", "\xC3\xA9", "\t", "{}"};
    std::mt19937 rng(7);
    std::uniform_int_distribution<std::size_t> pick(0, pieces.size() - 1);
    std::uniform_int_distribution<int> length(0, 12);
    std::string wire;
    std::vector<named_data> expected;
    for (int i = 0; i < 300; ++i) {
        std::string data;
        for (int n = length(rng); n > 0; --n) data += pieces[pick(rng)];
        std::string name = i % 3 == 0 ? "e" + std::to_string(i) : "";
        append_sse_event(wire, name, data);
        expected.push_back({name, normalise_line_ends(data)});
    }
    CHECK(parse_wire(wire, 5) == expected);
}
