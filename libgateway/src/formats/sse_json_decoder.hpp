#pragma once
// The shared part of the upstream stream decoders whose wire is SSE with one JSON object per
// event (Chat Completions, Cohere v2) (private): the SSE parser, a reused JSON parser writing
// into a per-event arena (steady state allocates nothing per event: the arena is 16 KiB inline
// and rebuilt per event; a bigger event spills to the heap until the next event), the
// failure state behind `feed`'s errors, and the canonical block numbering.

#include "formats/block_emitter.hpp"
#include "formats/event_arena.hpp"
#include "gateway/stream/sse_parser.hpp"
#include "gateway/upstream/codec.hpp"

#include <boost/json/object.hpp>
#include <boost/json/parser.hpp>

#include <string>
#include <string_view>

namespace gateway::formats {

class sse_json_decoder : public upstream::stream_decoder {
  public:
    explicit sse_json_decoder(std::size_t max_event_bytes);

    /// Parses the events in `bytes`, handing each JSON object to `on_json`. Once the decoder
    /// failed, or `done_` is set (the terminal event was seen), further bytes are ignored.
    result<void> feed(std::string_view bytes, event_sink& sink) final;
    std::string_view error_detail() const noexcept final { return detail_; }

  protected:
    /// One event: its SSE name (empty when it has none) and its data, a JSON object.
    virtual void on_json(std::string_view event, const boost::json::object& data) = 0;
    /// `data: [DONE]` (OpenAI's end marker); ignored unless overridden.
    virtual void on_done() {}

    /// Ends the SSE input for `finish`: the failure if the decoder failed, else success.
    result<void> end_input();
    result<void> fail(error_code ec, std::string_view why);
    /// A malformed event: `errc::bad_upstream_response` (the first failure is kept).
    void fail_event(std::string_view why);
    bool failed() const noexcept { return failed_; }

    block_emitter blocks_;
    bool done_ = false;  ///< the stream ended (terminal event or an error event)

  private:
    void on_sse(const stream::sse_event& e);

    stream::sse_parser sse_;
    event_arena<16 * 1024> arena_;
    boost::json::parser json_;
    bool failed_ = false;
    error_code failure_;
    std::string detail_;
};

}  // namespace gateway::formats
