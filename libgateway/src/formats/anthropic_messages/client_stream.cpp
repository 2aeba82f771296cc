// Client side, streaming: canonical events → Messages SSE, laid out like the recorded streams
// (https://docs.claude.com/en/docs/build-with-claude/streaming):
//
//   message_start, content_block_start, ping (once, after the first block start, as the API
//   does), content_block_delta*, content_block_stop, ..., message_delta (once), message_stop.
//
// Every event is written straight into `out_` with the JSON helpers: no per-event allocation
// once the buffers have grown (the signature and the usage are the only state kept).

#include "formats/anthropic_messages/codec.hpp"
#include "formats/anthropic_messages/common.hpp"
#include "formats/json_util.hpp"

#include <string>

namespace gateway::formats::anthropic_messages {

namespace json = boost::json;

namespace {

class client_stream_encoder final : public ingress::stream_encoder {
  public:
    explicit client_stream_encoder(const ingress::encode_options& options)
        : model_(options.model) {}

    bool finished() const noexcept override { return finished_; }

    void on_event(const stream_event& e) override {
        if (finished_) return;
        switch (e.type) {
            case stream_event_type::message_start:
                start_message(e);
                break;
            case stream_event_type::block_start:
                start_block(e);
                break;
            case stream_event_type::block_delta:
                delta(e);
                break;
            case stream_event_type::block_stop:
                stop_block();
                break;
            case stream_event_type::message_delta:
                // Buffered: Anthropic sends one message_delta, and canonical usage may come in a
                // later message_delta than the finish reason.
                if (e.finish != finish_reason::none) {
                    finish_ = e.finish;
                    stop_sequence_.assign(e.stop_sequence);
                }
                if (e.tokens != nullptr) usage_ = *e.tokens;
                break;
            case stream_event_type::message_stop:
                stop_message();
                break;
            case stream_event_type::error:
                error(e);
                break;
        }
    }

  private:
    enum class open_kind : std::uint8_t { none, text, thinking, redacted, tool, skipped };

    void begin(std::string_view name) {
        out_ += "event: ";
        out_ += name;
        out_ += "\ndata: ";
    }
    void end() { out_ += "\n\n"; }

    void ensure_started() {
        if (started_) return;
        // A grammar violation (no message_start): still give the client a well-formed stream.
        stream_event e;
        start_message(e);
    }

    void start_message(const stream_event& e) {
        if (started_) return;
        started_ = true;
        if (e.tokens != nullptr) usage_ = *e.tokens;
        begin("message_start");
        out_ += R"({"type":"message_start","message":{"model":)";
        append_json_string(out_, model_.empty() ? e.model : std::string_view(model_));
        out_ += R"(,"id":)";
        append_json_string(out_, message_id(e.id));  // once per stream
        out_ += R"(,"type":"message","role":"assistant","content":[],"stop_reason":null,)"
                R"("stop_sequence":null,"stop_details":null,"usage":{)";
        append_usage_members(out_, usage_);
        out_ += "}}}";
        end();
    }

    void write_block_start(std::string_view body) {
        begin("content_block_start");
        out_ += R"({"type":"content_block_start","index":)";
        append_json_int(out_, wire_index_);
        out_ += R"(,"content_block":)";
        out_ += body;
        out_ += '}';
        end();
        if (!pinged_) {
            // The API sends one ping right after the first content_block_start.
            pinged_ = true;
            out_ += "event: ping\ndata: {\"type\": \"ping\"}\n\n";
        }
    }

    void start_block(const stream_event& e) {
        ensure_started();
        if (open_ != open_kind::none) stop_block();
        signature_.clear();
        origin_ = reasoning_origin::none;
        const content_block* b = e.block;
        const block_kind kind = b != nullptr ? b->kind : block_kind::text;
        if (b != nullptr) {
            signature_ = b->signature;
            origin_ = b->signature_origin;
        }
        switch (kind) {
            case block_kind::text:
            case block_kind::refusal:
                open_ = open_kind::text;
                write_block_start(R"({"type":"text","text":""})");
                break;
            case block_kind::thinking:
                open_ = open_kind::thinking;
                write_block_start(R"({"type":"thinking","thinking":"","signature":""})");
                break;
            case block_kind::redacted_thinking:
                // The data belongs in content_block_start; it may still arrive as deltas, so the
                // start is written when the block stops.
                open_ = open_kind::redacted;
                break;
            case block_kind::tool_use: {
                open_ = open_kind::tool;
                scratch_.clear();
                scratch_ += R"({"type":"tool_use","id":)";
                append_json_string(scratch_, b->id);
                scratch_ += R"(,"name":)";
                append_json_string(scratch_, b->name);
                scratch_ += R"(,"input":{})";
                if (b->extra_format == format_name) {
                    if (const json::value* c = b->extra.if_contains("caller")) {
                        scratch_ += R"(,"caller":)";
                        append_json_value(scratch_, *c);
                    }
                }
                scratch_ += '}';
                write_block_start(scratch_);
                break;
            }
            case block_kind::image:
            case block_kind::document:
            case block_kind::tool_result:
                open_ = open_kind::skipped;  // not part of an assistant answer
                break;
        }
    }

