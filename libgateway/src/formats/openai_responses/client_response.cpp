// Client side: the `response` object and its items (response_object.hpp), the non-stream body,
// and the error envelope.
//
// Member set and order of the response object as OpenAI sends it (reasoning-summary-function-
// call.json, the response.completed events of the recorded streams): id, object, created_at,
// status, background, error, incomplete_details, instructions, max_output_tokens,
// max_tool_calls, model, output, parallel_tool_calls, previous_response_id, prompt_cache_key,
// prompt_cache_retention, reasoning, safety_identifier, service_tier, store, temperature, text,
// tool_choice, tools, top_logprobs, top_p, truncation, usage, user, metadata. SDKs read the
// request parameters back from it, so they echo the client's request.

#include "formats/json_util.hpp"
#include "formats/openai_chat/common.hpp"
#include "formats/openai_responses/codec.hpp"
#include "formats/openai_responses/common.hpp"
#include "formats/openai_responses/response_object.hpp"

#include <optional>

namespace gateway::formats::openai_responses {

namespace json = boost::json;

namespace detail {

namespace {

void append_string_or_null(std::string& out, std::string_view s) {
    if (s.empty()) {
        out += "null";
    } else {
        append_json_string(out, s);
    }
}

/// `key` of the client's `extra` (in this format's names) when it has the wanted kind, else
/// `fallback` (a JSON literal).
void append_extra(std::string& out, const json::object* extra, std::string_view key,
                  json::kind wanted, std::string_view fallback) {
    const json::value* v = extra == nullptr ? nullptr : extra->if_contains(key);
    const bool number =
        wanted == json::kind::int64 && v != nullptr && (v->is_int64() || v->is_uint64());
    if (v != nullptr && (v->kind() == wanted || number)) {
        append_json_value(out, *v);
    } else {
        out += fallback;
    }
}

/// `{"type","description","name",<schema_key>,"strict"}`: a function tool and a json_schema
/// format have the same shape.
void append_schema_object(std::string& out, std::string_view type, std::string_view description,
                          std::string_view name, std::string_view schema_key,
                          const json::value& schema, const std::optional<bool>& strict) {
    out += R"({"type":)";
    append_json_string(out, type);
    out += R"(,"description":)";
    append_string_or_null(out, description);
    out += R"(,"name":)";
    append_json_string(out, name);
    out += ',';
    append_json_key(out, schema_key);
    append_json_value(out, schema);
    out += R"(,"strict":)";
    out += strict ? (*strict ? "true" : "false") : "null";
    out += '}';
}

void append_format(std::string& out, const response_format& f) {
    switch (f.type) {
        case response_format::kind::text:
            out += R"({"type":"text"})";
            return;
        case response_format::kind::json_object:
            out += R"({"type":"json_object"})";
            return;
        case response_format::kind::json_schema:
            break;
    }
    append_schema_object(out, "json_schema", f.description, f.name, "schema", f.schema, f.strict);
}

void append_tool_choice(std::string& out, const request& r, const json::object* extra) {
    switch (r.choice.type) {
        case tool_choice::mode::unset:
            break;
        case tool_choice::mode::auto_:
            out += R"("auto")";
            return;
        case tool_choice::mode::none:
            out += R"("none")";
            return;
        case tool_choice::mode::required:
            out += R"("required")";
            return;
        case tool_choice::mode::tool:
            out += R"({"type":"function","name":)";
            append_json_string(out, r.choice.name);
            out += '}';
            return;
    }
    append_extra(out, extra, "tool_choice", json::kind::object, R"("auto")");
}

void append_tools(std::string& out, const request& r) {
    out += '[';
    bool first = true;
    for (const tool& t : r.tools) {
        const bool function = t.type == "function";
        if (!function && t.extra_format != format_name) continue;  // another provider's tool
        if (!first) out += ',';
        first = false;
        if (!function) {
            append_json_value(out, t.extra);
            continue;
        }
        append_schema_object(out, "function", t.description, t.name, "parameters", t.parameters,
                             t.strict);
    }
    out += ']';
}

void append_error(std::string& out, const upstream_error& e) {
    // ResponseError: {code, message}; the code of a failure without one says who failed.
    out += R"({"code":)";
    if (!e.code.empty()) {
        append_json_string(out, e.code);
    } else {
        out += e.status == 429 ? R"("rate_limit_exceeded")" : R"("server_error")";
    }
    out += R"(,"message":)";
    append_json_string(out, e.message);
    out += '}';
}

}  // namespace

void append_response_object(std::string& out, const response_fields& f, const request* o) {
    const request neutral;
    const request& r = o != nullptr ? *o : neutral;
    const json::object* extra =
        r.source_format == api_format::openai_responses ? &r.extra : nullptr;

    out += R"({"id":)";
    append_json_string(out, f.id);
    out += R"(,"object":"response","created_at":)";
    append_json_int(out, f.created_at);
    out += R"(,"status":)";
    append_json_string(out, f.status);
    out += R"(,"background":)";
    append_extra(out, extra, "background", json::kind::bool_, "false");
    out += R"(,"error":)";
    if (f.error != nullptr) {
        append_error(out, *f.error);
    } else {
        out += "null";
    }
    out += R"(,"incomplete_details":)";
    if (f.status == "incomplete" && !f.incomplete_reason.empty()) {
        out += R"({"reason":)";
        append_json_string(out, f.incomplete_reason);
        out += '}';
    } else {
        out += "null";
    }
    out += R"(,"instructions":)";
    std::string instructions;
    for (const content_block& b : r.system) {
        if (b.kind != block_kind::text) continue;
        if (!instructions.empty()) instructions += '\n';
        instructions += b.text;
    }
    append_string_or_null(out, instructions);
    out += R"(,"max_output_tokens":)";
    if (r.max_output_tokens) {
        append_json_int(out, *r.max_output_tokens);
    } else {
        out += "null";
    }
    out += R"(,"max_tool_calls":)";
    append_extra(out, extra, "max_tool_calls", json::kind::int64, "null");
    out += R"(,"model":)";
    append_json_string(out, f.model);
    out += R"(,"output":[)";
    out += f.output;
    out += R"(],"parallel_tool_calls":)";
    out += r.parallel_tool_calls.value_or(true) ? "true" : "false";
    out += R"(,"previous_response_id":)";
    append_string_or_null(out, r.previous_response_id);
    out += R"(,"prompt_cache_key":)";
    append_extra(out, extra, "prompt_cache_key", json::kind::string, "null");
    out += R"(,"prompt_cache_retention":)";
    append_extra(out, extra, "prompt_cache_retention", json::kind::string, "null");
    out += R"(,"reasoning":{"effort":)";
    append_string_or_null(out, r.reasoning.effort.value_or(std::string()));
    out += R"(,"summary":)";
    append_string_or_null(out, r.reasoning.summary);
    out += R"(},"safety_identifier":)";
    append_extra(out, extra, "safety_identifier", json::kind::string, "null");
    out += R"(,"service_tier":)";
    if (!f.service_tier.empty()) {
        append_json_string(out, f.service_tier);
    } else {
        append_json_string(out, r.service_tier.value_or("default"));
    }
    out += R"(,"store":)";
    out += r.store.value_or(true) ? "true" : "false";
    out += R"(,"temperature":)";
    append_json_number(out, r.sampler.temperature.value_or(1.0));
    out += R"(,"text":{"format":)";
    append_format(out, r.format);
    if (const json::object* text = extra == nullptr ? nullptr : get_object(*extra, "text")) {
        if (const std::string_view verbosity = get_string(*text, "verbosity"); !verbosity.empty()) {
            out += R"(,"verbosity":)";
            append_json_string(out, verbosity);
        }
    }
    out += R"(},"tool_choice":)";
    append_tool_choice(out, r, extra);
    out += R"(,"tools":)";
    append_tools(out, r);
    out += R"(,"top_logprobs":)";
    append_extra(out, extra, "top_logprobs", json::kind::int64, "0");
    out += R"(,"top_p":)";
    append_json_number(out, r.sampler.top_p.value_or(1.0));
    out += R"(,"truncation":)";
    append_extra(out, extra, "truncation", json::kind::string, R"("disabled")");
    out += R"(,"usage":)";
    if (f.tokens != nullptr) {
        append_usage(out, *f.tokens);
    } else {
        out += "null";
    }
    out += R"(,"user":)";
    append_string_or_null(out, r.user);
    out += R"(,"metadata":)";
    append_json_value(out, r.metadata);
    out += '}';
}

void append_output_text_part(std::string& out, std::string_view text,
                             const json::array* annotations) {
    out += R"({"type":"output_text","annotations":)";
    if (annotations != nullptr) {
        append_json_value(out, *annotations);
    } else {
        out += "[]";
    }
    out += R"(,"logprobs":[],"text":)";
    append_json_string(out, text);
    out += '}';
}

void append_refusal_part(std::string& out, std::string_view refusal) {
    out += R"({"type":"refusal","refusal":)";
    append_json_string(out, refusal);
    out += '}';
}

void append_summary_part(std::string& out, std::string_view text) {
    out += R"({"type":"summary_text","text":)";
    append_json_string(out, text);
    out += '}';
}

void append_message_item(std::string& out, std::string_view id, std::string_view status,
                         std::string_view parts, std::string_view phase) {
    out += R"({"id":)";
    append_json_string(out, id);
    out += R"(,"type":"message","status":)";
    append_json_string(out, status);
    out += R"(,"content":[)";
    out += parts;
    out += ']';
    if (!phase.empty()) {
        out += R"(,"phase":)";
        append_json_string(out, phase);
    }
    out += R"(,"role":"assistant"})";
}

void append_reasoning_item(std::string& out, std::string_view id, std::string_view summary,
                           std::string_view encrypted) {
    out += R"({"id":)";
    append_json_string(out, id);
    out += R"(,"type":"reasoning")";
    if (!encrypted.empty()) {
        out += R"(,"encrypted_content":)";
        append_json_string(out, encrypted);
    }
    out += R"(,"summary":[)";
    out += summary;
    out += "]}";
}

void append_function_call_item(std::string& out, std::string_view id, std::string_view status,
                               std::string_view arguments, std::string_view call_id,
                               std::string_view name) {
    out += R"({"id":)";
    append_json_string(out, id);
    out += R"(,"type":"function_call","status":)";
    append_json_string(out, status);
    out += R"(,"arguments":)";
    append_json_string(out, arguments.empty() ? std::string_view("{}") : arguments);
    out += R"(,"call_id":)";
    append_json_string(out, call_id);
    out += R"(,"name":)";
    append_json_string(out, name);
    out += '}';
}

}  // namespace detail

std::string encode_response(const response& res, const ingress::encode_options& options) {
    return detail::assemble_response(res, options);
}

std::string encode_error(const upstream_error& error) {
    // The same envelope as Chat Completions (error-insufficient-quota.json).
    std::string out;
    openai_chat::detail::append_error_body(out, error);
    return out;
}

}  // namespace gateway::formats::openai_responses
