// Client side: canonical events → Responses SSE, as OpenAI streams them (openai-responses/*.sse):
//
//   event: response.created        {"type":..,"sequence_number":0,"response":{.. in_progress ..}}
//   event: response.in_progress    the same object
//   per output item:
//     response.output_item.added   {"output_index":i,"item":{.. "status":"in_progress" ..}}
//     message:   response.content_part.added, response.output_text.delta* (or refusal.delta*),
//                response.output_text.done (refusal.done), response.content_part.done per part
//     reasoning: response.reasoning_summary_part.added, response.reasoning_summary_text.delta*,
//                response.reasoning_summary_text.done, response.reasoning_summary_part.done
//     function_call: response.function_call_arguments.delta*, response.function_call_arguments.done
//     response.output_item.done    the complete item
//   event: response.completed      (response.incomplete for length / content_filter / pause_turn,
//                                  response.failed for an error finish) with all output and usage
//
// A canonical error becomes `event: error` (`{"type":"error","sequence_number":n,"error":{..}}`)
// then `response.failed` with `response.error` {code, message}, as recorded in
// error-stream-insufficient-quota.chunks.txt.
//
// Blocks → items: text and refusal blocks that follow each other are the parts of one message
// item (a block of this format naming another item id starts a new one); thinking blocks are the
// summary parts of one reasoning item, which ends after a block carrying an OpenAI signature (its
// `encrypted_content`) or when a block names another item; each tool_use block is a function_call
// item. A reasoning item opens at its first summary text or signature (or at its end when it has
// an id of this format), so thinking without anything to show (a Claude signature alone) makes no
// item. Images, documents and tool results are not output and are skipped.
//
// Events are appended to `out_`; item JSON is built once per item (for output_item.done and kept
// for the final response). Buffers keep their capacity: a steady stream allocates nothing per
// event. The non-stream encoder (client_response.cpp) replays a response through this class with
// events off, so both agree on the items.

#include "formats/json_util.hpp"
#include "formats/openai_chat/common.hpp"
#include "formats/openai_responses/codec.hpp"
#include "formats/openai_responses/common.hpp"
#include "formats/openai_responses/response_object.hpp"

namespace gateway::formats::openai_responses {

namespace json = boost::json;

namespace {

class responses_stream_encoder final : public ingress::stream_encoder {
  public:
    /// `events` false: only the final response object is built (see `take_final_response()`).
    responses_stream_encoder(const ingress::encode_options& options, bool events)
        : model_(options.model),
          created_(options.created),
          original_(options.original),
          events_(events) {}

    bool finished() const noexcept override { return finished_; }

    void on_event(const stream_event& e) override {
        if (finished_) return;
        switch (e.type) {
            case stream_event_type::message_start:
                start(e.id, e.model, e.tokens);
                break;
            case stream_event_type::block_start:
                ensure_started();
                block_start(e.block);
                break;
            case stream_event_type::block_delta:
                ensure_started();
                block_delta(e.delta, e.data);
                break;
            case stream_event_type::block_stop:
                block_stop();
                break;
            case stream_event_type::message_delta:
                ensure_started();
                if (e.tokens != nullptr) {
                    usage_ = *e.tokens;
                    usage_known_ = true;
                }
                if (e.finish != finish_reason::none) finish_ = e.finish;
                break;
            case stream_event_type::message_stop:
                ensure_started();
                stop();
                break;
            case stream_event_type::error:
                error(e.error);
                break;
        }
    }

    // For the non-stream encoder.
    void set_created(std::int64_t created) { created_ = created; }
    /// The `error` of a response that ended with the error finish (a failed upstream response).
    void set_failure(std::string_view code, std::string_view message) {
        if (!code.empty()) stopped_.code = code;
        if (!message.empty()) stopped_.message = message;
    }
    void set_service_tier(std::string_view tier) { service_tier_ = tier; }
    std::string take_final_response() noexcept { return std::move(final_); }

  private:
    enum class item_kind : std::uint8_t { none, message, reasoning, function_call };

    // ---- event framing --------------------------------------------------------------------

