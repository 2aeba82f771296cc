// Stop reasons, usage, errors, ids and signature tagging shared by both sides of the format.

#include "formats/anthropic_messages/common.hpp"

#include "formats/json_util.hpp"
#include "gateway/core/request.hpp"

namespace gateway::formats::anthropic_messages {

namespace json = boost::json;

bool structured_output_emulated(const request* original) noexcept {
    return original != nullptr && original->format.type != response_format::kind::text;
}

std::string_view json_tool_description(const request& req) noexcept {
    if (!req.format.description.empty()) return req.format.description;
    return "Respond with a JSON document by calling this tool.";
}

json::value json_tool_schema(const request& req) {
    if (req.format.type == response_format::kind::json_schema && req.format.schema.is_object()) {
        return req.format.schema;
    }
    return json::object{{"type", "object"}};
}

finish_reason finish_from_wire(std::string_view stop_reason, bool* unknown) noexcept {
    if (unknown != nullptr) *unknown = false;
    if (stop_reason == "end_turn") return finish_reason::stop;
    if (stop_reason == "stop_sequence") return finish_reason::stop_sequence;
    if (stop_reason == "max_tokens") return finish_reason::length;
    if (stop_reason == "tool_use") return finish_reason::tool_use;
    if (stop_reason == "pause_turn") return finish_reason::pause_turn;
    if (stop_reason == "refusal") return finish_reason::refusal;
    // Documented in "Handling stop reasons" (not yet in the OpenAPI enum).
    if (stop_reason == "model_context_window_exceeded") return finish_reason::context_window;
    if (unknown != nullptr) *unknown = true;
    return finish_reason::stop;
}

std::string_view finish_to_wire(finish_reason reason) noexcept {
    switch (reason) {
        case finish_reason::stop:
            return "end_turn";
        case finish_reason::stop_sequence:
            return "stop_sequence";
        case finish_reason::length:
            return "max_tokens";
        case finish_reason::tool_use:
            return "tool_use";
        case finish_reason::content_filter:
        case finish_reason::refusal:
            return "refusal";
        case finish_reason::pause_turn:
            return "pause_turn";
        case finish_reason::context_window:
            return "model_context_window_exceeded";
        case finish_reason::none:
        case finish_reason::error:
            return {};
    }
    return {};
}

void read_usage(const json::object& wire, usage& u) noexcept {
    // Keep the Anthropic split while merging, then recompute the canonical input total.
    const std::int64_t uncached = u.uncached_input_tokens();
    const std::int64_t input = get_int(wire, "input_tokens").value_or(uncached);
    u.cache_read_tokens = get_int(wire, "cache_read_input_tokens").value_or(u.cache_read_tokens);
    u.cache_creation_tokens =
        get_int(wire, "cache_creation_input_tokens").value_or(u.cache_creation_tokens);
    u.input_tokens = input + u.cache_read_tokens + u.cache_creation_tokens;
    u.output_tokens = get_int(wire, "output_tokens").value_or(u.output_tokens);
    // Newer models report `output_tokens_details.thinking_tokens` (seen in message_delta).
    if (const json::object* details = get_object(wire, "output_tokens_details")) {
        u.reasoning_tokens = get_int(*details, "thinking_tokens").value_or(u.reasoning_tokens);
    }
    u.reported = true;
}

void append_usage_members(std::string& out, const usage& u) {
    append_json_key(out, "input_tokens");
    append_json_int(out, u.uncached_input_tokens());
    out += ',';
    append_json_key(out, "cache_creation_input_tokens");
    append_json_int(out, u.cache_creation_tokens);
    out += ',';
    append_json_key(out, "cache_read_input_tokens");
    append_json_int(out, u.cache_read_tokens);
    out += ',';
    append_json_key(out, "output_tokens");
    append_json_int(out, u.output_tokens);
    if (u.reasoning_tokens > 0) {
        // As newer models report it (read_usage): without it a client could not tell how much
        // of the output was thinking.
        out += R"(,"output_tokens_details":{"thinking_tokens":)";
        append_json_int(out, u.reasoning_tokens);
        out += '}';
    }
}

std::string_view error_type_for(const upstream_error& error) noexcept {
    const std::string_view t = error.type;
    if (t == "invalid_request_error" || t == "authentication_error" || t == "permission_error" ||
        t == "not_found_error" || t == "request_too_large" || t == "rate_limit_error" ||
        t == "api_error" || t == "overloaded_error") {
        return t;
    }
    if (t == "insufficient_quota") return "rate_limit_error";
    switch (error.status) {
        case 400:
            return "invalid_request_error";
        case 401:
            return "authentication_error";
        case 403:
            return "permission_error";
        case 404:
            return "not_found_error";
        case 413:
            return "request_too_large";
        case 429:
            return "rate_limit_error";
        case 503:
        case 529:
            return "overloaded_error";
        default:
            break;
    }
    if (error.status >= 400 && error.status < 500) return "invalid_request_error";
    return "api_error";
}

void append_error_body(std::string& out, const upstream_error& error) {
    out += R"({"type":"error","error":{"type":)";
    append_json_string(out, error_type_for(error));
    out += R"(,"message":)";
    append_json_string(out, error.message);
    out += "}}";
}

upstream_error error_from_wire(unsigned http_status, std::string_view type,
                               std::string_view message) {
    upstream_error e;
    e.type = type;
    e.message = message;
    // An in-stream error has no HTTP status of its own: judge by its type.
    if (http_status == 0) {
        if (type == "invalid_request_error")
            http_status = 400;
        else if (type == "authentication_error")
            http_status = 401;
        else if (type == "permission_error")
            http_status = 403;
        else if (type == "not_found_error")
            http_status = 404;
        else if (type == "request_too_large")
            http_status = 413;
        else if (type == "rate_limit_error")
            http_status = 429;
        else if (type == "overloaded_error")
            http_status = 529;
        else if (type == "timeout_error")
            http_status = 504;
        else
            http_status = 500;
    }
    if (type == "overloaded_error" || http_status == 529) {
        e.status = 503;
        e.type = "overloaded_error";
    } else if (http_status == 401 || http_status == 403) {
        // The channel's key, not the client's: the client cannot fix it.
        e.status = 502;
        e.type = "api_error";
        e.message = "upstream rejected the channel's credentials: ";
        e.message += message;
    } else if (http_status == 402) {  // billing_error: the operator's account
        e.status = 502;
        e.type = "api_error";
    } else if (http_status == 429) {
        e.status = 429;
        e.type = "rate_limit_error";
    } else if (http_status == 504 || type == "timeout_error") {
        e.status = 504;
        e.type = "api_error";
    } else if (http_status >= 500) {
        e.status = 502;
        e.type = "api_error";
    } else if (http_status >= 400) {
        e.status = http_status;  // 400, 404, 413, ...: the client's request
        if (e.type.empty()) {
            e.type = http_status == 404   ? "not_found_error"
                     : http_status == 413 ? "request_too_large"
                                          : "invalid_request_error";
        }
    } else {
        e.status = 502;
        e.type = "api_error";
    }
    return e;
}

std::string message_id(std::string_view upstream_id) {
    if (upstream_id.starts_with("msg_")) return std::string(upstream_id);
    std::string id = "msg_";
    // Keep the characters Anthropic ids use; the rest of the upstream id stays recognisable.
    for (const char c : upstream_id) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        (c >= '0' && c <= '9') || c == '_' || c == '-';
        if (ok) id += c;
    }
    if (id.size() == 4) id += "gateway";
    return id;
}

