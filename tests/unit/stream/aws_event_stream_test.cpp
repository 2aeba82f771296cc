#include <gateway/stream/aws_event_stream.hpp>

#include "support/fixtures.hpp"
#include "support/golden.hpp"

#include <boost/crc.hpp>
#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace gs = gateway::stream;
using gateway::errc;
using header_type = gs::aws_event_stream_header_type;

namespace {

// A decoded message, copied out of the callback.
struct recorded {
    std::vector<std::pair<std::string, std::string>> strings;  // string headers
    std::string payload;
    bool operator==(const recorded&) const = default;
};

recorded record(const gs::aws_event_stream_message& m) {
    recorded r;
    for (const auto& h : m.headers) {
        if (h.type == header_type::string) r.strings.emplace_back(h.name, h.bytes);
    }
    r.payload = m.payload;
    return r;
}

std::uint32_t test_crc32(std::string_view s) {
    boost::crc_32_type crc;
    crc.process_bytes(s.data(), s.size());
    return static_cast<std::uint32_t>(crc.checksum());
}

void put_be32(std::string& out, std::uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) {
        out += static_cast<char>(static_cast<unsigned char>((v >> shift) & 0xFFu));
    }
}

// Frames raw header bytes and a payload by hand (independent of the library's encoder).
std::string frame(std::string_view raw_headers, std::string_view payload) {
    std::string out;
    put_be32(out, static_cast<std::uint32_t>(16 + raw_headers.size() + payload.size()));
    put_be32(out, static_cast<std::uint32_t>(raw_headers.size()));
    put_be32(out, test_crc32(out));
    out += raw_headers;
    out += payload;
    put_be32(out, test_crc32(out));
    return out;
}

// Bedrock ConverseStream events, payloads shaped after the ConverseStream API reference
// (ConverseStreamOutput: messageStart, contentBlockDelta, contentBlockStop, messageStop,
// metadata); Bedrock pads payloads with a "p" field.
const std::vector<std::pair<std::string, std::string>> converse_events = {
    {"messageStart", R"({"p":"abcdefghijklmnopqrstuvwxyzABCDEFGHIJ","role":"assistant"})"},
    {"contentBlockDelta", R"({"contentBlockIndex":0,"delta":{"text":"Hello"},"p":"abcd"})"},
    {"contentBlockDelta", R"({"contentBlockIndex":0,"delta":{"text":", world!"},"p":"ab"})"},
    {"contentBlockStop", R"({"contentBlockIndex":0,"p":"abcdefghijk"})"},
    {"messageStop", R"({"p":"abcdefghijklmnopqrstu","stopReason":"end_turn"})"},
    {"metadata",
     R"({"metrics":{"latencyMs":412},"p":"abcdefgh","usage":{"inputTokens":12,"outputTokens":5,"totalTokens":17}})"},
};

std::string converse_stream() {
    std::string out;
    for (const auto& [type, payload] : converse_events) {
        out += gs::encode_aws_event_stream_event(type, payload);
    }
    return out;
}

// Decodes `chunks` in order with one decoder; fails the test on an error.
std::vector<recorded> decode_chunks(const std::vector<std::string_view>& chunks) {
    std::vector<recorded> out;
    gs::aws_event_stream_decoder decoder;
    for (auto chunk : chunks) {
        auto fed = decoder.feed(
            chunk, [&](const gs::aws_event_stream_message& m) { out.push_back(record(m)); });
        REQUIRE(fed);
    }
    REQUIRE(decoder.finish());
    return out;
}

}  // namespace