    /// `event: <type>\ndata: {"type":"<type>","sequence_number":n` (the caller adds members and
    /// calls end_event).
    void begin_event(std::string_view type) {
        out_ += "event: ";
        out_ += type;
        out_ += "\ndata: {\"type\":\"";
        out_ += type;
        out_ += "\",\"sequence_number\":";
        append_json_int(out_, sequence_++);
    }

    void end_event() { out_ += "}\n\n"; }

    /// `,"item_id":..,"output_index":..` (every item-level event has them).
    void item_members() {
        out_ += R"(,"item_id":)";
        append_json_string(out_, item_id_);
        out_ += R"(,"output_index":)";
        append_json_int(out_, item_index_);
    }

    void response_event(std::string_view type, std::string_view status,
                        std::string_view incomplete_reason, const upstream_error* err) {
        response_.clear();
        detail::response_fields f;
        f.id = id_;
        f.created_at = created_;
        f.status = status;
        f.incomplete_reason = incomplete_reason;
        f.error = err;
        f.model = model_;
        f.output = output_;
        f.tokens = usage_known_ && status != "in_progress" ? &usage_ : nullptr;
        f.service_tier = service_tier_;
        detail::append_response_object(response_, f, original_);
        if (!events_) {
            final_ = std::move(response_);
            return;
        }
        begin_event(type);
        out_ += R"(,"response":)";
        out_ += response_;
        end_event();
    }

    // ---- the response ---------------------------------------------------------------------

    void start(std::string_view id, std::string_view model, const usage* tokens) {
        if (started_) return;
        started_ = true;
        id_ = detail::response_id(id);
        if (model_.empty()) model_ = model;
        if (tokens != nullptr) {
            usage_ = *tokens;
            usage_known_ = true;
        }
        if (!events_) return;
        response_event("response.created", "in_progress", {}, nullptr);
        response_event("response.in_progress", "in_progress", {}, nullptr);
    }

    void ensure_started() {
        if (!started_) start({}, {}, nullptr);
    }

    void stop() {
        const detail::wire_status wire = detail::status_to_wire(finish_);
        // The item still open is the one the model was writing when it stopped.
        close_item(wire.status == "completed" ? "completed" : "incomplete");
        if (wire.status == "failed") {
            response_event("response.failed", "failed", {}, &stopped_);
        } else {
            response_event(
                wire.status == "completed" ? "response.completed" : "response.incomplete",
                wire.status, wire.incomplete_reason, nullptr);
        }
        finished_ = true;
    }

    void error(const upstream_error* err) {
        const upstream_error fallback{502, "api_error", {}, {}, "upstream error"};
        const upstream_error& e = err != nullptr ? *err : fallback;
        ensure_started();
        if (events_) {
            // The envelope's `"error":{...}` member is the event's (type, code, message, param).
            scratch_.clear();
            openai_chat::detail::append_error_body(scratch_, e);
            begin_event("error");
            out_ += ',';
            out_.append(scratch_, 1);  // its closing brace closes the event
            out_ += "\n\n";
        }
        response_event("response.failed", "failed", {}, &e);
        finished_ = true;
    }

    // ---- items ----------------------------------------------------------------------------

    /// Opens an item: `output_item.added` with the in-progress item in `item_json_`.
    void open_item(item_kind kind) {
        item_kind_ = kind;
        item_opened_ = true;
        item_index_ = next_output_index_++;
        if (item_id_.empty()) {
            const std::string_view prefix = kind == item_kind::message     ? "msg_"
                                            : kind == item_kind::reasoning ? "rs_"
                                                                           : "fc_";
            item_id_ = detail::made_up_item_id(prefix, id_, static_cast<std::size_t>(item_index_));
        }
        if (!events_) return;
        item_json_.clear();
        switch (kind) {
            case item_kind::message:
                detail::append_message_item(item_json_, item_id_, "in_progress", {}, phase_);
                break;
            case item_kind::reasoning:
                detail::append_reasoning_item(item_json_, item_id_, {}, {});
                break;
            case item_kind::function_call:
                item_json_ += R"({"id":)";
                append_json_string(item_json_, item_id_);
                item_json_ += R"(,"type":"function_call","status":"in_progress","arguments":"")";
                item_json_ += R"(,"call_id":)";
                append_json_string(item_json_, call_id_);
                item_json_ += R"(,"name":)";
                append_json_string(item_json_, name_);
                item_json_ += '}';
                break;
            case item_kind::none:
                return;
        }
        item_event("response.output_item.added");
    }

