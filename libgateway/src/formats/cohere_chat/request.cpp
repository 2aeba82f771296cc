// Upstream side: canonical request → POST /v2/chat body (https://docs.cohere.com/reference/chat).
//
// Every parameter is decided against the model's capability row (capabilities.cpp has a row for
// each one Cohere cannot honour). What v2 cannot express at all is decided here:
// - a named tool choice: v2 has only REQUIRED and NONE, so the named tool is sent alone with
//   REQUIRED (reported as emulated);
// - assistant text next to tool calls goes into `tool_plan`, where Cohere itself puts it;
// - reasoning becomes `thinking{type, token_budget}`; thinking text of another origin (a signed
//   Claude or Gemini thought) is stripped, Cohere's own (unsigned) thinking goes back as a
//   `thinking` content part;
// - tool results have no error flag: `is_error` is reported as dropped;
// - images are `image_url` parts (URL or data: URL); images by file id and documents other than
//   plain text cannot be sent.

#include "formats/cohere_chat/codec.hpp"
#include "formats/json_util.hpp"
#include "formats/openai_chat/common.hpp"

#include <boost/json/serialize.hpp>

#include <string>

namespace gateway::formats::cohere_chat {

namespace json = boost::json;
using formats::openai_chat::detail::client_name;
using formats::openai_chat::detail::index_path;
using upstream::model_capabilities;

namespace {

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

    /// Applies the capability row of `param` (canonical name), `pass` without one. Returns false
    /// on reject; `send` tells whether to write the parameter.
    bool decide(std::string_view param, bool& send) {
        send = false;
        switch (caps_.action(param)) {
            case param_action::pass:
                send = true;
                return true;
            case param_action::drop:
            case param_action::emulate:
                report_.dropped(client_name(req_.source_format, param));
                return true;
            case param_action::reject:
                break;
        }
        return reject(client_name(req_.source_format, param),
                      "not supported by the upstream model");
    }

    /// A parameter v2 has no field for: rejected unless its row says it may be dropped.
    bool inexpressible(std::string_view param) {
        if (caps_.action(param, param_action::reject) == param_action::reject) {
            return reject(client_name(req_.source_format, param),
                          "not supported by the Cohere Chat API");
        }
        report_.dropped(client_name(req_.source_format, param));
        return true;
    }

    static json::object text_part(std::string_view text) {
        return json::object{{"type", "text"}, {"text", text}};
    }

    /// A plain string for one text part (the common shape), otherwise the parts.
    static json::value collapse(json::array parts) {
        if (parts.size() == 1 && parts[0].get_object().size() == 2 &&
            get_string(parts[0].get_object(), "type") == "text") {
            return parts[0].get_object().at("text");
        }
        return parts;
    }

    bool system_message(json::array& messages);
    bool user_message(const message& m, std::size_t mi, json::array& messages);
    bool media_part(const content_block& b, const std::string& path, json::array& parts);
    void tool_message(const content_block& b, const std::string& path, json::array& messages);
    void assistant_message(const message& m, json::array& messages);
    bool write_tools(json::object& body);
    bool write_response_format(json::object& body);
    bool write_reasoning(json::object& body);
    bool write_sampling(json::object& body);
    bool write_other(json::object& body);

    const request& req_;
    const model_capabilities& caps_;
    conversion_report& report_;
};

bool request_writer::system_message(json::array& messages) {
    json::array parts;
    for (const content_block& b : req_.system) {
        if (b.kind == block_kind::text) parts.push_back(text_part(b.text));
    }
    if (parts.empty()) return true;
    messages.push_back(json::object{{"role", "system"}, {"content", collapse(std::move(parts))}});
    return true;
}

bool request_writer::media_part(const content_block& b, const std::string& path,
                                json::array& parts) {
    const media_source& s = b.source;
    if (b.kind == block_kind::document) {
        if (s.type == media_source::kind::text) {
            // A plain-text document is text the model reads.
            parts.push_back(text_part(s.data));
            report_.emulated(path);
            return true;
        }
        if (caps_.action("documents", param_action::reject) == param_action::reject) {
            return reject(path,
                          "the Cohere Chat API reads text and images only, not PDF or file "
                          "documents");
        }
        report_.dropped(path);
        return true;
    }
    bool send = false;
    if (!decide("images", send)) return false;
    if (!send) return true;
    json::object image;
    switch (s.type) {
        case media_source::kind::url:
            image["url"] = s.data;
            break;
        case media_source::kind::base64: {
            std::string url = "data:";
            url += s.media_type;
            url += ";base64,";
            url += s.data;
            image["url"] = std::move(url);
            break;
        }
        case media_source::kind::file_id:
        case media_source::kind::text:
            return reject(path, "Cohere takes images only as a URL or base64 data");
    }
    // v2 `image_url.detail`: "auto", "low", "high", as in Chat Completions.
    if (!s.detail.empty()) image["detail"] = s.detail;
    parts.push_back(json::object{{"type", "image_url"}, {"image_url", std::move(image)}});
    return true;
}

void request_writer::tool_message(const content_block& b, const std::string& path,
                                  json::array& messages) {
    json::array parts;
    for (std::size_t i = 0; i < b.content.size(); ++i) {
        const content_block& c = b.content[i];
        if (c.kind == block_kind::text) {
            parts.push_back(text_part(c.text));
        } else {
            // v2 tool content is text or documents.
            report_.dropped(index_path(path + ".content", i));
        }
    }
    if (b.is_error) report_.dropped(path + ".is_error");
    json::object m{{"role", "tool"}, {"tool_call_id", b.id}};
    m["content"] = parts.empty() ? json::value("") : collapse(std::move(parts));
    messages.push_back(std::move(m));
}

bool request_writer::user_message(const message& m, std::size_t mi, json::array& messages) {
    const std::string base = index_path("messages", mi) + ".content";
    // Tool results first: they answer the previous assistant turn's calls.
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
                parts.push_back(text_part(b.text));
                break;
            case block_kind::image:
            case block_kind::document:
                if (!media_part(b, index_path(base, i), parts)) return false;
                break;
            default:
                break;  // tool results above; reasoning has no place in a user turn
        }
    }
    if (parts.empty()) return true;
    messages.push_back(json::object{{"role", "user"}, {"content", collapse(std::move(parts))}});
    return true;
}

