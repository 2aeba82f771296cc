// ConverseStream (AWS event-stream framing) → canonical events.
// https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ConverseStream.html
// https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ConverseStreamOutput.html
//
// Each event-stream message carries one JSON event named by its `:event-type` header:
// messageStart{role}, contentBlockStart{contentBlockIndex, start{toolUse{toolUseId,name}}},
// contentBlockDelta{contentBlockIndex, delta{text | toolUse{input} | reasoningContent{text |
// signature | redactedContent}}}, contentBlockStop{contentBlockIndex},
// messageStop{stopReason, additionalModelResponseFields}, metadata{usage, metrics}. Decisions:
// - Text and reasoning blocks have no contentBlockStart: the first delta at a new index opens
//   the block (its kind from the delta); only tool use is announced.
// - The usage comes in `metadata`, after messageStop: messageStop gives the canonical
//   message_delta with the finish reason, metadata a message_delta with usage and then
//   message_stop. A stream that ends after messageStop without metadata still ends normally.
// - `:message-type` `exception` (`:exception-type` throttlingException, validationException,
//   modelStreamErrorException, ...; payload `{"message"}`) and `error` (`:error-code`,
//   `:error-message` headers) become a canonical `error`; the stream is over after it.
// - A frame with a bad CRC, bad JSON or blocks out of order is `bad_upstream_response`.
// - Event types this codec does not know are ignored (new ones may be added); so is the `p`
//   padding field Bedrock puts in every event.

#include "formats/anthropic_messages/common.hpp"
#include "formats/bedrock_converse/codec.hpp"
#include "formats/event_arena.hpp"
#include "formats/json_util.hpp"
#include "gateway/stream/aws_event_stream.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/parser.hpp>

#include <string>

namespace gateway::formats::bedrock_converse {

namespace json = boost::json;

namespace {

class converse_stream_decoder final : public upstream::stream_decoder {
  public:
    explicit converse_stream_decoder(const upstream::stream_decoder_options& options)
        : frames_(options.max_event_bytes),
          emulated_(anthropic_messages::structured_output_emulated(options.original)) {}

    result<void> feed(std::string_view bytes, event_sink& sink) override {
        if (failed_) return failure_;
        if (over_) return {};
        auto fed = frames_.feed(bytes, [&](const stream::aws_event_stream_message& m) {
            if (failed_ || over_) return;
            on_message(m, sink);
        });
        // Bytes after the end of the stream are ignored, also those that came in the same chunk
        // as its last event (a later chunk is not even framed), so the outcome does not depend
        // on how the stream was split.
        if (over_) return {};
        if (!fed && !failed_) {
            detail_ = fed.error() == errc::body_too_large
                          ? "upstream event larger than the configured limit"
                          : "upstream event-stream framing is corrupt (length or CRC check failed)";
            fail(fed.error());
        }
        if (failed_) return failure_;
        return {};
    }

    result<void> finish(event_sink& sink) override {
        if (failed_) return failure_;
        if (over_) return {};
        if (auto r = frames_.finish(); !r) {
            detail_ = "upstream stream ended inside an event";
            fail(r.error());
            return failure_;
        }
        if (stopped_) {
            // messageStop came, the metadata event did not: the answer is complete.
            stream_event ev;
            ev.type = stream_event_type::message_stop;
            sink.on_event(ev);
            over_ = true;
            return {};
        }
        detail_ = started_ ? "upstream stream ended before messageStop"
                           : "upstream stream ended before messageStart";
        fail(errc::stream_truncated);
        return failure_;
    }

    std::string_view error_detail() const noexcept override { return detail_; }

  private:
    void fail(error_code ec) {
        failed_ = true;
        failure_ = ec;
    }
    void bad(std::string_view what) {
        detail_ = what;
        fail(errc::bad_upstream_response);
    }

    void on_message(const stream::aws_event_stream_message& m, event_sink& sink) {
        const std::string_view kind = m.message_type();
        if (kind == "exception" || kind == "error") {
            std::string_view type = m.exception_type();
            std::string message;
            if (kind == "error") {
                type = m.error_code();
                message = m.error_message();
            } else {
                error_code ec;
                const json::value v = json::parse(m.payload, ec);
                if (!ec && v.is_object()) message = get_string(v.get_object(), "message");
            }
            if (message.empty()) message = "upstream stream error";
            return emit_error(error_from_exception(0, type, message), sink);
        }
        if (kind != "event" && !kind.empty()) return;  // nothing else is documented
        parser_.reset(arena_.next());
        error_code ec;
        parser_.write(m.payload.data(), m.payload.size(), ec);
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
                dispatch(m.event_type(), *o, sink);
            } else {
                bad("upstream event payload is not a JSON object");
            }
        }
        arena_.reset();
    }