    /// `response.output_item.added` / `.done` with the item in `item_json_`.
    void item_event(std::string_view type) {
        begin_event(type);
        out_ += R"(,"output_index":)";
        append_json_int(out_, item_index_);
        out_ += R"(,"item":)";
        out_ += item_json_;
        end_event();
    }

    /// A new item of `kind` for a block whose own item id (of this format) is `id`: the current
    /// item is closed first. A reasoning item is only prepared (opened at its first content).
    void begin_item(item_kind kind, std::string_view id) {
        close_item("completed");
        item_kind_ = kind;
        item_id_.assign(id);
        kept_id_.assign(id);
        parts_.clear();
        content_index_ = 0;
        summary_index_ = 0;
        encrypted_.clear();
        signed_ = false;
        if (kind != item_kind::reasoning) open_item(kind);
    }

    void ensure_reasoning_open() {
        if (!item_opened_) open_item(item_kind::reasoning);
    }

    void close_item(std::string_view status) {
        if (item_kind_ == item_kind::none) return;
        const item_kind kind = item_kind_;
        item_kind_ = item_kind::none;
        if (!item_opened_) return;  // a reasoning item that never had content
        item_opened_ = false;
        item_json_.clear();
        switch (kind) {
            case item_kind::message:
                detail::append_message_item(item_json_, item_id_, status, parts_, phase_);
                break;
            case item_kind::reasoning:
                detail::append_reasoning_item(item_json_, item_id_, parts_, encrypted_);
                break;
            case item_kind::function_call:
                detail::append_function_call_item(item_json_, item_id_, status, arguments_,
                                                  call_id_, name_);
                break;
            case item_kind::none:
                break;
        }
        if (!output_.empty()) output_ += ',';
        output_ += item_json_;
        if (events_) item_event("response.output_item.done");
    }

    // ---- blocks ---------------------------------------------------------------------------

    void block_start(const content_block* b) {
        const block_kind kind = b != nullptr ? b->kind : block_kind::text;
        block_ = kind;
        part_open_ = false;
        text_.clear();
        switch (kind) {
            case block_kind::text:
            case block_kind::refusal: {
                const std::string_view id =
                    b != nullptr ? detail::kept_item_id(*b, "msg_") : std::string_view();
                if (item_kind_ != item_kind::message || (!id.empty() && id != kept_id_)) {
                    close_item("completed");  // before phase_ changes: it may be a message
                    phase_.clear();
                    if (b != nullptr && b->extra_format == detail::format_name) {
                        phase_ = get_string(b->extra, "phase");
                    }
                    begin_item(item_kind::message, id);
                }
                annotations_.clear();
                if (b != nullptr && b->extra_format == detail::format_name) {
                    if (const json::array* a = get_array(b->extra, "annotations")) {
                        annotations_ = *a;
                    }
                }
                open_part();
                break;
            }
            case block_kind::thinking:
            case block_kind::redacted_thinking: {
                const std::string_view id =
                    b != nullptr ? detail::kept_item_id(*b, "rs_") : std::string_view();
                if (item_kind_ != item_kind::reasoning || signed_ ||
                    (!id.empty() && id != kept_id_)) {
                    begin_item(item_kind::reasoning, id);
                }
                openai_signature_ = b != nullptr && b->signature_origin == reasoning_origin::openai;
                if (openai_signature_ && !b->signature.empty()) signature(b->signature);
                break;
            }
            case block_kind::tool_use:
                close_item("completed");  // before the call's members change
                call_id_.assign(b->id);
                name_.assign(b->name);
                arguments_.clear();
                begin_item(item_kind::function_call, detail::kept_item_id(*b, "fc_"));
                break;
            default:
                block_ = block_kind::image;  // not output: its deltas and stop are ignored
                break;
        }
    }

    void open_part() {
        part_open_ = true;
        if (!events_) return;
        begin_event("response.content_part.added");
        item_members();
        out_ += R"(,"content_index":)";
        append_json_int(out_, content_index_);
        out_ += R"(,"part":)";
        if (block_ == block_kind::refusal) {
            detail::append_refusal_part(out_, {});
        } else {
            detail::append_output_text_part(out_, {}, nullptr);
        }
        end_event();
    }

