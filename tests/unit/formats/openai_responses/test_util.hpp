#pragma once
// Helpers shared by the openai_responses tests: driving the stream decoder over chunks and
// replaying canonical events into the stream encoder. The grammar checker is the one of the
// openai_chat tests (the canonical grammar is the same for every format).

#include "formats/openai_responses/codec.hpp"
#include "gateway/core/canonical_json.hpp"
#include "gateway/stream/sse_parser.hpp"
#include "unit/formats/openai_chat/test_util.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace gateway::test::openai_responses {

using gateway::test::openai_chat::decoded_stream;
using gateway::test::openai_chat::grammar_sink;

inline decoded_stream decode_stream(std::span<const std::string_view> chunks,
                                    std::size_t max_event_bytes = 16 * 1024 * 1024) {
    upstream::stream_decoder_options options;
    options.max_event_bytes = max_event_bytes;
    auto decoder = formats::openai_responses::make_stream_decoder(options);
    event_recorder recorder;
    decoded_stream out;
    for (std::string_view c : chunks) {
        auto r = decoder->feed(c, recorder);
        if (!r) {
            out.feed_ok = false;
            out.ec = r.error();
            break;
        }
    }
    if (out.feed_ok) {
        auto r = decoder->finish(recorder);
        out.finish_ok = r.has_value();
        if (!r) out.ec = r.error();
    }
    out.jsonl = recorder.jsonl();
    return out;
}

inline decoded_stream decode_stream(std::string_view bytes) {
    const std::string_view one[] = {bytes};
    return decode_stream(one);
}

/// `event: <type>\ndata: <payload>\n\n` for each payload, the type taken from its JSON, as
/// OpenAI frames Responses events.
inline std::string frame(std::initializer_list<std::string_view> payloads) {
    std::string out;
    for (std::string_view p : payloads) {
        out += "event: ";
        out += boost::json::parse(p).at("type").as_string();
        out += "\ndata: ";
        out += p;
        out += "\n\n";
    }
    return out;
}

/// One event of a client stream: its SSE name and parsed data.
struct client_event {
    std::string name;
    boost::json::value data;
};

/// Parses a client SSE body (every data must be JSON).
inline std::vector<client_event> parse_client_sse(std::string_view sse) {
    std::vector<client_event> out;
    stream::sse_parser parser;
    auto fed = parser.feed(sse, [&](const stream::sse_event& e) {
        out.push_back({std::string(e.event), boost::json::parse(e.data)});
    });
    if (!fed) throw std::runtime_error("client SSE does not parse");
    return out;
}

/// The SSE event names of a client stream, in order.
inline std::vector<std::string> event_names(std::string_view sse) {
    std::vector<std::string> names;
    for (const client_event& e : parse_client_sse(sse)) names.push_back(e.name);
    return names;
}

}  // namespace gateway::test::openai_responses
