// Client side: canonical response → `chat.completion` body, and the error envelope.
//
// Shape as OpenAI sends it (openai-chat/text.json, structured-output-json-schema cassette):
// id, object, created, model, choices[0]{index, message{role, content, tool_calls, refusal,
// annotations}, logprobs, finish_reason}, usage, service_tier, system_fingerprint.

#include "formats/json_util.hpp"
#include "formats/openai_chat/codec.hpp"
#include "formats/openai_chat/common.hpp"

namespace gateway::formats::openai_chat {

namespace {

std::string_view reasoning_key(ingress::reasoning_field field) noexcept {
    switch (field) {
        case ingress::reasoning_field::reasoning_content:
            return "reasoning_content";
        case ingress::reasoning_field::reasoning:
            return "reasoning";
        case ingress::reasoning_field::thinking:
            return "thinking";
    }
    return "reasoning_content";
}

// `system_fingerprint` and `service_tier` exist only in OpenAI's formats.
const boost::json::value* openai_extra(const response& res, std::string_view key) {
    if (res.extra_format != detail::format_name && res.extra_format != "openai_responses") {
        return nullptr;
    }
    const boost::json::value* v = res.extra.if_contains(key);
    return v != nullptr && (v->is_string() || v->is_null()) ? v : nullptr;
}

}  // namespace

std::string encode_response(const response& res, const ingress::encode_options& options) {
    std::string text;
    std::string refusal;
    std::string reasoning;
    bool has_text = false;
    bool has_refusal = false;
    std::size_t tool_calls = 0;
    boost::json::array annotations;
    for (const content_block& b : res.content) {
        switch (b.kind) {
            case block_kind::text:
                text += b.text;
                has_text = true;
                if (b.extra_format == detail::format_name) {
                    if (const auto* a = get_array(b.extra, "annotations")) {
                        for (const auto& item : *a) annotations.push_back(item);
                    }
                }
                break;
            case block_kind::refusal:
                refusal += b.text;
                has_refusal = true;
                break;
            case block_kind::thinking:
                reasoning += b.text;
                break;
            case block_kind::tool_use:
                ++tool_calls;
                break;
            default:
                break;  // images, documents, tool results: not output of a Chat answer
        }
    }

    std::string out;
    out.reserve(256 + text.size() + refusal.size() + reasoning.size());
    out += R"({"id":)";
    append_json_string(out, detail::response_id(res.id));
    out += R"(,"object":"chat.completion","created":)";
    append_json_int(out, res.created != 0 ? res.created : options.created);
    out += R"(,"model":)";
    append_json_string(out, options.model.empty() ? std::string_view(res.model) : options.model);
    out += R"(,"choices":[{"index":0,"message":{"role":"assistant","content":)";
    // OpenAI sends null content for an answer made only of tool calls (or a refusal).
    if (!has_text && (tool_calls > 0 || has_refusal)) {
        out += "null";
    } else {
        append_json_string(out, text);
    }
    if (options.expose_reasoning && !reasoning.empty()) {
        out += ',';
        append_json_key(out, reasoning_key(options.reasoning));
        append_json_string(out, reasoning);
    }
    if (tool_calls > 0) {
        out += R"(,"tool_calls":[)";
        bool first = true;
        for (const content_block& b : res.content) {
            if (b.kind != block_kind::tool_use) continue;
            if (!first) out += ',';
            first = false;
            out += R"({"id":)";
            append_json_string(out, b.id);
            out += R"(,"type":"function","function":{"name":)";
            append_json_string(out, b.name);
            out += R"(,"arguments":)";
            append_json_string(out, b.arguments.empty() ? std::string_view("{}") : b.arguments);
            out += "}}";
        }
        out += ']';
    }
    out += R"(,"refusal":)";
    if (has_refusal) {
        append_json_string(out, refusal);
    } else {
        out += "null";
    }
    out += R"(,"annotations":)";
    append_json_value(out, annotations);
    out += R"(},"logprobs":null,"finish_reason":)";
    append_json_string(out, detail::finish_to_wire(res.finish));
    out += "}]";
    if (res.usage.reported) {
        out += R"(,"usage":)";
        detail::append_usage(out, res.usage);
    }
    if (const auto* tier = openai_extra(res, "service_tier")) {
        out += R"(,"service_tier":)";
        append_json_value(out, *tier);
    }
    if (const auto* fp = openai_extra(res, "system_fingerprint")) {
        out += R"(,"system_fingerprint":)";
        append_json_value(out, *fp);
    }
    out += '}';
    return out;
}

std::string encode_error(const upstream_error& error) {
    std::string out;
    detail::append_error_body(out, error);
    return out;
}

}  // namespace gateway::formats::openai_chat