    void signature(std::string_view data) {
        ensure_reasoning_open();
        encrypted_ += data;
        signed_ = true;
    }

    void block_delta(delta_type type, std::string_view data) {
        if (data.empty()) return;
        switch (block_) {
            case block_kind::text:
            case block_kind::refusal:
                if (type != delta_type::text) return;  // e.g. a Gemini signature on text
                text_ += data;
                if (!events_) return;
                begin_event(block_ == block_kind::refusal ? "response.refusal.delta"
                                                          : "response.output_text.delta");
                item_members();
                out_ += R"(,"content_index":)";
                append_json_int(out_, content_index_);
                out_ += R"(,"delta":)";
                append_json_string(out_, data);
                if (block_ == block_kind::text) out_ += R"(,"logprobs":[])";
                end_event();
                return;
            case block_kind::thinking:
            case block_kind::redacted_thinking:
                if (type == delta_type::signature) {
                    if (openai_signature_) signature(data);
                    return;
                }
                if (type != delta_type::thinking && type != delta_type::text) return;
                ensure_reasoning_open();
                if (!part_open_) {
                    part_open_ = true;
                    if (events_) {
                        begin_event("response.reasoning_summary_part.added");
                        item_members();
                        summary_members();
                        out_ += R"(,"part":)";
                        detail::append_summary_part(out_, {});
                        end_event();
                    }
                }
                text_ += data;
                if (!events_) return;
                begin_event("response.reasoning_summary_text.delta");
                item_members();
                summary_members();
                out_ += R"(,"delta":)";
                append_json_string(out_, data);
                end_event();
                return;
            case block_kind::tool_use:
                if (type != delta_type::tool_arguments) return;
                arguments_ += data;
                if (!events_) return;
                begin_event("response.function_call_arguments.delta");
                item_members();
                out_ += R"(,"delta":)";
                append_json_string(out_, data);
                end_event();
                return;
            default:
                return;
        }
    }

    void summary_members() {
        out_ += R"(,"summary_index":)";
        append_json_int(out_, summary_index_);
    }

    void block_stop() {
        switch (block_) {
            case block_kind::text:
            case block_kind::refusal:
                close_part();
                break;
            case block_kind::thinking:
            case block_kind::redacted_thinking:
                if (part_open_) close_summary_part();
                // A summary-less item of this format still goes back to the client.
                if (!item_opened_ && !kept_id_.empty()) ensure_reasoning_open();
                break;
            case block_kind::tool_use:
                if (events_) {
                    begin_event("response.function_call_arguments.done");
                    item_members();
                    out_ += R"(,"arguments":)";
                    append_json_string(out_, arguments_.empty() ? std::string_view("{}")
                                                                : std::string_view(arguments_));
                    end_event();
                }
                close_item("completed");
                break;
            default:
                break;
        }
        block_ = block_kind::image;
        part_open_ = false;
    }

    void close_part() {
        if (!part_open_) return;
        // The finished part, for content_part.done and the item.
        part_.clear();
        const bool refusal = block_ == block_kind::refusal;
        if (refusal) {
            detail::append_refusal_part(part_, text_);
        } else {
            detail::append_output_text_part(part_, text_,
                                            annotations_.empty() ? nullptr : &annotations_);
        }
        if (!parts_.empty()) parts_ += ',';
        parts_ += part_;
        if (events_) {
            begin_event(refusal ? "response.refusal.done" : "response.output_text.done");
            item_members();
            out_ += R"(,"content_index":)";
            append_json_int(out_, content_index_);
            out_ += refusal ? R"(,"refusal":)" : R"(,"text":)";
            append_json_string(out_, text_);
            if (!refusal) out_ += R"(,"logprobs":[])";
            end_event();
            begin_event("response.content_part.done");
            item_members();
            out_ += R"(,"content_index":)";
            append_json_int(out_, content_index_);
            out_ += R"(,"part":)";
            out_ += part_;
            end_event();
        }
        ++content_index_;
    }

