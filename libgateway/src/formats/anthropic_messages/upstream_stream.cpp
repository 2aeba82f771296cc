// Upstream side, streaming: Messages SSE → canonical events.
// https://docs.claude.com/en/docs/build-with-claude/streaming
//
// The wire grammar is already block-indexed like the canonical one; this decoder checks it
// (sequential indices, deltas of the open block's kind) and maps names. Decisions:
// - `ping` is ignored; so are event types this codec does not know (the API documents that new
//   event types may be added).
// - Server tool blocks (server_tool_use, web_search_tool_result, ...) and unknown block types
//   have no canonical form: the whole block (start, deltas, stop) is skipped and later blocks
//   are renumbered so canonical indices stay sequential.
// - `citations_delta` is skipped (citations are an Anthropic-only annotation of text).
// - `message_delta.usage` is cumulative and merged into the `message_start` usage (newer API
//   versions repeat the input counters there; older ones send only `output_tokens`).
// - An `event: error` becomes a canonical `error`; the stream is over after it.
//
// Memory: the SSE parser bounds an event to `max_event_bytes`; each event's JSON is parsed with
// one reused `boost::json::parser` into an arena over a fixed buffer, freed after the event, so a
// steady stream of small events does not touch the heap.

#include "formats/anthropic_messages/codec.hpp"
#include "formats/anthropic_messages/common.hpp"
#include "formats/event_arena.hpp"
#include "formats/json_util.hpp"
#include "gateway/stream/sse_parser.hpp"

#include <boost/json/parser.hpp>
#include <boost/json/serialize.hpp>

#include <string>

namespace gateway::formats::anthropic_messages {

namespace json = boost::json;

namespace {

class anthropic_stream_decoder final : public upstream::stream_decoder {
  public:
    explicit anthropic_stream_decoder(const upstream::stream_decoder_options& options)
        : sse_(options.max_event_bytes), emulated_(structured_output_emulated(options.original)) {}

    result<void> feed(std::string_view bytes, event_sink& sink) override {
        if (failed_) return failure_;
        if (over_) return {};  // after message_stop or an error event: nothing more to say
        auto fed = sse_.feed(bytes, [&](const stream::sse_event& e) {
            if (failed_ || over_) return;
            on_sse(e, sink);
        });
        if (!fed) {
            if (!failed_) {
                detail_ = "upstream event larger than the configured limit";
                fail(fed.error());
            }
        }
        if (failed_) return failure_;
        return {};
    }

    result<void> finish(event_sink&) override {
        if (failed_) return failure_;
        sse_.finish();
        if (over_) return {};
        detail_ = started_ ? "upstream stream ended before message_stop"
                           : "upstream stream ended before message_start";
        fail(errc::stream_truncated);
        return failure_;
    }

    std::string_view error_detail() const noexcept override { return detail_; }

  private:
    enum class block_state : std::uint8_t { none, open, skipped };

    void fail(error_code ec) {
        failed_ = true;
        failure_ = ec;
    }
    void bad(std::string_view what) {
        detail_ = what;
        fail(errc::bad_upstream_response);
    }

    void on_sse(const stream::sse_event& e, event_sink& sink) {
        // Parse into the arena; the value (and every view taken from it) dies with this call.
        parser_.reset(arena_.next());
        error_code ec;
        parser_.write(e.data.data(), e.data.size(), ec);
        if (ec) {
            parser_.reset();
            arena_.reset();
            detail_ = "upstream event is not JSON: ";
            detail_ += ec.message();
            fail(errc::bad_upstream_response);
            return;
        }
        {
            const json::value v = parser_.release();
            if (const json::object* o = v.if_object()) {
                std::string_view type = get_string(*o, "type");
                if (type.empty()) type = e.event;
                dispatch(type, *o, sink);
            } else {
                bad("upstream event data is not a JSON object");
            }
        }
        arena_.reset();
    }

    void dispatch(std::string_view type, const json::object& o, event_sink& sink) {
        if (type == "ping") return;
        if (type == "error") return on_error(o, sink);
        if (type == "message_start") return on_message_start(o, sink);
        if (!started_) {
            if (type == "content_block_start" || type == "content_block_delta" ||
                type == "content_block_stop" || type == "message_delta" || type == "message_stop") {
                return bad("upstream event before message_start");
            }
            return;
        }
        if (type == "content_block_start") return on_block_start(o, sink);
        if (type == "content_block_delta") return on_block_delta(o, sink);
        if (type == "content_block_stop") return on_block_stop(o, sink);
        if (type == "message_delta") return on_message_delta(o, sink);
        if (type == "message_stop") return on_message_stop(sink);
        // Unknown event types are ignored (forward compatibility, per the streaming docs).
    }

