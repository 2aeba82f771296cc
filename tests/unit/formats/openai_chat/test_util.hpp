#pragma once
// Helpers shared by the openai_chat tests: driving a stream decoder over chunks, and a sink that
// checks the canonical stream grammar of stream_event.hpp.

#include "formats/openai_chat/codec.hpp"
#include "gateway/core/canonical_json.hpp"

#include <span>
#include <string>
#include <string_view>

namespace gateway::test::openai_chat {

/// Checks every event against the grammar
/// `message_start (block_start block_delta* block_stop)* message_delta* message_stop | error`.
/// Records the first violation in `problem` (empty while the stream is valid).
class grammar_sink final : public event_sink {
  public:
    void on_event(const stream_event& e) override {
        ++events;
        if (!problem.empty()) return;
        if (ended) return violate("event after the end");
        switch (e.type) {
            case stream_event_type::message_start:
                if (started) return violate("second message_start");
                started = true;
                break;
            case stream_event_type::block_start:
                if (!started || open || in_tail) return violate("misplaced block_start");
                if (e.index != next_index) return violate("block index out of order");
                if (e.block == nullptr) return violate("block_start without block");
                open = true;
                break;
            case stream_event_type::block_delta:
                if (!open || e.index != next_index) return violate("delta outside its block");
                break;
            case stream_event_type::block_stop:
                if (!open || e.index != next_index) return violate("misplaced block_stop");
                open = false;
                ++next_index;
                break;
            case stream_event_type::message_delta:
                if (!started || open) return violate("misplaced message_delta");
                in_tail = true;
                break;
            case stream_event_type::message_stop:
                if (!started || open) return violate("misplaced message_stop");
                ended = true;
                complete = true;
                break;
            case stream_event_type::error:
                if (e.error == nullptr) return violate("error without error");
                ended = true;
                break;
        }
    }

    std::string problem;
    std::size_t events = 0;
    bool complete = false;  ///< ended with message_stop
    bool ended = false;

  private:
    void violate(std::string_view what) { problem = what; }
    bool started = false;
    bool open = false;
    bool in_tail = false;
    std::uint32_t next_index = 0;
};

/// What a decoder made of a stream: the events and the results of feed/finish.
struct decoded_stream {
    std::string jsonl;
    bool feed_ok = true;
    bool finish_ok = true;
    error_code ec;
};

inline decoded_stream decode_stream(std::span<const std::string_view> chunks,
                                    std::size_t max_event_bytes = 16 * 1024 * 1024) {
    upstream::stream_decoder_options options;
    options.max_event_bytes = max_event_bytes;
    auto decoder = formats::openai_chat::make_stream_decoder(options);
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

}  // namespace gateway::test::openai_chat