TEST_CASE("aws event stream: the empty message matches zlib's CRC-32", "[aws_event_stream]") {
    // total 16, no headers, prelude CRC 0x05C248EB and message CRC 0x7D98C8FF, the values
    // Python's zlib.crc32 gives for these bytes.
    const std::string empty("\x00\x00\x00\x10\x00\x00\x00\x00\x05\xC2\x48\xEB\x7D\x98\xC8\xFF", 16);
    auto encoded = gs::encode_aws_event_stream_message({}, "");
    REQUIRE(encoded);
    CHECK(*encoded == empty);
    int n = 0;
    gs::aws_event_stream_decoder decoder;
    REQUIRE(decoder.feed(empty, [&](const gs::aws_event_stream_message& m) {
        CHECK(m.headers.empty());
        CHECK(m.payload.empty());
        ++n;
    }));
    CHECK(n == 1);
    CHECK(decoder.finish());
}

TEST_CASE("aws event stream: ConverseStream frames", "[aws_event_stream]") {
    const std::string stream = converse_stream();
    auto messages = decode_chunks({stream});
    REQUIRE(messages.size() == converse_events.size());
    for (std::size_t i = 0; i < messages.size(); ++i) {
        const auto& m = messages[i];
        REQUIRE(m.strings.size() == 3);
        CHECK(m.strings[0] ==
              std::pair<std::string, std::string>(":event-type", converse_events[i].first));
        CHECK(m.strings[1] ==
              std::pair<std::string, std::string>(":content-type", "application/json"));
        CHECK(m.strings[2] == std::pair<std::string, std::string>(":message-type", "event"));
        CHECK(m.payload == converse_events[i].second);
    }
}

TEST_CASE("aws event stream: accessors and every header type", "[aws_event_stream]") {
    const std::string uuid("0123456789abcdef", 16);
    const gs::aws_event_stream_header headers[] = {
        {":message-type", header_type::string, "exception", 0},
        {":exception-type", header_type::string, "throttlingException", 0},
        {":content-type", header_type::string, "application/json", 0},
        {"t", header_type::bool_true, {}, 0},
        {"f", header_type::bool_false, {}, 0},
        {"b", header_type::byte, {}, -2},
        {"s", header_type::int16, {}, -300},
        {"i", header_type::int32, {}, 70000},
        {"l", header_type::int64, {}, -5000000000},
        {"bytes", header_type::byte_array, std::string_view("\x00\x01", 2), 0},
        {"ts", header_type::timestamp, {}, 1719821350750},
        {"id", header_type::uuid, uuid, 0},
    };
    auto encoded = gs::encode_aws_event_stream_message(headers, R"({"message":"slow down"})");
    REQUIRE(encoded);
    int n = 0;
    gs::aws_event_stream_decoder decoder;
    REQUIRE(decoder.feed(*encoded, [&](const gs::aws_event_stream_message& m) {
        ++n;
        CHECK(m.message_type() == "exception");
        CHECK(m.exception_type() == "throttlingException");
        CHECK(m.content_type() == "application/json");
        CHECK(m.event_type().empty());
        CHECK(m.payload == R"({"message":"slow down"})");
        REQUIRE(m.headers.size() == std::size(headers));
        for (std::size_t i = 0; i < m.headers.size(); ++i) {
            CHECK(m.headers[i].name == headers[i].name);
            CHECK(m.headers[i].type == headers[i].type);
            CHECK(m.headers[i].bytes == headers[i].bytes);
        }
        CHECK(m.headers[3].integer == 1);
        CHECK(m.headers[4].integer == 0);
        CHECK(m.headers[5].integer == -2);
        CHECK(m.headers[6].integer == -300);
        CHECK(m.headers[7].integer == 70000);
        CHECK(m.headers[8].integer == -5000000000);
        CHECK(m.headers[10].integer == 1719821350750);
    }));
    CHECK(n == 1);
}

