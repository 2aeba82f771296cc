// openai_responses: bounded, seeded random-input tests for every decoder (request, response,
// stream, error) and the stream encoder. Inputs are the golden files, damaged at the JSON level
// (a node replaced, removed or duplicated) and at the byte level. Properties: no crash (the
// sanitizers watch), clean errors (the documented error codes with a message), canonical
// grammar kept, and what decodes encodes into valid JSON / SSE.

#include "formats/openai_responses/codec.hpp"
#include "gateway/core/canonical_json.hpp"
#include "gateway/stream/sse_parser.hpp"
#include "support/golden.hpp"
#include "unit/formats/openai_responses/test_util.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <vector>

namespace responses = gateway::formats::openai_responses;
namespace json = boost::json;
using namespace gateway;
using gateway::test::read_golden;
using gateway::test::openai_responses::grammar_sink;

namespace {

using rng_t = std::mt19937_64;

std::size_t pick(rng_t& rng, std::size_t n) {
    return n == 0 ? 0 : std::uniform_int_distribution<std::size_t>(0, n - 1)(rng);
}

json::value random_value(rng_t& rng) {
    switch (pick(rng, 11)) {
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
            return "response.output_text.delta";  // a type where another is expected
        case 6:
            return json::array{1, "a", nullptr};
        case 7:
            return json::object{{"type", "message"}};
        case 8:
            return json::string(std::string(70000, 'z'));  // a huge field
        case 9:
            return json::object{{"type", "function_call"}, {"call_id", "c"}, {"name", "f"}};
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
                "{", "}", "[", "]", "\"", ",", ":", "null", "\n", "\n\n", "data: ", "event: "};
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

/// Feeds the decoder's events to the grammar checker and to a client stream encoder.
class tee_sink final : public event_sink {
  public:
    tee_sink() : encoder_(responses::make_stream_encoder({})) {}
    void on_event(const stream_event& e) override {
        grammar.on_event(e);
        if (grammar.problem.empty()) encoder_->on_event(e);
    }
    const std::string& client_sse() { return encoder_->output(); }
    bool encoder_finished() const { return encoder_->finished(); }

    grammar_sink grammar;

  private:
    std::unique_ptr<ingress::stream_encoder> encoder_;
};

/// Every event of a client stream is JSON whose `type` is the event name, with increasing
/// sequence numbers from 0; a finished stream ends with a terminal response event.
void check_client_sse(std::string_view sse, bool finished) {
    stream::sse_parser parser;
    std::string problem;  // the first event that is not right
    std::int64_t expected_sequence = 0;
    std::string last;
    auto fed = parser.feed(sse, [&](const stream::sse_event& e) {
        error_code ec;
        const json::value v = json::parse(e.data, ec);
        const json::object* o = ec ? nullptr : v.if_object();
        const json::value* type = o == nullptr ? nullptr : o->if_contains("type");
        const json::value* seq = o == nullptr ? nullptr : o->if_contains("sequence_number");
        const bool right = type != nullptr && type->is_string() && type->as_string() == e.event &&
                           seq != nullptr && seq->is_int64() &&
                           seq->as_int64() == expected_sequence;
        if (!right && problem.empty()) problem = std::string(e.event) + " " + std::string(e.data);
        ++expected_sequence;
        last = e.event;
    });
    CHECK(fed.has_value());
    CHECK_FALSE(parser.finish());
    INFO(problem.substr(0, 2000));
    CHECK(problem.empty());
    if (finished) {
        CHECK((last == "response.completed" || last == "response.incomplete" ||
               last == "response.failed"));
    }
}

void check_stream(std::string_view bytes, rng_t& rng, std::size_t max_event_bytes) {
    upstream::stream_decoder_options options;
    options.max_event_bytes = max_event_bytes;
    auto decoder = responses::make_stream_decoder(options);
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
        CHECK(sink.encoder_finished());
    } else {
        CHECK((ec == errc::bad_upstream_response || ec == errc::stream_truncated ||
               ec == errc::body_too_large));
        CHECK_FALSE(decoder->error_detail().empty());
        CHECK_FALSE(sink.grammar.complete);
        // A failed decoder refuses further input with the same error.
        auto again = decoder->feed("event: x\ndata: {}\n\n", sink);
        CHECK_FALSE(again.has_value());
    }
    check_client_sse(sink.client_sse(), sink.encoder_finished());
}

std::string golden(std::string_view c, std::string_view file) {
    return read_golden("openai_responses/" + std::string(c) + "/" + std::string(file));
}

}  // namespace

