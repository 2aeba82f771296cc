// Upstream side: a Responses SSE stream → canonical events.
//
// The wire (openai-responses/*.sse; OpenAPI ResponseStreamEvent): `event: <type>` and
// `data: <json>` frames whose JSON `type` names the event (it is what counts here; the `event:`
// line only when the JSON has none), a `sequence_number` from 0, no [DONE]:
//
//   response.created, response.in_progress                 → message_start (id, model)
//   response.output_item.added {output_index, item}         an item opens: a function_call is a
//                                                           tool_use block (call_id, name) at once
//   response.content_part.added (output_text | refusal)     → block_start text | refusal
//   response.output_text.delta / response.refusal.delta      → block_delta text
//   response.content_part.done                               → block_stop
//   response.function_call_arguments.delta                   → block_delta tool_arguments
//   response.reasoning_summary_part.added                    → block_start thinking (origin openai)
//   response.reasoning_summary_text.delta (also the
//   reasoning_text.delta of open-weight models)              → block_delta thinking
//   response.output_item.done {item}                          the item's last block stops; for a
//                                                           reasoning item after a signature delta
//                                                           with the final `encrypted_content`
//                                                           (the one in output_item.added may be
//                                                           incomplete, says ReasoningItem)
//   response.completed | response.incomplete                 → message_delta (finish, usage) and
//                                                           message_stop
//   error | response.failed                                  → error (mapped status)
//
// A summary part stays open until the next part or the item's end, so the signature lands on the
// item's last thinking block, as decode_response puts it. The `*.done` events repeat the full
// text: what the deltas did not deliver is emitted from them, and an item that arrives only as
// output_item.done (or only in the final response, from minimal compatible servers) is emitted
// whole through detail::read_output_item. Other events (built-in tool progress, annotations,
// audio, newer types) are ignored. Events must follow the items in order: blocks are sequential.
//
// Steady state allocates nothing per event: the SSE parser reuses its buffers, each event is
// parsed by one reused boost::json::parser into an arena rebuilt per event, delta texts
// are views into the parsed event, the block handed to block_start and the copy of what a block
// streamed (to compare with the `*.done` text) are reused members.

#include "formats/event_arena.hpp"
#include "formats/json_util.hpp"
#include "formats/openai_chat/common.hpp"
#include "formats/openai_responses/codec.hpp"
#include "formats/openai_responses/common.hpp"
#include "gateway/stream/sse_parser.hpp"

#include <boost/json/parser.hpp>

#include <optional>
#include <vector>

namespace gateway::formats::openai_responses {

namespace json = boost::json;

namespace {

class responses_stream_decoder final : public upstream::stream_decoder {
  public:
    explicit responses_stream_decoder(const upstream::stream_decoder_options& options)
        : sse_(options.max_event_bytes) {}

    result<void> feed(std::string_view bytes, event_sink& sink) override {
        if (failed_) return failure_;
        if (done_) return {};  // bytes after the terminal event: nothing can follow
        sink_ = &sink;
        auto fed = sse_.feed(bytes, [this](const stream::sse_event& e) { on_sse(e); });
        sink_ = nullptr;
        if (!fed && !failed_) {
            return fail(fed.error(), "an SSE event of the upstream exceeds the size limit");
        }
        if (failed_) return failure_;
        return {};
    }

    result<void> finish(event_sink& /*sink*/) override {
        sse_.finish();
        if (failed_) return failure_;
        if (done_) return {};
        return fail(errc::stream_truncated,
                    started_ ? "the upstream stream ended before response.completed"
                             : "the upstream stream ended before its first event");
    }

    std::string_view error_detail() const noexcept override { return detail_; }

  private:
    enum class item_kind : std::uint8_t { message, reasoning, function_call, other };

    result<void> fail(error_code ec, std::string_view why) {
        failed_ = true;
        failure_ = ec;
        detail_ = why;
        return ec;
    }

    void fail_event(std::string_view why) {
        if (!failed_) fail(errc::bad_upstream_response, why);
    }

    void emit(const stream_event& e) { sink_->on_event(e); }

    void on_sse(const stream::sse_event& e) {
        if (failed_ || done_) return;
        const std::string_view data = e.data;
        if (data.empty() || data == "[DONE]") return;  // [DONE]: compatible servers' habit
        json_.reset(arena_.next());
        error_code ec;
        json_.write(data.data(), data.size(), ec);
        if (ec) return fail_event("an upstream event is not valid JSON");
        const json::value event = json_.release();
        const json::object* o = event.if_object();
        if (o == nullptr) return fail_event("an upstream event is not a JSON object");
        std::string_view type = get_string(*o, "type");
        if (type.empty()) type = e.event;
        on_event(type, *o);
    }

