// The shared JSON helpers of the wire formats.

#include "formats/json_util.hpp"
#include "gateway/ingress/codec.hpp"

#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>
#include <random>
#include <string>

using namespace gateway::formats;

TEST_CASE("append_json_string escapes what JSON requires and nothing else", "[json]") {
    std::string out;
    append_json_string(out, std::string("a\"b\\c\n\t\x01 é\0z", 13));
    CHECK(out == "\"a\\\"b\\\\c\\n\\t\\u0001 é\\u0000z\"");
    CHECK(boost::json::parse(out).as_string() == std::string("a\"b\\c\n\t\x01 é\0z", 13));
}

TEST_CASE("append_json_string: the word-at-a-time scan escapes as a byte-by-byte one", "[json]") {
    // The plain reading of RFC 8259, byte by byte.
    const auto reference = [](std::string_view s) {
        std::string out = "\"";
        for (const char ch : s) {
            const auto c = static_cast<unsigned char>(ch);
            if (c == '"') {
                out += "\\\"";
            } else if (c == '\\') {
                out += "\\\\";
            } else if (c >= 0x20) {
                out += ch;
            } else if (c == '\n') {
                out += "\\n";
            } else if (c == '\r') {
                out += "\\r";
            } else if (c == '\t') {
                out += "\\t";
            } else if (c == '\b') {
                out += "\\b";
            } else if (c == '\f') {
                out += "\\f";
            } else {
                static constexpr char hex[] = "0123456789abcdef";
                out += "\\u00";
                out += hex[c >> 4];
                out += hex[c & 0xF];
            }
        }
        return out + "\"";
    };
    // Mostly plain bytes with now and then one that needs an escape, at every offset of a word.
    const std::string rare = std::string("\"\\\n\x01\x1f\x7f\x80\xff ", 9) + std::string(1, '\0');
    std::mt19937_64 next(20261207);
    for (int i = 0; i < 20000; ++i) {
        std::string s(next() % 48, 'x');
        for (char& c : s) {
            const auto r = next() % 16;
            c = r == 0 ? rare[next() % rare.size()] : static_cast<char>('a' + r);
        }
        std::string out = "prefix";
        append_json_string(out, s);
        REQUIRE(out == "prefix" + reference(s));
    }
}

TEST_CASE("typed reads give the empty value for absent or mistyped members", "[json]") {
    const auto v = boost::json::parse(
        R"({"s":"x","i":3,"d":2.0,"f":2.5,"b":true,"o":{},"a":[],"big":18446744073709551615})");
    const auto& o = v.as_object();
    CHECK(get_string(o, "s") == "x");
    CHECK(get_string(o, "i").empty());
    CHECK(get_int(o, "i") == 3);
    CHECK(get_int(o, "d") == 2);
    CHECK_FALSE(get_int(o, "f").has_value());
    CHECK_FALSE(get_int(o, "big").has_value());
    CHECK(get_number(o, "f") == 2.5);
    CHECK(get_bool(o, "b") == true);
    CHECK_FALSE(get_bool(o, "s").has_value());
    CHECK(get_object(o, "o") != nullptr);
    CHECK(get_object(o, "a") == nullptr);
    CHECK(get_array(o, "a") != nullptr);
    CHECK(kind_name(o.at("a")) == "array");
}

TEST_CASE("numbers are written so that they read back the same", "[json]") {
    std::string out;
    append_json_number(out, 0.7);
    out += ',';
    append_json_int(out, -42);
    out += ',';
    append_json_number(out, std::numeric_limits<double>::infinity());
    CHECK(out == "0.7,-42,null");
}

TEST_CASE("parse_json reports malformed input", "[json]") {
    std::string why;
    CHECK_FALSE(parse_json("{\"a\":", &why).has_value());
    CHECK_FALSE(why.empty());
    CHECK(parse_json("[1]").has_value());
}

TEST_CASE("a client request with a number beyond the range of a double is refused, naming it",
          "[json]") {
    // Found by the request_openai_chat fuzz target: Boost.JSON reads 1e999 as infinity, which
    // the request encoders then wrote as `Infinity`, so the upstream got a body that is not JSON
    // (RFC 8259, section 6: "Infinity" is not a JSON value).
    using gateway::api_format;
    const std::string bodies[][2] = {
        {R"({"model":"m","messages":[{"role":"user","content":"hi"}],"temperature":1e999})",
         "temperature"},
        {R"({"model":"m","input":"hi","temperature":-1E400})", "temperature"},
        {R"({"model":"m","max_tokens":8,"messages":[{"role":"user","content":"hi"}],)"
         R"("tools":[{"name":"f","input_schema":{"type":"object","maximum":[1,2e308]}}]})",
         "tools[0].input_schema.maximum[1]"},
    };
    const api_format formats[] = {api_format::openai_chat, api_format::openai_responses,
                                  api_format::anthropic_messages};
    for (std::size_t i = 0; i < std::size(formats); ++i) {
        INFO(bodies[i][0]);
        gateway::conversion_report report;
        auto req = gateway::ingress::decode_request(formats[i], bodies[i][0], report);
        REQUIRE_FALSE(req.has_value());
        CHECK(req.error() == gateway::errc::bad_request);
        CHECK(report.error_param == bodies[i][1]);
        // A top-level member's message comes from the schema check, a nested number's from the
        // range check: both say why.
        CHECK(report.error_message.find("range") != std::string::npos);
    }
    // The largest finite doubles are numbers like any other.
    gateway::conversion_report report;
    CHECK(
        gateway::ingress::decode_request(
            api_format::openai_chat,
            R"({"model":"m","messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function",)"
            R"("function":{"name":"f","parameters":{"type":"object","maximum":1.7976931348623157e308}}}]})",
            report)
            .has_value());
}
