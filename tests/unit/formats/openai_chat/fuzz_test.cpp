// openai_chat: bounded random-input test (runs in CI). Every decoder of the format gets its
// golden inputs mutated, truncated and type-swapped with a seeded RNG, plus huge fields and deep
// nesting; each call must give a value or a clean error, the stream decoder must keep emitting
// a valid canonical grammar, and its memory must stay within the event limit. What decodes is
// fed on to the matching encoder, whose output must stay well-formed.

#include "formats/openai_chat/codec.hpp"
#include "gateway/core/canonical_json.hpp"
#include "gateway/stream/sse_parser.hpp"
#include "support/golden.hpp"
#include "unit/formats/openai_chat/test_util.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <vector>

namespace chat = gateway::formats::openai_chat;
namespace json = boost::json;
using namespace gateway;
using gateway::test::read_golden;
using gateway::test::openai_chat::grammar_sink;

namespace {

using rng_t = std::mt19937_64;

std::size_t pick(rng_t& rng, std::size_t n) {
    return n == 0 ? 0 : std::uniform_int_distribution<std::size_t>(0, n - 1)(rng);
}

json::value random_value(rng_t& rng) {
    switch (pick(rng, 10)) {
        case 0:
            return nullptr;
        case 1:
            return true;
        case 2:
            return -1;
        case 3:
            return 1e300;
        case 4:
            return "";
        case 5:
            return "x";
        case 6:
            return json::array{1, "a", nullptr};
        case 7:
            return json::object{{"type", "text"}};
        case 8:
            return json::string(std::string(70000, 'z'));  // a huge field
        default:
            return 18446744073709551615ULL;
    }
}

void collect(json::value& v, std::vector<json::value*>& out) {
    out.push_back(&v);
    if (v.is_object()) {
        for (auto& kv : v.as_object()) collect(kv.value(), out);
    } else if (v.is_array()) {
        for (auto& item : v.as_array()) collect(item, out);
    }
}

/// Replaces, removes or duplicates a random node of a JSON document.
std::string mutate_json(std::string_view text, rng_t& rng) {
    json::value doc = json::parse(text);
    std::vector<json::value*> nodes;
    collect(doc, nodes);
    json::value* target = nodes[pick(rng, nodes.size())];
    switch (pick(rng, 3)) {
        case 0:
            *target = random_value(rng);
            break;
        case 1:
            if (target->is_object() && !target->as_object().empty()) {
                auto& o = target->as_object();
                o.erase(std::next(o.begin(), static_cast<std::ptrdiff_t>(pick(rng, o.size()))));
            } else if (target->is_array() && !target->as_array().empty()) {
                target->as_array().pop_back();
            } else {
                *target = random_value(rng);
            }
            break;
        default:
            if (target->is_array() && !target->as_array().empty()) {
                target->as_array().push_back(target->as_array().front());
            } else {
                *target = random_value(rng);
            }
    }
    return json::serialize(doc);
}

/// Byte-level damage: flip, cut, insert, truncate.
std::string mutate_bytes(std::string s, rng_t& rng) {
    if (s.empty()) return s;
    switch (pick(rng, 4)) {
        case 0:
            s[pick(rng, s.size())] = static_cast<char>(pick(rng, 256));
            break;
        case 1: {
            const std::size_t at = pick(rng, s.size());
            s.erase(at, pick(rng, 64));
            break;
        }
        case 2: {
            static constexpr std::string_view tokens[] = {
                "{", "}", "[", "]", "\"", ",", ":", "null", "\n", "\r\n\r\n", "data: "};
            s.insert(pick(rng, s.size()), tokens[pick(rng, std::size(tokens))]);
            break;
        }
        default:
            s.resize(pick(rng, s.size()));
            break;
    }
    return s;
}

std::string deep_nesting(std::size_t depth) {
    return std::string(depth, '[') + std::string(depth, ']');
}

/// Feeds the decoder's events both to the grammar checker and to a client stream encoder.
class tee_sink final : public event_sink {
  public:
    tee_sink() {
        original_.include_usage = true;
        ingress::encode_options options;
        options.original = &original_;
        encoder_ = chat::make_stream_encoder(options);
    }
    void on_event(const stream_event& e) override {
        grammar.on_event(e);
        if (grammar.problem.empty()) encoder_->on_event(e);
    }
    const std::string& client_sse() { return encoder_->output(); }
    bool encoder_finished() const { return encoder_->finished(); }

    grammar_sink grammar;