    void on_event(std::string_view type, const json::object& o) {
        if (type == "response.created" || type == "response.in_progress" ||
            type == "response.queued") {
            start(get_object(o, "response"));
        } else if (type == "response.output_item.added") {
            item_added(o);
        } else if (type == "response.output_item.done") {
            item_done(o);
        } else if (type == "response.content_part.added") {
            part_added(o);
        } else if (type == "response.content_part.done") {
            part_done(o);
        } else if (type == "response.output_text.delta" || type == "response.refusal.delta") {
            text_delta(o,
                       type == "response.refusal.delta" ? block_kind::refusal : block_kind::text);
        } else if (type == "response.output_text.done") {
            catch_up(o, "text");
        } else if (type == "response.refusal.done") {
            catch_up(o, "refusal");
        } else if (type == "response.function_call_arguments.delta") {
            arguments_delta(o);
        } else if (type == "response.function_call_arguments.done") {
            catch_up(o, "arguments");
        } else if (type == "response.reasoning_summary_part.added") {
            summary_part_added(o);
        } else if (type == "response.reasoning_summary_text.delta" ||
                   type == "response.reasoning_text.delta") {
            thinking_delta(o);
        } else if (type == "response.reasoning_summary_text.done" ||
                   type == "response.reasoning_text.done") {
            catch_up(o, "text");
        } else if (type == "response.reasoning_summary_part.done") {
            if (const json::object* part = get_object(o, "part")) catch_up(*part, "text");
        } else if (type == "response.completed" || type == "response.incomplete") {
            complete(type, get_object(o, "response"));
        } else if (type == "response.failed") {
            failed(get_object(o, "response"));
        } else if (type == "error") {
            error(o);
        }
        // Anything else (web_search_call.*, output_text.annotation.added, audio, newer events)
        // carries nothing the canonical stream can express.
    }

    // ---- the message ---------------------------------------------------------------------

    void start(const json::object* response) {
        if (started_) return;
        started_ = true;
        stream_event e;
        e.type = stream_event_type::message_start;
        if (response != nullptr) {
            e.id = get_string(*response, "id");
            e.model = get_string(*response, "model");
        }
        emit(e);
    }

    void complete(std::string_view type, const json::object* response) {
        start(nullptr);
        close_block();
        item_open_ = false;
        std::string_view status = type == "response.completed" ? "completed" : "incomplete";
        std::string_view reason;
        bool have_usage = false;
        if (response != nullptr) {
            if (const std::string_view s = get_string(*response, "status"); !s.empty()) status = s;
            if (const json::object* d = get_object(*response, "incomplete_details")) {
                reason = get_string(*d, "reason");
            }
            if (!any_item_) {
                // A server that streamed no items: the final response holds them.
                if (const json::array* output = get_array(*response, "output")) {
                    for (const json::value& item : *output) {
                        if (const json::object* io = item.if_object(); !io || !emit_item(*io)) {
                            return fail_event("malformed output item in the final response");
                        }
                    }
                }
            }
            if (const json::value* u = response->if_contains("usage");
                u != nullptr && !u->is_null()) {
                if (!u->is_object() || !detail::parse_usage(u->get_object(), usage_)) {
                    return fail_event("malformed usage in the final response");
                }
                have_usage = true;
            }
        }
        stream_event delta;
        delta.type = stream_event_type::message_delta;
        delta.finish =
            detail::finish_from_wire(status, reason, flags_.function_call, flags_.refusal);
        if (have_usage) delta.tokens = &usage_;
        emit(delta);
        stream_event stop;
        stop.type = stream_event_type::message_stop;
        emit(stop);
        done_ = true;
    }

    void emit_error(upstream_error& error) {
        error.status = detail::stream_error_status(error);
        if (error.type.empty()) {
            error.type = error.status == 429   ? "rate_limit_error"
                         : error.status == 400 ? "invalid_request_error"
                                               : "api_error";
        }
        if (error.message.empty()) error.message = "the upstream reported an error mid-stream";
        stream_event e;
        e.type = stream_event_type::error;
        e.error = &error;
        emit(e);
        done_ = true;
    }

    // `error` event: recorded with the fields in `error` (error-stream-insufficient-quota), the
    // spec puts code, message and param at the top level.
    void error(const json::object& o) {
        upstream_error error;
        if (const json::object* nested = get_object(o, "error")) {
            openai_chat::detail::read_error_object(*nested, error);
        } else {
            openai_chat::detail::read_error_object(o, error);
            error.type.clear();  // that `type` is the event's ("error")
        }
        emit_error(error);
    }

    // `response.failed`: `response.error` is {code, message}.
    void failed(const json::object* response) {
        upstream_error error;
        if (response != nullptr) {
            if (const json::object* err = get_object(*response, "error")) {
                openai_chat::detail::read_error_object(*err, error);
            }
        }
        if (error.message.empty()) error.message = "the upstream response failed";
        emit_error(error);
    }

