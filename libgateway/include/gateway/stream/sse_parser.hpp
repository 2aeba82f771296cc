#pragma once
/// Incremental parser for Server-Sent Events (the WHATWG HTML "event stream" rules).
///
/// Push-based and free of I/O: `feed()` takes bytes in chunks of any size and calls back once
/// per complete event; `finish()` marks the end of the stream. Handles LF, CR and CRLF line
/// ends (also a CRLF split across two feeds), comments, multi-line `data`, `event`, `id`,
/// `retry` and a leading UTF-8 BOM. Views passed to the callback are valid only during the call.
///
/// Bytes are not decoded: field values are passed through as the bytes on the wire (UTF-8 for
/// every provider), field names are compared byte for byte.
///
/// Errors: `errc::body_too_large` when a line plus the event it belongs to (its data and event
/// type) exceeds `max_event_bytes`, so nothing is buffered beyond that bound; the limit is
/// applied to the whole line whether or not it arrives in one chunk, so the outcome does not
/// depend on how the stream is split. The parser then refuses further input (every `feed`
/// returns the same error). Events completed before the offending line were delivered.
///
/// Ownership and cost: the parser owns its buffers and reuses them (cleared, never shrunk).
/// A line that lies wholly inside the chunk given to `feed` is parsed in place; only an
/// incomplete last line is copied (into an internal buffer). An event with a single `data` line
/// inside the chunk is delivered as a view into that chunk, without copying.
///
/// For a relay that forwards the stream as it came, `feed_blocks` reports every block (the
/// lines up to and including the blank line that ends them) with its raw bytes, also blocks
/// that dispatch no event (comments such as keep-alives, a lone `id:` or `retry:`). The raw
/// blocks put together are the input byte for byte, save an unterminated block at the end.
///
/// Thread safety: none; one parser per stream. The callback must not call `feed`,
/// `feed_blocks` or `finish` of the same parser; a parser is fed with one of the two only.

#include "gateway/core/error.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace gateway::stream {

struct sse_event {
    std::string_view event;  ///< the `event:` field; empty when absent (WHATWG: "message")
    std::string_view data;   ///< `data:` lines joined with '\n'
    /// The WHATWG "last event ID": the value of the most recent valid `id:` field of the stream
    /// (this event's or an earlier one's; an `id` containing U+0000 is ignored, an empty `id:`
    /// resets it). Empty when no id has been seen.
    std::string_view id;
    /// A `retry:` field of this event (since the previous blank line) made of ASCII digits only
    /// and fitting 64 bits; other values are ignored. A `retry:` in a block without `data` is not
    /// reported, as no event is dispatched for such a block.
    std::optional<std::uint64_t> retry;
};

/// One block of the stream: its bytes as received (a leading BOM and a line end carried over
/// from the previous block included) and the event it dispatched, if any.
struct sse_block {
    std::string_view raw;
    const sse_event* event = nullptr;  ///< null for a block without data
};

class sse_parser {
  public:
    static constexpr std::size_t default_max_event_bytes = 16 * 1024 * 1024;

    explicit sse_parser(std::size_t max_event_bytes = default_max_event_bytes);

    /// Parses `bytes`, calling `on_event(const sse_event&)` for each event completed by them.
    /// `bytes` need only live for the duration of the call. If `on_event` throws, the exception
    /// propagates, that event counts as delivered and the rest of `bytes` is not parsed.
    template <class OnEvent>
    result<void> feed(std::string_view bytes, OnEvent&& on_event) {
        // const_cast only to pass the address through void*; invoke<> restores the exact type.
        return feed_impl(bytes, &invoke<OnEvent>,
                         const_cast<void*>(static_cast<const void*>(std::addressof(on_event))),
                         nullptr);
    }

    /// Like `feed`, calling `on_block(const sse_block&)` for each block completed by `bytes`.
    /// The bytes of a block that spans feeds are kept until it ends; they count against
    /// `max_event_bytes` too, so a stream of comment lines without a blank line is refused.
    template <class OnBlock>
    result<void> feed_blocks(std::string_view bytes, OnBlock&& on_block) {
        return feed_impl(bytes, nullptr,
                         const_cast<void*>(static_cast<const void*>(std::addressof(on_block))),
                         &invoke_block<OnBlock>);
    }

    /// Ends the stream. An event that was not terminated by a blank line is discarded, as the
    /// WHATWG rules require; `true` is returned when that happened (a truncated stream: an
    /// incomplete line or undispatched `data` was pending, or the parser had failed). The parser
    /// then returns to its initial state (BOM check, last event ID) and may parse a new stream,
    /// reusing its buffers; a failed parser stays failed.
    bool finish();

    /// Bytes held for an incomplete line or event.
    std::size_t buffered_bytes() const noexcept;

  private:
    using callback = void (*)(void* context, const sse_event& event);
    using block_callback = void (*)(void* context, const sse_block& block);

    template <class OnEvent>
    static void invoke(void* context, const sse_event& event) {
        (*static_cast<std::remove_reference_t<OnEvent>*>(context))(event);
    }
    template <class OnBlock>
    static void invoke_block(void* context, const sse_block& block) {
        (*static_cast<std::remove_reference_t<OnBlock>*>(context))(block);
    }

    // One of `cb` (events) and `block_cb` (blocks) is set.
    result<void> feed_impl(std::string_view bytes, callback cb, void* context,
                           block_callback block_cb);
    // `in_input`: `line` points into the caller's chunk (not into line_), so a data value may be
    // kept as a view until the end of the feed. Returns true for the blank line ending a block.
    bool process_line(std::string_view line, bool in_input);
    // The block ends: its event (if it has data) to `cb`, or the block with `raw` to `block_cb`.
    void dispatch(callback cb, void* context, block_callback block_cb, std::string_view raw);
    result<void> fail();
    std::size_t event_bytes() const noexcept;  // data + event type of the open event

    std::size_t max_event_bytes_;
    std::string line_;  // an incomplete line carried over between feeds
    std::string raw_;   // feed_blocks: the bytes of the open block from earlier feeds
    std::string event_type_;
    std::string data_;  // the data lines joined by '\n' (the data buffer minus its last LF)
    std::string_view data_view_;  // the only data line, still inside the current chunk
    std::string id_;              // the WHATWG "last event ID buffer"
    std::optional<std::uint64_t> retry_;
    bool has_data_ = false;      // a data line was seen: the data buffer is not empty
    bool data_is_view_ = false;  // the data is data_view_, not data_ (only during feed())
    bool pending_cr_ = false;    // the last line ended with CR: a following LF belongs to it
    bool bom_checked_ = false;
    bool failed_ = false;
};

}  // namespace gateway::stream
