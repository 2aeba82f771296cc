// Upstream side: canonical request → POST /chat/completions body.
//
// Every parameter is decided against the model's capability row (capabilities.hpp): pass,
// drop (reported), emulate (reported) or reject (`errc::unsupported_feature`). What Chat cannot
// express at all is decided here: `top_k` (no such parameter), reasoning signatures and thinking
// text (no input field: stripped), documents by URL and images by file id (no part type),
// `previous_response_id` (Responses only).

#include "formats/json_util.hpp"
#include "formats/openai_chat/codec.hpp"
#include "formats/openai_chat/common.hpp"

#include <boost/json/serialize.hpp>

#include <array>
#include <string>

namespace gateway::formats::openai_chat {

namespace json = boost::json;
using upstream::model_capabilities;

namespace {

using detail::client_name;
using detail::index_path;

class request_writer {
  public:
    request_writer(const request& req, const model_capabilities& caps, conversion_report& report)
        : req_(req), caps_(caps), report_(report) {}

    bool write(json::object& body, std::string_view model, bool stream);

  private:
    bool reject(std::string_view param, std::string_view what) {
        std::string message(param);
        message += ": ";
        message += what;
        report_.fail(param, message);
        return false;
    }

    /// Applies the capability row of `param` (canonical name) with `fallback` as the format's
    /// own default. Returns false on reject; `send` tells whether to write the parameter.
    bool decide(std::string_view param, param_action fallback, bool& send) {
        send = false;
        switch (caps_.action(param, fallback)) {
            case param_action::pass:
                send = true;
                return true;
            case param_action::drop:
            case param_action::emulate:  // nothing to emulate with in Chat: same as drop
                report_.dropped(client_name(req_.source_format, param));
                return true;
            case param_action::reject:
                break;
        }
        return reject(client_name(req_.source_format, param),
                      "not supported by the upstream model");
    }

    void text_part(json::array& parts, const content_block& b) {
        json::object p;
        p["type"] = "text";
        p["text"] = b.text;
        add_extras(p, b);
        parts.push_back(std::move(p));
    }

    static void add_extras(json::object& part, const content_block& b) {
        if (b.extra_format != detail::format_name) return;
        for (const auto& kv : b.extra) {
            if (!part.contains(kv.key())) part[kv.key()] = kv.value();
        }
    }

    /// A plain string when the parts are one text part without extras (the common shape),
    /// otherwise the array.
    static json::value collapse(json::array parts) {
        if (parts.size() == 1) {
            const json::object& p = parts[0].get_object();
            const json::value* text = p.if_contains("text");
            if (p.size() == 2 && text != nullptr && get_string(p, "type") == "text") return *text;
        }
        return parts;
    }

    bool system_message(json::array& messages);
    bool user_content(const message& m, std::size_t mi, json::array& messages);
    bool media_part(const content_block& b, const std::string& path, json::array& parts);
    void tool_message(const content_block& b, const std::string& path, json::array& messages);
    void assistant_message(const message& m, json::array& messages);
    bool write_tools(json::object& body);
    bool write_response_format(json::object& body);
    bool write_reasoning(json::object& body);
    bool write_sampling(json::object& body);