    // ---- items -----------------------------------------------------------------------------

    /// The current item, if `o` belongs to it (by output_index; events without one belong to
    /// the current item). Fails the stream otherwise.
    bool current_item(const json::object& o) {
        if (!item_open_) {
            fail_event("an item event came before its response.output_item.added");
            return false;
        }
        if (const auto index = get_int(o, "output_index"); index && *index != item_index_) {
            fail_event("an event for another output item than the current one");
            return false;
        }
        return true;
    }

    void item_added(const json::object& o) {
        start(nullptr);
        close_block();
        const json::object* item = get_object(o, "item");
        if (item == nullptr) return fail_event("response.output_item.added without an item");
        item_open_ = true;
        any_item_ = true;
        item_blocks_ = 0;
        item_index_ = get_int(o, "output_index").value_or(item_index_ + 1);
        item_id_.assign(get_string(*item, "id"));
        item_phase_.assign(get_string(*item, "phase"));
        const std::string_view type = get_string(*item, "type");
        item_kind_ = type == "message"         ? item_kind::message
                     : type == "reasoning"     ? item_kind::reasoning
                     : type == "function_call" ? item_kind::function_call
                                               : item_kind::other;
        if (item_kind_ != item_kind::function_call) return;
        // The call's block opens with the item (call_id, name; arguments follow as deltas).
        scratch_.clear();
        detail::output_flags flags;
        detail::read_failure failure;
        if (!detail::read_output_item(*item, scratch_, flags, failure) || scratch_.empty()) {
            return fail_event("malformed function_call item in response.output_item.added");
        }
        flags_.function_call = true;
        const std::string_view initial = get_string(*item, "arguments");
        block_ = std::move(scratch_.front());
        block_.arguments.clear();
        start_block();
        if (!initial.empty()) emit_delta(initial);
    }

    void item_done(const json::object& o) {
        if (!current_item(o)) return;
        const json::object* item = get_object(o, "item");
        if (item == nullptr) return fail_event("response.output_item.done without an item");
        item_open_ = false;
        if (item_blocks_ == 0) {
            // Nothing of it was streamed: the complete item says it all.
            if (!emit_item(*item)) fail_event("malformed item in response.output_item.done");
            return;
        }
        switch (item_kind_) {
            case item_kind::function_call:
                catch_up(*item, "arguments");
                break;
            case item_kind::reasoning:
                if (open_ && open_kind_ == block_kind::thinking) {
                    if (const std::string_view enc = get_string(*item, "encrypted_content");
                        !enc.empty()) {
                        emit_delta(enc, delta_type::signature);
                    }
                }
                break;
            case item_kind::message:
            case item_kind::other:
                break;
        }
        close_block();
    }

    /// Emits a complete item as blocks (an item not seen streamed).
    bool emit_item(const json::object& item) {
        scratch_.clear();
        detail::read_failure failure;
        if (!detail::read_output_item(item, scratch_, flags_, failure)) return false;
        for (content_block& b : scratch_) {
            close_block();
            std::string text = std::move(b.text);
            std::string arguments = std::move(b.arguments);
            std::string signature = std::move(b.signature);
            b.text.clear();
            b.arguments.clear();
            b.signature.clear();
            block_ = std::move(b);
            start_block();
            emit_delta(block_.kind == block_kind::tool_use ? std::string_view(arguments)
                                                           : std::string_view(text));
            if (!signature.empty()) emit_delta(signature, delta_type::signature);
            close_block();
        }
        return true;
    }

    // ---- content parts -------------------------------------------------------------------

    void open_part(block_kind kind) {
        close_block();
        block_.kind = kind;
        block_.id.clear();
        block_.name.clear();
        block_.signature.clear();
        block_.signature_origin =
            kind == block_kind::thinking ? reasoning_origin::openai : reasoning_origin::none;
        block_.extra.clear();
        if (!item_id_.empty()) block_.extra["id"] = item_id_;
        if (kind != block_kind::thinking && !item_phase_.empty()) {
            block_.extra["phase"] = item_phase_;
        }
        block_.extra_format = detail::format_name;
        if (kind == block_kind::refusal) flags_.refusal = true;
        start_block();
    }

    void part_added(const json::object& o) {
        if (!current_item(o)) return;
        if (item_kind_ != item_kind::message) {
            return fail_event("a content part outside a message item");
        }
        const json::object* part = get_object(o, "part");
        const std::string_view type =
            part == nullptr ? std::string_view() : get_string(*part, "type");
        if (type == "output_text") {
            open_part(block_kind::text);
        } else if (type == "refusal") {
            open_part(block_kind::refusal);
        } else {
            close_block();  // a newer part type: its deltas are ignored
        }
    }