    void emit_error(upstream_error e, event_sink& sink) {
        error_ = std::move(e);
        stream_event ev;
        ev.type = stream_event_type::error;
        ev.error = &error_;
        sink.on_event(ev);
        over_ = true;
    }

    void dispatch(std::string_view type, const json::object& o, event_sink& sink) {
        if (type == "messageStart") return on_message_start(sink);
        const bool known = type == "contentBlockStart" || type == "contentBlockDelta" ||
                           type == "contentBlockStop" || type == "messageStop" ||
                           type == "metadata";
        if (!known) return;
        if (!started_) return bad("upstream event before messageStart");
        if (type == "metadata") return on_metadata(o, sink);
        if (stopped_) return bad("upstream content event after messageStop");
        if (type == "contentBlockStart") return on_block_start(o, sink);
        if (type == "contentBlockDelta") return on_block_delta(o, sink);
        if (type == "contentBlockStop") return on_block_stop(o, sink);
        return on_message_stop(o, sink);
    }

    void on_message_start(event_sink& sink) {
        if (started_) return bad("second messageStart in one stream");
        started_ = true;
        stream_event ev;
        ev.type = stream_event_type::message_start;
        sink.on_event(ev);
    }

    /// The event's `contentBlockIndex`, which may only stay or move forward.
    bool read_index(const json::object& o, std::int64_t& index) {
        const auto i = get_int(o, "contentBlockIndex");
        if (!i || *i < 0 || *i < wire_index_ || (*i == wire_index_ && closed_current_)) {
            bad("upstream contentBlockIndex out of sequence");
            return false;
        }
        index = *i;
        return true;
    }

    void open_block(std::int64_t index, event_sink& sink) {
        wire_index_ = index;
        closed_current_ = false;
        open_ = true;
        saw_arguments_ = false;
        stream_event ev;
        ev.type = stream_event_type::block_start;
        ev.index = canonical_index_;
        ev.block = &block_;
        sink.on_event(ev);
    }

    void reset_block(block_kind kind) {
        block_.kind = kind;
        block_.id.clear();
        block_.name.clear();
        block_.signature.clear();
        block_.signature_origin =
            kind == block_kind::thinking || kind == block_kind::redacted_thinking
                ? reasoning_origin::anthropic
                : reasoning_origin::none;
        json_text_ = false;
    }

    void on_block_start(const json::object& o, event_sink& sink) {
        std::int64_t index = 0;
        if (!read_index(o, index)) return;
        if (open_) return bad("contentBlockStart while a block is open");
        const json::object* start = get_object(o, "start");
        const json::object* use = start != nullptr ? get_object(*start, "toolUse") : nullptr;
        if (use == nullptr) {
            // Other start kinds (tool results of server tools, newer types): no canonical form.
            skipped_index_ = index;
            wire_index_ = index;
            closed_current_ = false;
            return;
        }
        const std::string_view name = get_string(*use, "name");
        if (emulated_ && name == anthropic_messages::json_tool_name) {
            reset_block(block_kind::text);
            json_text_ = true;  // structured output: the arguments are the answer text
        } else {
            reset_block(block_kind::tool_use);
            block_.id = get_string(*use, "toolUseId");
            block_.name = name;
            saw_tool_use_ = true;
        }
        open_block(index, sink);
    }

    void emit_delta(delta_type type, std::string_view data, event_sink& sink) {
        stream_event ev;
        ev.type = stream_event_type::block_delta;
        ev.index = canonical_index_;
        ev.delta = type;
        ev.data = data;
        sink.on_event(ev);
    }

    void close_block(event_sink& sink) {
        if (block_.kind == block_kind::tool_use && !saw_arguments_) {
            emit_delta(delta_type::tool_arguments, "{}", sink);  // a call without arguments
        }
        stream_event ev;
        ev.type = stream_event_type::block_stop;
        ev.index = canonical_index_;
        sink.on_event(ev);
        ++canonical_index_;
        open_ = false;
        closed_current_ = true;
    }