    void close_summary_part() {
        part_.clear();
        detail::append_summary_part(part_, text_);
        if (!parts_.empty()) parts_ += ',';
        parts_ += part_;
        if (events_) {
            begin_event("response.reasoning_summary_text.done");
            item_members();
            summary_members();
            out_ += R"(,"text":)";
            append_json_string(out_, text_);
            end_event();
            begin_event("response.reasoning_summary_part.done");
            item_members();
            summary_members();
            out_ += R"(,"part":)";
            out_ += part_;
            end_event();
        }
        ++summary_index_;
    }

    std::string model_;
    std::int64_t created_;
    const request* original_;
    bool events_;
    std::string service_tier_;

    std::string id_;        // resp_…
    std::string output_;    // the finished items, comma-separated
    std::string response_;  // the response object of the current response.* event
    std::string final_;     // events off: the final response object
    std::string scratch_;
    std::int64_t sequence_ = 0;
    usage usage_;
    bool usage_known_ = false;
    finish_reason finish_ = finish_reason::none;
    // The error of the error finish (no error event: e.g. Gemini's MALFORMED_FUNCTION_CALL).
    upstream_error stopped_{
        502, "api_error", "server_error", {}, "the upstream stopped with an error"};

    // The current item.
    item_kind item_kind_ = item_kind::none;
    bool item_opened_ = false;  // output_item.added was sent
    std::string item_id_;
    std::string kept_id_;  // the id of this format the item's blocks carry, if any
    std::int64_t item_index_ = 0;
    std::int64_t next_output_index_ = 0;
    std::string item_json_;
    std::string parts_;  // finished content or summary parts, comma-separated
    std::string part_;
    std::string phase_;
    std::int64_t content_index_ = 0;
    std::int64_t summary_index_ = 0;
    std::string encrypted_;
    bool signed_ = false;  // the reasoning item got its encrypted_content
    std::string call_id_;
    std::string name_;
    std::string arguments_;

    // The current block.
    block_kind block_ = block_kind::image;  // image: none (or not output)
    bool part_open_ = false;
    bool openai_signature_ = false;
    std::string text_;
    json::array annotations_;

    bool started_ = false;
    bool finished_ = false;
};

}  // namespace

std::unique_ptr<ingress::stream_encoder> make_stream_encoder(
    const ingress::encode_options& options) {
    return std::make_unique<responses_stream_encoder>(options, true);
}

namespace detail {

std::string assemble_response(const response& res, const ingress::encode_options& options) {
    responses_stream_encoder encoder(options, false);
    encoder.set_created(res.created != 0 ? res.created : options.created);
    if (res.extra_format == format_name || res.extra_format == "openai_chat") {
        encoder.set_service_tier(get_string(res.extra, "service_tier"));
    }
    if (res.extra_format == format_name) {
        if (const boost::json::object* error = get_object(res.extra, "error")) {
            encoder.set_failure(get_string(*error, "code"), get_string(*error, "message"));
        }
    }
    stream_event e;
    e.type = stream_event_type::message_start;
    e.id = res.id;
    e.model = res.model;
    encoder.on_event(e);
    for (std::size_t i = 0; i < res.content.size(); ++i) {
        const content_block& b = res.content[i];
        const auto index = static_cast<std::uint32_t>(i);
        stream_event start;
        start.type = stream_event_type::block_start;
        start.index = index;
        start.block = &b;  // the block's signature counts as delivered at the start
        encoder.on_event(start);
        stream_event delta;
        delta.type = stream_event_type::block_delta;
        delta.index = index;
        delta.delta = b.kind == block_kind::tool_use   ? delta_type::tool_arguments
                      : b.kind == block_kind::thinking ? delta_type::thinking
                                                       : delta_type::text;
        delta.data = b.kind == block_kind::tool_use ? std::string_view(b.arguments)
                                                    : std::string_view(b.text);
        encoder.on_event(delta);
        stream_event stop;
        stop.type = stream_event_type::block_stop;
        stop.index = index;
        encoder.on_event(stop);
    }
    stream_event tail;
    tail.type = stream_event_type::message_delta;
    tail.finish = res.finish;
    tail.tokens = res.usage.reported ? &res.usage : nullptr;
    encoder.on_event(tail);
    stream_event end;
    end.type = stream_event_type::message_stop;
    encoder.on_event(end);
    return encoder.take_final_response();
}

}  // namespace detail

}  // namespace gateway::formats::openai_responses
