#pragma once
// Helpers shared by the gemini format tests (and by other formats' stream tests): a sink that
// checks the canonical stream grammar (stream_event.hpp) and a driver that runs a stream decoder
// over a chunked input.

#include "formats/gemini/codec.hpp"

#include "gateway/core/canonical_json.hpp"

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace gateway::test::gemini {

/// Checks   message_start (block_start block_delta* block_stop)* message_delta* message_stop
/// with `error` allowed anywhere and nothing after message_stop or error. Records the first
/// violation instead of failing, so fuzz loops can report the input that caused it.
class grammar_checker final : public event_sink {
  public:
    void on_event(const stream_event& e) override {
        if (!violation_.empty()) return;
        if (state_ == state::ended) return violate("event after the end");
        if (e.type == stream_event_type::error) {
            if (e.error == nullptr) return violate("error event without error");
            state_ = state::ended;
            errored_ = true;
            return;
        }
        switch (state_) {
            case state::before_start:
                if (e.type != stream_event_type::message_start) return violate("no message_start");
                state_ = state::between_blocks;
                return;
            case state::between_blocks:
                if (e.type == stream_event_type::block_start) {
                    if (e.index != next_index_) return violate("block index out of sequence");
                    if (e.block == nullptr) return violate("block_start without block");
                    state_ = state::in_block;
                    kind_ = e.block->kind;
                    return;
                }
                [[fallthrough]];
            case state::after_delta:
                if (e.type == stream_event_type::message_delta) {
                    state_ = state::after_delta;
                    return;
                }
                if (e.type == stream_event_type::message_stop) {
                    state_ = state::ended;
                    stopped_ = true;
                    return;
                }
                return violate("unexpected event between blocks");
            case state::in_block:
                if (e.index != next_index_) return violate("event for a block that is not open");
                if (e.type == stream_event_type::block_delta) {
                    const bool ok =
                        e.delta == delta_type::signature ||
                        (e.delta == delta_type::text && kind_ == block_kind::text) ||
                        (e.delta == delta_type::thinking && kind_ == block_kind::thinking) ||
                        (e.delta == delta_type::tool_arguments && kind_ == block_kind::tool_use);
                    if (!ok) return violate("delta type does not fit the block");
                    return;
                }
                if (e.type == stream_event_type::block_stop) {
                    ++next_index_;
                    state_ = state::between_blocks;
                    return;
                }
                return violate("unexpected event inside a block");
            case state::ended:
                return;
        }
    }

    const std::string& violation() const noexcept { return violation_; }
    bool stopped() const noexcept { return stopped_; }
    bool errored() const noexcept { return errored_; }
    bool in_block() const noexcept { return state_ == state::in_block; }

  private:
    enum class state : std::uint8_t { before_start, between_blocks, in_block, after_delta, ended };
    void violate(std::string what) { violation_ = std::move(what); }

    state state_ = state::before_start;
    std::uint32_t next_index_ = 0;
    block_kind kind_ = block_kind::text;
    std::string violation_;
    bool stopped_ = false;
    bool errored_ = false;
};

/// Forwards to two sinks.
class tee final : public event_sink {
  public:
    tee(event_sink& a, event_sink& b) : a_(a), b_(b) {}
    void on_event(const stream_event& e) override {
        a_.on_event(e);
        b_.on_event(e);
    }

  private:
    event_sink& a_;
    event_sink& b_;
};

struct stream_run {
    std::string jsonl;      ///< the canonical events (event_recorder)
    error_code error;       ///< the first error of feed() or finish()
    std::string violation;  ///< a grammar violation, empty when the stream was well formed
    bool stopped = false;   ///< message_stop was emitted
};

/// Decodes `chunks` with `decoder` (of any format), checking the grammar on the way.
inline stream_run run_decoder(upstream::stream_decoder& decoder,
                              std::span<const std::string_view> chunks) {
    event_recorder recorder;
    grammar_checker grammar;
    tee sink(recorder, grammar);
    stream_run run;
    for (const std::string_view c : chunks) {
        if (auto r = decoder.feed(c, sink); !r) {
            run.error = r.error();
            break;
        }
    }
    if (!run.error) {
        if (auto r = decoder.finish(sink); !r) run.error = r.error();
    }
    run.jsonl = recorder.jsonl();
    run.violation = grammar.violation();
    run.stopped = grammar.stopped();
    // A decoder error ends the stream: whatever came before must still be a valid prefix, and a
    // successful finish must have ended it.
    if (run.violation.empty() && !run.error && !grammar.stopped() && !grammar.errored()) {
        run.violation = "finish() succeeded without message_stop or error";
    }
    if (run.violation.empty() && run.error && grammar.stopped()) {
        run.violation = "an error after message_stop";
    }
    return run;
}

/// Decodes `chunks` with a fresh gemini decoder, checking the grammar on the way.
inline stream_run run_stream(std::span<const std::string_view> chunks,
                             std::size_t max_event_bytes = 16 * 1024 * 1024) {
    upstream::stream_decoder_options options;
    options.max_event_bytes = max_event_bytes;
    auto decoder = formats::gemini::make_stream_decoder(options);
    return run_decoder(*decoder, chunks);
}

inline stream_run run_stream(std::string_view bytes,
                             std::size_t max_event_bytes = 16 * 1024 * 1024) {
    const std::string_view one[] = {bytes};
    return run_stream(std::span<const std::string_view>(one), max_event_bytes);
}

}  // namespace gateway::test::gemini