void append_client_signature(std::string& out, std::string_view signature,
                             reasoning_origin origin) {
    if (origin == reasoning_origin::anthropic ||
        (origin == reasoning_origin::none && signature.empty())) {
        append_json_string(out, signature);
        return;
    }
    std::string tagged;
    tagged.reserve(foreign_signature_prefix.size() + 10 + signature.size());
    tagged += foreign_signature_prefix;
    tagged += to_string(origin);
    tagged += ':';
    tagged += signature;
    append_json_string(out, tagged);
}

reasoning_origin parse_client_signature(std::string_view wire, std::string& signature) {
    if (wire.starts_with(foreign_signature_prefix)) {
        std::string_view rest = wire.substr(foreign_signature_prefix.size());
        const std::size_t colon = rest.find(':');
        if (colon != std::string_view::npos) {
            const std::string_view origin = rest.substr(0, colon);
            const std::string_view bytes = rest.substr(colon + 1);
            for (const reasoning_origin o :
                 {reasoning_origin::none, reasoning_origin::openai, reasoning_origin::gemini}) {
                if (origin == to_string(o)) {
                    signature = bytes;
                    return o;
                }
            }
        }
    }
    signature = wire;
    return wire.empty() ? reasoning_origin::none : reasoning_origin::anthropic;
}

}  // namespace gateway::formats::anthropic_messages