  private:
    request original_;
    std::unique_ptr<ingress::stream_encoder> encoder_;
};

/// Every event of a client stream is JSON or [DONE]; [DONE] only last.
void check_client_sse(std::string_view sse, bool finished) {
    stream::sse_parser parser;
    bool done = false;
    bool ok = true;
    auto fed = parser.feed(sse, [&](const stream::sse_event& e) {
        if (done) ok = false;
        if (e.data == "[DONE]") {
            done = true;
            return;
        }
        error_code ec;
        json::parse(e.data, ec);
        if (ec) ok = false;
    });
    CHECK(fed.has_value());
    CHECK_FALSE(parser.finish());
    CHECK(ok);
    if (!finished) CHECK_FALSE(done);
}

void check_stream(std::string_view bytes, rng_t& rng, std::size_t max_event_bytes) {
    upstream::stream_decoder_options options;
    options.max_event_bytes = max_event_bytes;
    auto decoder = chat::make_stream_decoder(options);
    tee_sink sink;
    bool ok = true;
    error_code ec;
    while (!bytes.empty() && ok) {
        const std::size_t n = std::min(bytes.size(), 1 + pick(rng, 300));
        auto r = decoder->feed(bytes.substr(0, n), sink);
        bytes.remove_prefix(n);
        if (!r) {
            ok = false;
            ec = r.error();
        }
    }
    if (ok) {
        auto r = decoder->finish(sink);
        if (!r) {
            ok = false;
            ec = r.error();
        }
    }
    INFO("grammar: " << sink.grammar.problem);
    CHECK(sink.grammar.problem.empty());
    if (ok) {
        CHECK(sink.grammar.ended);  // a successful stream ends with message_stop or error
    } else {
        CHECK((ec == errc::bad_upstream_response || ec == errc::stream_truncated ||
               ec == errc::body_too_large));
        CHECK_FALSE(decoder->error_detail().empty());
        CHECK_FALSE(sink.grammar.complete);
        // A failed decoder refuses further input with the same error.
        auto again = decoder->feed("data: [DONE]\n\n", sink);
        CHECK_FALSE(again.has_value());
    }
    check_client_sse(sink.client_sse(), sink.encoder_finished());
}

}  // namespace

TEST_CASE("openai_chat fuzz: request decoder", "[openai_chat][fuzz]") {
    rng_t rng(20250801);
    const std::string inputs[] = {
        read_golden("openai_chat/request-full/client_request.json"),
        read_golden("openai_chat/request-tool-turn/client_request.json"),
        read_golden("openai_chat/request-reasoning-model/client_request.json")};
    int decoded = 0;
    for (int i = 0; i < 3000; ++i) {
        const std::string& base = inputs[pick(rng, std::size(inputs))];
        const std::string body = i % 3 == 0 ? mutate_bytes(base, rng) : mutate_json(base, rng);
        conversion_report report;
        auto req = gateway::ingress::decode_request(gateway::api_format::openai_chat, body, report);
        if (!req) {
            CHECK(req.error() == errc::bad_request);
            CHECK_FALSE(report.error_message.empty());
            continue;
        }
        ++decoded;
        // What decodes must encode for an upstream, or be refused cleanly.
        conversion_report up;
        upstream::encode_options options;
        options.model = pick(rng, 2) == 0 ? "gpt-4o" : "o3";
        options.stream = req->stream;
        auto parts = chat::encode_request(*req, options, up);
        if (parts) {
            error_code ec;
            json::parse(parts->body, ec);
            CHECK_FALSE(ec);
        } else {
            CHECK(parts.error() == errc::unsupported_feature);
            CHECK_FALSE(up.error_message.empty());
        }
    }
    CHECK(decoded > 100);  // the mutations also reach the deeper parts of the decoder

    conversion_report report;
    CHECK_FALSE(gateway::ingress::decode_request(
                    gateway::api_format::openai_chat,
                    R"({"model":"m","messages":)" + deep_nesting(100000) + "}", report)
                    .has_value());
    CHECK_FALSE(report.error_message.empty());
}

TEST_CASE("openai_chat fuzz: response decoder", "[openai_chat][fuzz]") {
    rng_t rng(7);
    const std::string inputs[] = {read_golden("openai_chat/text/upstream.json"),
                                  read_golden("openai_chat/tool-call/upstream.json"),
                                  read_golden("openai_chat/cached-tokens/upstream.json"),
                                  read_golden("openai_chat/refusal/upstream.json"),
                                  read_golden("openai_chat/xai-reasoning/upstream.json")};
    for (int i = 0; i < 3000; ++i) {
        const std::string& base = inputs[pick(rng, std::size(inputs))];
        const std::string body = i % 3 == 0 ? mutate_bytes(base, rng) : mutate_json(base, rng);
        conversion_report report;
        auto res = chat::decode_response(body, nullptr, report);
        if (!res) {
            CHECK(res.error() == errc::bad_upstream_response);
            CHECK_FALSE(report.error_message.empty());
            continue;
        }
        error_code ec;
        json::parse(chat::encode_response(*res, {}), ec);
        CHECK_FALSE(ec);
    }
    for (int i = 0; i < 300; ++i) {
        const std::string body = mutate_bytes(inputs[pick(rng, std::size(inputs))], rng);
        const unsigned status = static_cast<unsigned>(400 + pick(rng, 200));
        const upstream_error e = chat::decode_error(status, body);
        CHECK(e.status >= 400);
        CHECK_FALSE(e.message.empty());
        error_code ec;
        json::parse(chat::encode_error(e), ec);
        CHECK_FALSE(ec);
    }
    conversion_report report;
    CHECK_FALSE(chat::decode_response(deep_nesting(100000), nullptr, report).has_value());
}

