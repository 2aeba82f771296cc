// Upstream side of the Messages API: canonical request → POST /messages body, Message bodies and
// error bodies → canonical. https://docs.claude.com/en/api/messages

#include "formats/anthropic_messages/codec.hpp"
#include "formats/anthropic_messages/common.hpp"
#include "formats/json_util.hpp"

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <string>

namespace gateway::formats::anthropic_messages {

namespace json = boost::json;

namespace {

constexpr std::string_view anthropic_version = "2023-06-01";
/// Beta needed for `{"type":"file","file_id":...}` sources (Files API).
constexpr std::string_view files_beta = "files-api-2025-04-14";

std::string indexed(std::string_view base, std::size_t i) {
    std::string p(base);
    p += '[';
    p += std::to_string(i);
    p += ']';
    return p;
}

result<void> unsupported(conversion_report& report, std::string_view param,
                         std::string_view message) {
    report.fail(param, message);
    return errc::unsupported_feature;
}

/// Copies Anthropic wire fields kept on a block (cache_control, citations, caller, ...).
void put_extra(json::object& out, const content_block& b,
               std::initializer_list<std::string_view> keys) {
    if (b.extra_format != format_name) return;
    for (const std::string_view key : keys) {
        if (const json::value* v = b.extra.if_contains(key)) out[key] = *v;
    }
}

/// Splits a `data:<media type>;base64,<data>` URL; false for anything else.
bool split_data_url(std::string_view url, std::string& media_type, std::string& data) {
    if (!url.starts_with("data:")) return false;
    const std::size_t comma = url.find(',');
    if (comma == std::string_view::npos) return false;
    std::string_view meta = url.substr(5, comma - 5);
    if (!meta.ends_with(";base64")) return false;
    meta.remove_suffix(7);
    media_type = meta;
    data = url.substr(comma + 1);
    return true;
}

struct encoder_state {
    const request& req;
    const upstream::model_capabilities& caps;
    conversion_report& report;
    bool uses_files = false;
    bool stripped_reasoning = false;
    bool fixed_arguments = false;
};

result<json::object> encode_source(encoder_state& st, const content_block& b,
                                   std::string_view path) {
    json::object src;
    const media_source& s = b.source;
    switch (s.type) {
        case media_source::kind::base64:
            src["type"] = "base64";
            src["media_type"] = s.media_type;
            src["data"] = s.data;
            break;
        case media_source::kind::url: {
            std::string media_type;
            std::string data;
            if (split_data_url(s.data, media_type, data)) {
                src["type"] = "base64";
                src["media_type"] = media_type;
                src["data"] = std::move(data);
            } else {
                src["type"] = "url";
                src["url"] = s.data;
            }
            break;
        }
        case media_source::kind::file_id:
            // A file id names a file stored at the provider the client spoke to.
            if (st.req.source_format != api_format::anthropic_messages) {
                if (auto r = unsupported(st.report, path,
                                         "a file id of another provider cannot be sent to an "
                                         "Anthropic upstream; send the data instead");
                    !r) {
                    return r.error();
                }
            }
            src["type"] = "file";
            src["file_id"] = s.data;
            st.uses_files = true;
            break;
        case media_source::kind::text:
            src["type"] = "text";
            src["media_type"] = s.media_type.empty() ? "text/plain" : s.media_type;
            src["data"] = s.data;
            break;
    }
    return src;
}

/// The tool_use `input` object from canonical argument text.
json::value tool_input(encoder_state& st, const content_block& b) {
    if (b.arguments.empty()) return json::object();
    error_code ec;
    json::value v = json::parse(b.arguments, ec);
    if (!ec && v.is_object()) return v;
    // Anthropic requires an object. Arguments a model produced as invalid JSON (or cut off) are
    // replaced by {} rather than failing the whole conversation; reported once.
    st.fixed_arguments = true;
    return json::object();
}

/// Appends the Anthropic form of `b` to `out`; nothing for blocks Anthropic cannot take.
result<void> encode_block(encoder_state& st, const content_block& b, std::string_view path,
                          json::array& out) {
    json::object o;
    switch (b.kind) {
        case block_kind::text:
        case block_kind::refusal:
            if (b.extra_format == format_name) {
                if (const json::value* raw = b.extra.if_contains(raw_block_key)) {
                    if (st.req.source_format == api_format::anthropic_messages) {
                        out.push_back(*raw);
                    } else {
                        st.report.dropped(path);
                    }
                    return {};
                }
            }
            if (b.text.empty()) return {};  // the API rejects empty text blocks
            o["type"] = "text";
            o["text"] = b.text;
            put_extra(o, b, {"citations", "cache_control"});
            break;
        case block_kind::image: {
            if (st.caps.action("images") == param_action::reject) {
                return unsupported(st.report, path, "this model does not accept images");
            }
            auto src = encode_source(st, b, path);
            if (!src) return src.error();
            o["type"] = "image";
            o["source"] = std::move(*src);
            put_extra(o, b, {"cache_control"});
            break;
        }
        case block_kind::document: {
            if (st.caps.action("documents") == param_action::reject) {
                return unsupported(st.report, path, "this model does not accept documents");
            }
            auto src = encode_source(st, b, path);
            if (!src) return src.error();
            o["type"] = "document";
            o["source"] = std::move(*src);
            if (!b.source.filename.empty()) o["title"] = b.source.filename;
            put_extra(o, b, {"title", "context", "citations", "cache_control"});
            break;
        }
        case block_kind::tool_use:
            o["type"] = "tool_use";
            o["id"] = b.id;
            o["name"] = b.name;
            o["input"] = tool_input(st, b);
            put_extra(o, b, {"cache_control"});
            break;
        case block_kind::tool_result: {
            o["type"] = "tool_result";
            o["tool_use_id"] = b.id;
            const bool plain = b.content.size() == 1 && b.content[0].kind == block_kind::text &&
                               b.content[0].extra.empty();
            if (plain) {
                o["content"] = b.content[0].text;
            } else if (!b.content.empty()) {
                json::array inner;
                for (std::size_t i = 0; i < b.content.size(); ++i) {
                    const std::string ipath = indexed(std::string(path) + ".content", i);
                    if (auto r = encode_block(st, b.content[i], ipath, inner); !r) return r;
                }
                o["content"] = std::move(inner);
            }
            if (b.is_error) o["is_error"] = true;
            put_extra(o, b, {"cache_control"});
            break;
        }
        case block_kind::thinking:
            // Only Claude can verify a Claude signature; anything else is stripped (and a
            // thinking block without a valid signature is rejected by the API).
            if (b.signature_origin != reasoning_origin::anthropic || b.signature.empty()) {
                st.stripped_reasoning = true;
                return {};
            }
            o["type"] = "thinking";
            o["thinking"] = b.text;
            o["signature"] = b.signature;
            break;
        case block_kind::redacted_thinking:
            if (b.signature_origin != reasoning_origin::anthropic || b.signature.empty()) {
                st.stripped_reasoning = true;
                return {};
            }
            o["type"] = "redacted_thinking";
            o["data"] = b.signature;
            break;
    }
    out.push_back(std::move(o));
    return {};
}

bool is_tool_result(const json::value& v) {
    const json::object* o = v.if_object();
    return o != nullptr && get_string(*o, "type") == "tool_result";
}

/// Anthropic's system prompt: leading system blocks plus system messages found inside the
/// conversation (Anthropic has no system role in `messages`).
json::value encode_system(encoder_state& st) {
    json::array blocks;
    bool needs_array = false;
    auto add = [&](const content_block& b) {
        if (b.kind != block_kind::text || b.text.empty()) return;
        json::object o;
        o["type"] = "text";
        o["text"] = b.text;
        put_extra(o, b, {"cache_control", "citations"});
        if (o.size() > 2) needs_array = true;
        blocks.push_back(std::move(o));
    };
    for (const content_block& b : st.req.system) add(b);
    for (std::size_t i = 0; i < st.req.messages.size(); ++i) {
        const message& m = st.req.messages[i];
        if (m.role != role::system) continue;
        for (const content_block& b : m.content) add(b);
        st.report.changed(indexed("messages", i), "folded into system");
    }
    if (blocks.empty()) return nullptr;
    if (blocks.size() == 1 && !needs_array) return blocks[0].get_object().at("text");
    return blocks;
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
            if (auto r = encode_block(st, m.content[j], bpath, content); !r) return r.error();
        }
        if (content.empty()) continue;  // e.g. only foreign reasoning: nothing left to send
        const std::string_view role_name = m.role == role::assistant ? "assistant" : "user";
        // Roles must alternate: consecutive messages of one role become one message.
        if (!out.empty()) {
            json::object& last = out.back().get_object();
            if (get_string(last, "role") == role_name) {
                json::array& prev = last["content"].get_array();
                for (json::value& v : content) prev.push_back(std::move(v));
                merged = true;
                continue;
            }
        }
        json::object msg;
        msg["role"] = role_name;
        msg["content"] = std::move(content);
        out.push_back(std::move(msg));
    }
    for (json::value& v : out) {
        json::object& msg = v.get_object();
        if (get_string(msg, "role") != "user") continue;
        // tool_result blocks must come first in a user message (API rule).
        json::array& content = msg["content"].get_array();
        std::stable_partition(content.begin(), content.end(), is_tool_result);
    }
    if (merged) st.report.changed("messages", "merged consecutive messages of the same role");
    return out;
}

