// Upstream side: a v2 chat SSE stream → canonical events.
//
// The wire (https://docs.cohere.com/docs/streaming, .../docs/tool-use-streaming): named events
// (`event: content-delta`) whose JSON data repeats the name in `type` and, for blocks, carries
// Cohere's `index` (counted separately for content and for tool calls):
//   message-start   {id, delta.message{role}}
//   content-start   {index, delta.message.content{type:"text"|"thinking", text|thinking}}
//   content-delta   {index, delta.message.content{text | thinking}}
//   content-end     {index}
//   tool-plan-delta {delta.message.tool_plan}            (no start or end event of its own)
//   tool-call-start {index, delta.message.tool_calls{id, type, function{name, arguments}}}
//   tool-call-delta {index, delta.message.tool_calls.function.arguments}
//   tool-call-end   {index}
//   citation-start / citation-end                         (ignored: no canonical home)
//   message-end     {delta{finish_reason, usage, error?}} (the end: no [DONE] follows)
//
// Canonical mapping: each content part and each tool call is a block; a run of tool-plan
// deltas is a text block (as in decode_response). message-end → message_delta and
// message_stop, or an error event when it carries `delta.error`. Unknown event types are
// skipped (Cohere adds events over time).

#include "formats/cohere_chat/codec.hpp"
#include "formats/json_util.hpp"
#include "formats/sse_json_decoder.hpp"

namespace gateway::formats::cohere_chat {

namespace json = boost::json;

namespace {

class cohere_stream_decoder final : public sse_json_decoder {
  public:
    explicit cohere_stream_decoder(const upstream::stream_decoder_options& options)
        : sse_json_decoder(options.max_event_bytes) {}

    result<void> finish(event_sink& /*sink*/) override {
        if (auto ended = end_input(); !ended || done_) return ended;
        return fail(errc::stream_truncated, started_
                                                ? "the upstream stream ended before message-end"
                                                : "the upstream stream ended before message-start");
    }

  private:
    void on_json(std::string_view event, const json::object& o) override {
        // The data repeats the event name in `type`; the data is what Cohere documents.
        std::string_view type = get_string(o, "type");
        if (type.empty()) type = event;
        on_event(type, o);
    }

    /// `delta.message` of an event, or null.
    static const json::object* delta_message(const json::object& o) {
        const json::object* delta = get_object(o, "delta");
        return delta == nullptr ? nullptr : get_object(*delta, "message");
    }

    /// A string member: absent or null is empty, another type is malformed.
    bool string_member(const json::object* o, std::string_view key, std::string_view& out) {
        out = {};
        if (o == nullptr) return true;
        const json::value* v = o->if_contains(key);
        if (v == nullptr || v->is_null()) return true;
        if (!v->is_string()) {
            fail_event("an event member that should be a string is not one");
            return false;
        }
        out = v->get_string();
        return true;
    }