TEST_CASE("openai_chat fuzz: stream decoder", "[openai_chat][fuzz][stream]") {
    rng_t rng(42);
    const std::string inputs[] = {
        read_golden("openai_chat/text-stream/upstream.sse"),
        read_golden("openai_chat/parallel-tool-calls-stream/upstream.sse"),
        read_golden("openai_chat/tool-call-fragments-stream/upstream.sse"),
        read_golden("openai_chat/refusal-stream/upstream.sse"),
        read_golden("openai_chat/error-mid-stream/upstream.sse"),
        read_golden("openai_chat/no-done-stream/upstream.sse")};
    for (int i = 0; i < 1500; ++i) {
        const std::string& base = inputs[pick(rng, std::size(inputs))];
        std::string bytes;
        if (i % 2 == 0) {
            bytes = mutate_bytes(base, rng);
        } else {
            // Type-swap inside one event's JSON payload, keeping the framing intact.
            std::vector<std::string> events;
            std::size_t at = 0;
            while (at < base.size()) {
                const std::size_t end = base.find("\n\n", at);
                const std::size_t stop = end == std::string::npos ? base.size() : end + 2;
                events.push_back(base.substr(at, stop - at));
                at = stop;
            }
            std::string& e = events[pick(rng, events.size())];
            const std::string payload = e.substr(6, e.size() - 8);
            if (payload != "[DONE]") e = "data: " + mutate_json(payload, rng) + "\n\n";
            for (const std::string& ev : events) bytes += ev;
        }
        check_stream(bytes, rng, 64 * 1024);
    }
    // Huge events: refused at the limit, so memory stays bounded by it.
    const std::string huge =
        "data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"" +
        std::string(200000, 'a') + "\"}}]}\n\n";
    check_stream(huge, rng, 64 * 1024);
    {
        auto decoder = chat::make_stream_decoder({nullptr, 64 * 1024});
        grammar_sink sink;
        auto r = decoder->feed(huge, sink);
        REQUIRE_FALSE(r.has_value());
        CHECK(r.error() == errc::body_too_large);
        CHECK(sink.events == 0);
    }
    check_stream("data: " + deep_nesting(100000) + "\n\n", rng, 1024 * 1024);
}

TEST_CASE("openai_chat fuzz: stream encoder on random grammatical sequences",
          "[openai_chat][fuzz][stream]") {
    rng_t rng(99);
    for (int i = 0; i < 500; ++i) {
        request original;
        original.include_usage = pick(rng, 2) == 0;
        ingress::encode_options options;
        options.original = &original;
        options.expose_reasoning = pick(rng, 2) == 0;
        auto encoder = chat::make_stream_encoder(options);
        usage tokens{10, 5, 0, 0, 0, true};
        stream_event e;
        e.type = stream_event_type::message_start;
        e.id = "x";
        encoder->on_event(e);
        const std::size_t blocks = pick(rng, 5);
        bool failed = false;
        for (std::uint32_t b = 0; b < blocks && !failed; ++b) {
            content_block block;
            const block_kind kinds[] = {block_kind::text, block_kind::thinking, block_kind::refusal,
                                        block_kind::tool_use};
            block.kind = kinds[pick(rng, 4)];
            block.id = "call_" + std::to_string(b);
            block.name = "f";
            stream_event s;
            s.type = stream_event_type::block_start;
            s.index = b;
            s.block = &block;
            encoder->on_event(s);
            for (std::size_t d = pick(rng, 4); d > 0; --d) {
                stream_event delta;
                delta.type = stream_event_type::block_delta;
                delta.index = b;
                delta.delta = block.kind == block_kind::tool_use   ? delta_type::tool_arguments
                              : block.kind == block_kind::thinking ? delta_type::thinking
                                                                   : delta_type::text;
                delta.data = "piece \"\n\\ \x01";
                encoder->on_event(delta);
            }
            if (pick(rng, 20) == 0) {
                upstream_error err{500, "api_error", "", "", "boom"};
                stream_event x;
                x.type = stream_event_type::error;
                x.error = &err;
                encoder->on_event(x);
                failed = true;
                break;
            }
            stream_event stop;
            stop.type = stream_event_type::block_stop;
            stop.index = b;
            encoder->on_event(stop);
        }
        if (!failed) {
            for (std::size_t d = pick(rng, 3); d > 0; --d) {
                stream_event md;
                md.type = stream_event_type::message_delta;
                md.finish = static_cast<finish_reason>(pick(rng, 10));
                md.tokens = pick(rng, 2) == 0 ? &tokens : nullptr;
                encoder->on_event(md);
            }
            stream_event end;
            end.type = stream_event_type::message_stop;
            encoder->on_event(end);
        }
        CHECK(encoder->finished());
        check_client_sse(encoder->output(), true);
        const bool has_done = encoder->output().ends_with("data: [DONE]\n\n");
        CHECK(has_done == !failed);
    }
}