    void on_error(const json::object& o, event_sink& sink) {
        const json::object* err = get_object(o, "error");
        const std::string_view type = err != nullptr ? get_string(*err, "type") : "";
        const std::string_view message = err != nullptr ? get_string(*err, "message") : "";
        error_ = error_from_wire(0, type.empty() ? "api_error" : type,
                                 message.empty() ? "upstream stream error" : message);
        stream_event ev;
        ev.type = stream_event_type::error;
        ev.error = &error_;
        sink.on_event(ev);
        over_ = true;
    }

    void on_message_start(const json::object& o, event_sink& sink) {
        if (started_) return bad("second message_start in one stream");
        const json::object* msg = get_object(o, "message");
        if (msg == nullptr) return bad("message_start without a message object");
        started_ = true;
        stream_event ev;
        ev.type = stream_event_type::message_start;
        ev.id = get_string(*msg, "id");
        ev.model = get_string(*msg, "model");
        if (const json::object* u = get_object(*msg, "usage")) {
            read_usage(*u, usage_);
            ev.tokens = &usage_;
        }
        sink.on_event(ev);
    }

    /// The wire index of a block event, checked against what is open / expected.
    bool read_index(const json::object& o, std::int64_t expected) {
        const auto index = get_int(o, "index");
        if (!index || *index != expected) {
            bad("upstream block index out of sequence");
            return false;
        }
        return true;
    }

    void on_block_start(const json::object& o, event_sink& sink) {
        if (state_ != block_state::none) return bad("content_block_start while a block is open");
        if (delta_phase_) return bad("content_block_start after message_delta");
        if (!read_index(o, wire_index_)) return;
        const json::object* cb = get_object(o, "content_block");
        if (cb == nullptr) return bad("content_block_start without content_block");
        const std::string_view type = get_string(*cb, "type");
        block_.kind = block_kind::text;
        block_.id.clear();
        block_.name.clear();
        block_.signature.clear();
        block_.signature_origin = reasoning_origin::none;
        block_.extra.clear();
        block_.extra_format = {};
        std::string_view initial;  // content that arrives in the start event itself
        delta_type initial_delta = delta_type::text;
        json_text_ = false;
        saw_arguments_ = false;
        if (type == "text") {
            initial = get_string(*cb, "text");
        } else if (type == "thinking") {
            block_.kind = block_kind::thinking;
            block_.signature_origin = reasoning_origin::anthropic;
            initial = get_string(*cb, "thinking");
            initial_delta = delta_type::thinking;
        } else if (type == "redacted_thinking") {
            block_.kind = block_kind::redacted_thinking;
            block_.signature = get_string(*cb, "data");
            block_.signature_origin = reasoning_origin::anthropic;
        } else if (type == "tool_use") {
            const std::string_view name = get_string(*cb, "name");
            if (emulated_ && name == json_tool_name) {
                json_text_ = true;  // structured output: the arguments are the answer text
            } else {
                block_.kind = block_kind::tool_use;
                block_.id = get_string(*cb, "id");
                block_.name = name;
                if (const json::value* c = cb->if_contains("caller")) {
                    block_.extra["caller"] = *c;
                    block_.extra_format = format_name;
                }
                saw_tool_use_ = true;
                // The API starts with `input: {}` and streams the JSON; should a start ever
                // carry the input itself, it is the arguments.
                if (const json::object* in = get_object(*cb, "input"); in && !in->empty()) {
                    scratch_.clear();
                    append_json_value(scratch_, json::value(*in));
                    initial = scratch_;
                    initial_delta = delta_type::tool_arguments;
                    saw_arguments_ = true;
                }
            }
        } else {
            state_ = block_state::skipped;  // server tool blocks, newer types: see top
            return;
        }
        state_ = block_state::open;
        stream_event ev;
        ev.type = stream_event_type::block_start;
        ev.index = canonical_index_;
        ev.block = &block_;
        sink.on_event(ev);
        if (!initial.empty()) emit_delta(initial_delta, initial, sink);
        if (type == "thinking") {
            if (const std::string_view sig = get_string(*cb, "signature"); !sig.empty()) {
                emit_delta(delta_type::signature, sig, sink);
            }
        }
    }

    void emit_delta(delta_type type, std::string_view data, event_sink& sink) {
        stream_event ev;
        ev.type = stream_event_type::block_delta;
        ev.index = canonical_index_;
        ev.delta = type;
        ev.data = data;
        sink.on_event(ev);
    }

