// anthropic_messages: bounded random-input test of every decoder (seeded, runs in CI).
//
// Golden inputs are mutated at the byte level (flips, cuts, duplications, inserted structure)
// and at the JSON level (a random node replaced by a value of another kind); every call must
// give a value or a clean error, and stream decoders must keep to the canonical grammar.

#include "formats/anthropic_messages/codec.hpp"
#include "gateway/core/canonical_json.hpp"
#include "support/golden.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <vector>

namespace am = gateway::formats::anthropic_messages;
namespace json = boost::json;
using gateway::errc;
using gateway::stream_event;
using gateway::stream_event_type;

namespace {

const std::string dir = "anthropic_messages/";

/// Checks the canonical grammar of stream_event.hpp event by event.
class grammar_checker final : public gateway::event_sink {
  public:
    void on_event(const stream_event& e) override {
        ++events;
        if (ended) {
            violations.push_back("event after the end");
            return;
        }
        switch (e.type) {
            case stream_event_type::message_start:
                if (started) violations.push_back("second message_start");
                started = true;
                break;
            case stream_event_type::block_start:
                if (!started || open || in_delta_phase)
                    violations.push_back("misplaced block_start");
                if (e.index != next) violations.push_back("block index out of sequence");
                if (e.block == nullptr) violations.push_back("block_start without block");
                open = true;
                break;
            case stream_event_type::block_delta:
                if (!open || e.index != next) violations.push_back("delta outside its block");
                break;
            case stream_event_type::block_stop:
                if (!open || e.index != next) violations.push_back("stop outside its block");
                open = false;
                ++next;
                break;
            case stream_event_type::message_delta:
                if (!started || open) violations.push_back("misplaced message_delta");
                in_delta_phase = true;
                break;
            case stream_event_type::message_stop:
                if (!started || open) violations.push_back("misplaced message_stop");
                ended = true;
                break;
            case stream_event_type::error:
                if (e.error == nullptr) violations.push_back("error without content");
                ended = true;
                break;
        }
    }
    std::vector<std::string> violations;
    std::size_t events = 0;
    std::uint32_t next = 0;
    bool started = false;
    bool open = false;
    bool in_delta_phase = false;
    bool ended = false;
};

/// Feeds the decoder's events to the grammar checker and to a client stream encoder.
class tee final : public gateway::event_sink {
  public:
    tee(gateway::event_sink& a, gateway::event_sink& b) : a_(a), b_(b) {}
    void on_event(const stream_event& e) override {
        a_.on_event(e);
        b_.on_event(e);
    }

