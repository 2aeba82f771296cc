#pragma once
/// The canonical stream: block-indexed like Anthropic's, the richest grammar; Chat chunks and
/// Responses events are projections of it.
///
/// Grammar (every decoder emits exactly this, every encoder may rely on it):
///
///     message_start  (block_start  block_delta*  block_stop)*  message_delta*  message_stop
///
/// with an `error` event allowed anywhere, after which nothing follows (the decoder
/// reports the end). Blocks are sequential and numbered 0, 1, 2, ... in the order they start;
/// one block is open at a time. `message_delta` may come several times (a finish reason, then
/// usage in a later chunk): each carries what it knows, later values override earlier ones.
///
/// Events are delivered to an `event_sink` and live only for the duration of the call: the
/// views point into the producer's buffers. A sink that keeps anything copies it.

#include "gateway/core/message.hpp"
#include "gateway/core/response.hpp"
#include "gateway/core/usage.hpp"

#include <cstdint>
#include <string_view>

namespace gateway {

enum class stream_event_type : std::uint8_t {
    message_start,  ///< `id`, `model`, `tokens` (input usage when known, else null)
    block_start,    ///< `index`, `block` (kind, tool id and name, signature, extra when known)
    block_delta,    ///< `index`, `delta`, `data`
    block_stop,     ///< `index`
    message_delta,  ///< `finish` (none if not yet known), `stop_sequence`, `tokens` (or null)
    message_stop,   ///< the stream ended normally
    error,          ///< `error`; the stream is over
};

std::string_view to_string(stream_event_type type) noexcept;

enum class delta_type : std::uint8_t {
    text,            ///< text or refusal block: more text
    thinking,        ///< thinking block: more reasoning text
    signature,       ///< thinking (or any) block: the opaque signature, usually in one piece
    tool_arguments,  ///< tool_use block: a fragment of the arguments JSON text
};

std::string_view to_string(delta_type type) noexcept;

struct stream_event {
    stream_event_type type = stream_event_type::message_start;
    std::uint32_t index = 0;
    delta_type delta = delta_type::text;
    std::string_view data;                    ///< block_delta
    std::string_view id;                      ///< message_start
    std::string_view model;                   ///< message_start
    const content_block* block = nullptr;     ///< block_start (its text/arguments are empty)
    finish_reason finish = finish_reason::none;  ///< message_delta
    std::string_view stop_sequence;           ///< message_delta
    /// message_start / message_delta: a cumulative snapshot (not an increment), or null.
    const usage* tokens = nullptr;
    const upstream_error* error = nullptr;    ///< error
};

/// Receives canonical events. Implemented by client stream encoders, the response builder, the
/// usage meter, and anything a user chains between them.
class event_sink {
  public:
    virtual ~event_sink() = default;
    virtual void on_event(const stream_event& event) = 0;
};

/// An event sink that assembles the complete response from a canonical stream (the non-stream
/// view of a stream: used for logging, for encoding a non-stream answer from a streamed upstream,
/// and by the round-trip tests). Copies what it keeps; reusable after `reset()`.
class response_builder final : public event_sink {
  public:
    void on_event(const stream_event& event) override;

    /// True once `message_stop` or `error` arrived.
    bool done() const noexcept { return done_; }
    /// The error event's content, if the stream ended with one.
    const upstream_error* error() const noexcept { return failed_ ? &error_ : nullptr; }
    const gateway::response& response() const noexcept { return response_; }
    gateway::response take() { return std::move(response_); }
    void reset();

  private:
    gateway::response response_;
    upstream_error error_;
    bool failed_ = false;
    bool done_ = false;
};

}  // namespace gateway