/// True when the conversation ends in a tool-use turn whose assistant message does not start
/// with a thinking block: with thinking on, the API rejects that ("Expected `thinking` or
/// `redacted_thinking`, but found `tool_use`"), which happens when the reasoning came from
/// another provider and was stripped.
bool pending_tool_turn_lacks_thinking(const json::array& messages) {
    for (auto it = messages.rbegin(); it != messages.rend(); ++it) {
        const json::object& m = it->get_object();
        if (get_string(m, "role") != "assistant") continue;
        const json::array* content = get_array(m, "content");
        if (content == nullptr || content->empty()) return false;
        bool has_tool_use = false;
        for (const json::value& b : *content) {
            if (b.is_object() && get_string(b.get_object(), "type") == "tool_use") {
                has_tool_use = true;
            }
        }
        if (!has_tool_use) return false;
        const json::object* first_block = (*content)[0].if_object();
        const std::string_view first =
            first_block != nullptr ? get_string(*first_block, "type") : std::string_view();
        return first != "thinking" && first != "redacted_thinking";
    }
    return false;
}

result<void> encode_tools(encoder_state& st, json::object& body) {
    if (st.req.tools.empty()) return {};
    json::array tools;
    bool dropped_strict = false;
    for (std::size_t i = 0; i < st.req.tools.size(); ++i) {
        const tool& t = st.req.tools[i];
        const std::string path = indexed("tools", i);
        if (t.type != "function") {
            if (t.extra_format == format_name && !t.extra.empty()) {
                tools.push_back(t.extra);  // an Anthropic server tool, verbatim
                continue;
            }
            std::string what = "built-in tool '";
            what += t.type;
            what += "' has no Anthropic equivalent";
            return unsupported(st.report, path, what);
        }
        json::object o;
        o["name"] = t.name;
        if (!t.description.empty()) o["description"] = t.description;
        if (t.parameters.is_object()) {
            o["input_schema"] = t.parameters;
        } else {
            o["input_schema"] = json::object{{"type", "object"}, {"properties", json::object()}};
        }
        if (t.strict) {
            if (st.req.source_format == api_format::anthropic_messages) {
                o["strict"] = *t.strict;
            } else {
                dropped_strict = true;  // OpenAI strict mode: other semantics, not sent
            }
        }
        if (t.extra_format == format_name) {
            for (const auto& kv : t.extra) o[kv.key()] = kv.value();
        }
        tools.push_back(std::move(o));
    }
    if (dropped_strict) st.report.dropped("tools.strict");
    body["tools"] = std::move(tools);
    return {};
}

}  // namespace