  private:
    gateway::event_sink& a_;
    gateway::event_sink& b_;
};

std::string mutate_bytes(std::string s, std::mt19937& rng) {
    auto pick = [&](std::size_t n) {
        return n == 0 ? 0 : std::uniform_int_distribution<std::size_t>(0, n - 1)(rng);
    };
    static constexpr std::string_view tokens[] = {
        "{",     "}",  "[",     "]",       "\"",   ",",  ":",
        "null",  "-1", "1e999", "\\u0000", "\n\n", "\r", "event: error\n",
        "data: "};
    const int ops = 1 + static_cast<int>(pick(4));
    for (int i = 0; i < ops && !s.empty(); ++i) {
        const std::size_t at = pick(s.size());
        switch (pick(6)) {
            case 0:
                s[at] = static_cast<char>(pick(256));
                break;
            case 1:
                s.resize(at);
                break;
            case 2:
                s.erase(at, 1 + pick(32));
                break;
            case 3:
                s.insert(at, tokens[pick(std::size(tokens))]);
                break;
            case 4:
                s.insert(at, s.substr(at, pick(64)));
                break;
            default:
                s.insert(at, 1, static_cast<char>(pick(128)));
                break;
        }
    }
    return s;
}

/// Replaces one random node of `v` by a value of another kind.
void swap_type(json::value& v, std::mt19937& rng) {
    std::vector<json::value*> nodes;
    std::vector<json::value*> stack{&v};
    while (!stack.empty()) {
        json::value* n = stack.back();
        stack.pop_back();
        nodes.push_back(n);
        if (auto* o = n->if_object()) {
            for (auto& kv : *o) stack.push_back(&kv.value());
        } else if (auto* a = n->if_array()) {
            for (auto& item : *a) stack.push_back(&item);
        }
    }
    json::value& target =
        *nodes[std::uniform_int_distribution<std::size_t>(0, nodes.size() - 1)(rng)];
    switch (std::uniform_int_distribution<int>(0, 6)(rng)) {
        case 0:
            target = nullptr;
            break;
        case 1:
            target = -7;
            break;
        case 2:
            target = "str";
            break;
        case 3:
            target = json::array{1, "x"};
            break;
        case 4:
            target = json::object{{"type", "text"}};
            break;
        case 5:
            target = true;
            break;
        default:
            target = 1.5;
            break;
    }
}

std::string mutate(const std::string& seed, std::mt19937& rng) {
    if (std::uniform_int_distribution<int>(0, 1)(rng) == 0) return mutate_bytes(seed, rng);
    gateway::error_code ec;
    json::value v = json::parse(seed, ec);
    if (ec) return mutate_bytes(seed, rng);
    swap_type(v, rng);
    return json::serialize(v);
}

/// An SSE stream with one event's JSON data type-swapped (or bytes mutated).
std::string mutate_sse(const std::string& sse, std::mt19937& rng) {
    if (std::uniform_int_distribution<int>(0, 2)(rng) == 0) return mutate_bytes(sse, rng);
    std::vector<std::string> lines;
    std::size_t pos = 0;
    while (pos < sse.size()) {
        const std::size_t end = sse.find('\n', pos);
        lines.push_back(sse.substr(pos, end == std::string::npos ? std::string::npos : end - pos));
        pos = end == std::string::npos ? sse.size() : end + 1;
    }
    std::vector<std::size_t> data_lines;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        if (lines[i].starts_with("data: ")) data_lines.push_back(i);
    }
    if (data_lines.empty()) return mutate_bytes(sse, rng);
    std::string& line = lines[data_lines[std::uniform_int_distribution<std::size_t>(
        0, data_lines.size() - 1)(rng)]];
    line = "data: " + mutate(line.substr(6), rng);
    std::string out;
    for (const std::string& l : lines) {
        out += l;
        out += '\n';
    }
    return out;
}

const std::vector<std::string>& request_seeds() {
    static const std::vector<std::string> seeds{
        gateway::test::read_golden(dir + "request-full/client_request.json"),
        gateway::test::read_golden(dir + "request-thinking-tool-result/client_request.json"),
        gateway::test::read_golden(dir + "request-parallel-tool-results/client_request.json")};
    return seeds;
}

}  // namespace

TEST_CASE("anthropic_messages: fuzzed requests decode or fail cleanly, and re-encode",
          "[anthropic_messages][fuzz]") {
    std::mt19937 rng(1122);
    int ok = 0;
    for (int i = 0; i < 1500; ++i) {
        const std::string& seed =
            request_seeds()[static_cast<std::size_t>(i) % request_seeds().size()];
        const std::string input = mutate(seed, rng);
        gateway::conversion_report report;
        auto req = gateway::ingress::decode_request(gateway::api_format::anthropic_messages, input,
                                                    report);
        if (!req) {
            REQUIRE(req.error() == errc::bad_request);
            REQUIRE_FALSE(report.error_message.empty());
            continue;
        }
        ++ok;
        // Whatever decodes must encode for an upstream (a value or a clean unsupported error).
        gateway::conversion_report up;
        auto parts = am::encode_request(*req, {}, up);
        if (parts) {
            REQUIRE_FALSE(json::parse(parts->body).is_null());
        } else {
            REQUIRE(
                (parts.error() == errc::unsupported_feature || parts.error() == errc::bad_request));
        }
    }
    CHECK(ok > 100);  // the type swaps leave many requests valid: both paths are exercised
}

TEST_CASE("anthropic_messages: fuzzed Message bodies decode or fail cleanly",
          "[anthropic_messages][fuzz]") {
    std::vector<std::string> seeds;
    for (const char* name : {"response-text", "response-parallel-tool-use", "response-thinking",
                             "response-cache-read-write", "response-emulated-json"}) {
        seeds.push_back(gateway::test::read_golden(dir + name + "/upstream.json"));
    }
    gateway::request original;
    original.format.type = gateway::response_format::kind::json_schema;
    std::mt19937 rng(2211);
    for (int i = 0; i < 1500; ++i) {
        const std::string input = mutate(seeds[static_cast<std::size_t>(i) % seeds.size()], rng);
        gateway::conversion_report report;
        auto res = am::decode_response(input, i % 2 == 0 ? &original : nullptr, report);
        if (!res) {
            REQUIRE(res.error() == errc::bad_upstream_response);
            continue;
        }
        // A decoded response always encodes for a client.
        const std::string body = am::encode_response(*res, {});
        REQUIRE(json::parse(body).is_object());
    }
    for (int i = 0; i < 200; ++i) {
        const std::string input = mutate(seeds[static_cast<std::size_t>(i) % seeds.size()], rng);
        const auto e = am::decode_error(static_cast<unsigned>(400 + i % 200), input);
        REQUIRE(e.status >= 400);
        REQUIRE(json::parse(am::encode_error(e)).is_object());
    }
}