TEST_CASE("aws event stream: every split gives the same messages", "[aws_event_stream]") {
    const std::string stream = converse_stream();
    const std::string_view all(stream);
    const auto expected = decode_chunks({all});
    REQUIRE(expected.size() == converse_events.size());
    for (std::size_t i = 0; i <= all.size(); ++i) {
        INFO("split at " << i);
        CHECK(decode_chunks({all.substr(0, i), all.substr(i)}) == expected);
    }
    std::vector<std::string_view> bytes;
    for (std::size_t i = 0; i < all.size(); ++i) bytes.push_back(all.substr(i, 1));
    CHECK(decode_chunks(bytes) == expected);

    std::mt19937 rng(20240701);
    for (int round = 0; round < 50; ++round) {
        std::vector<std::string_view> chunks;
        std::size_t pos = 0;
        while (pos < all.size()) {
            std::size_t len = std::uniform_int_distribution<std::size_t>(0, 64)(rng);
            chunks.push_back(all.substr(pos, len));
            pos += std::min(len, all.size() - pos);
        }
        CHECK(decode_chunks(chunks) == expected);
    }
}

TEST_CASE("aws event stream: corrupted CRCs are clean errors", "[aws_event_stream]") {
    const std::string good = gs::encode_aws_event_stream_event("messageStart", R"({"role":"x"})");
    std::string bad = good;
    SECTION("prelude CRC") { bad[9] = static_cast<char>(bad[9] ^ 0x01); }
    SECTION("a length covered by the prelude CRC") { bad[3] = static_cast<char>(bad[3] ^ 0x04); }
    SECTION("message CRC") { bad[bad.size() - 1] = static_cast<char>(bad[bad.size() - 1] ^ 0x80); }
    SECTION("a payload byte") { bad[bad.size() - 6] = 'X'; }
    SECTION("a header byte") { bad[14] = 'X'; }

    gs::aws_event_stream_decoder decoder;
    int delivered = 0;
    auto count = [&](const gs::aws_event_stream_message&) { ++delivered; };
    REQUIRE(decoder.feed(good, count));
    auto fed = decoder.feed(bad, count);
    REQUIRE_FALSE(fed);
    CHECK(fed.error() == errc::bad_upstream_response);
    CHECK(delivered == 1);
    CHECK(decoder.buffered_bytes() == 0);
    // Failed for good: more (valid) input and finish() report the same error.
    auto again = decoder.feed(good, count);
    REQUIRE_FALSE(again);
    CHECK(again.error() == errc::bad_upstream_response);
    CHECK(delivered == 1);
    auto finished = decoder.finish();
    REQUIRE_FALSE(finished);
    CHECK(finished.error() == errc::bad_upstream_response);
}

TEST_CASE("aws event stream: malformed headers", "[aws_event_stream]") {
    std::string raw;
    SECTION("string length overruns the headers") {
        raw = std::string("\x02:x\x07\x00\x09", 6) + "abc";
    }
    SECTION("value type out of range") { raw = std::string("\x01x\x0A", 3); }
    SECTION("empty name") { raw = std::string("\x00\x07\x00\x00", 4); }
    SECTION("name longer than the section") { raw = std::string("\x09:x", 3); }
    SECTION("integer cut short") { raw = std::string("\x01x\x05\x00\x00\x00", 6); }
    SECTION("uuid cut short") { raw = std::string("\x01x\x09", 3) + "0123456789"; }
    gs::aws_event_stream_decoder decoder;
    auto fed = decoder.feed(
        frame(raw, "{}"), [](const gs::aws_event_stream_message&) { FAIL("no message expected"); });
    REQUIRE_FALSE(fed);
    CHECK(fed.error() == errc::bad_upstream_response);
}