    const request& req_;
    const model_capabilities& caps_;
    conversion_report& report_;
};

bool request_writer::system_message(json::array& messages) {
    if (req_.system.empty()) return true;
    json::array parts;
    for (const content_block& b : req_.system) {
        if (b.kind == block_kind::text) text_part(parts, b);
    }
    if (parts.empty()) return true;
    json::object m;
    // OpenAI reasoning models take instructions as `developer` (o1-mini refuses it, but its
    // capability row can override); a client that said developer keeps it.
    m["role"] = (caps_.openai_reasoning_model || req_.system_is_developer) ? "developer" : "system";
    m["content"] = collapse(std::move(parts));
    messages.push_back(std::move(m));
    return true;
}

bool request_writer::media_part(const content_block& b, const std::string& path,
                                json::array& parts) {
    const bool image = b.kind == block_kind::image;
    bool send = false;
    if (!decide(image ? "images" : "documents", param_action::pass, send)) return false;
    if (!send) return true;
    const media_source& s = b.source;
    auto data_url = [&] {
        std::string url = "data:";
        url += s.media_type;
        url += ";base64,";
        url += s.data;
        return url;
    };
    json::object p;
    if (image) {
        json::object img;
        switch (s.type) {
            case media_source::kind::url:
                img["url"] = s.data;
                break;
            case media_source::kind::base64:
                img["url"] = data_url();
                break;
            case media_source::kind::file_id:
            case media_source::kind::text:
                report_.fail(path, path +
                                       ": Chat Completions takes images only as a URL or "
                                       "base64 data, not as a file id");
                return false;
        }
        if (!s.detail.empty()) img["detail"] = s.detail;
        p["type"] = "image_url";
        p["image_url"] = std::move(img);
    } else {
        json::object file;
        switch (s.type) {
            case media_source::kind::base64:
                if (!s.filename.empty()) file["filename"] = s.filename;
                file["file_data"] = data_url();
                break;
            case media_source::kind::file_id:
                file["file_id"] = s.data;
                break;
            case media_source::kind::text:
                // A plain-text document is text the model reads: sent as a text part.
                p["type"] = "text";
                p["text"] = s.data;
                report_.emulated(path);
                parts.push_back(std::move(p));
                return true;
            case media_source::kind::url:
                report_.fail(path, path +
                                       ": Chat Completions cannot fetch a document by URL; "
                                       "send it as base64 data or a file id");
                return false;
        }
        p["type"] = "file";
        p["file"] = std::move(file);
    }
    add_extras(p, b);
    parts.push_back(std::move(p));
    return true;
}

void request_writer::tool_message(const content_block& b, const std::string& path,
                                  json::array& messages) {
    json::array parts;
    for (std::size_t i = 0; i < b.content.size(); ++i) {
        const content_block& c = b.content[i];
        if (c.kind == block_kind::text) {
            text_part(parts, c);
        } else {
            // Chat tool messages carry text parts only.
            report_.dropped(index_path(path + ".content", i));
        }
    }
    json::object m;
    m["role"] = "tool";
    m["tool_call_id"] = b.id;
    m["content"] = parts.empty() ? json::value("") : collapse(std::move(parts));
    messages.push_back(std::move(m));
}

bool request_writer::user_content(const message& m, std::size_t mi, json::array& messages) {
    const std::string base = index_path("messages", mi) + ".content";
    // Tool results first: Chat requires the tool messages right after the assistant's calls,
    // before any further user text of the same turn.
    for (std::size_t i = 0; i < m.content.size(); ++i) {
        if (m.content[i].kind == block_kind::tool_result) {
            tool_message(m.content[i], index_path(base, i), messages);
        }
    }
    json::array parts;
    for (std::size_t i = 0; i < m.content.size(); ++i) {
        const content_block& b = m.content[i];
        switch (b.kind) {
            case block_kind::text:
                text_part(parts, b);
                break;
            case block_kind::image:
            case block_kind::document:
                if (!media_part(b, index_path(base, i), parts)) return false;
                break;
            default:
                break;  // tool results above; reasoning has no input field in Chat
        }
    }
    if (parts.empty()) return true;
    json::object out;
    out["role"] = "user";
    out["content"] = collapse(std::move(parts));
    if (!m.name.empty()) out["name"] = m.name;
    messages.push_back(std::move(out));
    return true;
}

void request_writer::assistant_message(const message& m, json::array& messages) {
    json::array parts;
    std::string refusal;
    json::array calls;
    for (const content_block& b : m.content) {
        switch (b.kind) {
            case block_kind::text:
                text_part(parts, b);
                break;
            case block_kind::refusal:
                refusal += b.text;
                break;
            case block_kind::tool_use: {
                json::object fn;
                fn["name"] = b.name;
                fn["arguments"] = b.arguments.empty() ? std::string_view("{}") : b.arguments;
                json::object call;
                call["id"] = b.id;
                call["type"] = "function";
                call["function"] = std::move(fn);
                calls.push_back(std::move(call));
                break;
            }
            // Thinking text and signatures: Chat has no input field for them (DeepSeek even
            // rejects `reasoning_content` in input), so they are stripped.
            default:
                break;
        }
    }
    json::object out;
    out["role"] = "assistant";
    if (parts.empty()) {
        out["content"] = calls.empty() && refusal.empty() ? json::value("") : json::value(nullptr);
    } else {
        out["content"] = collapse(std::move(parts));
    }
    if (!refusal.empty()) out["refusal"] = refusal;
    if (!calls.empty()) out["tool_calls"] = std::move(calls);
    if (!m.name.empty()) out["name"] = m.name;
    messages.push_back(std::move(out));
}

bool request_writer::write_tools(json::object& body) {
    if (req_.tools.empty()) return true;
    bool send = false;
    if (!decide("tools", param_action::pass, send)) return false;
    if (!send) return true;
    json::array tools;
    for (std::size_t i = 0; i < req_.tools.size(); ++i) {
        const tool& t = req_.tools[i];
        if (t.type != "function") {
            if (t.extra_format == detail::format_name) {
                tools.push_back(t.extra);  // a Chat `custom` tool (or newer), as the client sent it
            } else {
                // Another provider's built-in tool (web search, code execution, ...): Chat cannot
                // run it.
                report_.dropped(index_path("tools", i));
            }
            continue;
        }
        json::object fn;
        fn["name"] = t.name;
        if (!t.description.empty()) fn["description"] = t.description;
        if (!t.parameters.is_null()) fn["parameters"] = t.parameters;
        if (t.strict) fn["strict"] = *t.strict;
        json::object o;
        o["type"] = "function";
        o["function"] = std::move(fn);
        tools.push_back(std::move(o));
    }
    if (tools.empty()) return true;
    body["tools"] = std::move(tools);

    // OpenAI rejects tool_choice and parallel_tool_calls without tools, hence only here.
    switch (req_.choice.type) {
        case tool_choice::mode::unset:
            break;
        case tool_choice::mode::auto_:
            body["tool_choice"] = "auto";
            break;
        case tool_choice::mode::none:
            body["tool_choice"] = "none";
            break;
        case tool_choice::mode::required:
            body["tool_choice"] = "required";
            break;
        case tool_choice::mode::tool: {
            json::object fn;
            fn["name"] = req_.choice.name;
            json::object c;
            c["type"] = "function";
            c["function"] = std::move(fn);
            body["tool_choice"] = std::move(c);
            break;
        }
    }
    if (req_.parallel_tool_calls) {
        if (!decide("parallel_tool_calls", param_action::pass, send)) return false;
        if (send) body["parallel_tool_calls"] = *req_.parallel_tool_calls;
    }
    return true;
}

bool request_writer::write_response_format(json::object& body) {
    if (req_.format.type == response_format::kind::text) return true;
    bool send = false;
    if (!decide("response_format", param_action::pass, send)) return false;
    if (!send) return true;
    json::object f;
    if (req_.format.type == response_format::kind::json_object) {
        f["type"] = "json_object";
    } else {
        json::object js;
        // OpenAI requires a name (^[a-zA-Z0-9_-]{1,64}$); formats without one get a neutral one.
        js["name"] = req_.format.name.empty() ? std::string_view("response") : req_.format.name;
        if (!req_.format.description.empty()) js["description"] = req_.format.description;
        if (!req_.format.schema.is_null()) js["schema"] = req_.format.schema;
        if (req_.format.strict) js["strict"] = *req_.format.strict;
        f["type"] = "json_schema";
        f["json_schema"] = std::move(js);
    }
    body["response_format"] = std::move(f);
    return true;
}

bool request_writer::write_reasoning(json::object& body) {
    const reasoning_config& r = req_.reasoning;
    std::string effort;
    bool converted = false;
    if (r.effort) {
        effort = *r.effort;
    } else if (r.budget_tokens && r.enabled.value_or(true)) {
        effort = budget_to_effort(*r.budget_tokens);
        converted = true;
    } else if (r.enabled && !*r.enabled && caps_.openai_reasoning_model) {
        return true;  // "thinking off": the model's default is the closest Chat has
    }
    if (effort.empty()) return true;
    // `reasoning_effort` is refused by OpenAI's non-reasoning models ("Unrecognized request
    // argument"); compatible reasoning servers get it by configuring `reasoning: pass`.
    bool send = false;
    if (!decide("reasoning", caps_.openai_reasoning_model ? param_action::pass : param_action::drop,
                send)) {
        return false;
    }
    if (!send) return true;
    body["reasoning_effort"] = effort;
    if (converted) {
        report_.changed(client_name(req_.source_format, "reasoning"),
                        "converted to reasoning_effort=" + effort);
    }
    return true;
}

bool request_writer::write_sampling(json::object& body) {
    const sampling& s = req_.sampler;
    bool send = false;
    auto number = [&](std::string_view name, const std::optional<double>& v) {
        if (!v) return true;
        if (!decide(name, param_action::pass, send)) return false;
        if (send) body[name] = *v;
        return true;
    };
    if (!number("temperature", s.temperature) || !number("top_p", s.top_p) ||
        !number("presence_penalty", s.presence_penalty) ||
        !number("frequency_penalty", s.frequency_penalty)) {
        return false;
    }
    // Chat Completions has no top_k.
    if (s.top_k && !decide("top_k", param_action::drop, send)) return false;
    if (s.seed) {
        if (!decide("seed", param_action::pass, send)) return false;
        if (send) body["seed"] = *s.seed;
    }
    if (!s.stop.empty()) {
        if (!decide("stop", param_action::pass, send)) return false;
        if (send) {
            // OpenAI takes "up to 4 sequences"; more would be a 400.
            constexpr std::size_t max_stop = 4;
            json::array stop;
            for (std::size_t i = 0; i < s.stop.size() && i < max_stop; ++i) {
                stop.emplace_back(s.stop[i]);
            }
            if (s.stop.size() > max_stop) {
                report_.changed(client_name(req_.source_format, "stop"),
                                "truncated to 4 sequences");
            }
            body["stop"] = std::move(stop);
        }
    }
    return true;
}

bool request_writer::write(json::object& body, std::string_view model, bool stream) {
    if (!req_.previous_response_id.empty()) {
        return reject("previous_response_id",
                      "only an OpenAI Responses upstream can continue a stored response");
    }
    body["model"] = model;

    json::array messages;
    if (!system_message(messages)) return false;
    for (std::size_t i = 0; i < req_.messages.size(); ++i) {
        const message& m = req_.messages[i];
        switch (m.role) {
            case role::system: {
                json::array parts;
                for (const content_block& b : m.content) {
                    if (b.kind == block_kind::text) text_part(parts, b);
                }
                if (parts.empty()) break;
                json::object out;
                out["role"] =
                    (m.developer || caps_.openai_reasoning_model) ? "developer" : "system";
                out["content"] = collapse(std::move(parts));
                if (!m.name.empty()) out["name"] = m.name;
                messages.push_back(std::move(out));
                break;
            }
            case role::user:
                if (!user_content(m, i, messages)) return false;
                break;
            case role::assistant:
                assistant_message(m, messages);
                break;
        }
    }
    body["messages"] = std::move(messages);

    if (!write_tools(body) || !write_response_format(body) || !write_reasoning(body) ||
        !write_sampling(body)) {
        return false;
    }

    bool send = false;
    if (req_.max_output_tokens) {
        if (!decide("max_tokens", param_action::pass, send)) return false;
        if (send) {
            // Reasoning models refuse max_tokens ("Use 'max_completion_tokens' instead",
            // openai-chat/error-unsupported-parameter.json); compatible servers know max_tokens.
            const std::string_view name =
                caps_.openai_reasoning_model ? "max_completion_tokens" : "max_tokens";
            body[name] = *req_.max_output_tokens;
            // A Chat client's own name is not recorded in the canonical request; other formats'
            // names are known.
            const std::string_view client = client_name(req_.source_format, "max_tokens");
            if (req_.source_format != api_format::openai_chat && client != name) {
                report_.changed(client, std::string("renamed to ") + std::string(name));
            }
        }
    }
    if (req_.n && *req_.n != 1) {
        // The gateway converts choice 0 only: more choices would be generated and lost.
        if (!decide("n", param_action::reject, send)) return false;
        if (send) body["n"] = *req_.n;
    }
    if (stream) {
        body["stream"] = true;
        // The gateway meters every stream, so it asks for the usage chunk, except from servers
        // that refuse the option (they send usage in their last chunk anyway, e.g. Mistral).
        if (caps_.action("stream_options") != param_action::drop) {
            json::object so;
            so["include_usage"] = true;
            body["stream_options"] = std::move(so);
        }
    }
    if (!req_.user.empty()) {
        if (!decide("user", param_action::pass, send)) return false;
        if (send) body["user"] = req_.user;
    }
    if (!req_.metadata.empty()) {
        if (!decide("metadata", param_action::pass, send)) return false;
        if (send) body["metadata"] = req_.metadata;
    }
    if (req_.service_tier) {
        // OpenAI's tiers; Anthropic's "standard_only" has no Chat equivalent.
        constexpr std::array tiers{"auto", "default", "flex", "scale", "priority"};
        bool known = false;
        for (std::string_view t : tiers) known = known || *req_.service_tier == t;
        if (!known) {
            report_.dropped("service_tier");
        } else {
            if (!decide("service_tier", param_action::pass, send)) return false;
            if (send) body["service_tier"] = *req_.service_tier;
        }
    }
    if (req_.store) {
        if (!decide("store", param_action::pass, send)) return false;
        if (send) body["store"] = *req_.store;
    }

    // Fields of the client's body without a canonical home: only a Chat upstream understands
    // Chat's; any other format's would be rejected or misread.
    for (const auto& kv : req_.extra) {
        if (req_.source_format != api_format::openai_chat) {
            report_.dropped(kv.key());
            continue;
        }
        if (body.contains(kv.key())) continue;
        if (!decide(kv.key(), param_action::pass, send)) return false;
        if (send) body[kv.key()] = kv.value();
    }
    return true;
}

}  // namespace

result<upstream::http_request_parts> encode_request(const request& req,
                                                    const upstream::encode_options& options,
                                                    conversion_report& report) {
    const std::string_view model =
        options.model.empty() ? std::string_view(req.model) : options.model;
    model_capabilities builtin;
    const model_capabilities* caps = options.capabilities;
    if (caps == nullptr) {
        builtin = upstream::builtin_capabilities(upstream::upstream_format::openai_chat, model);
        caps = &builtin;
    }
    json::object body;
    request_writer writer(req, *caps, report);
    if (!writer.write(body, model, options.stream)) return errc::unsupported_feature;

    upstream::http_request_parts parts;
    parts.path = "/chat/completions";
    parts.body = json::serialize(body);
    parts.headers.emplace_back("Content-Type", "application/json");
    return parts;
}

}  // namespace gateway::formats::openai_chat
