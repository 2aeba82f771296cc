// Gemini GenerateContentResponse -> canonical events, shared by the non-stream and stream paths.

#include "formats/gemini/response_assembler.hpp"

#include "formats/json_util.hpp"

#include <boost/json/array.hpp>
#include <boost/json/value.hpp>

#include <utility>

namespace gateway::formats::gemini {

namespace json = boost::json;

namespace {

std::int64_t count(const json::object& o, std::string_view key) noexcept {
    const auto v = get_int(o, key);
    return v && *v > 0 ? *v : 0;
}

bool ends_with(std::string_view s, std::string_view suffix) noexcept {
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

}  // namespace

usage usage_from_metadata(const json::object& m) noexcept {
    usage u;
    u.input_tokens = count(m, "promptTokenCount") + count(m, "toolUsePromptTokenCount");
    u.reasoning_tokens = count(m, "thoughtsTokenCount");
    u.output_tokens = count(m, "candidatesTokenCount") + u.reasoning_tokens;
    u.cache_read_tokens = count(m, "cachedContentTokenCount");
    u.reported = m.contains("promptTokenCount") || m.contains("candidatesTokenCount") ||
                 m.contains("thoughtsTokenCount") || m.contains("totalTokenCount");
    return u;
}

finish_reason finish_from_wire(std::string_view r, bool called_function) noexcept {
    if (r == "STOP") return called_function ? finish_reason::tool_use : finish_reason::stop;
    if (r == "MAX_TOKENS") return finish_reason::length;
    // The filter family (and its IMAGE_* variants on image models): output withheld by a
    // classifier, which is what content_filter means to every client format.
    if (r == "SAFETY" || r == "RECITATION" || r == "BLOCKLIST" || r == "PROHIBITED_CONTENT" ||
        r == "SPII" || r == "LANGUAGE" || r == "IMAGE_SAFETY" || r == "IMAGE_PROHIBITED_CONTENT" ||
        r == "IMAGE_RECITATION") {
        return finish_reason::content_filter;
    }
    // MALFORMED_FUNCTION_CALL, OTHER, FINISH_REASON_UNSPECIFIED, UNEXPECTED_TOOL_CALL, ...: the
    // generation failed; usage.hpp maps them to `error`.
    return finish_reason::error;
}

upstream_error error_from_object(const json::object& err, unsigned http_status) {
    upstream_error e;
    const std::string_view status = get_string(err, "status");
    if (const auto code = get_int(err, "code"); code && *code >= 100 && *code <= 599) {
        http_status = static_cast<unsigned>(*code);
    }
    e.code = status;
    e.message = get_string(err, "message");
    if (e.message.empty()) e.message = "Gemini returned HTTP " + std::to_string(http_status);

    // google.rpc details: BadRequest.fieldViolations name the field; ErrorInfo.reason tells a
    // bad API key apart from a bad request (Google answers 400 INVALID_ARGUMENT with reason
    // API_KEY_INVALID for it, https://cloud.google.com/apis/design/errors#error_details).
    bool bad_credentials = false;
    if (const json::array* details = get_array(err, "details")) {
        for (const json::value& d : *details) {
            const json::object* o = d.if_object();
            if (o == nullptr) continue;
            const std::string_view type = get_string(*o, "@type");
            if (ends_with(type, "google.rpc.ErrorInfo")) {
                const std::string_view reason = get_string(*o, "reason");
                if (reason.starts_with("API_KEY_") || reason == "ACCESS_TOKEN_EXPIRED" ||
                    reason == "ACCESS_TOKEN_TYPE_UNSUPPORTED" || reason == "CREDENTIALS_MISSING") {
                    bad_credentials = true;
                }
            } else if (ends_with(type, "google.rpc.BadRequest") && e.param.empty()) {
                if (const json::array* v = get_array(*o, "fieldViolations");
                    v != nullptr && !v->empty() && v->front().is_object()) {
                    e.param = get_string(v->front().get_object(), "field");
                }
            }
        }
    }

    const auto set = [&](unsigned s, std::string_view type) {
        e.status = s;
        e.type = type;
    };
    if (bad_credentials || status == "UNAUTHENTICATED" || status == "PERMISSION_DENIED" ||
        (status.empty() && (http_status == 401 || http_status == 403))) {
        // The client cannot fix the channel's key: a gateway-side fault.
        set(502, "api_error");
        e.message = "upstream rejected the channel's credentials: " + e.message;
    } else if (status == "INVALID_ARGUMENT" || status == "FAILED_PRECONDITION" ||
               status == "OUT_OF_RANGE" || status == "UNIMPLEMENTED") {
        set(400, "invalid_request_error");
    } else if (status == "NOT_FOUND") {
        set(404, "not_found_error");
    } else if (status == "RESOURCE_EXHAUSTED") {
        set(429, "rate_limit_error");
    } else if (status == "UNAVAILABLE") {
        set(503, "overloaded_error");
    } else if (status == "DEADLINE_EXCEEDED") {
        set(504, "api_error");
    } else if (!status.empty()) {  // INTERNAL, UNKNOWN, DATA_LOSS, ABORTED, CANCELLED, ...
        set(502, "api_error");
    } else if (http_status == 404) {
        set(404, "not_found_error");
    } else if (http_status == 429) {
        set(429, "rate_limit_error");
    } else if (http_status == 503) {
        set(503, "overloaded_error");
    } else if (http_status == 504) {
        set(504, "api_error");
    } else if (http_status >= 400 && http_status < 500) {
        set(http_status, "invalid_request_error");
    } else {
        set(502, "api_error");
    }
    return e;
}

result<void> response_assembler::fail(std::string message) {
    detail_ = std::move(message);
    failed_ = true;
    return errc::bad_upstream_response;
}

result<void> response_assembler::on_chunk(const json::object& chunk, event_sink& sink) {
    if (failed_) return errc::bad_upstream_response;
    if (errored_) return {};

    if (const json::value* ev = chunk.if_contains("error")) {
        const json::object* eo = ev->if_object();
        if (eo == nullptr) return fail("`error` is not an object");
        const upstream_error err = error_from_object(*eo, 500);
        stream_event e;
        e.type = stream_event_type::error;
        e.error = &err;
        errored_ = true;
        sink.on_event(e);
        return {};
    }

    if (!started_) {
        started_ = true;
        id_ = get_string(chunk, "responseId");
        model_ = get_string(chunk, "modelVersion");
        // message_start carries the prompt side only (what Anthropic's message_start tells):
        // output counts of the first chunk are a snapshot that later chunks replace.
        usage start;
        if (const json::object* m = get_object(chunk, "usageMetadata")) {
            start = usage_from_metadata(*m);
            start.output_tokens = 0;
            start.reasoning_tokens = 0;
        }
        stream_event e;
        e.type = stream_event_type::message_start;
        e.id = id_;
        e.model = model_;
        e.tokens = start.reported ? &start : nullptr;
        sink.on_event(e);
    }

    bool finish_now = false;
    const json::value* cv = chunk.if_contains("candidates");
    if (cv != nullptr && !cv->is_array()) return fail("`candidates` is not an array");
    const json::array* candidates = cv != nullptr ? &cv->get_array() : nullptr;
    if (candidates != nullptr && !candidates->empty()) {
        // We never ask for candidateCount > 1: candidate 0 is the answer.
        const json::object* cand = candidates->front().if_object();
        if (cand == nullptr) return fail("candidates[0] is not an object");
        if (const json::value* content = cand->if_contains("content")) {
            if (!content->is_object()) return fail("candidates[0].content is not an object");
            if (const json::value* pv = content->get_object().if_contains("parts")) {
                if (!pv->is_array()) return fail("candidates[0].content.parts is not an array");
                const json::array& parts = pv->get_array();
                for (std::size_t i = 0; i < parts.size(); ++i) {
                    const json::object* part = parts[i].if_object();
                    if (part == nullptr) {
                        return fail("candidates[0].content.parts[" + std::to_string(i) +
                                    "] is not an object");
                    }
                    if (auto r = on_part(*part, i, sink); !r) return r;
                }
            }
        }
        if (const json::value* fr = cand->if_contains("finishReason")) {
            if (!fr->is_string()) return fail("candidates[0].finishReason is not a string");
            finish_ = finish_from_wire(fr->get_string(), called_function_);
            finish_now = true;
        }
        if (const std::string_view m = get_string(*cand, "finishMessage"); !m.empty()) {
            finish_message_ = m;
        }
    } else if (const json::object* pf = get_object(chunk, "promptFeedback")) {
        // A blocked prompt has no candidates, only promptFeedback.blockReason.
        if (!get_string(*pf, "blockReason").empty()) {
            finish_ = finish_reason::content_filter;
            finish_now = true;
        }
    }

    bool usage_now = false;
    if (const json::object* m = get_object(chunk, "usageMetadata")) {
        const usage u = usage_from_metadata(*m);
        if (u.reported) {
            usage_ = u;  // a cumulative snapshot: the last one wins
            usage_now = true;
        }
    }
    if (finish_now || (finished_ && usage_now)) {
        close_block(sink);
        finished_ = true;
        emit_message_delta(sink);
    }
    return {};
}

result<void> response_assembler::on_part(const json::object& part, std::size_t index,
                                         event_sink& sink) {
    const std::string_view signature = get_string(part, "thoughtSignature");
    const json::value* text = part.if_contains("text");
    const json::value* call = part.if_contains("functionCall");
    const json::value* inline_data = part.if_contains("inlineData");
    const json::value* file_data = part.if_contains("fileData");
    const bool has_content =
        call != nullptr || inline_data != nullptr || file_data != nullptr ||
        (text != nullptr && !(text->is_string() && text->get_string().empty()));
    if (finished_ && (has_content || !signature.empty())) {
        return fail("content after the finish reason");
    }
    if (call != nullptr) {
        if (!call->is_object()) {
            return fail("parts[" + std::to_string(index) + "].functionCall is not an object");
        }
        return on_function_call(call->get_object(), signature, index, sink);
    }
    if (inline_data != nullptr || file_data != nullptr) {
        const json::value* media = inline_data != nullptr ? inline_data : file_data;
        if (!media->is_object()) {
            return fail("parts[" + std::to_string(index) + "]: media is not an object");
        }
        return on_media(media->get_object(), inline_data != nullptr, index, sink);
    }
    for (const std::string_view other :
         {"executableCode", "codeExecutionResult", "functionResponse", "toolCall"}) {
        if (part.contains(other)) {
            return fail("parts[" + std::to_string(index) + "]: unsupported part `" +
                        std::string(other) + "`");
        }
    }
    if (text != nullptr && !text->is_string()) {
        return fail("parts[" + std::to_string(index) + "].text is not a string");
    }
    const std::string_view t = text != nullptr ? std::string_view(text->get_string()) : "";
    const std::optional<bool> thought = get_bool(part, "thought");
    on_text(t, thought.value_or(false), signature, sink);
    return {};
}

void response_assembler::on_text(std::string_view text, bool thought, std::string_view signature,
                                 event_sink& sink) {
    if (text.empty() && signature.empty()) return;  // e.g. the empty part of the last chunk
    const open_kind kind = thought ? open_kind::thinking : open_kind::text;
    if (text.empty()) {
        // A signature on an empty part (Gemini 3 sends it as the last part of an answer without
        // function calls): it belongs to what came before, so it joins the open block when that
        // block has none yet; otherwise it keeps a block of its own, which goes back to Gemini
        // as the same empty signed part.
        if (open_ == open_kind::none || open_signed_) {
            close_block(sink);
            open_block(thought ? block_kind::thinking : block_kind::text, sink);
            open_ = kind;
        }
    } else {
        // Consecutive parts of one kind are one block (a stream splits an answer into many parts)
        // unless a second signature would land on it: a block keeps one signature, its part's.
        if (open_ != kind || (open_signed_ && !signature.empty())) {
            close_block(sink);
            open_block(thought ? block_kind::thinking : block_kind::text, sink);
            open_ = kind;
        }
        emit_delta(thought ? delta_type::thinking : delta_type::text, text, sink);
    }
    if (!signature.empty()) {
        emit_delta(delta_type::signature, signature, sink);
        open_signed_ = true;
    }
}

result<void> response_assembler::on_function_call(const json::object& call,
                                                  std::string_view signature, std::size_t index,
                                                  event_sink& sink) {
    // Vertex AI can stream one call over several chunks (`willContinue`, `partialArgs`, closed by
    // an empty `functionCall: {}`) when `streamFunctionCallArguments` is requested; this encoder
    // never requests it, so such parts are reported rather than half-decoded.
    if (call.contains("partialArgs") || call.contains("willContinue")) {
        return fail("parts[" + std::to_string(index) +
                    "].functionCall: streamed partial arguments (partialArgs/willContinue) are "
                    "not supported");
    }
    const std::string_view name = get_string(call, "name");
    if (name.empty()) {
        return fail("parts[" + std::to_string(index) + "].functionCall has no name");
    }
    const json::value* args = call.if_contains("args");
    if (args != nullptr && !args->is_object() && !args->is_null()) {
        return fail("parts[" + std::to_string(index) + "].functionCall.args is not an object");
    }
    close_block(sink);

    // Gemini API calls carry no `id` unless the model sets one (newer models do); the canonical
    // form needs one for the tool result to refer to. Derived from the response id, so it is
    // stable and does not collide with the calls of other turns.
    std::string_view id = get_string(call, "id");
    if (id.empty()) {
        call_id_ = "call_";
        if (!id_.empty()) {
            call_id_ += id_;
            call_id_ += '_';
        }
        call_id_ += std::to_string(generated_ids_++);
        id = call_id_;
    }
    called_function_ = true;

    scratch_.kind = block_kind::tool_use;
    scratch_.id = id;
    scratch_.name = name;
    scratch_.signature = signature;
    scratch_.signature_origin = reasoning_origin::gemini;
    stream_event e;
    e.type = stream_event_type::block_start;
    e.index = next_index_;
    e.block = &scratch_;
    sink.on_event(e);

    std::string compact = "{}";
    if (args != nullptr && args->is_object()) {
        compact.clear();
        append_json_value(compact, *args);
    }
    e = {};
    e.type = stream_event_type::block_delta;
    e.index = next_index_;
    e.delta = delta_type::tool_arguments;
    e.data = compact;
    sink.on_event(e);

    e = {};
    e.type = stream_event_type::block_stop;
    e.index = next_index_++;
    sink.on_event(e);
    scratch_.signature.clear();
    return {};
}

result<void> response_assembler::on_media(const json::object& media, bool inline_data,
                                          std::size_t index, event_sink& sink) {
    // Image-output models answer with inlineData parts (base64 bytes).
    const std::string_view mime = get_string(media, "mimeType");
    const std::string_view data = get_string(media, inline_data ? "data" : "fileUri");
    if (data.empty()) {
        return fail("parts[" + std::to_string(index) + "]: media without data");
    }
    close_block(sink);
    scratch_.kind = mime.starts_with("image/") ? block_kind::image : block_kind::document;
    scratch_.source.type = inline_data ? media_source::kind::base64 : media_source::kind::url;
    scratch_.source.media_type = mime;
    scratch_.source.data = data;
    scratch_.signature_origin = reasoning_origin::gemini;
    stream_event e;
    e.type = stream_event_type::block_start;
    e.index = next_index_;
    e.block = &scratch_;
    sink.on_event(e);
    e = {};
    e.type = stream_event_type::block_stop;
    e.index = next_index_++;
    sink.on_event(e);
    scratch_.source = {};
    return {};
}

void response_assembler::open_block(block_kind kind, event_sink& sink) {
    scratch_.kind = kind;
    scratch_.id.clear();
    scratch_.name.clear();
    scratch_.signature.clear();
    // Any Gemini part may carry a thoughtSignature (it can arrive later, as a delta), and what it
    // carries is Gemini's reasoning state.
    scratch_.signature_origin = reasoning_origin::gemini;
    stream_event e;
    e.type = stream_event_type::block_start;
    e.index = next_index_;
    e.block = &scratch_;
    sink.on_event(e);
    open_signed_ = false;
}

void response_assembler::close_block(event_sink& sink) {
    if (open_ == open_kind::none) return;
    stream_event e;
    e.type = stream_event_type::block_stop;
    e.index = next_index_++;
    sink.on_event(e);
    open_ = open_kind::none;
    open_signed_ = false;
}

void response_assembler::emit_delta(delta_type type, std::string_view data, event_sink& sink) {
    stream_event e;
    e.type = stream_event_type::block_delta;
    e.index = next_index_;
    e.delta = type;
    e.data = data;
    sink.on_event(e);
}

void response_assembler::emit_message_delta(event_sink& sink) {
    stream_event e;
    e.type = stream_event_type::message_delta;
    e.finish = finish_;
    e.tokens = usage_.reported ? &usage_ : nullptr;
    sink.on_event(e);
}

bool response_assembler::finish(event_sink& sink) {
    if (failed_ || errored_) return errored_;
    close_block(sink);
    if (!finished_) return false;
    stream_event e;
    e.type = stream_event_type::message_stop;
    sink.on_event(e);
    return true;
}

}  // namespace gateway::formats::gemini
