// Upstream side: a Chat Completions SSE stream → canonical events.
//
// The wire (openai-chat/*.sse; OpenAPI CreateChatCompletionStreamResponse): `data: <chunk>`
// frames, no `event:` lines, `data: [DONE]` at the end. The first chunk carries
// `delta.role`; text arrives as `delta.content`, refusals as `delta.refusal`, reasoning of
// compatible servers as `delta.reasoning_content` (DeepSeek, xAI) or `delta.reasoning`
// (OpenRouter). Tool calls are fragments keyed by `tool_calls[].index`: the first fragment of
// a call has `id`, `type`, `function.name` and usually `arguments:""`, later ones only
// `function.arguments` pieces. A chunk with `finish_reason` ends the choice; with
// `stream_options.include_usage` a last chunk with `choices:[]` carries `usage`.
//
// Canonical mapping: each run of one kind is a block (thinking, text, refusal, one per tool
// call); a change of kind closes the open block. `finish_reason` → message_delta (finish);
// the usage chunk → message_delta (usage); `[DONE]` → message_stop. An `{"error":...}` payload
// → error event.
//
// Steady state allocates nothing per event (sse_json_decoder.hpp): delta texts are views into
// the parsed chunk, and the block handed to block_start is a reused member.

#include "formats/json_util.hpp"
#include "formats/openai_chat/codec.hpp"
#include "formats/openai_chat/common.hpp"
#include "formats/sse_json_decoder.hpp"

namespace gateway::formats::openai_chat {

namespace json = boost::json;

namespace {

class chat_stream_decoder final : public sse_json_decoder {
  public:
    explicit chat_stream_decoder(const upstream::stream_decoder_options& options)
        : sse_json_decoder(options.max_event_bytes) {}

    result<void> finish(event_sink& sink) override {
        if (auto ended = end_input(); !ended || done_) return ended;
        if (finish_seen_) {
            // No [DONE], but the choice was finished: the answer is complete (some compatible
            // servers close the connection right after the last chunk).
            blocks_.bind(&sink);
            end_message();
            blocks_.bind(nullptr);
            return {};
        }
        return fail(errc::stream_truncated,
                    started_ ? "the upstream stream ended before its finish_reason"
                             : "the upstream stream ended before its first chunk");
    }

  private:
    void on_done() override {
        if (!started_) return fail_event("the upstream sent [DONE] before any chunk");
        end_message();
    }

    void on_json(std::string_view /*event*/, const json::object& o) override { on_chunk(o); }

    void on_chunk(const json::object& o) {
        if (const json::object* err = get_object(o, "error")) return on_error(*err);
        if (!started_ && is_annotation_only(o)) return;
        if (!started_) {
            started_ = true;
            stream_event start;
            start.type = stream_event_type::message_start;
            start.id = get_string(o, "id");
            start.model = get_string(o, "model");
            blocks_.emit(start);
        }
        // Usage first: a chunk with both a finish_reason and usage (some compatible servers)
        // gives one message_delta with both.
        if (const json::value* u = o.if_contains("usage"); u != nullptr && !u->is_null()) {
            if (!u->is_object() || !detail::parse_usage(u->get_object(), usage_)) {
                return fail_event("malformed usage in an upstream chunk");
            }
            usage_pending_ = true;
        }
        if (const json::value* choices = o.if_contains("choices");
            choices != nullptr && !choices->is_null()) {
            const json::array* a = choices->if_array();
            if (a == nullptr) return fail_event("choices is not an array");
            for (const json::value& c : *a) {
                const json::object* choice = c.if_object();
                if (choice == nullptr) return fail_event("a choice is not an object");
                // Only the first choice is converted (the gateway asks for n=1).
                if (get_int(*choice, "index").value_or(0) != 0) continue;
                if (!on_choice(*choice)) return;
            }
        }
        // Before the finish the blocks may still be open: the usage waits for it.
        if (usage_pending_ && finish_seen_) emit_message_delta();
    }

    // Azure OpenAI opens a stream with a chunk of its own, before the model's first one: an
    // empty id, model and `choices`, and the prompt's `prompt_filter_results`. It must not give
    // the message its (empty) id; content-filter chunks later in the stream are ignored anyway.
    static bool is_annotation_only(const json::object& o) {
        if (!get_string(o, "id").empty()) return false;
        const json::value* choices = o.if_contains("choices");
        const bool no_choices = choices == nullptr || choices->is_null() ||
                                (choices->is_array() && choices->get_array().empty());
        const json::value* u = o.if_contains("usage");
        return no_choices && (u == nullptr || u->is_null());
    }

    // A string member of a delta: absent or null is empty; another type is malformed.
    bool delta_string(const json::object& delta, std::string_view key, std::string_view& out) {
        out = {};
        const json::value* v = delta.if_contains(key);
        if (v == nullptr || v->is_null()) return true;
        if (!v->is_string()) {
            fail_event("a delta member is not a string");
            return false;
        }
        out = v->get_string();
        return true;
    }

    bool content_allowed() {
        if (!finish_seen_) return true;
        fail_event("the upstream sent content after finish_reason");
        return false;
    }