TEST_CASE("openai_responses fuzz: request decoder", "[openai_responses][fuzz]") {
    rng_t rng(20250801);
    const std::string inputs[] = {
        golden("request-full", "client_request.json"),
        golden("request-parallel-function-results", "client_request.json"),
        golden("request-reasoning-summary", "client_request.json"),
        golden("request-structured-output-tool-result", "client_request.json")};
    int decoded = 0;
    for (int i = 0; i < 3000; ++i) {
        const std::string& base = inputs[pick(rng, std::size(inputs))];
        const std::string body = i % 3 == 0 ? mutate_bytes(base, rng) : mutate_json(base, rng);
        conversion_report report;
        auto req =
            gateway::ingress::decode_request(gateway::api_format::openai_responses, body, report);
        if (!req) {
            CHECK(req.error() == errc::bad_request);
            CHECK_FALSE(report.error_message.empty());
            continue;
        }
        ++decoded;
        // What decodes must encode for an upstream, or be refused cleanly.
        conversion_report up;
        upstream::encode_options options;
        options.model = pick(rng, 2) == 0 ? "gpt-4o" : "gpt-5";
        options.stream = req->stream;
        auto parts = responses::encode_request(*req, options, up);
        if (parts) {
            error_code ec;
            json::parse(parts->body, ec);
            CHECK_FALSE(ec);
        } else {
            CHECK(parts.error() == errc::unsupported_feature);
            CHECK_FALSE(up.error_message.empty());
        }
        // And its echo in a response object is valid JSON.
        ingress::encode_options echo;
        echo.original = &*req;
        error_code ec;
        json::parse(responses::encode_response({}, echo), ec);
        CHECK_FALSE(ec);
    }
    CHECK(decoded > 100);  // the mutations also reach the deeper parts of the decoder

    conversion_report report;
    CHECK_FALSE(gateway::ingress::decode_request(
                    gateway::api_format::openai_responses,
                    R"({"model":"m","input":)" + deep_nesting(100000) + "}", report)
                    .has_value());
    CHECK_FALSE(report.error_message.empty());
}

TEST_CASE("openai_responses fuzz: response and error decoders", "[openai_responses][fuzz]") {
    rng_t rng(7);
    const std::string inputs[] = {golden("response-reasoning-encrypted-content", "upstream.json"),
                                  golden("response-phase-cached-reasoning-tokens", "upstream.json"),
                                  golden("response-parallel-function-calls", "upstream.json"),
                                  golden("response-cache-write", "upstream.json")};
    int decoded = 0;
    for (int i = 0; i < 3000; ++i) {
        const std::string& base = inputs[pick(rng, std::size(inputs))];
        const std::string body = i % 3 == 0 ? mutate_bytes(base, rng) : mutate_json(base, rng);
        conversion_report report;
        auto res = responses::decode_response(body, nullptr, report);
        if (!res) {
            CHECK(res.error() == errc::bad_upstream_response);
            CHECK_FALSE(report.error_message.empty());
            continue;
        }
        ++decoded;
        error_code ec;
        json::parse(responses::encode_response(*res, {}), ec);
        CHECK_FALSE(ec);
    }
    CHECK(decoded > 100);
    for (int i = 0; i < 300; ++i) {
        const std::string body =
            mutate_bytes(read_golden("openai_responses/errors/error-insufficient-quota.json"), rng);
        const unsigned status = static_cast<unsigned>(400 + pick(rng, 200));
        const upstream_error e = responses::decode_error(status, body);
        CHECK(e.status >= 400);
        CHECK_FALSE(e.message.empty());
        error_code ec;
        json::parse(responses::encode_error(e), ec);
        CHECK_FALSE(ec);
    }
    conversion_report report;
    CHECK_FALSE(responses::decode_response(deep_nesting(100000), nullptr, report).has_value());
}