TEST_CASE("aws event stream: length limits", "[aws_event_stream]") {
    SECTION("above the maximum: refused from the prelude, nothing buffered beyond it") {
        gs::aws_event_stream_decoder decoder(64);
        const std::string big = gs::encode_aws_event_stream_event("x", std::string(100, 'a'));
        auto fed = decoder.feed(std::string_view(big).substr(0, 20),
                                [](const gs::aws_event_stream_message&) {});
        REQUIRE_FALSE(fed);
        CHECK(fed.error() == errc::body_too_large);
        CHECK(decoder.buffered_bytes() == 0);
    }
    SECTION("a total length below 16") {
        std::string m;
        put_be32(m, 15);
        put_be32(m, 0);
        put_be32(m, test_crc32(m));
        gs::aws_event_stream_decoder decoder;
        auto fed = decoder.feed(m, [](const gs::aws_event_stream_message&) {});
        REQUIRE_FALSE(fed);
        CHECK(fed.error() == errc::bad_upstream_response);
    }
    SECTION("a headers length beyond the message") {
        std::string m;
        put_be32(m, 20);
        put_be32(m, 5);
        put_be32(m, test_crc32(m));
        gs::aws_event_stream_decoder decoder;
        auto fed = decoder.feed(m, [](const gs::aws_event_stream_message&) {});
        REQUIRE_FALSE(fed);
        CHECK(fed.error() == errc::bad_upstream_response);
    }
    SECTION("exactly the maximum is accepted") {
        const std::string m = gs::encode_aws_event_stream_event("x", "{}");
        gs::aws_event_stream_decoder decoder(m.size());
        int n = 0;
        REQUIRE(decoder.feed(m, [&](const gs::aws_event_stream_message&) { ++n; }));
        CHECK(n == 1);
    }
}

TEST_CASE("aws event stream: a truncated stream", "[aws_event_stream]") {
    const std::string stream = converse_stream();
    for (std::size_t cut : {std::size_t{1}, std::size_t{11}, std::size_t{12}, stream.size() - 1}) {
        INFO("cut " << cut);
        gs::aws_event_stream_decoder decoder;
        REQUIRE(decoder.feed(std::string_view(stream).substr(0, cut),
                             [](const gs::aws_event_stream_message&) {}));
        CHECK(decoder.buffered_bytes() > 0);
        auto finished = decoder.finish();
        REQUIRE_FALSE(finished);
        CHECK(finished.error() == errc::stream_truncated);
        // The decoder was reset and can decode a new stream.
        std::size_t n = 0;
        REQUIRE(decoder.feed(stream, [&](const gs::aws_event_stream_message&) { ++n; }));
        CHECK(n == converse_events.size());
        CHECK(decoder.finish());
    }
}

TEST_CASE("aws event stream: encoder rejects what cannot be framed", "[aws_event_stream]") {
    const std::string long_name(256, 'n');
    const std::string long_value(65536, 'v');
    const gs::aws_event_stream_header bad_name[] = {{long_name, header_type::string, "v", 0}};
    const gs::aws_event_stream_header bad_value[] = {{"n", header_type::string, long_value, 0}};
    const gs::aws_event_stream_header bad_uuid[] = {{"n", header_type::uuid, "short", 0}};
    CHECK(gs::encode_aws_event_stream_message(bad_name, "").error() == errc::bad_request);
    CHECK(gs::encode_aws_event_stream_message(bad_value, "").error() == errc::bad_request);
    CHECK(gs::encode_aws_event_stream_message(bad_uuid, "").error() == errc::bad_request);
}

TEST_CASE("aws event stream: bounded fuzz never crashes or over-buffers", "[aws_event_stream]") {
    constexpr std::size_t limit = 512;
    std::mt19937 rng(1234567);
    const std::string valid = converse_stream();
    auto byte = [&] { return static_cast<char>(std::uniform_int_distribution<int>(0, 255)(rng)); };
    for (int iteration = 0; iteration < 2000; ++iteration) {
        std::string input;
        switch (iteration % 3) {
            case 0: {  // random bytes
                std::size_t n = std::uniform_int_distribution<std::size_t>(0, 600)(rng);
                for (std::size_t i = 0; i < n; ++i) input += byte();
                break;
            }
            case 1: {  // a valid stream with a few bytes flipped
                input = valid;
                for (int k = 0; k < 3; ++k) {
                    auto at = std::uniform_int_distribution<std::size_t>(0, input.size() - 1)(rng);
                    input[at] = byte();
                }
                break;
            }
            default: {  // random headers inside correct CRCs: exercises the header parser
                std::string raw;
                std::size_t n = std::uniform_int_distribution<std::size_t>(0, 80)(rng);
                for (std::size_t i = 0; i < n; ++i) raw += byte();
                input = frame(raw, "{}") + valid;
                break;
            }
        }
        gs::aws_event_stream_decoder decoder(limit);
        std::size_t pos = 0;
        while (pos < input.size()) {
            std::size_t len = std::uniform_int_distribution<std::size_t>(1, 97)(rng);
            len = std::min(len, input.size() - pos);
            auto fed = decoder.feed(std::string_view(input).substr(pos, len),
                                    [&](const gs::aws_event_stream_message& m) {
                                        // Views stay inside the message.
                                        REQUIRE(m.payload.size() <= limit);
                                        for (const auto& h : m.headers) {
                                            REQUIRE(h.name.size() <= 255);
                                        }
                                    });
            REQUIRE(decoder.buffered_bytes() <= limit);
            if (!fed) {
                REQUIRE(fed.error() != gateway::error_code());
                break;
            }
            pos += len;
        }
        (void)decoder.finish();
    }
}