    bool on_choice(const json::object& choice) {
        if (const json::object* delta = get_object(choice, "delta")) {
            std::string_view text;
            if (!delta_string(*delta, "reasoning_content", text)) return false;
            // `reasoning` duplicates `reasoning_content` on some servers: one of them counts.
            if (text.empty() && !delta_string(*delta, "reasoning", text)) return false;
            if (!text.empty()) {
                if (!content_allowed()) return false;
                open_block(block_kind::thinking);
                blocks_.delta(delta_type::thinking, text);
            }
            if (!delta_string(*delta, "content", text)) return false;
            if (!text.empty()) {
                if (!content_allowed()) return false;
                open_block(block_kind::text);
                blocks_.delta(delta_type::text, text);
            }
            if (!delta_string(*delta, "refusal", text)) return false;
            if (!text.empty()) {
                if (!content_allowed()) return false;
                refusal_seen_ = true;
                open_block(block_kind::refusal);
                blocks_.delta(delta_type::text, text);
            }
            if (const json::value* calls = delta->if_contains("tool_calls");
                calls != nullptr && !calls->is_null()) {
                const json::array* a = calls->if_array();
                if (a == nullptr) {
                    fail_event("delta.tool_calls is not an array");
                    return false;
                }
                for (const json::value& call : *a) {
                    if (!on_tool_call(call)) return false;
                }
            }
        }
        std::string_view finish;
        if (!delta_string(choice, "finish_reason", finish)) return false;
        if (!finish.empty() && !finish_seen_) {
            blocks_.close();
            finish_seen_ = true;
            finish_ = detail::finish_from_wire(finish, refusal_seen_);
            emit_message_delta();
        }
        return true;
    }

    bool on_tool_call(const json::value& v) {
        const json::object* call = v.if_object();
        if (call == nullptr) {
            fail_event("a tool call fragment is not an object");
            return false;
        }
        if (!content_allowed()) return false;
        std::string_view id;
        if (!delta_string(*call, "id", id)) return false;
        const json::object* fn = get_object(*call, "function");
        std::string_view name;
        std::string_view args;
        if (fn != nullptr &&
            (!delta_string(*fn, "name", name) || !delta_string(*fn, "arguments", args))) {
            return false;
        }
        std::int64_t index = 0;
        if (const auto i = get_int(*call, "index")) {
            index = *i;
        } else if (call->contains("index")) {
            fail_event("tool_calls[].index is not an integer");
            return false;
        } else {
            // Servers that omit `index` (Gemini's compatibility layer): a fragment with an id
            // starts the next call, one without continues the open call.
            const bool continues =
                blocks_.is_open() && blocks_.open_kind() == block_kind::tool_use && id.empty();
            index = continues ? tool_index_ : tool_index_ + (tools_seen_ ? 1 : 0);
        }
        const bool same_call = blocks_.is_open() && blocks_.open_kind() == block_kind::tool_use &&
                               index == tool_index_;
        if (!same_call) {
            // Blocks are sequential: a call cannot be reopened once another block started.
            if (tools_seen_ && index <= tool_index_) {
                fail_event("a tool call fragment returned to an earlier tool call");
                return false;
            }
            tools_seen_ = true;
            tool_index_ = index;
            blocks_.close();
            blocks_.next().kind = block_kind::tool_use;
            blocks_.next().id.assign(id);
            blocks_.next().name.assign(name);
            blocks_.start();
        }
        if (!args.empty()) blocks_.delta(delta_type::tool_arguments, args);
        return true;
    }

    /// Continues the open block if it is of `kind`, else starts one.
    void open_block(block_kind kind) {
        if (blocks_.is_open() && blocks_.open_kind() == kind) return;
        blocks_.start(kind);
    }

    void emit_message_delta() {
        stream_event e;
        e.type = stream_event_type::message_delta;
        e.finish = finish_;
        if (usage_pending_) e.tokens = &usage_;
        usage_pending_ = false;
        blocks_.emit(e);
    }

    void end_message() {
        blocks_.close();
        if (usage_pending_) emit_message_delta();
        stream_event e;
        e.type = stream_event_type::message_stop;
        blocks_.emit(e);
        done_ = true;
    }

    void on_error(const json::object& err) {
        upstream_error error;
        detail::read_error_object(err, error);
        // The HTTP status was 200 already; the one given here tells the client what kind of
        // failure it was.
        if (error.type == "invalid_request_error") {
            error.status = 400;
        } else if (error.type == "rate_limit_error" || error.type == "insufficient_quota" ||
                   error.code == "rate_limit_exceeded") {
            error.status = 429;
        } else {
            error.status = 502;
            if (error.type.empty()) error.type = "api_error";
        }
        if (error.message.empty()) error.message = "the upstream reported an error mid-stream";
        stream_event e;
        e.type = stream_event_type::error;
        e.error = &error;
        blocks_.emit(e);
        done_ = true;
    }

    usage usage_;
    finish_reason finish_ = finish_reason::none;
    std::int64_t tool_index_ = 0;  // Chat index of the latest tool call
    bool tools_seen_ = false;
    bool started_ = false;
    bool finish_seen_ = false;
    bool usage_pending_ = false;
    bool refusal_seen_ = false;
};

}  // namespace

std::unique_ptr<upstream::stream_decoder> make_stream_decoder(
    const upstream::stream_decoder_options& options) {
    return std::make_unique<chat_stream_decoder>(options);
}

}  // namespace gateway::formats::openai_chat