TEST_CASE("anthropic_messages: fuzzed streams keep the canonical grammar",
          "[anthropic_messages][fuzz][stream]") {
    std::vector<std::string> seeds;
    for (const char* name :
         {"stream-text", "stream-thinking-then-tool-use", "stream-parallel-tool-use-with-args",
          "stream-redacted-thinking", "stream-error-overloaded", "stream-emulated-json"}) {
        seeds.push_back(gateway::test::read_golden(dir + name + "/upstream.sse"));
    }
    gateway::request original;
    original.format.type = gateway::response_format::kind::json_schema;
    std::mt19937 rng(3344);
    for (int i = 0; i < 1500; ++i) {
        const std::string input =
            mutate_sse(seeds[static_cast<std::size_t>(i) % seeds.size()], rng);
        gateway::upstream::stream_decoder_options options;
        options.original = i % 2 == 0 ? &original : nullptr;
        options.max_event_bytes = 4096;
        auto decoder = am::make_stream_decoder(options);
        grammar_checker grammar;
        auto encoder = am::make_stream_encoder({});
        tee sink(grammar, *encoder);
        // Random chunking: the decoder must not care.
        std::size_t pos = 0;
        bool failed = false;
        while (pos < input.size() && !failed) {
            const std::size_t n = std::uniform_int_distribution<std::size_t>(1, 80)(rng);
            auto r = decoder->feed(std::string_view(input).substr(pos, n), sink);
            if (!r) {
                failed = true;
                REQUIRE((r.error() == errc::bad_upstream_response ||
                         r.error() == errc::body_too_large));
            }
            pos += n;
        }
        if (!failed) {
            auto f = decoder->finish(sink);
            if (!f) REQUIRE(f.error() == errc::stream_truncated);
        }
        INFO(input);
        REQUIRE(grammar.violations.empty());
        if (grammar.ended) REQUIRE(encoder->finished());
    }
}

TEST_CASE("anthropic_messages: huge fields and deep nesting stay bounded",
          "[anthropic_messages][fuzz]") {
    // A 4 MiB text block decodes (no limit of ours below the server's body limit).
    std::string big = R"({"model":"m","max_tokens":5,"messages":[{"role":"user","content":")";
    big.append(4u << 20, 'a');
    big += R"("}]})";
    gateway::conversion_report report;
    auto req =
        gateway::ingress::decode_request(gateway::api_format::anthropic_messages, big, report);
    REQUIRE(req.has_value());
    CHECK(req->messages.at(0).content.at(0).text.size() == (4u << 20));

    // Nesting deeper than the JSON parser's limit is a clean error, not a stack overflow.
    std::string deep =
        R"({"model":"m","max_tokens":5,"messages":[{"role":"user","content":[{"type":"tool_use","id":"a","name":"b","input":{"x":)";
    deep.append(100000, '[');
    gateway::conversion_report r2;
    CHECK(gateway::ingress::decode_request(gateway::api_format::anthropic_messages, deep, r2)
              .error() == errc::bad_request);
    gateway::conversion_report r3;
    CHECK(am::decode_response(deep, nullptr, r3).error() == errc::bad_upstream_response);

    // An upstream event above max_event_bytes is refused without buffering it.
    gateway::upstream::stream_decoder_options options;
    options.max_event_bytes = 64 * 1024;
    auto decoder = am::make_stream_decoder(options);
    grammar_checker grammar;
    const std::string head =
        "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\","
        "\"model\":\"m\",\"usage\":{\"input_tokens\":1,\"output_tokens\":1}}}\n\n"
        "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"delta\":\"";
    REQUIRE(decoder->feed(head, grammar).has_value());
    const std::string chunk(16 * 1024, 'x');
    gateway::result<void> r = gateway::result<void>();
    for (int i = 0; i < 16 && r; ++i) r = decoder->feed(chunk, grammar);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error() == errc::body_too_large);
    CHECK(grammar.violations.empty());
}