    void on_event(std::string_view type, const json::object& o) {
        if (type == "message-start") {
            if (started_) return fail_event("a second message-start");
            started_ = true;
            stream_event start;
            start.type = stream_event_type::message_start;
            start.id = get_string(o, "id");
            blocks_.emit(start);
            return;
        }
        if (!started_) return fail_event("an event before message-start");
        const json::object* message = delta_message(o);
        if (type == "content-start") {
            const json::object* content = message ? get_object(*message, "content") : nullptr;
            const bool thinking = content != nullptr && get_string(*content, "type") == "thinking";
            std::string_view text;
            if (!string_member(content, thinking ? "thinking" : "text", text)) return;
            blocks_.start(thinking ? block_kind::thinking : block_kind::text);
            in_plan_ = false;
            if (!text.empty())
                blocks_.delta(thinking ? delta_type::thinking : delta_type::text, text);
        } else if (type == "content-delta") {
            if (!blocks_.is_open() || in_plan_ || blocks_.open_kind() == block_kind::tool_use) {
                return fail_event("content-delta without content-start");
            }
            const json::object* content = message ? get_object(*message, "content") : nullptr;
            const bool thinking = blocks_.open_kind() == block_kind::thinking;
            std::string_view text;
            if (!string_member(content, thinking ? "thinking" : "text", text)) return;
            if (!text.empty())
                blocks_.delta(thinking ? delta_type::thinking : delta_type::text, text);
        } else if (type == "content-end") {
            if (!blocks_.is_open() || in_plan_ || blocks_.open_kind() == block_kind::tool_use) {
                return fail_event("content-end without content-start");
            }
            blocks_.close();
            in_plan_ = false;
        } else if (type == "tool-call-end") {
            if (!blocks_.is_open() || blocks_.open_kind() != block_kind::tool_use) {
                return fail_event("tool-call-end without tool-call-start");
            }
            blocks_.close();
            in_plan_ = false;
        } else if (type == "tool-plan-delta") {
            std::string_view plan;
            if (!string_member(message, "tool_plan", plan)) return;
            if (plan.empty()) return;
            if (!blocks_.is_open() || !in_plan_) {
                blocks_.start(block_kind::text);
                in_plan_ = true;
            }
            blocks_.delta(delta_type::text, plan);
        } else if (type == "tool-call-start") {
            const json::object* call = message ? get_object(*message, "tool_calls") : nullptr;
            if (call == nullptr) return fail_event("tool-call-start without tool_calls");
            const json::object* fn = get_object(*call, "function");
            std::string_view id;
            std::string_view name;
            std::string_view args;
            if (!string_member(call, "id", id) || !string_member(fn, "name", name) ||
                !string_member(fn, "arguments", args)) {
                return;
            }
            blocks_.next().kind = block_kind::tool_use;
            blocks_.next().id.assign(id);
            blocks_.next().name.assign(name);
            blocks_.start();
            in_plan_ = false;
            if (!args.empty()) blocks_.delta(delta_type::tool_arguments, args);
        } else if (type == "tool-call-delta") {
            if (!blocks_.is_open() || blocks_.open_kind() != block_kind::tool_use) {
                return fail_event("tool-call-delta without tool-call-start");
            }
            const json::object* call = message ? get_object(*message, "tool_calls") : nullptr;
            const json::object* fn = call ? get_object(*call, "function") : nullptr;
            std::string_view args;
            if (!string_member(fn, "arguments", args)) return;
            if (!args.empty()) blocks_.delta(delta_type::tool_arguments, args);
        } else if (type == "message-end") {
            on_message_end(o);
        }
        // Anything else (citation-start, citation-end, debug, newer events): no canonical home.
    }

    void on_message_end(const json::object& o) {
        blocks_.close();
        in_plan_ = false;
        const json::object* delta = get_object(o, "delta");
        std::string_view error;
        std::string_view finish;
        if (!string_member(delta, "error", error) ||
            !string_member(delta, "finish_reason", finish)) {
            return;
        }
        if (!error.empty()) {
            upstream_error e;
            e.status = 502;
            e.type = "api_error";
            e.message = error;
            stream_event ev;
            ev.type = stream_event_type::error;
            ev.error = &e;
            blocks_.emit(ev);
            done_ = true;
            return;
        }
        stream_event md;
        md.type = stream_event_type::message_delta;
        md.finish = detail::finish_from_wire(finish);
        if (const json::value* u = delta ? delta->if_contains("usage") : nullptr;
            u != nullptr && !u->is_null()) {
            if (!u->is_object() || !detail::parse_usage(u->get_object(), usage_)) {
                return fail_event("malformed usage in message-end");
            }
            if (usage_.reported) md.tokens = &usage_;
        }
        blocks_.emit(md);
        stream_event stop;
        stop.type = stream_event_type::message_stop;
        blocks_.emit(stop);
        done_ = true;
    }

    usage usage_;
    bool in_plan_ = false;  // the open text block is a tool plan (closed by no event of its own)
    bool started_ = false;
};

}  // namespace

std::unique_ptr<upstream::stream_decoder> make_stream_decoder(
    const upstream::stream_decoder_options& options) {
    return std::make_unique<cohere_stream_decoder>(options);
}

}  // namespace gateway::formats::cohere_chat