result<upstream::http_request_parts> encode_request(const request& req,
                                                    const upstream::encode_options& options,
                                                    conversion_report& report) {
    upstream::model_capabilities builtin;
    const std::string_view model =
        options.model.empty() ? std::string_view(req.model) : options.model;
    if (options.capabilities == nullptr) {
        builtin =
            upstream::builtin_capabilities(upstream::upstream_format::anthropic_messages, model);
    }
    const upstream::model_capabilities& caps =
        options.capabilities != nullptr ? *options.capabilities : builtin;
    encoder_state st{req, caps, report};

    // ---- what Anthropic cannot express at all ----
    if (req.n && *req.n > 1) {
        if (auto r = unsupported(report, "n", "Anthropic generates one answer per request (n>1)");
            !r) {
            return r.error();
        }
    }
    if (!req.previous_response_id.empty()) {
        if (auto r = unsupported(report, "previous_response_id",
                                 "previous_response_id needs an OpenAI Responses upstream");
            !r) {
            return r.error();
        }
    }
    // Parameters without an Anthropic field: dropped (reported) unless configured to reject.
    auto cannot_express = [&](std::string_view param) -> result<void> {
        if (caps.action(param, param_action::drop) == param_action::reject) {
            std::string what(param);
            what += " is not supported by this upstream";
            return unsupported(report, param, what);
        }
        report.dropped(param);
        return {};
    };
    if (req.sampler.seed) {
        if (auto r = cannot_express("seed"); !r) return r.error();
    }
    if (req.sampler.presence_penalty) {
        if (auto r = cannot_express("presence_penalty"); !r) return r.error();
    }
    if (req.sampler.frequency_penalty) {
        if (auto r = cannot_express("frequency_penalty"); !r) return r.error();
    }
    if (!req.metadata.empty()) {
        if (auto r = cannot_express("metadata"); !r) return r.error();
    }
    if (req.store) {
        if (auto r = cannot_express("store"); !r) return r.error();
    }

    json::object body;
    body["model"] = model;
    std::int64_t max_tokens = req.max_output_tokens.value_or(options.default_max_output_tokens);
    body["max_tokens"] = max_tokens;  // final value set below, kept here for key order

    if (json::value system = encode_system(st); !system.is_null()) body["system"] = system;
    auto messages = encode_messages(st);
    if (!messages) return messages.error();
    if (st.stripped_reasoning) {
        report.changed("messages", "reasoning from another provider left out");
    }
    if (st.fixed_arguments) {
        report.changed("messages", "tool call arguments that were not a JSON object sent as {}");
    }

    // ---- structured output ----
    const bool wants_json = req.format.type != response_format::kind::text;
    bool emulate_json = false;
    if (wants_json) {
        switch (caps.action("response_format", param_action::emulate)) {
            case param_action::reject:
                return unsupported(report, "response_format",
                                   "structured output is not supported by this upstream")
                    .error();
            case param_action::drop:
                report.dropped("response_format");
                break;
            case param_action::pass:
                break;  // output_config.format, below
            case param_action::emulate:
                emulate_json = true;
                break;
        }
    }

    // ---- thinking ----
    const reasoning_config& rc = req.reasoning;
    const bool effort_none = rc.effort && *rc.effort == "none";
    bool thinking_on = false;
    json::object thinking;
    if (caps.action("reasoning") == param_action::reject &&
        (rc.enabled.value_or(false) || rc.budget_tokens || (rc.effort && !effort_none))) {
        return unsupported(report, "reasoning", "this model does not support extended thinking")
            .error();
    }
    if (rc.enabled == false || effort_none) {
        thinking["type"] = "disabled";
    } else if (rc.budget_tokens || (rc.effort && rc.enabled != true)) {
        std::int64_t budget = rc.budget_tokens ? *rc.budget_tokens : effort_to_budget(*rc.effort);
        if (budget < 1024) {
            budget = 1024;  // the API's minimum
            report.changed("reasoning", "budget raised to 1024");
        }
        thinking["type"] = "enabled";
        thinking["budget_tokens"] = budget;
        thinking_on = true;
        if (budget >= max_tokens) {
            // budget_tokens must be below max_tokens; keep the client's answer room on top.
            max_tokens = budget + (req.max_output_tokens ? *req.max_output_tokens
                                                         : options.default_max_output_tokens);
            report.changed("max_tokens", "raised above the thinking budget");
        }
    } else if (rc.enabled == true) {
        // On without a budget (Anthropic adaptive thinking, Gemini dynamic budget): adaptive.
        thinking["type"] = "adaptive";
        thinking_on = true;
    }
    if (thinking_on && rc.include_thoughts == false) thinking["display"] = "omitted";
    if (thinking_on && pending_tool_turn_lacks_thinking(*messages)) {
        thinking = {};
        thinking_on = false;
        report.changed("reasoning", "disabled: the pending tool-use turn has no Claude thinking");
    }
    body["max_tokens"] = max_tokens;
    body["messages"] = std::move(*messages);

    // ---- tools ----
    if (auto r = encode_tools(st, body); !r) return r.error();
    json::object choice;
    switch (req.choice.type) {
        case tool_choice::mode::unset:
            break;
        case tool_choice::mode::auto_:
            choice["type"] = "auto";
            break;
        case tool_choice::mode::none:
            choice["type"] = "none";
            break;
        case tool_choice::mode::required:
            choice["type"] = "any";
            break;
        case tool_choice::mode::tool:
            choice["type"] = "tool";
            choice["name"] = req.choice.name;
            break;
    }
    if (emulate_json) {
        // Structured output through a forced tool whose input schema is the requested one.
        json::object t;
        t["name"] = json_tool_name;
        t["description"] = json_tool_description(req);
        t["input_schema"] = json_tool_schema(req);
        json::value& tools = body["tools"];  // the client's tools stay callable
        if (!tools.is_array()) tools = json::array();
        tools.get_array().push_back(std::move(t));
        if (!choice.empty())
            report.changed("tool_choice", "replaced by the structured output tool");
        choice = {};
        if (thinking_on) {
            // The API refuses forced tool use with thinking: let the model choose.
            choice["type"] = "auto";
        } else {
            choice["type"] = "tool";
            choice["name"] = json_tool_name;
        }
        report.emulated("response_format");
    }
    if (!choice.empty() && thinking_on) {
        const std::string_view t = get_string(choice, "type");
        if (t == "any" || t == "tool") {
            // "Thinking may not be enabled when tool_choice forces tool use."
            choice = {{"type", "auto"}};
            report.changed("tool_choice", "auto (thinking forbids forced tool use)");
        }
    }
    if (req.parallel_tool_calls == false) {
        if (choice.empty()) choice["type"] = "auto";
        if (get_string(choice, "type") != "none") choice["disable_parallel_tool_use"] = true;
    }
    if (!choice.empty()) {
        if (body.contains("tools")) {
            body["tool_choice"] = std::move(choice);
        } else if (req.choice.type != tool_choice::mode::unset) {
            report.dropped("tool_choice");  // no tools: the API rejects a tool_choice
        }
    }
    const bool adaptive = get_string(thinking, "type") == "adaptive";
    if (!thinking.empty()) body["thinking"] = std::move(thinking);

    // ---- sampling ----
    auto sampling = [&](std::string_view param) { return caps.action(param, param_action::pass); };
    if (req.sampler.temperature) {
        const param_action a = sampling("temperature");
        if (a == param_action::reject) {
            return unsupported(report, "temperature", "temperature is not supported").error();
        }
        if (a == param_action::drop) {
            report.dropped("temperature");
        } else if (thinking_on && *req.sampler.temperature != 1.0) {
            // "temperature may only be set to 1 when thinking is enabled"
            report.dropped("temperature");
        } else {
            body["temperature"] = *req.sampler.temperature;
        }
    }
    if (req.sampler.top_p) {
        const param_action a = sampling("top_p");
        if (a == param_action::reject) {
            return unsupported(report, "top_p", "top_p is not supported").error();
        }
        if (a == param_action::drop) {
            report.dropped("top_p");
        } else if (thinking_on && *req.sampler.top_p < 0.95) {
            // With thinking, top_p must lie in [0.95, 1].
            body["top_p"] = 0.95;
            report.changed("top_p", "raised to 0.95 (thinking)");
        } else {
            body["top_p"] = *req.sampler.top_p;
        }
    }
    if (req.sampler.top_k) {
        const param_action a = sampling("top_k");
        if (a == param_action::reject) {
            return unsupported(report, "top_k", "top_k is not supported").error();
        }
        if (a == param_action::drop || thinking_on) {
            report.dropped("top_k");  // not allowed with thinking
        } else {
            body["top_k"] = *req.sampler.top_k;
        }
    }
    if (!req.sampler.stop.empty()) {
        json::array stops;
        for (const std::string& s : req.sampler.stop) stops.emplace_back(s);
        body["stop_sequences"] = std::move(stops);
    }
    if (!req.user.empty()) {
        if (caps.action("user") == param_action::drop) {
            report.dropped("user");
        } else {
            body["metadata"] = json::object{{"user_id", req.user}};
        }
    }
    if (req.service_tier) {
        // Anthropic's tiers: "auto" and "standard_only".
        const std::string& tier = *req.service_tier;
        if (tier == "auto" || tier == "standard_only") {
            body["service_tier"] = tier;
        } else if (tier == "default") {
            body["service_tier"] = "standard_only";
            report.changed("service_tier", "standard_only");
        } else {
            report.dropped("service_tier");
        }
    }
    if (options.stream) body["stream"] = true;
    {
        json::object output_config;
        if (wants_json && !emulate_json &&
            caps.action("response_format", param_action::emulate) == param_action::pass) {
            json::value schema = req.format.schema.is_object()
                                     ? req.format.schema
                                     : json::value(json::object{{"type", "object"}});
            output_config["format"] = json::object{{"type", "json_schema"}, {"schema", schema}};
        }
        if (adaptive && rc.effort) {
            const std::string_view e = *rc.effort;
            if (e == "low" || e == "medium" || e == "high" || e == "xhigh") {
                output_config["effort"] = e;
            }
        }
        if (!output_config.empty()) body["output_config"] = std::move(output_config);
    }

    // ---- the client's unmodelled fields ----
    for (const auto& kv : req.extra) {
        if (req.source_format == api_format::anthropic_messages) {
            body[kv.key()] = kv.value();
            continue;
        }
        if (caps.action(kv.key(), param_action::drop) == param_action::reject) {
            std::string what(kv.key());
            what += " is not supported by this upstream";
            return unsupported(report, kv.key(), what).error();
        }
        report.dropped(kv.key());
    }

    upstream::http_request_parts parts;
    parts.path = "/messages";
    parts.body = json::serialize(body);
    parts.headers.emplace_back("content-type", "application/json");
    parts.headers.emplace_back("anthropic-version", anthropic_version);
    if (st.uses_files) parts.headers.emplace_back("anthropic-beta", files_beta);
    return parts;
}

