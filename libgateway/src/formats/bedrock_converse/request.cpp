// Canonical request → Converse request body.
// https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html
//
// Decisions:
// - Images and documents go as base64 `bytes` with a `format` (png/jpeg/gif/webp; pdf, txt, ...):
//   Converse takes no URLs (S3 locations aside), and the gateway fetches nothing, so an http(s)
//   image is a 400 `unsupported_feature` naming the block.
// - System and developer messages inside the conversation are folded into `system`;
//   consecutive messages of one role are merged (Converse requires alternation).
// - Structured output is emulated with the forced tool of the Anthropic encoder
//   (`anthropic_messages::json_tool_name`), turned back into text by the decoders.
// - Thinking and `top_k` have no Converse field: they go in `additionalModelRequestFields` in
//   the shape Claude on Bedrock documents (`thinking{type,budget_tokens}`, `top_k`).
// - Reasoning blocks go back only with an Anthropic signature (Claude on Bedrock verifies it);
//   others are stripped and reported.
// - Prompt caching: an Anthropic `cache_control` mark on a system block, a message content block
//   or a tool becomes a `cachePoint` block right after it, in `system`, in the message's
//   `content` or in `toolConfig.tools` (CachePointBlock, API_runtime_CachePointBlock.html:
//   `type` "default", optional `ttl` "5m" | "1h", the values Anthropic's `ttl` takes). A mark
//   inside a tool result goes after the toolResult block (ToolResultContentBlock has no
//   cachePoint).

#include "formats/anthropic_messages/common.hpp"
#include "formats/bedrock_converse/codec.hpp"
#include "formats/json_util.hpp"
#include "formats/openai_chat/common.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <string>

