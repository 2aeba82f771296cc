// Client side: canonical events → `chat.completion.chunk` SSE, as OpenAI streams them
// (openai-chat/text-stream.sse, parallel-tool-calls-stream.*.sse):
//
//   data: {... "choices":[{"index":0,"delta":{"role":"assistant","content":"","refusal":null},
//          "logprobs":null,"finish_reason":null}] [,"usage":null]}
//   data: {... "delta":{"content":"The"} ...}                      one per text delta
//   data: {... "delta":{"tool_calls":[{"index":0,"id":..,"type":"function",
//          "function":{"name":..,"arguments":""}}]} ...}            a tool call opens
//   data: {... "delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\""}}]} ...}
//   data: {... "delta":{},"logprobs":null,"finish_reason":"stop"}] ...}
//   data: {... "choices":[],"usage":{...}}                          only with include_usage
//   data: [DONE]
//
// With `stream_options.include_usage` every chunk before the usage chunk carries `"usage":null`,
// exactly as OpenAI does. An error event becomes `data: {"error":{...}}` and ends the stream
// without `[DONE]`: OpenAI's SDKs raise on an `error` payload and stop reading, and `[DONE]`
// would tell other clients the answer was complete.
//
// Chunks are written straight into `out_` with a prefix built once per stream: no allocation per
// event once the buffer has grown.

#include "formats/json_util.hpp"
#include "formats/openai_chat/codec.hpp"
#include "formats/openai_chat/common.hpp"

namespace gateway::formats::openai_chat {

namespace {

class chat_stream_encoder final : public ingress::stream_encoder {
  public:
    explicit chat_stream_encoder(const ingress::encode_options& options)
        : model_(options.model),
          created_(options.created),
          include_usage_(options.original != nullptr && options.original->include_usage),
          expose_reasoning_(options.expose_reasoning) {
        switch (options.reasoning) {
            case ingress::reasoning_field::reasoning_content:
                reasoning_key_ = R"({"reasoning_content":)";
                break;
            case ingress::reasoning_field::reasoning:
                reasoning_key_ = R"({"reasoning":)";
                break;
            case ingress::reasoning_field::thinking:
                reasoning_key_ = R"({"thinking":)";
                break;
        }
    }

    bool finished() const noexcept override { return finished_; }

    void on_event(const stream_event& e) override {
        if (finished_) return;
        switch (e.type) {
            case stream_event_type::message_start:
                start(e.id, e.model, e.tokens);
                break;
            case stream_event_type::block_start:
                block_start(e);
                break;
            case stream_event_type::block_delta:
                block_delta(e);
                break;
            case stream_event_type::block_stop:
                open_kind_ = block_kind::text;
                break;
            case stream_event_type::message_delta:
                ensure_started();
                if (e.tokens != nullptr) usage_ = *e.tokens;
                if (e.finish != finish_reason::none && !finish_sent_) write_finish(e.finish);
                break;
            case stream_event_type::message_stop:
                stop();
                break;
            case stream_event_type::error:
                error(e.error);
                break;
        }
    }

  private:
    void start(std::string_view id, std::string_view model, const usage* tokens) {
        if (started_) return;
        started_ = true;
        if (tokens != nullptr) usage_ = *tokens;
        prefix_ = R"(data: {"id":)";
        append_json_string(prefix_, detail::response_id(id));
        prefix_ += R"(,"object":"chat.completion.chunk","created":)";
        append_json_int(prefix_, created_);
        prefix_ += R"(,"model":)";
        append_json_string(prefix_, model_.empty() ? model : std::string_view(model_));
        prefix_ += ',';
        open_chunk();
        out_ += R"({"role":"assistant","content":"","refusal":null})";
        close_chunk(nullptr);
    }

    void ensure_started() {
        if (!started_) start({}, {}, nullptr);
    }

    // `data: {<prefix>"choices":[{"index":0,"delta":` ... then the delta, then close_chunk().
    void open_chunk() {
        out_ += prefix_;
        out_ += R"("choices":[{"index":0,"delta":)";
    }