// ---- recorded streams (tests/fixtures/bedrock/, see its README.md) ---------------------------

namespace {

struct fixture_case {
    const char* file;
    std::size_t bytes;
    // `:event-type` of each message, or the `:exception-type` of an exception message.
    std::vector<std::string> types;
};

const std::vector<fixture_case>& fixture_cases() {
    static const std::vector<fixture_case> cases = {
        {"bedrock/converse-stream-text.bin",
         1172,
         {"messageStart", "contentBlockDelta", "contentBlockDelta", "contentBlockStop",
          "messageStop", "metadata"}},
        {"bedrock/converse-stream-tool-use.bin",
         2382,
         {"messageStart", "contentBlockDelta", "contentBlockDelta", "contentBlockStop",
          "contentBlockStart", "contentBlockDelta", "contentBlockDelta", "contentBlockDelta",
          "contentBlockDelta", "contentBlockStop", "messageStop", "metadata"}},
        {"bedrock/converse-stream-reasoning.bin",
         2554,
         {"messageStart", "contentBlockDelta", "contentBlockDelta", "contentBlockDelta",
          "contentBlockDelta", "contentBlockStop", "contentBlockDelta", "contentBlockStop",
          "contentBlockDelta", "contentBlockDelta", "contentBlockStop", "messageStop", "metadata"}},
        {"bedrock/converse-stream-exception.bin",
         598,
         {"messageStart", "contentBlockDelta", "modelStreamErrorException"}},
    };
    return cases;
}

using string_pair = std::pair<std::string, std::string>;

// Decodes `chunks` in order; `error` gets the first error (the decoder then stops).
std::vector<recorded> decode_until_error(std::span<const std::string_view> chunks,
                                         gateway::error_code& error) {
    std::vector<recorded> out;
    gs::aws_event_stream_decoder decoder;
    for (const std::string_view chunk : chunks) {
        auto fed = decoder.feed(
            chunk, [&](const gs::aws_event_stream_message& m) { out.push_back(record(m)); });
        if (!fed) {
            error = fed.error();
            return out;
        }
    }
    if (auto finished = decoder.finish(); !finished) error = finished.error();
    return out;
}

}  // namespace