TEST_CASE("openai_responses fuzz: stream decoder", "[openai_responses][fuzz][stream]") {
    rng_t rng(42);
    const std::string inputs[] = {
        golden("function-call-then-text-stream.1", "upstream.sse"),
        golden("function-call-then-text-stream.2", "upstream.sse"),
        golden("text-stream", "upstream.sse"),
        golden("reasoning-summary-function-call-stream.1", "upstream.sse"),
        golden("reasoning-summary-function-call-stream.4", "upstream.sse"),
        golden("usage-cached-and-reasoning-tokens-stream", "upstream.sse"),
        golden("error-stream-insufficient-quota", "upstream.sse")};
    for (int i = 0; i < 1500; ++i) {
        const std::string& base = inputs[pick(rng, std::size(inputs))];
        std::string bytes;
        if (i % 2 == 0) {
            bytes = mutate_bytes(base, rng);
        } else {
            // Damage inside one event's JSON payload, keeping the framing intact.
            std::vector<std::string> events;
            std::size_t at = 0;
            while (at < base.size()) {
                const std::size_t end = base.find("\n\n", at);
                const std::size_t stop = end == std::string::npos ? base.size() : end + 2;
                events.push_back(base.substr(at, stop - at));
                at = stop;
            }
            std::string& e = events[pick(rng, events.size())];
            const std::size_t data = e.find("\ndata: ");
            if (data != std::string::npos) {
                const std::string payload = e.substr(data + 7, e.size() - data - 9);
                e = e.substr(0, data + 7) + mutate_json(payload, rng) + "\n\n";
            }
            // Sometimes an event is lost or repeated, as a buggy proxy would do.
            if (pick(rng, 4) == 0 && events.size() > 1) {
                const std::size_t k = pick(rng, events.size());
                if (pick(rng, 2) == 0) {
                    events.erase(events.begin() + static_cast<std::ptrdiff_t>(k));
                } else {
                    events.insert(events.begin() + static_cast<std::ptrdiff_t>(k), events[k]);
                }
            }
            for (const std::string& ev : events) bytes += ev;
        }
        check_stream(bytes, rng, 64 * 1024);
    }
    // Huge events: refused at the limit, so memory stays bounded by it.
    const std::string huge =
        "event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\","
        "\"delta\":\"" +
        std::string(200000, 'a') + "\"}\n\n";
    check_stream(huge, rng, 64 * 1024);
    {
        upstream::stream_decoder_options options;
        options.max_event_bytes = 64 * 1024;
        auto decoder = responses::make_stream_decoder(options);
        grammar_sink sink;
        auto r = decoder->feed(huge, sink);
        REQUIRE_FALSE(r.has_value());
        CHECK(r.error() == errc::body_too_large);
        CHECK(sink.events == 0);
    }
    check_stream("data: " + deep_nesting(100000) + "\n\n", rng, 1024 * 1024);
}

TEST_CASE("openai_responses fuzz: stream encoder on random grammatical sequences",
          "[openai_responses][fuzz][stream]") {
    rng_t rng(99);
    for (int i = 0; i < 500; ++i) {
        auto encoder = responses::make_stream_encoder({});
        usage tokens{10, 5, 0, 0, 0, true};
        stream_event e;
        e.type = stream_event_type::message_start;
        e.id = "x";
        encoder->on_event(e);
        const std::size_t blocks = pick(rng, 6);
        bool failed = false;
        for (std::uint32_t b = 0; b < blocks && !failed; ++b) {
            content_block block;
            const block_kind kinds[] = {
                block_kind::text,     block_kind::thinking,          block_kind::refusal,
                block_kind::tool_use, block_kind::redacted_thinking, block_kind::image};
            block.kind = kinds[pick(rng, std::size(kinds))];
            block.id = "call_" + std::to_string(b);
            block.name = "f";
            const reasoning_origin origins[] = {reasoning_origin::none, reasoning_origin::openai,
                                                reasoning_origin::anthropic};
            block.signature_origin = origins[pick(rng, 3)];
            if (pick(rng, 3) == 0) {
                block.extra["id"] = pick(rng, 2) == 0 ? "rs_1" : "msg_2";
                block.extra_format = "openai_responses";
            }
            stream_event s;
            s.type = stream_event_type::block_start;
            s.index = b;
            s.block = &block;
            encoder->on_event(s);
            for (std::size_t d = pick(rng, 4); d > 0; --d) {
                stream_event delta;
                delta.type = stream_event_type::block_delta;
                delta.index = b;
                const delta_type types[] = {delta_type::text, delta_type::thinking,
                                            delta_type::signature, delta_type::tool_arguments};
                delta.delta = types[pick(rng, 4)];  // also deltas a block does not expect
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
        finish_reason last = finish_reason::none;
        if (!failed) {
            for (std::size_t d = pick(rng, 3); d > 0; --d) {
                stream_event md;
                md.type = stream_event_type::message_delta;
                md.finish = static_cast<finish_reason>(pick(rng, 10));
                md.tokens = pick(rng, 2) == 0 ? &tokens : nullptr;
                if (md.finish != finish_reason::none) last = md.finish;
                encoder->on_event(md);
            }
            stream_event end;
            end.type = stream_event_type::message_stop;
            encoder->on_event(end);
        }
        CHECK(encoder->finished());
        check_client_sse(encoder->output(), true);
        // What a client assembles from the stream is what the stream's last event says: the
        // Responses decoder reads the encoder's own output back without error.
        response_builder back;
        auto decoder = responses::make_stream_decoder({});
        CHECK(decoder->feed(encoder->output(), back).has_value());
        CHECK(decoder->finish(back).has_value());
        CHECK(back.done());
        // An error finish is a failed response, which reads back as an error.
        CHECK((back.error() != nullptr) == (failed || last == finish_reason::error));
    }
}