    void close_chunk(const char* finish) {
        out_ += R"(,"logprobs":null,"finish_reason":)";
        if (finish == nullptr) {
            out_ += "null";
        } else {
            out_ += '"';
            out_ += finish;
            out_ += '"';
        }
        out_ += "}]";
        if (include_usage_) out_ += R"(,"usage":null)";
        out_ += "}\n\n";
    }

    void block_start(const stream_event& e) {
        ensure_started();
        open_kind_ = e.block != nullptr ? e.block->kind : block_kind::text;
        if (open_kind_ != block_kind::tool_use) return;  // text, refusal, thinking: no chunk
        tool_index_ = next_tool_index_++;
        open_chunk();
        out_ += R"({"tool_calls":[{"index":)";
        append_json_int(out_, tool_index_);
        out_ += R"(,"id":)";
        append_json_string(out_, e.block->id);
        out_ += R"(,"type":"function","function":{"name":)";
        append_json_string(out_, e.block->name);
        out_ += R"(,"arguments":""}}]})";
        close_chunk(nullptr);
    }

    void block_delta(const stream_event& e) {
        ensure_started();
        if (e.data.empty()) return;
        switch (e.delta) {
            case delta_type::text:
                open_chunk();
                out_ += open_kind_ == block_kind::refusal ? R"({"refusal":)" : R"({"content":)";
                append_json_string(out_, e.data);
                out_ += '}';
                close_chunk(nullptr);
                break;
            case delta_type::thinking:
                if (!expose_reasoning_) return;
                open_chunk();
                out_ += reasoning_key_;
                append_json_string(out_, e.data);
                out_ += '}';
                close_chunk(nullptr);
                break;
            case delta_type::tool_arguments:
                if (open_kind_ != block_kind::tool_use) return;
                open_chunk();
                out_ += R"({"tool_calls":[{"index":)";
                append_json_int(out_, tool_index_);
                out_ += R"(,"function":{"arguments":)";
                append_json_string(out_, e.data);
                out_ += "}}]}";
                close_chunk(nullptr);
                break;
            case delta_type::signature:
                break;  // Chat has no field for reasoning signatures
        }
    }

    void write_finish(finish_reason reason) {
        finish_sent_ = true;
        open_chunk();
        out_ += "{}";
        const std::string_view wire = detail::finish_to_wire(reason);
        out_ += R"(,"logprobs":null,"finish_reason":)";
        append_json_string(out_, wire);
        out_ += "}]";
        if (include_usage_) out_ += R"(,"usage":null)";
        out_ += "}\n\n";
    }

    void stop() {
        ensure_started();
        if (!finish_sent_) write_finish(finish_reason::stop);
        if (include_usage_) {
            out_ += prefix_;
            out_ += R"("choices":[],"usage":)";
            detail::append_usage(out_, usage_);
            out_ += "}\n\n";
        }
        out_ += "data: [DONE]\n\n";
        finished_ = true;
    }

    void error(const upstream_error* err) {
        out_ += "data: ";
        if (err != nullptr) {
            detail::append_error_body(out_, *err);
        } else {
            detail::append_error_body(out_,
                                      upstream_error{502, "api_error", {}, {}, "upstream error"});
        }
        out_ += "\n\n";
        finished_ = true;
    }

    std::string model_;
    std::int64_t created_;
    bool include_usage_;
    bool expose_reasoning_;
    const char* reasoning_key_ = R"({"reasoning_content":)";
    std::string prefix_;  // `data: {"id":..,"object":..,"created":..,"model":..,`
    usage usage_;
    block_kind open_kind_ = block_kind::text;
    std::int64_t tool_index_ = 0;       // Chat index of the open tool call
    std::int64_t next_tool_index_ = 0;  // tool calls are numbered on their own, from 0
    bool started_ = false;
    bool finish_sent_ = false;
    bool finished_ = false;
};

}  // namespace

std::unique_ptr<ingress::stream_encoder> make_stream_encoder(
    const ingress::encode_options& options) {
    return std::make_unique<chat_stream_encoder>(options);
}

}  // namespace gateway::formats::openai_chat