TEST_CASE("aws event stream: recorded ConverseStream fixtures, in every chunking",
          "[aws_event_stream][fixtures]") {
    const std::string alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    for (const fixture_case& c : fixture_cases()) {
        INFO(c.file);
        const std::string bytes = gateway::test::read_fixture(c.file);
        CHECK(bytes.size() == c.bytes);
        const std::string_view whole[] = {bytes};
        gateway::error_code error;
        const auto expected = decode_until_error(whole, error);
        CHECK_FALSE(error);
        REQUIRE(expected.size() == c.types.size());
        for (std::size_t i = 0; i < expected.size(); ++i) {
            INFO("message " << i);
            const recorded& m = expected[i];
            const bool exception = c.types[i].ends_with("Exception");
            REQUIRE(m.strings.size() == 3);
            CHECK(m.strings[0] ==
                  string_pair(exception ? ":exception-type" : ":event-type", c.types[i]));
            CHECK(m.strings[1] == string_pair(":content-type", "application/json"));
            CHECK(m.strings[2] == string_pair(":message-type", exception ? "exception" : "event"));
            const auto payload = boost::json::parse(m.payload).as_object();
            // Every event is padded with a prefix of the alphabet; exceptions are not.
            if (exception) {
                CHECK_FALSE(payload.contains("p"));
            } else {
                const std::string_view p = payload.at("p").as_string();
                CHECK(alphabet.starts_with(p));
            }
        }

        std::size_t runs = 0;
        std::size_t mismatches = 0;
        gateway::test::for_each_chunking(bytes, [&](std::span<const std::string_view> chunks) {
            gateway::error_code e;
            ++runs;
            if (decode_until_error(chunks, e) != expected || e) ++mismatches;
        });
        CHECK(runs > bytes.size());  // every split, 1-byte chunks and random chunkings
        CHECK(mismatches == 0);
    }

    // Exact payloads of the text stream, the ends of a recording.
    const std::string text = gateway::test::read_fixture("bedrock/converse-stream-text.bin");
    const std::string_view one[] = {text};
    gateway::error_code error;
    const auto messages = decode_until_error(one, error);
    REQUIRE(messages.size() == 6);
    CHECK(messages[0].payload ==
          R"({"p":"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0","role":"assistant"})");
    CHECK(
        messages[2].payload ==
        R"({"contentBlockIndex":0,"delta":{"text":" of France is Paris."},"p":"abcdefghijklmnopqrs"})");
    CHECK(
        messages[5].payload ==
        R"({"metrics":{"latencyMs":583},"p":"abcdefghij","usage":{"cacheReadInputTokens":0,"cacheWriteInputTokens":1843,"inputTokens":14,"outputTokens":10,"totalTokens":1867}})");
}

TEST_CASE("aws event stream: a flipped prelude or message CRC in a fixture stops the stream",
          "[aws_event_stream][fixtures]") {
    for (const fixture_case& c : fixture_cases()) {
        const std::string bytes = gateway::test::read_fixture(c.file);
        const auto frames = gateway::test::split_aws_event_stream(bytes);
        REQUIRE(frames.size() == c.types.size());
        // The second message and the last one; 8 is the prelude CRC's first byte, size-1 the
        // message CRC's last.
        for (const std::size_t k : {std::size_t{1}, frames.size() - 1}) {
            const auto offset = static_cast<std::size_t>(frames[k].data() - bytes.data());
            for (const std::size_t at : {offset + 8, offset + frames[k].size() - 1}) {
                INFO(c.file << ": message " << k << ", byte " << at);
                std::string bad = bytes;
                bad[at] = static_cast<char>(bad[at] ^ 0x10);

                gs::aws_event_stream_decoder decoder;
                std::size_t delivered = 0;
                auto count = [&](const gs::aws_event_stream_message&) { ++delivered; };
                auto fed = decoder.feed(bad, count);
                REQUIRE_FALSE(fed);
                CHECK(fed.error() == errc::bad_upstream_response);
                CHECK(delivered == k);  // the intact messages before it, nothing after
                CHECK(decoder.buffered_bytes() == 0);
                auto again = decoder.feed(bytes, count);
                REQUIRE_FALSE(again);
                CHECK(again.error() == errc::bad_upstream_response);
                CHECK(delivered == k);
                CHECK(decoder.finish().error() == errc::bad_upstream_response);

                // Byte by byte, the same: the prelude CRC is checked before the rest arrives.
                std::vector<std::string_view> bytewise;
                for (std::size_t i = 0; i < bad.size(); ++i) {
                    bytewise.push_back(std::string_view(bad).substr(i, 1));
                }
                gateway::error_code e;
                CHECK(decode_until_error(bytewise, e).size() == k);
                CHECK(e == errc::bad_upstream_response);
            }
        }
    }
}