    void write_delta(std::string_view type, std::string_view field, std::string_view data) {
        begin("content_block_delta");
        out_ += R"({"type":"content_block_delta","index":)";
        append_json_int(out_, wire_index_);
        out_ += R"(,"delta":{"type":")";
        out_ += type;
        out_ += R"(",")";
        out_ += field;
        out_ += R"(":)";
        append_json_string(out_, data);
        out_ += "}}";
        end();
    }

    void delta(const stream_event& e) {
        if (e.delta == delta_type::signature) {
            signature_.append(e.data);
            return;
        }
        switch (open_) {
            case open_kind::text:
                if (e.delta == delta_type::text) write_delta("text_delta", "text", e.data);
                break;
            case open_kind::thinking:
                if (e.delta == delta_type::thinking) {
                    write_delta("thinking_delta", "thinking", e.data);
                }
                break;
            case open_kind::tool:
                if (e.delta == delta_type::tool_arguments) {
                    write_delta("input_json_delta", "partial_json", e.data);
                }
                break;
            case open_kind::none:
            case open_kind::redacted:
            case open_kind::skipped:
                break;
        }
    }

    void stop_block() {
        switch (open_) {
            case open_kind::none:
                return;
            case open_kind::skipped:
                open_ = open_kind::none;
                return;
            case open_kind::redacted:
                scratch_.clear();
                scratch_ += R"({"type":"redacted_thinking","data":)";
                append_client_signature(scratch_, signature_, origin_);
                scratch_ += '}';
                write_block_start(scratch_);
                break;
            case open_kind::thinking:
                // Claude sends the signature in one signature_delta right before the stop; a
                // thinking block without one still gets it (empty), as SDKs expect the field.
                if (!signature_.empty() || origin_ != reasoning_origin::none) {
                    scratch_.clear();
                    append_client_signature(scratch_, signature_, origin_);
                    begin("content_block_delta");
                    out_ += R"({"type":"content_block_delta","index":)";
                    append_json_int(out_, wire_index_);
                    out_ += R"(,"delta":{"type":"signature_delta","signature":)";
                    out_ += scratch_;
                    out_ += "}}";
                    end();
                }
                break;
            case open_kind::text:
            case open_kind::tool:
                break;
        }
        begin("content_block_stop");
        out_ += R"({"type":"content_block_stop","index":)";
        append_json_int(out_, wire_index_);
        out_ += '}';
        end();
        ++wire_index_;
        open_ = open_kind::none;
    }

    void stop_message() {
        ensure_started();
        stop_block();
        begin("message_delta");
        out_ += R"({"type":"message_delta","delta":{"stop_reason":)";
        const std::string_view stop = finish_to_wire(finish_);
        if (stop.empty()) {
            out_ += "null";
        } else {
            append_json_string(out_, stop);
        }
        out_ += R"(,"stop_sequence":)";
        if (stop_sequence_.empty()) {
            out_ += "null";
        } else {
            append_json_string(out_, stop_sequence_);
        }
        out_ += R"(,"stop_details":null},"usage":{)";
        append_usage_members(out_, usage_);
        out_ += "}}";
        end();
        out_ += "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";
        finished_ = true;
    }

    void error(const stream_event& e) {
        // The API's in-stream error: `event: error` with the error envelope, then nothing.
        begin("error");
        if (e.error != nullptr) {
            append_error_body(out_, *e.error);
        } else {
            upstream_error unknown;
            unknown.message = "upstream stream failed";
            append_error_body(out_, unknown);
        }
        end();
        finished_ = true;
    }

    std::string model_;
    std::string signature_;  // of the open thinking / redacted_thinking block
    std::string scratch_;
    std::string stop_sequence_;
    usage usage_;
    finish_reason finish_ = finish_reason::none;
    reasoning_origin origin_ = reasoning_origin::none;
    std::int64_t wire_index_ = 0;
    open_kind open_ = open_kind::none;
    bool started_ = false;
    bool pinged_ = false;
    bool finished_ = false;
};

}  // namespace

std::unique_ptr<ingress::stream_encoder> make_stream_encoder(
    const ingress::encode_options& options) {
    return std::make_unique<client_stream_encoder>(options);
}

}  // namespace gateway::formats::anthropic_messages