result<response> decode_response(std::string_view body, const request* original,
                                 conversion_report& report) {
    auto bad = [&](std::string message) -> result<response> {
        report.fail("", message);
        return errc::bad_upstream_response;
    };
    std::string why;
    json::monotonic_resource arena(read_arena_size(body));
    auto parsed = parse_json(body, &why, &arena);
    if (!parsed) return bad("upstream body is not JSON: " + why);
    const json::object* root = parsed->if_object();
    if (root == nullptr) return bad("upstream body is not a JSON object");
    if (get_string(*root, "type") != "message") {
        return bad("upstream body is not a Message (type is not 'message')");
    }
    const json::array* content = get_array(*root, "content");
    if (content == nullptr) return bad("upstream Message has no content array");
    // What summarize_response (the pass-through path) refuses is refused here too, so both
    // paths accept the same answers.
    if (const json::value* m = root->if_contains("model");
        m != nullptr && !m->is_null() && !m->is_string()) {
        report.fail("model", "expected a string");
        return errc::bad_upstream_response;
    }
    if (const json::value* u = root->if_contains("usage");
        u != nullptr && !u->is_null() && !u->is_object()) {
        report.fail("usage", "malformed usage object");
        return errc::bad_upstream_response;
    }

    const bool emulated = structured_output_emulated(original);
    response res;
    res.id = get_string(*root, "id");
    res.model = get_string(*root, "model");
    bool real_tool_use = false;
    for (std::size_t i = 0; i < content->size(); ++i) {
        const json::object* o = (*content)[i].if_object();
        if (o == nullptr) return bad("upstream content[" + std::to_string(i) + "] not an object");
        const std::string_view type = get_string(*o, "type");
        content_block b;
        if (type == "text") {
            b.kind = block_kind::text;
            b.text = get_string(*o, "text");
            if (const json::value* c = o->if_contains("citations"); c != nullptr && !c->is_null()) {
                b.extra["citations"] = *c;
                b.extra_format = format_name;
            }
        } else if (type == "thinking") {
            b.kind = block_kind::thinking;
            b.text = get_string(*o, "thinking");
            b.signature = get_string(*o, "signature");
            b.signature_origin = reasoning_origin::anthropic;
        } else if (type == "redacted_thinking") {
            b.kind = block_kind::redacted_thinking;
            b.signature = get_string(*o, "data");
            b.signature_origin = reasoning_origin::anthropic;
        } else if (type == "tool_use") {
            const json::value* input = o->if_contains("input");
            std::string arguments = "{}";
            if (input != nullptr && input->is_object()) {
                arguments.clear();
                append_json_value(arguments, *input);
            }
            const std::string_view name = get_string(*o, "name");
            if (emulated && name == json_tool_name) {
                b = content_block::make_text(arguments);  // structured output: the JSON text
            } else {
                b = content_block::make_tool_use(std::string(get_string(*o, "id")),
                                                 std::string(name), arguments);
                real_tool_use = true;
                if (const json::value* c = o->if_contains("caller")) {
                    b.extra["caller"] = *c;
                    b.extra_format = format_name;
                }
            }
        } else {
            // Server tool blocks (server_tool_use, web_search_tool_result, ...) and types newer
            // than this codec: no canonical form; the upstream ran them, the client gets the
            // text that follows.
            report.dropped("content[" + std::to_string(i) + "]." + std::string(type));
            continue;
        }
        res.content.push_back(std::move(b));
    }
    bool unknown = false;
    const std::string_view stop_reason = get_string(*root, "stop_reason");
    res.finish =
        stop_reason.empty() ? finish_reason::none : finish_from_wire(stop_reason, &unknown);
    if (unknown) report.changed("stop_reason", "unknown value read as end_turn");
    if (emulated && res.finish == finish_reason::tool_use && !real_tool_use) {
        res.finish = finish_reason::stop;
    }
    res.stop_sequence = get_string(*root, "stop_sequence");
    if (const json::object* u = get_object(*root, "usage")) {
        read_usage(*u, res.usage);
        for (const std::string_view key : {"service_tier", "inference_geo"}) {
            if (const json::value* v = u->if_contains(key); v != nullptr && v->is_string()) {
                res.extra[key] = *v;
                res.extra_format = format_name;
            }
        }
    }
    for (const std::string_view key : {"stop_details", "container"}) {
        if (const json::value* v = root->if_contains(key); v != nullptr && !v->is_null()) {
            res.extra[key] = *v;
            res.extra_format = format_name;
        }
    }
    return res;
}

upstream_error decode_error(unsigned http_status, std::string_view body) {
    std::string_view type;
    std::string message;
    error_code ec;
    const json::value v = json::parse(body, ec);
    if (!ec && v.is_object()) {
        if (const json::object* e = get_object(v.get_object(), "error")) {
            type = get_string(*e, "type");
            message = get_string(*e, "message");
        } else {
            message = get_string(v.get_object(), "message");
        }
    }
    // Not Anthropic's envelope (a proxy's HTML page, an empty body): a short excerpt.
    if (message.empty()) message = status_message(http_status, body);
    return error_from_wire(http_status, type, message);
}

}  // namespace gateway::formats::anthropic_messages