    void on_block_delta(const json::object& o, event_sink& sink) {
        if (state_ == block_state::none) return bad("content_block_delta outside a block");
        if (!read_index(o, wire_index_)) return;
        if (state_ == block_state::skipped) return;
        const json::object* d = get_object(o, "delta");
        if (d == nullptr) return bad("content_block_delta without delta");
        const std::string_view type = get_string(*d, "type");
        const block_kind kind = block_.kind;
        delta_type out = delta_type::text;
        std::string_view data;
        if (type == "text_delta" && kind == block_kind::text && !json_text_) {
            data = get_string(*d, "text");
        } else if (type == "input_json_delta" && (kind == block_kind::tool_use || json_text_)) {
            out = json_text_ ? delta_type::text : delta_type::tool_arguments;
            data = get_string(*d, "partial_json");
        } else if (type == "thinking_delta" && kind == block_kind::thinking) {
            out = delta_type::thinking;
            data = get_string(*d, "thinking");
        } else if (type == "signature_delta" && kind == block_kind::thinking) {
            out = delta_type::signature;
            data = get_string(*d, "signature");
        } else if (type == "citations_delta") {
            return;  // skipped, see top
        } else if (type == "text_delta" || type == "input_json_delta" || type == "thinking_delta" ||
                   type == "signature_delta") {
            return bad("upstream delta does not match its block's type");
        } else {
            return;  // a delta type newer than this codec
        }
        // Empty fragments (the first input_json_delta is usually "") carry nothing.
        if (data.empty()) return;
        if (out == delta_type::tool_arguments) saw_arguments_ = true;
        emit_delta(out, data, sink);
    }

    void on_block_stop(const json::object& o, event_sink& sink) {
        if (state_ == block_state::none) return bad("content_block_stop outside a block");
        if (!read_index(o, wire_index_)) return;
        ++wire_index_;
        if (state_ == block_state::open) {
            // A call without arguments streams only "": canonical arguments are then "{}".
            if (block_.kind == block_kind::tool_use && !saw_arguments_) {
                emit_delta(delta_type::tool_arguments, "{}", sink);
            }
            stream_event ev;
            ev.type = stream_event_type::block_stop;
            ev.index = canonical_index_;
            sink.on_event(ev);
            ++canonical_index_;
        }
        state_ = block_state::none;
    }

    void on_message_delta(const json::object& o, event_sink& sink) {
        if (state_ != block_state::none) return bad("message_delta while a block is open");
        delta_phase_ = true;
        stream_event ev;
        ev.type = stream_event_type::message_delta;
        if (const json::object* d = get_object(o, "delta")) {
            const std::string_view reason = get_string(*d, "stop_reason");
            if (!reason.empty()) {
                ev.finish = finish_from_wire(reason);
                // The structured-output tool call was the answer, not a tool call.
                if (emulated_ && ev.finish == finish_reason::tool_use && !saw_tool_use_) {
                    ev.finish = finish_reason::stop;
                }
            }
            ev.stop_sequence = get_string(*d, "stop_sequence");
        }
        if (const json::object* u = get_object(o, "usage")) {
            read_usage(*u, usage_);
            ev.tokens = &usage_;
        }
        sink.on_event(ev);
    }

    void on_message_stop(event_sink& sink) {
        if (state_ != block_state::none) return bad("message_stop while a block is open");
        stream_event ev;
        ev.type = stream_event_type::message_stop;
        sink.on_event(ev);
        over_ = true;
    }

    stream::sse_parser sse_;
    // Sized for the common events (deltas, starts, usage) so they stay off the heap.
    event_arena<8192> arena_;
    json::parser parser_;
    content_block block_;  // the block being started (its strings keep their capacity)
    usage usage_;
    upstream_error error_;
    std::string detail_;
    std::string scratch_;
    error_code failure_;
    std::int64_t wire_index_ = 0;
    std::uint32_t canonical_index_ = 0;
    block_state state_ = block_state::none;
    bool emulated_ = false;
    bool json_text_ = false;  // the open block is the structured-output tool, read as text
    bool saw_tool_use_ = false;
    bool delta_phase_ = false;    // a message_delta arrived: no more blocks
    bool saw_arguments_ = false;  // the open tool_use block got argument bytes
    bool started_ = false;
    bool over_ = false;
    bool failed_ = false;
};

}  // namespace

std::unique_ptr<upstream::stream_decoder> make_stream_decoder(
    const upstream::stream_decoder_options& options) {
    return std::make_unique<anthropic_stream_decoder>(options);
}

}  // namespace gateway::formats::anthropic_messages