void request_writer::assistant_message(const message& m, json::array& messages) {
    std::string text;
    json::array thinking;
    json::array calls;
    bool stripped = false;
    for (const content_block& b : m.content) {
        switch (b.kind) {
            case block_kind::text:
            case block_kind::refusal:
                text += b.text;
                break;
            case block_kind::thinking:
                // Cohere's thinking is plain text; another provider's signed reasoning is not
                // Cohere's to read.
                if (b.signature_origin == reasoning_origin::none && !b.text.empty()) {
                    thinking.push_back(json::object{{"type", "thinking"}, {"thinking", b.text}});
                } else {
                    stripped = true;
                }
                break;
            case block_kind::redacted_thinking:
                stripped = true;
                break;
            case block_kind::tool_use: {
                json::object fn{{"name", b.name},
                                {"arguments", b.arguments.empty() ? std::string_view("{}")
                                                                  : std::string_view(b.arguments)}};
                calls.push_back(
                    json::object{{"id", b.id}, {"type", "function"}, {"function", std::move(fn)}});
                break;
            }
            default:
                break;
        }
    }
    if (stripped) report_.changed("messages", "reasoning of another provider stripped");
    json::object out{{"role", "assistant"}};
    if (!calls.empty()) {
        // With tool calls the text is the model's plan (how Cohere returns it).
        if (!text.empty()) out["tool_plan"] = text;
        if (!thinking.empty()) out["content"] = std::move(thinking);
        out["tool_calls"] = std::move(calls);
    } else if (thinking.empty()) {
        out["content"] = text;
    } else {
        if (!text.empty()) thinking.push_back(text_part(text));
        out["content"] = std::move(thinking);
    }
    messages.push_back(std::move(out));
}

bool request_writer::write_tools(json::object& body) {
    if (req_.tools.empty()) return true;
    bool send = false;
    if (!decide("tools", send)) return false;
    if (!send) return true;
    const bool named = req_.choice.type == tool_choice::mode::tool;
    json::array tools;
    bool strict = false;
    for (std::size_t i = 0; i < req_.tools.size(); ++i) {
        const tool& t = req_.tools[i];
        if (t.type != "function") {
            // Another provider's built-in tool (web search, code execution, ...).
            report_.dropped(index_path("tools", i));
            continue;
        }
        if (named && t.name != req_.choice.name) continue;
        json::object fn{{"name", t.name}};
        if (!t.description.empty()) fn["description"] = t.description;
        if (!t.parameters.is_null()) fn["parameters"] = t.parameters;
        strict = strict || t.strict.value_or(false);
        tools.push_back(json::object{{"type", "function"}, {"function", std::move(fn)}});
    }
    if (named && tools.empty()) {
        return reject("tool_choice", "names a function that is not among the tools");
    }
    if (tools.empty()) return true;
    body["tools"] = std::move(tools);
    // v2 has one switch for strict schemas, for all tools at once.
    if (strict) body["strict_tools"] = true;

    switch (req_.choice.type) {
        case tool_choice::mode::unset:
        case tool_choice::mode::auto_:
            break;  // the default: the model decides
        case tool_choice::mode::none:
            body["tool_choice"] = "NONE";
            break;
        case tool_choice::mode::required:
            body["tool_choice"] = "REQUIRED";
            break;
        case tool_choice::mode::tool:
            body["tool_choice"] = "REQUIRED";
            report_.emulated("tool_choice");
            break;
    }
    if (req_.parallel_tool_calls && !inexpressible("parallel_tool_calls")) return false;
    return true;
}