    void part_done(const json::object& o) {
        if (!current_item(o)) return;
        if (const json::object* part = get_object(o, "part")) {
            catch_up(*part, get_string(*part, "type") == "refusal" ? "refusal" : "text");
        }
        close_block();
    }

    void text_delta(const json::object& o, block_kind kind) {
        if (!current_item(o)) return;
        if (item_kind_ != item_kind::message) return fail_event("text outside a message item");
        std::string_view delta;
        if (!delta_string(o, "delta", delta)) return;
        if (!open_ || open_kind_ != kind) open_part(kind);  // no content_part.added was sent
        emit_delta(delta);
    }

    void arguments_delta(const json::object& o) {
        if (!current_item(o)) return;
        if (!open_ || open_kind_ != block_kind::tool_use) {
            return fail_event("function call arguments outside a function_call item");
        }
        std::string_view delta;
        if (delta_string(o, "delta", delta)) emit_delta(delta);
    }

    void summary_part_added(const json::object& o) {
        if (!current_item(o)) return;
        if (item_kind_ != item_kind::reasoning) {
            return fail_event("a reasoning summary part outside a reasoning item");
        }
        open_part(block_kind::thinking);
    }

    void thinking_delta(const json::object& o) {
        if (!current_item(o)) return;
        if (item_kind_ != item_kind::reasoning) {
            return fail_event("reasoning text outside a reasoning item");
        }
        std::string_view delta;
        if (!delta_string(o, "delta", delta)) return;
        if (!open_ || open_kind_ != block_kind::thinking) open_part(block_kind::thinking);
        emit_delta(delta);
    }

    /// A `*.done` event (or a done part) repeats the full text in `key`: what the deltas did
    /// not deliver yet is emitted now. Only when the deltas were its beginning: otherwise (a
    /// server that rewrote it) the deltas stand, and no UTF-8 sequence is cut.
    void catch_up(const json::object& o, std::string_view key) {
        if (!open_) return;
        std::string_view full;
        if (!delta_string(o, key, full)) return;
        if (full.size() > streamed_.size() && full.starts_with(streamed_)) {
            emit_delta(full.substr(streamed_.size()));
        }
    }

    // ---- blocks ----------------------------------------------------------------------------

    // A string member: absent or null is empty; another type is malformed.
    bool delta_string(const json::object& o, std::string_view key, std::string_view& out) {
        out = {};
        const json::value* v = o.if_contains(key);
        if (v == nullptr || v->is_null()) return true;
        if (!v->is_string()) {
            fail_event("an event member that must be a string is not one");
            return false;
        }
        out = v->get_string();
        return true;
    }

    void start_block() {
        open_ = true;
        open_kind_ = block_.kind;
        streamed_.clear();
        ++item_blocks_;
        stream_event e;
        e.type = stream_event_type::block_start;
        e.index = next_index_;
        e.block = &block_;
        emit(e);
    }

    void close_block() {
        if (!open_) return;
        open_ = false;
        stream_event e;
        e.type = stream_event_type::block_stop;
        e.index = next_index_++;
        emit(e);
    }

    /// A delta of the open block's own kind (or a signature).
    void emit_delta(std::string_view data, std::optional<delta_type> type = std::nullopt) {
        if (data.empty() || !open_) return;
        stream_event e;
        e.type = stream_event_type::block_delta;
        e.index = next_index_;
        e.delta = type                                 ? *type
                  : open_kind_ == block_kind::tool_use ? delta_type::tool_arguments
                  : open_kind_ == block_kind::thinking ? delta_type::thinking
                                                       : delta_type::text;
        e.data = data;
        if (e.delta != delta_type::signature) streamed_.append(data);
        emit(e);
    }

    stream::sse_parser sse_;
    event_arena<16 * 1024> arena_;
    json::parser json_;
    event_sink* sink_ = nullptr;

    content_block block_;                 // handed to block_start; strings keep their capacity
    std::vector<content_block> scratch_;  // items read whole
    std::string streamed_;                // what the open block's deltas delivered
    usage usage_;
    detail::output_flags flags_;
    std::string item_id_;
    std::string item_phase_;
    std::int64_t item_index_ = -1;  // output_index of the current item
    std::size_t item_blocks_ = 0;   // blocks the current item opened
    std::uint32_t next_index_ = 0;  // index of the open block, or of the next one
    item_kind item_kind_ = item_kind::other;
    block_kind open_kind_ = block_kind::text;
    bool open_ = false;
    bool item_open_ = false;
    bool any_item_ = false;
    bool started_ = false;
    bool done_ = false;
    bool failed_ = false;
    error_code failure_;
    std::string detail_;
};

}  // namespace

std::unique_ptr<upstream::stream_decoder> make_stream_decoder(
    const upstream::stream_decoder_options& options) {
    return std::make_unique<responses_stream_decoder>(options);
}

}  // namespace gateway::formats::openai_responses