namespace gateway::formats::bedrock_converse {

namespace json = boost::json;
using anthropic_messages::json_tool_name;

namespace {

std::string indexed(std::string_view base, std::size_t i) {
    std::string p(base);
    p += '[';
    p += std::to_string(i);
    p += ']';
    return p;
}

/// The Converse `cachePoint` block standing for an Anthropic `cache_control` mark kept on a
/// block or tool (`extra` of the anthropic_messages format), or null when there is none.
json::value cache_point(const json::object& extra, std::string_view extra_format) {
    if (extra_format != anthropic_messages::format_name) return nullptr;
    const json::value* mark = extra.if_contains("cache_control");
    if (mark == nullptr || !mark->is_object()) return nullptr;
    json::object point{{"type", "default"}};
    if (const std::string_view ttl = get_string(mark->get_object(), "ttl");
        ttl == "5m" || ttl == "1h") {
        point["ttl"] = ttl;
    }
    return json::object{{"cachePoint", std::move(point)}};
}

json::value cache_point(const content_block& b) {
    json::value point = cache_point(b.extra, b.extra_format);
    if (point.is_null() && b.kind == block_kind::tool_result) {
        for (const content_block& inner : b.content) {
            point = cache_point(inner.extra, inner.extra_format);
            if (!point.is_null()) break;
        }
    }
    return point;
}

result<void> unsupported(conversion_report& report, std::string_view param,
                         std::string_view message) {
    report.fail(param, message);
    return errc::unsupported_feature;
}

std::string base64_encode(std::string_view bytes) {
    static constexpr char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 2 < bytes.size(); i += 3) {
        const auto n = (static_cast<unsigned>(static_cast<unsigned char>(bytes[i])) << 16U) |
                       (static_cast<unsigned>(static_cast<unsigned char>(bytes[i + 1])) << 8U) |
                       static_cast<unsigned char>(bytes[i + 2]);
        out += alphabet[(n >> 18U) & 63U];
        out += alphabet[(n >> 12U) & 63U];
        out += alphabet[(n >> 6U) & 63U];
        out += alphabet[n & 63U];
    }
    if (i < bytes.size()) {
        unsigned n = static_cast<unsigned>(static_cast<unsigned char>(bytes[i])) << 16U;
        const bool two = i + 1 < bytes.size();
        if (two) n |= static_cast<unsigned>(static_cast<unsigned char>(bytes[i + 1])) << 8U;
        out += alphabet[(n >> 18U) & 63U];
        out += alphabet[(n >> 12U) & 63U];
        out += two ? alphabet[(n >> 6U) & 63U] : '=';
        out += '=';
    }
    return out;
}

/// ImageBlock `format` for a MIME type; empty when Converse has none.
std::string_view image_format(std::string_view media_type) noexcept {
    if (media_type == "image/png") return "png";
    if (media_type == "image/jpeg" || media_type == "image/jpg") return "jpeg";
    if (media_type == "image/gif") return "gif";
    if (media_type == "image/webp") return "webp";
    return {};
}

/// DocumentBlock `format` for a MIME type; empty when Converse has none.
std::string_view document_format(std::string_view media_type) noexcept {
    if (media_type == "application/pdf") return "pdf";
    if (media_type == "text/plain" || media_type.empty()) return "txt";
    if (media_type == "text/csv") return "csv";
    if (media_type == "text/html") return "html";
    if (media_type == "text/markdown") return "md";
    if (media_type == "application/msword") return "doc";
    if (media_type == "application/vnd.ms-excel") return "xls";
    if (media_type == "application/vnd.openxmlformats-officedocument.wordprocessingml.document") {
        return "docx";
    }
    if (media_type == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet") {
        return "xlsx";
    }
    return {};
}

/// A DocumentBlock `name`: "alphanumeric characters, whitespace characters (no more than one in
/// a row), hyphens, parentheses, and square brackets" (API reference). Anything else is
/// replaced; an empty name becomes `document-<n>`.
std::string document_name(std::string_view filename, std::size_t n) {
    if (const std::size_t dot = filename.rfind('.'); dot != std::string_view::npos && dot > 0) {
        filename = filename.substr(0, dot);  // the format says what it is
    }
    std::string out;
    for (const char c : filename) {
        const bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                          (c >= '0' && c <= '9') || c == '-' || c == '(' || c == ')' || c == '[' ||
                          c == ']';
        const char next = keep ? c : '-';
        out += next;
        if (out.size() >= 200) break;
    }
    if (out.empty()) out = "document-" + std::to_string(n);
    return out;
}

struct encoder_state {
    const request& req;
    const upstream::model_capabilities& caps;
    conversion_report& report;
    std::size_t documents = 0;
    bool stripped_reasoning = false;
    bool fixed_arguments = false;
};

/// The base64 bytes and MIME type of an image or document source; fails for what Converse
/// cannot take inline (a URL, a file id of another provider).
result<void> inline_bytes(encoder_state& st, const content_block& b, std::string_view path,
                          std::string& media_type, std::string& data) {
    const media_source& s = b.source;
    switch (s.type) {
        case media_source::kind::base64:
            media_type = s.media_type;
            data = s.data;
            return {};
        case media_source::kind::text:
            media_type = s.media_type.empty() ? "text/plain" : s.media_type;
            data = base64_encode(s.data);
            return {};
        case media_source::kind::url: {
            std::string_view mt;
            std::string_view d;
            if (openai_chat::detail::parse_data_url(s.data, mt, d)) {
                media_type = mt;
                data = d;
                return {};
            }
            return unsupported(st.report, path,
                               "Bedrock Converse takes images and documents as base64 bytes, not "
                               "URLs; send the content as a base64 data: URL");
        }
        case media_source::kind::file_id:
            break;
    }
    return unsupported(st.report, path,
                       "a file id of another provider cannot be sent to Bedrock; send the data");
}

json::value tool_input(encoder_state& st, const content_block& b) {
    if (b.arguments.empty()) return json::object();
    error_code ec;
    json::value v = json::parse(b.arguments, ec);
    if (!ec && v.is_object()) return v;
    // Converse requires a JSON document; a model's broken arguments become {} (reported once).
    st.fixed_arguments = true;
    return json::object();
}

result<void> encode_block(encoder_state& st, const content_block& b, std::string_view path,
                          json::array& out) {
    json::object o;
    switch (b.kind) {
        case block_kind::text:
        case block_kind::refusal:
            if (b.text.empty()) return {};  // Converse rejects blank text blocks
            o["text"] = b.text;
            break;
        case block_kind::image: {
            if (st.caps.action("images") == param_action::reject) {
                return unsupported(st.report, path, "this model does not accept images");
            }
            std::string media_type;
            std::string data;
            if (auto r = inline_bytes(st, b, path, media_type, data); !r) return r;
            const std::string_view format = image_format(media_type);
            if (format.empty()) {
                return unsupported(st.report, path,
                                   "Bedrock Converse takes png, jpeg, gif and webp images only");
            }
            o["image"] = json::object{{"format", format},
                                      {"source", json::object{{"bytes", std::move(data)}}}};
            break;
        }
        case block_kind::document: {
            if (st.caps.action("documents") == param_action::reject) {
                return unsupported(st.report, path, "this model does not accept documents");
            }
            std::string media_type;
            std::string data;
            if (auto r = inline_bytes(st, b, path, media_type, data); !r) return r;
            const std::string_view format = document_format(media_type);
            if (format.empty()) {
                return unsupported(st.report, path,
                                   "Bedrock Converse takes pdf, csv, doc, docx, xls, xlsx, html, "
                                   "txt and md documents only");
            }
            o["document"] = json::object{{"format", format},
                                         {"name", document_name(b.source.filename, ++st.documents)},
                                         {"source", json::object{{"bytes", std::move(data)}}}};
            break;
        }
        case block_kind::tool_use:
            o["toolUse"] =
                json::object{{"toolUseId", b.id}, {"name", b.name}, {"input", tool_input(st, b)}};
            break;
        case block_kind::tool_result: {
            json::array inner;
            for (std::size_t i = 0; i < b.content.size(); ++i) {
                const std::string ipath = indexed(std::string(path) + ".content", i);
                if (auto r = encode_block(st, b.content[i], ipath, inner); !r) return r;
            }
            // ToolResultBlock.content is required: an empty result is an empty text.
            if (inner.empty()) inner.push_back(json::object{{"text", ""}});
            json::object result{{"toolUseId", b.id}, {"content", std::move(inner)}};
            // `status` is documented for Claude models only: sent when it says something.
            if (b.is_error) result["status"] = "error";
            o["toolResult"] = std::move(result);
            break;
        }
        case block_kind::thinking:
            if (b.signature_origin != reasoning_origin::anthropic || b.signature.empty()) {
                st.stripped_reasoning = true;
                return {};
            }
            o["reasoningContent"] = json::object{
                {"reasoningText", json::object{{"text", b.text}, {"signature", b.signature}}}};
            break;
        case block_kind::redacted_thinking:
            if (b.signature_origin != reasoning_origin::anthropic || b.signature.empty()) {
                st.stripped_reasoning = true;
                return {};
            }
            o["reasoningContent"] = json::object{{"redactedContent", b.signature}};
            break;
    }
    out.push_back(std::move(o));
    return {};
}

json::array encode_system(encoder_state& st) {
    json::array blocks;
    auto add = [&](const content_block& b) {
        if (b.kind == block_kind::text && !b.text.empty()) {
            blocks.push_back(json::object{{"text", b.text}});
            if (json::value point = cache_point(b); !point.is_null()) {
                blocks.push_back(std::move(point));
            }
        }
    };
    for (const content_block& b : st.req.system) add(b);
    for (std::size_t i = 0; i < st.req.messages.size(); ++i) {
        const message& m = st.req.messages[i];
        if (m.role != role::system) continue;
        for (const content_block& b : m.content) add(b);
        st.report.changed(indexed("messages", i), "folded into system");
    }
    return blocks;
}

bool has_tool_blocks(const request& req) {
    for (const message& m : req.messages) {
        for (const content_block& b : m.content) {
            if (b.kind == block_kind::tool_use || b.kind == block_kind::tool_result) return true;
        }
    }
    return false;
}

result<json::array> encode_messages(encoder_state& st) {
    json::array out;
    bool merged = false;
    for (std::size_t i = 0; i < st.req.messages.size(); ++i) {
        const message& m = st.req.messages[i];
        if (m.role == role::system) continue;
        const std::string path = indexed("messages", i);
        json::array content;
        for (std::size_t j = 0; j < m.content.size(); ++j) {
            const std::string bpath = indexed(path + ".content", j);
            const std::size_t before = content.size();
            if (auto r = encode_block(st, m.content[j], bpath, content); !r) return r.error();
            // A mark on a block that was left out (blank text, foreign reasoning) has nothing
            // to follow.
            if (content.size() == before) continue;
            if (json::value point = cache_point(m.content[j]); !point.is_null()) {
                content.push_back(std::move(point));
            }
        }
        if (content.empty()) continue;
        const std::string_view role_name = m.role == role::assistant ? "assistant" : "user";
        if (!out.empty()) {
            json::object& last = out.back().get_object();
            if (get_string(last, "role") == role_name) {
                json::array& prev = last["content"].get_array();
                for (json::value& v : content) prev.push_back(std::move(v));
                merged = true;
                continue;
            }
        }
        out.push_back(json::object{{"role", role_name}, {"content", std::move(content)}});
    }
    if (merged) st.report.changed("messages", "merged consecutive messages of the same role");
    return out;
}

json::object tool_spec(std::string_view name, std::string_view description,
                       const json::value& schema) {
    json::object spec;
    spec["name"] = name;
    if (!description.empty()) spec["description"] = description;
    spec["inputSchema"] = json::object{
        {"json", schema.is_object() ? schema
                                    : json::value(json::object{{"type", "object"},
                                                               {"properties", json::object()}})}};
    return json::object{{"toolSpec", std::move(spec)}};
}

}  // namespace