bool request_writer::write_response_format(json::object& body) {
    if (req_.format.type == response_format::kind::text) return true;
    bool send = false;
    if (!decide("response_format", send)) return false;
    if (!send) return true;
    // v2: `{"type":"json_object","json_schema":{...}}`; a schema has no name or strict flag.
    json::object f{{"type", "json_object"}};
    if (req_.format.type == response_format::kind::json_schema && !req_.format.schema.is_null()) {
        f["json_schema"] = req_.format.schema;
    }
    body["response_format"] = std::move(f);
    return true;
}

bool request_writer::write_reasoning(json::object& body) {
    const reasoning_config& r = req_.reasoning;
    const bool off = (r.enabled && !*r.enabled) || (r.effort && *r.effort == "none");
    const bool on = !off && (r.enabled.value_or(false) || r.effort || r.budget_tokens);
    if (!on && !off) return true;
    bool send = false;
    if (!decide("reasoning", send)) return false;
    if (!send) return true;
    if (off) {
        body["thinking"] = json::object{{"type", "disabled"}};
        return true;
    }
    json::object t{{"type", "enabled"}};
    if (r.budget_tokens) {
        t["token_budget"] = *r.budget_tokens;
    } else if (r.effort) {
        const std::int64_t budget = effort_to_budget(*r.effort);
        t["token_budget"] = budget;
        report_.changed(client_name(req_.source_format, "reasoning"),
                        "converted to thinking.token_budget=" + std::to_string(budget));
    }
    body["thinking"] = std::move(t);
    return true;
}

bool request_writer::write_sampling(json::object& body) {
    const sampling& s = req_.sampler;
    bool send = false;
    auto number = [&](std::string_view param, std::string_view wire,
                      const std::optional<double>& v) {
        if (!v) return true;
        if (!decide(param, send)) return false;
        if (send) body[wire] = *v;
        return true;
    };
    if (!number("temperature", "temperature", s.temperature) || !number("top_p", "p", s.top_p) ||
        !number("presence_penalty", "presence_penalty", s.presence_penalty) ||
        !number("frequency_penalty", "frequency_penalty", s.frequency_penalty)) {
        return false;
    }
    if (s.top_k) {
        if (!decide("top_k", send)) return false;
        if (send) body["k"] = *s.top_k;
    }
    if (s.seed) {
        if (!decide("seed", send)) return false;
        if (send) body["seed"] = *s.seed;
    }
    if (!s.stop.empty()) {
        if (!decide("stop", send)) return false;
        if (send) {
            json::array stop;
            for (const std::string& seq : s.stop) stop.emplace_back(seq);
            body["stop_sequences"] = std::move(stop);
        }
    }
    return true;
}

bool request_writer::write_other(json::object& body) {
    bool send = false;
    if (req_.max_output_tokens) {
        if (!decide("max_tokens", send)) return false;
        if (send) body["max_tokens"] = *req_.max_output_tokens;
    }
    // The gateway converts one answer: more choices would be generated and lost.
    if (req_.n && *req_.n != 1 && !inexpressible("n")) return false;
    if (!req_.user.empty() && !inexpressible("user")) return false;
    if (!req_.metadata.empty() && !inexpressible("metadata")) return false;
    if (req_.service_tier && !inexpressible("service_tier")) return false;
    if (req_.store && !inexpressible("store")) return false;
    // Fields of the client's body without a canonical home are in another format's names.
    for (const auto& kv : req_.extra) report_.dropped(kv.key());
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
                    if (b.kind == block_kind::text) parts.push_back(text_part(b.text));
                }
                if (!parts.empty()) {
                    messages.push_back(
                        json::object{{"role", "system"}, {"content", collapse(std::move(parts))}});
                }
                break;
            }
            case role::user:
                if (!user_message(m, i, messages)) return false;
                break;
            case role::assistant:
                assistant_message(m, messages);
                break;
        }
    }
    body["messages"] = std::move(messages);
    if (!write_tools(body) || !write_response_format(body) || !write_reasoning(body) ||
        !write_sampling(body) || !write_other(body)) {
        return false;
    }
    if (stream) body["stream"] = true;
    return true;
}

}  // namespace

result<upstream::http_request_parts> encode_request(const request& req,
                                                    const upstream::encode_options& options,
                                                    conversion_report& report) {
    const std::string_view model =
        options.model.empty() ? std::string_view(req.model) : options.model;
    // upstream::encode_request passes the built-in table when the caller configured none.
    static const model_capabilities no_rows;
    const model_capabilities* caps = options.capabilities ? options.capabilities : &no_rows;
    json::object body;
    request_writer writer(req, *caps, report);
    if (!writer.write(body, model, options.stream)) return errc::unsupported_feature;

    upstream::http_request_parts parts;
    parts.path = "/chat";  // relative to https://api.cohere.com/v2
    parts.body = json::serialize(body);
    parts.headers.emplace_back("Content-Type", "application/json");
    return parts;
}

}  // namespace gateway::formats::cohere_chat