    void on_block_delta(const json::object& o, event_sink& sink) {
        std::int64_t index = 0;
        if (!read_index(o, index)) return;
        if (index == skipped_index_) return;
        const json::object* d = get_object(o, "delta");
        if (d == nullptr) return bad("contentBlockDelta without delta");
        if (open_ && index != wire_index_) return bad("contentBlockDelta for a block not open");

        std::string_view data;
        delta_type out = delta_type::text;
        block_kind kind = block_kind::text;
        bool redacted = false;
        if (const json::value* t = d->if_contains("text"); t != nullptr && t->is_string()) {
            data = t->get_string();
        } else if (const json::object* use = get_object(*d, "toolUse")) {
            if (!open_ || (block_.kind != block_kind::tool_use && !json_text_)) {
                return bad("toolUse delta outside a tool use block");
            }
            data = get_string(*use, "input");
            out = json_text_ ? delta_type::text : delta_type::tool_arguments;
            kind = block_.kind;
        } else if (const json::object* rc = get_object(*d, "reasoningContent")) {
            kind = block_kind::thinking;
            if (const json::value* rt = rc->if_contains("text"); rt != nullptr && rt->is_string()) {
                data = rt->get_string();
                out = delta_type::thinking;
            } else if (const json::value* s = rc->if_contains("signature");
                       s != nullptr && s->is_string()) {
                data = s->get_string();
                out = delta_type::signature;
            } else if (const json::value* r = rc->if_contains("redactedContent");
                       r != nullptr && r->is_string()) {
                data = r->get_string();
                kind = block_kind::redacted_thinking;
                redacted = true;
            } else {
                return;  // a reasoning delta newer than this codec
            }
        } else {
            return;  // citations and delta kinds newer than this codec
        }
        if (!open_) {
            // Text and reasoning blocks start with their first delta.
            reset_block(kind);
            if (redacted) block_.signature = data;
            open_block(index, sink);
            if (redacted) return;
        } else if (block_.kind != kind || redacted) {
            return bad("upstream delta does not match its block's type");
        }
        if (data.empty()) return;
        if (out == delta_type::tool_arguments) saw_arguments_ = true;
        emit_delta(out, data, sink);
    }

    void on_block_stop(const json::object& o, event_sink& sink) {
        std::int64_t index = 0;
        if (!read_index(o, index)) return;
        if (index == skipped_index_) {
            skipped_index_ = -1;
            closed_current_ = true;
            return;
        }
        if (!open_) {
            // A block that never got a delta (an empty text block): nothing to close.
            wire_index_ = index;
            closed_current_ = true;
            return;
        }
        if (index != wire_index_) return bad("contentBlockStop for a block not open");
        close_block(sink);
    }

    void on_message_stop(const json::object& o, event_sink& sink) {
        if (open_) close_block(sink);  // lenient: a missing contentBlockStop
        stopped_ = true;
        stream_event ev;
        ev.type = stream_event_type::message_delta;
        bool unknown = false;
        const std::string_view reason = get_string(o, "stopReason");
        ev.finish = reason.empty() ? finish_reason::none : finish_from_wire(reason, &unknown);
        // The structured-output tool call was the answer, not a tool call.
        if (emulated_ && ev.finish == finish_reason::tool_use && !saw_tool_use_) {
            ev.finish = finish_reason::stop;
        }
        sink.on_event(ev);
    }

    void on_metadata(const json::object& o, event_sink& sink) {
        if (open_) close_block(sink);
        if (const json::object* u = get_object(o, "usage")) {
            read_usage(*u, usage_);
            stream_event ev;
            ev.type = stream_event_type::message_delta;
            ev.tokens = &usage_;
            sink.on_event(ev);
        }
        stream_event ev;
        ev.type = stream_event_type::message_stop;
        sink.on_event(ev);
        over_ = true;
    }

    stream::aws_event_stream_decoder frames_;
    event_arena<8192> arena_;
    json::parser parser_;
    content_block block_;
    usage usage_;
    upstream_error error_;
    std::string detail_;
    error_code failure_;
    std::int64_t wire_index_ = -1;
    std::int64_t skipped_index_ = -1;
    std::uint32_t canonical_index_ = 0;
    bool closed_current_ = true;  // the block at wire_index_ is over
    bool open_ = false;
    bool emulated_ = false;
    bool json_text_ = false;
    bool saw_tool_use_ = false;
    bool saw_arguments_ = false;
    bool started_ = false;
    bool stopped_ = false;  // messageStop arrived
    bool over_ = false;
    bool failed_ = false;
};

}  // namespace

std::unique_ptr<upstream::stream_decoder> make_stream_decoder(
    const upstream::stream_decoder_options& options) {
    return std::make_unique<converse_stream_decoder>(options);
}

}  // namespace gateway::formats::bedrock_converse
