#pragma once
// Block bookkeeping shared by upstream stream decoders (private): canonical block indices 0, 1,
// 2, ... in the order blocks start, one block open at a time (stream_event.hpp), whatever
// numbering the wire uses (Chat's per-call tool indices, Cohere's separate content and tool-call
// indices). Events go to the sink bound for the current `feed`.

#include "gateway/core/stream_event.hpp"

#include <cstdint>
#include <string_view>

namespace gateway::formats {

class block_emitter {
  public:
    /// The sink of the events that follow (a decoder binds its feed's sink, then null).
    void bind(event_sink* sink) noexcept { sink_ = sink; }
    void emit(const stream_event& e) { sink_->on_event(e); }

    bool is_open() const noexcept { return open_; }
    block_kind open_kind() const noexcept { return open_kind_; }

    /// The block the next `start()` announces; its strings keep their capacity between blocks.
    content_block& next() noexcept { return block_; }

    /// Closes the open block and starts one of `kind` without id or name.
    void start(block_kind kind) {
        block_.kind = kind;
        block_.id.clear();
        block_.name.clear();
        start();
    }

    /// Closes the open block and starts `next()`.
    void start() {
        close();
        open_ = true;
        open_kind_ = block_.kind;
        stream_event e;
        e.type = stream_event_type::block_start;
        e.index = index_;
        e.block = &block_;
        emit(e);
    }

    void close() {
        if (!open_) return;
        open_ = false;
        stream_event e;
        e.type = stream_event_type::block_stop;
        e.index = index_++;
        emit(e);
    }

    /// A delta of the open block.
    void delta(delta_type type, std::string_view data) {
        stream_event e;
        e.type = stream_event_type::block_delta;
        e.index = index_;
        e.delta = type;
        e.data = data;
        emit(e);
    }

  private:
    event_sink* sink_ = nullptr;
    content_block block_;
    std::uint32_t index_ = 0;  // of the open block, or of the next one
    block_kind open_kind_ = block_kind::text;
    bool open_ = false;
};

}  // namespace gateway::formats