result<upstream::http_request_parts> encode_request(const request& req,
                                                    const upstream::encode_options& options,
                                                    conversion_report& report) {
    const std::string_view model =
        options.model.empty() ? std::string_view(req.model) : options.model;
    // upstream::encode_request always passes a table (the built-in one when none is configured,
    // which has no Bedrock rows).
    static const upstream::model_capabilities no_rows;
    const upstream::model_capabilities& caps =
        options.capabilities != nullptr ? *options.capabilities : no_rows;
    encoder_state st{req, caps, report};

    if (req.n && *req.n > 1) {
        return unsupported(report, "n", "Bedrock generates one answer per request (n>1)").error();
    }
    if (!req.previous_response_id.empty()) {
        return unsupported(report, "previous_response_id",
                           "previous_response_id needs an OpenAI Responses upstream")
            .error();
    }
    auto cannot_express = [&](std::string_view param) -> result<void> {
        if (caps.action(param, param_action::drop) == param_action::reject) {
            std::string what(param);
            what += " is not supported by this upstream";
            return unsupported(report, param, what);
        }
        report.dropped(param);
        return {};
    };
    for (const auto& [param, present] :
         {std::pair<std::string_view, bool>{"seed", req.sampler.seed.has_value()},
          {"presence_penalty", req.sampler.presence_penalty.has_value()},
          {"frequency_penalty", req.sampler.frequency_penalty.has_value()},
          {"metadata", !req.metadata.empty()},
          {"store", req.store.has_value()},
          {"user", !req.user.empty()},
          {"service_tier", req.service_tier.has_value()},
          {"parallel_tool_calls", req.parallel_tool_calls == false}}) {
        if (present) {
            if (auto r = cannot_express(param); !r) return r.error();
        }
    }

    json::object body;
    auto messages = encode_messages(st);
    if (!messages) return messages.error();
    body["messages"] = std::move(*messages);
    if (json::array system = encode_system(st); !system.empty()) body["system"] = std::move(system);
    if (st.stripped_reasoning)
        report.changed("messages", "reasoning from another provider left out");
    if (st.fixed_arguments) {
        report.changed("messages", "tool call arguments that were not a JSON object sent as {}");
    }

    // ---- structured output ----
    bool emulate_json = false;
    if (req.format.type != response_format::kind::text) {
        switch (caps.action("response_format", param_action::emulate)) {
            case param_action::reject:
                return unsupported(report, "response_format",
                                   "structured output is not supported by this upstream")
                    .error();
            case param_action::drop:
                report.dropped("response_format");
                break;
            case param_action::pass:  // Converse has no schema mode: emulated all the same
            case param_action::emulate:
                emulate_json = true;
                break;
        }
    }

    // ---- thinking (Claude on Bedrock: additionalModelRequestFields.thinking) ----
    json::object additional;
    const reasoning_config& rc = req.reasoning;
    const bool effort_none = rc.effort && *rc.effort == "none";
    const bool wants_thinking = !effort_none && rc.enabled != false &&
                                (rc.enabled == true || rc.budget_tokens || rc.effort);
    std::optional<std::int64_t> max_tokens = req.max_output_tokens;
    bool thinking_on = false;
    if (wants_thinking) {
        if (caps.action("reasoning") == param_action::reject) {
            return unsupported(report, "reasoning", "this model does not support reasoning")
                .error();
        }
        std::int64_t budget = rc.budget_tokens
                                  ? *rc.budget_tokens
                                  : effort_to_budget(rc.effort ? *rc.effort : "medium");
        if (budget < 1024) {
            budget = 1024;  // Claude's minimum
            report.changed("reasoning", "budget raised to 1024");
        }
        const std::int64_t room = req.max_output_tokens.value_or(options.default_max_output_tokens);
        if (!max_tokens || budget >= *max_tokens) {
            // budget_tokens must stay below maxTokens; keep the client's answer room on top.
            max_tokens = budget + room;
            if (req.max_output_tokens)
                report.changed("max_tokens", "raised above the thinking budget");
        }
        additional["thinking"] = json::object{{"type", "enabled"}, {"budget_tokens", budget}};
        thinking_on = true;
    }

    // ---- inference configuration ----
    json::object inference;
    if (max_tokens) inference["maxTokens"] = *max_tokens;
    auto sampling = [&](std::string_view param, std::optional<double> value,
                        std::string_view wire) -> result<void> {
        if (!value) return {};
        const param_action a = caps.action(param, param_action::pass);
        if (a == param_action::reject) {
            std::string what(param);
            what += " is not supported";
            return unsupported(report, param, what);
        }
        if (a == param_action::drop) {
            report.dropped(param);
        } else if (thinking_on && param == "temperature" && *value != 1.0) {
            report.dropped(param);  // Claude: temperature may only be 1 with thinking
        } else if (thinking_on && param == "top_p" && *value < 0.95) {
            inference[wire] = 0.95;  // Claude: top_p within [0.95, 1] with thinking
            report.changed(param, "raised to 0.95 (thinking)");
        } else {
            inference[wire] = *value;
        }
        return {};
    };
    if (auto r = sampling("temperature", req.sampler.temperature, "temperature"); !r) {
        return r.error();
    }
    if (auto r = sampling("top_p", req.sampler.top_p, "topP"); !r) return r.error();
    if (!req.sampler.stop.empty()) {
        json::array stops;
        for (const std::string& s : req.sampler.stop) stops.emplace_back(s);
        inference["stopSequences"] = std::move(stops);
    }
    if (!inference.empty()) body["inferenceConfig"] = std::move(inference);
    if (req.sampler.top_k) {
        const param_action a = caps.action("top_k", param_action::pass);
        if (a == param_action::reject) {
            return unsupported(report, "top_k", "top_k is not supported").error();
        }
        if (a == param_action::drop || thinking_on) {
            report.dropped("top_k");
        } else {
            additional["top_k"] = *req.sampler.top_k;
        }
    }

    // ---- tools ----
    json::array tools;
    for (std::size_t i = 0; i < req.tools.size(); ++i) {
        const tool& t = req.tools[i];
        if (t.type != "function") {
            std::string what = "built-in tool '";
            what += t.type;
            what += "' has no Bedrock Converse equivalent";
            return unsupported(report, indexed("tools", i), what).error();
        }
        tools.push_back(tool_spec(t.name, t.description, t.parameters));
        if (json::value point = cache_point(t.extra, t.extra_format); !point.is_null()) {
            tools.push_back(std::move(point));
        }
        if (t.strict) report.dropped(indexed("tools", i) + ".strict");
    }
    json::object choice;
    switch (req.choice.type) {
        case tool_choice::mode::unset:
        case tool_choice::mode::auto_:
            break;  // auto is the default
        case tool_choice::mode::none:
            // Converse has no "none": leave the tools out, unless the history uses them
            // (then toolConfig is required and the choice cannot be expressed).
            if (!has_tool_blocks(req)) {
                if (!tools.empty()) report.changed("tools", "left out (tool_choice none)");
                tools.clear();
            } else {
                report.dropped("tool_choice");
            }
            break;
        case tool_choice::mode::required:
            choice["any"] = json::object();
            break;
        case tool_choice::mode::tool:
            choice["tool"] = json::object{{"name", req.choice.name}};
            break;
    }
    if (emulate_json) {
        tools.push_back(tool_spec(json_tool_name, anthropic_messages::json_tool_description(req),
                                  anthropic_messages::json_tool_schema(req)));
        if (!choice.empty())
            report.changed("tool_choice", "replaced by the structured output tool");
        choice = {};
        // Claude refuses forced tool use with thinking: the model chooses then.
        if (!thinking_on) choice["tool"] = json::object{{"name", json_tool_name}};
        report.emulated("response_format");
    }
    if (thinking_on && !choice.empty() && !emulate_json) {
        choice = {};
        report.changed("tool_choice", "auto (thinking forbids forced tool use)");
    }
    if (!tools.empty()) {
        json::object config{{"tools", std::move(tools)}};
        if (!choice.empty()) config["toolChoice"] = std::move(choice);
        body["toolConfig"] = std::move(config);
    } else if (!choice.empty()) {
        report.dropped("tool_choice");  // no tools: Converse rejects a toolChoice alone
    }
    if (!additional.empty()) body["additionalModelRequestFields"] = std::move(additional);

    // ---- the client's unmodelled fields ----
    for (const auto& kv : req.extra) {
        if (caps.action(kv.key(), param_action::drop) == param_action::reject) {
            std::string what(kv.key());
            what += " is not supported by this upstream";
            return unsupported(report, kv.key(), what).error();
        }
        report.dropped(kv.key());
    }

    upstream::http_request_parts parts;
    parts.path = request_path(model, options.stream);
    parts.body = json::serialize(body);
    parts.headers.emplace_back("Content-Type", "application/json");
    if (options.stream) parts.headers.emplace_back("Accept", "application/vnd.amazon.eventstream");
    return parts;
}

}  // namespace gateway::formats::bedrock_converse
