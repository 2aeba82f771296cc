// Upstream side: canonical request → POST /responses body.
//
// Every parameter is decided against the model's capability row (capabilities.hpp): pass, drop
// (reported), emulate (reported) or reject (`errc::unsupported_feature`). What the Responses API
// cannot express at all is decided here: `top_k`, `seed`, `stop` and the penalties (CreateResponse
// has no such fields), `n` > 1, and reasoning state of another origin (stripped and reported).
//
// OpenAI quirks this encoder follows (function-calling guide, Responses API reference, and the
// fixes of SDKs that replay Responses state: vercel/ai#7099, langchainjs#9082,
// hermes-agent#10217):
// - a function tool without `strict` is strict in Responses (the schema is normalized: every
//   property required), non-strict in Chat, Anthropic and Gemini: tools of those formats get an
//   explicit `"strict": false`;
// - with `store: false` nothing is persisted, so an item id sent back is looked up and not found
//   (404): ids go only with stored conversations, reasoning state then travels as
//   `encrypted_content` (asked for with `include: ["reasoning.encrypted_content"]`);
// - a stored reasoning item sent by id is paired with the items that followed it: they go back
//   with their ids, and without ids when their reasoning does not go back (otherwise 400
//   "provided without its required following item" / "... required 'reasoning' item");
// - function calls are answered by `call_id`; assistant text goes as output_text parts
//   (input_text is refused in assistant messages);
// - `max_output_tokens` must be at least 16.

#include "formats/json_util.hpp"
#include "formats/openai_chat/common.hpp"
#include "formats/openai_responses/codec.hpp"
#include "formats/openai_responses/common.hpp"

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <array>
#include <string>

namespace gateway::formats::openai_responses {

namespace json = boost::json;
using upstream::model_capabilities;

namespace {

// One table of the clients' wire names for every format (openai_chat/common.hpp).
using openai_chat::detail::client_name;

using detail::index_path;

/// OpenAI rejects `max_output_tokens` below this ("minimum: 16" in CreateResponse).
constexpr std::int64_t min_output_tokens = 16;

class request_writer {
  public:
    request_writer(const request& req, const model_capabilities& caps, conversion_report& report)
        : req_(req),
          caps_(caps),
          report_(report),
          // Chat's `store` defaults to false and Anthropic and Gemini store nothing: only a
          // Responses client expects OpenAI's default of true.
          store_(req.store.value_or(req.source_format == api_format::openai_responses)) {}

    bool write(json::object& body, std::string_view model, bool stream);

  private:
    bool reject(std::string_view param, std::string_view what) {
        return detail::report_failure(report_, param, what);
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
            case param_action::emulate:  // nothing to emulate with: same as drop
                report_.dropped(client_name(req_.source_format, param));
                return true;
            case param_action::reject:
                break;
        }
        return reject(client_name(req_.source_format, param),
                      "not supported by the upstream model");
    }

    /// A parameter CreateResponse has no field for: dropped (reported) unless the capability
    /// row says reject.
    bool no_field(std::string_view param, param_action fallback = param_action::drop) {
        if (caps_.action(param, fallback) == param_action::reject) {
            return reject(client_name(req_.source_format, param),
                          "not supported by the upstream model");
        }
        report_.dropped(client_name(req_.source_format, param));
        return true;
    }

    static void add_extras(json::object& part, const content_block& b) {
        if (b.extra_format != detail::format_name) return;
        for (const auto& kv : b.extra) {
            if (!part.contains(kv.key())) part[kv.key()] = kv.value();
        }
    }

    static json::object text_part(const content_block& b) {
        json::object p;
        p["type"] = "input_text";
        p["text"] = b.text;
        add_extras(p, b);
        return p;
    }

    /// A plain string when the parts are one input_text part without extras (the common shape
    /// and the one the recordings show), otherwise the array.
    static json::value collapse(json::array parts) {
        if (parts.size() == 1) {
            const json::object& p = parts[0].get_object();
            const json::value* text = p.if_contains("text");
            if (p.size() == 2 && text != nullptr && get_string(p, "type") == "input_text") {
                return *text;
            }
        }
        return parts;
    }

    bool write_system(json::object& body, json::array& input);
    bool media_part(const content_block& b, const std::string& path, json::array& parts);
    bool tool_output(const content_block& b, const std::string& path, json::array& input);
    bool user_items(const message& m, std::size_t mi, json::array& input);
    void assistant_items(const message& m, std::size_t mi, json::array& input);
    /// Writes the reasoning item starting at block `first`; returns the index after its blocks.
    /// `sent_with_id`: it went back by id (the items after it are paired with it).
    std::size_t reasoning_item(const message& m, std::size_t first, const std::string& base,
                               json::array& input, bool& sent_with_id);
    bool write_tools(json::object& body);
    bool write_format(json::object& body);
    bool write_reasoning(json::object& body);
    bool write_sampling(json::object& body);
    bool write_extra(json::object& body);

    const request& req_;
    const model_capabilities& caps_;
    conversion_report& report_;
    bool store_;
    bool reasoning_sent_ = false;
};

bool request_writer::write_system(json::object& body, json::array& input) {
    bool parts_needed = false;
    std::string joined;
    json::array parts;
    for (const content_block& b : req_.system) {
        if (b.kind != block_kind::text) continue;
        if (!joined.empty()) joined += '\n';
        joined += b.text;
        parts.push_back(text_part(b));
        parts_needed = parts_needed || b.extra_format == detail::format_name;
    }
    if (parts.empty()) return true;
    if (!parts_needed) {
        body["instructions"] = std::move(joined);
        return true;
    }
    // Parts with fields of this format (prompt_cache_breakpoint) cannot become the
    // `instructions` string: the leading instruction message keeps them.
    json::object m;
    m["role"] = req_.system_is_developer ? "developer" : "system";
    m["content"] = std::move(parts);
    input.push_back(std::move(m));
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
        p["type"] = "input_image";
        switch (s.type) {
            case media_source::kind::url:
                p["image_url"] = s.data;
                break;
            case media_source::kind::base64:
                p["image_url"] = data_url();
                break;
            case media_source::kind::file_id:
                p["file_id"] = s.data;
                break;
            case media_source::kind::text:
                return reject(path, "an image cannot be given as text");
        }
        // InputImageContent requires `detail`; "auto" is the API's default.
        p["detail"] = s.detail.empty() ? std::string_view("auto") : std::string_view(s.detail);
    } else {
        p["type"] = "input_file";
        switch (s.type) {
            case media_source::kind::base64:
                // OpenAI wants a file name with file_data; the extension tells it the type.
                if (!s.filename.empty()) {
                    p["filename"] = s.filename;
                } else {
                    p["filename"] = s.media_type == "application/pdf" ? "document.pdf" : "document";
                }
                p["file_data"] = data_url();
                break;
            case media_source::kind::file_id:
                p["file_id"] = s.data;
                break;
            case media_source::kind::url:
                p["file_url"] = s.data;
                break;
            case media_source::kind::text: {
                // A plain-text document is text the model reads.
                json::object t;
                t["type"] = "input_text";
                t["text"] = s.data;
                report_.emulated(path);
                parts.push_back(std::move(t));
                return true;
            }
        }
        if (!s.filename.empty() && !p.contains("filename")) p["filename"] = s.filename;
        if (!s.detail.empty()) p["detail"] = s.detail;
    }
    add_extras(p, b);
    parts.push_back(std::move(p));
    return true;
}

bool request_writer::tool_output(const content_block& b, const std::string& path,
                                 json::array& input) {
    json::object o;
    o["type"] = "function_call_output";
    o["call_id"] = b.id;
    const bool one_text = b.content.size() == 1 && b.content[0].kind == block_kind::text &&
                          b.content[0].extra_format != detail::format_name;
    if (b.content.empty()) {
        o["output"] = "";
    } else if (one_text) {
        o["output"] = b.content[0].text;
    } else {
        // FunctionCallOutputItemParam: text, image and file parts.
        json::array parts;
        for (std::size_t i = 0; i < b.content.size(); ++i) {
            const content_block& c = b.content[i];
            const std::string part_path = index_path(path + ".content", i);
            if (c.kind == block_kind::text) {
                parts.push_back(text_part(c));
            } else if (c.kind == block_kind::image || c.kind == block_kind::document) {
                if (!media_part(c, part_path, parts)) return false;
            } else {
                report_.dropped(part_path);
            }
        }
        o["output"] = std::move(parts);
    }
    if (b.extra_format == detail::format_name) {
        for (const auto& kv : b.extra) {
            if (!o.contains(kv.key())) o[kv.key()] = kv.value();  // name, namespace, caller
        }
    }
    input.push_back(std::move(o));
    return true;
}

bool request_writer::user_items(const message& m, std::size_t mi, json::array& input) {
    const std::string base = index_path("messages", mi) + ".content";
    // Tool results first: each is its own item, and they answer the calls just before them.
    for (std::size_t i = 0; i < m.content.size(); ++i) {
        if (m.content[i].kind == block_kind::tool_result &&
            !tool_output(m.content[i], index_path(base, i), input)) {
            return false;
        }
    }
    json::array parts;
    for (std::size_t i = 0; i < m.content.size(); ++i) {
        const content_block& b = m.content[i];
        switch (b.kind) {
            case block_kind::text:
                if (b.text.empty() && !b.extra.empty() && b.extra_format != detail::format_name) {
                    report_.dropped(index_path(base, i));  // another format's block kept whole
                } else {
                    parts.push_back(text_part(b));
                }
                break;
            case block_kind::image:
            case block_kind::document:
                if (!media_part(b, index_path(base, i), parts)) return false;
                break;
            case block_kind::tool_result:
                break;  // above
            default:
                report_.dropped(index_path(base, i));  // output kinds in a user turn
                break;
        }
    }
    if (parts.empty()) return true;
    json::object out;
    out["role"] = "user";
    out["content"] = collapse(std::move(parts));
    input.push_back(std::move(out));
    return true;
}

std::size_t request_writer::reasoning_item(const message& m, std::size_t first,
                                           const std::string& base, json::array& input,
                                           bool& sent_with_id) {
    // The blocks of one reasoning item: consecutive thinking blocks with the same item id (a
    // block without an id is an item on its own).
    const std::string_view id = detail::kept_item_id(m.content[first], "rs_");
    std::size_t end = first + 1;
    while (!id.empty() && end < m.content.size() &&
           (m.content[end].kind == block_kind::thinking ||
            m.content[end].kind == block_kind::redacted_thinking) &&
           detail::kept_item_id(m.content[end], "rs_") == id) {
        ++end;
    }
    std::string_view encrypted;
    for (std::size_t i = first; i < end; ++i) {
        const content_block& b = m.content[i];
        if (b.signature_origin == reasoning_origin::openai && !b.signature.empty()) {
            encrypted = b.signature;
        }
    }
    // Reasoning of another model (a Claude signature, Gemini thoughts, text alone) means nothing
    // to OpenAI, and an id alone refers to a stored item, which exists only with store.
    const bool send_id = !id.empty() && store_;
    sent_with_id = false;
    if (encrypted.empty() && !send_id) {
        for (std::size_t i = first; i < end; ++i) report_.dropped(index_path(base, i));
        return end;
    }
    json::object item;
    item["type"] = "reasoning";
    if (send_id) item["id"] = id;
    json::array summary;
    for (std::size_t i = first; i < end; ++i) {
        if (m.content[i].kind != block_kind::thinking || m.content[i].text.empty()) continue;
        json::object s;
        s["type"] = "summary_text";
        s["text"] = m.content[i].text;
        summary.push_back(std::move(s));
    }
    item["summary"] = std::move(summary);
    if (!encrypted.empty()) item["encrypted_content"] = encrypted;
    const content_block& last = m.content[end - 1];
    if (last.extra_format == detail::format_name) {
        if (const json::value* content = last.extra.if_contains("content")) {
            item["content"] = *content;
        }
    }
    input.push_back(std::move(item));
    sent_with_id = send_id;
    return end;
}

void request_writer::assistant_items(const message& m, std::size_t mi, json::array& input) {
    const std::string base = index_path("messages", mi) + ".content";
    // OpenAI pairs a stored reasoning item with the items that followed it: after one sent back
    // by id, the message and function call items keep their ids too (without them: "reasoning
    // was provided without its required following item"); without it they go without (an id
    // alone: "function_call was provided without its required 'reasoning' item").
    bool paired = false;
    json::array parts;
    std::string_view phase;
    std::string_view message_id;
    auto flush_message = [&] {
        if (parts.empty()) return;
        json::object out;
        if (paired && !message_id.empty()) {
            // The output message item as the API returned it.
            for (json::value& p : parts) {
                json::object& part = p.get_object();
                if (get_string(part, "type") == "output_text") part["annotations"] = json::array();
            }
            out["type"] = "message";
            out["id"] = message_id;
            out["role"] = "assistant";
            out["status"] = "completed";
            out["content"] = std::move(parts);
        } else if (parts.size() == 1 &&
                   get_string(parts[0].get_object(), "type") == "output_text") {
            // One text part is a plain string (the recorded shape); more keep their boundaries.
            out["role"] = "assistant";
            out["content"] = parts[0].get_object().at("text");
        } else {
            out["role"] = "assistant";
            out["content"] = std::move(parts);
        }
        if (!phase.empty()) out["phase"] = phase;
        input.push_back(std::move(out));
        parts.clear();
        phase = {};
        message_id = {};
    };
    for (std::size_t i = 0; i < m.content.size();) {
        const content_block& b = m.content[i];
        switch (b.kind) {
            case block_kind::text:
            case block_kind::refusal: {
                if (b.text.empty()) {
                    // Nothing to say; or a block another format keeps whole in its extra (an
                    // Anthropic server tool call) that only that format can take back.
                    if (!b.extra.empty() && b.extra_format != detail::format_name) {
                        report_.dropped(index_path(base, i));
                    }
                    ++i;
                    break;
                }
                // Blocks of another message item (by id) are another message.
                const std::string_view id = detail::kept_item_id(b, "msg_");
                if (!id.empty() && !parts.empty() && id != message_id) flush_message();
                if (parts.empty()) message_id = id;
                json::object p;
                if (b.kind == block_kind::text) {
                    p["type"] = "output_text";
                    p["text"] = b.text;
                } else {
                    p["type"] = "refusal";
                    p["refusal"] = b.text;
                }
                if (b.extra_format == detail::format_name && phase.empty()) {
                    phase = get_string(b.extra, "phase");
                }
                parts.push_back(std::move(p));
                ++i;
                break;
            }
            case block_kind::thinking:
            case block_kind::redacted_thinking:
                flush_message();
                i = reasoning_item(m, i, base, input, paired);
                break;
            case block_kind::tool_use: {
                flush_message();
                json::object call;
                call["type"] = "function_call";
                if (const std::string_view id = detail::kept_item_id(b, "fc_");
                    paired && !id.empty()) {
                    call["id"] = id;
                }
                call["call_id"] = b.id;
                call["name"] = b.name;
                call["arguments"] = b.arguments.empty() ? std::string_view("{}") : b.arguments;
                if (b.extra_format == detail::format_name) {
                    for (const auto& kv : b.extra) {
                        if (kv.key() != "id" && !call.contains(kv.key())) {
                            call[kv.key()] = kv.value();  // namespace, caller
                        }
                    }
                }
                input.push_back(std::move(call));
                ++i;
                break;
            }
            default:
                report_.dropped(index_path(base, i));  // input kinds in an assistant turn
                ++i;
                break;
        }
    }
    flush_message();
}

bool request_writer::write_tools(json::object& body) {
    if (req_.tools.empty()) return true;
    bool send = false;
    if (!decide("tools", param_action::pass, send)) return false;
    if (!send) return true;
    const bool native = req_.source_format == api_format::openai_responses;
    json::array tools;
    for (std::size_t i = 0; i < req_.tools.size(); ++i) {
        const tool& t = req_.tools[i];
        if (t.type != "function") {
            if (t.extra_format == detail::format_name) {
                tools.push_back(t.extra);  // a built-in tool, as the Responses client sent it
            } else {
                // Another provider's built-in tool (or a Chat custom tool): not OpenAI's shape.
                report_.dropped(index_path("tools", i));
            }
            continue;
        }
        json::object o;
        o["type"] = "function";
        o["name"] = t.name;
        if (!t.description.empty()) o["description"] = t.description;
        o["parameters"] = t.parameters;  // FunctionTool requires it; null: no schema
        if (t.strict) {
            o["strict"] = *t.strict;
        } else if (!native) {
            o["strict"] = false;  // the other formats' default; Responses would normalize
        }
        if (t.extra_format == detail::format_name) {
            for (const auto& kv : t.extra) {
                if (!o.contains(kv.key())) o[kv.key()] = kv.value();
            }
        }
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
        case tool_choice::mode::tool:
            body["tool_choice"] = json::object{{"type", "function"}, {"name", req_.choice.name}};
            break;
    }
    if (req_.parallel_tool_calls) {
        if (!decide("parallel_tool_calls", param_action::pass, send)) return false;
        if (send) body["parallel_tool_calls"] = *req_.parallel_tool_calls;
    }
    return true;
}

bool request_writer::write_format(json::object& body) {
    if (req_.format.type == response_format::kind::text) return true;
    bool send = false;
    if (!decide("response_format", param_action::pass, send)) return false;
    if (!send) return true;
    json::object f;
    if (req_.format.type == response_format::kind::json_object) {
        f["type"] = "json_object";
    } else {
        // TextResponseFormatJsonSchema: name and schema are required; the name must match
        // ^[a-zA-Z0-9_-]{1,64}$, so formats without one get a neutral one.
        f["type"] = "json_schema";
        f["name"] = req_.format.name.empty() ? std::string_view("response") : req_.format.name;
        if (!req_.format.description.empty()) f["description"] = req_.format.description;
        f["schema"] = req_.format.schema.is_null() ? json::value(json::object{{"type", "object"}})
                                                   : req_.format.schema;
        if (req_.format.strict) f["strict"] = *req_.format.strict;
    }
    body["text"] = json::object{{"format", std::move(f)}};
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
        return true;  // "thinking off": the model's default is the closest Responses has
    }
    // Responses shows reasoning text only as a summary, and only when asked for one: a client
    // that wants to see its thoughts (Chat's `?thinking=true`, Gemini's includeThoughts) or that
    // always gets them when thinking is on (Anthropic) asks for the automatic summary.
    std::string summary = r.summary;
    const bool wants_text =
        r.include_thoughts.value_or(false) ||
        (req_.source_format == api_format::anthropic_messages && r.enabled.value_or(false));
    if (summary.empty() && wants_text && r.enabled.value_or(true)) summary = "auto";
    if (effort.empty() && summary.empty()) return true;
    // `reasoning` is refused by OpenAI's non-reasoning models ("Unsupported parameter:
    // 'reasoning.effort'"); compatible reasoning servers get it by configuring `reasoning: pass`.
    bool send = false;
    if (!decide("reasoning", caps_.openai_reasoning_model ? param_action::pass : param_action::drop,
                send)) {
        return false;
    }
    if (!send) return true;
    json::object o;
    if (!effort.empty()) o["effort"] = effort;
    if (!summary.empty()) o["summary"] = summary;
    body["reasoning"] = std::move(o);
    reasoning_sent_ = true;
    if (converted) {
        report_.changed(client_name(req_.source_format, "reasoning"),
                        "converted to reasoning.effort=" + effort);
    }
    return true;
}

bool request_writer::write_sampling(json::object& body) {
    const sampling& s = req_.sampler;
    bool send = false;
    for (const auto& [name, v] :
         {std::pair{"temperature", &s.temperature}, std::pair{"top_p", &s.top_p}}) {
        if (!*v) continue;
        if (!decide(name, param_action::pass, send)) return false;
        if (send) body[name] = **v;
    }
    // CreateResponse has no top_k, penalties, seed or stop sequences.
    return (!s.top_k || no_field("top_k")) &&
           (!s.presence_penalty || no_field("presence_penalty")) &&
           (!s.frequency_penalty || no_field("frequency_penalty")) &&
           (!s.seed || no_field("seed")) && (s.stop.empty() || no_field("stop")) &&
           // Only one answer is generated: more choices would be silently fewer.
           (!req_.n || *req_.n == 1 || no_field("n", param_action::reject));
}

bool request_writer::write_extra(json::object& body) {
    // Fields of the client's body without a canonical home: only a Responses upstream
    // understands a Responses client's; any other format's would be rejected or misread.
    for (const auto& kv : req_.extra) {
        const std::string_view key = kv.key();
        if (req_.source_format != api_format::openai_responses) {
            report_.dropped(key);
            continue;
        }
        if (key == "include") continue;  // merged in write()
        if (json::value* present = body.if_contains(key)) {
            // `text.verbosity`, `reasoning.context`: members next to the canonical ones.
            if (present->is_object() && kv.value().is_object()) {
                for (const auto& member : kv.value().get_object()) {
                    if (!present->get_object().contains(member.key())) {
                        present->get_object()[member.key()] = member.value();
                    }
                }
            }
            continue;
        }
        bool send = false;
        if (key == "reasoning") {
            // Members of `reasoning` alone: the same decision as the canonical ones.
            if (!decide("reasoning",
                        caps_.openai_reasoning_model ? param_action::pass : param_action::drop,
                        send)) {
                return false;
            }
        } else if (key == "tool_choice" && !body.contains("tools")) {
            report_.dropped(key);  // OpenAI rejects tool_choice without tools
        } else if (!decide(key, param_action::pass, send)) {
            return false;
        }
        if (send) body[key] = kv.value();
    }
    return true;
}

bool request_writer::write(json::object& body, std::string_view model, bool stream) {
    body["model"] = model;
    json::array input;
    if (!write_system(body, input)) return false;
    for (std::size_t i = 0; i < req_.messages.size(); ++i) {
        const message& m = req_.messages[i];
        switch (m.role) {
            case role::system: {
                json::array parts;
                for (const content_block& b : m.content) {
                    if (b.kind == block_kind::text) parts.push_back(text_part(b));
                }
                if (parts.empty()) break;
                json::object out;
                out["role"] = m.developer ? "developer" : "system";
                out["content"] = collapse(std::move(parts));
                input.push_back(std::move(out));
                break;
            }
            case role::user:
                if (!user_items(m, i, input)) return false;
                break;
            case role::assistant:
                assistant_items(m, i, input);
                break;
        }
    }
    // A continuation of a stored response may add nothing but instructions.
    if (!input.empty() || req_.previous_response_id.empty()) body["input"] = std::move(input);

    if (!write_tools(body) || !write_format(body) || !write_reasoning(body) ||
        !write_sampling(body)) {
        return false;
    }

    bool send = false;
    if (req_.max_output_tokens) {
        if (!decide("max_tokens", param_action::pass, send)) return false;
        if (send) {
            const std::int64_t n = std::max(*req_.max_output_tokens, min_output_tokens);
            body["max_output_tokens"] = n;
            if (n != *req_.max_output_tokens) {
                report_.changed(client_name(req_.source_format, "max_tokens"),
                                "raised to 16, the minimum");
            }
        }
    }
    if (stream) body["stream"] = true;
    if (!req_.user.empty()) {
        if (!decide("user", param_action::pass, send)) return false;
        if (send) body["user"] = req_.user;
    }
    if (!req_.metadata.empty()) {
        if (!decide("metadata", param_action::pass, send)) return false;
        if (send) body["metadata"] = req_.metadata;
    }
    if (req_.service_tier) {
        // OpenAI's tiers; Anthropic's "standard_only" has no Responses equivalent.
        constexpr std::array tiers{"auto", "default", "flex", "scale", "priority"};
        const bool known = std::any_of(tiers.begin(), tiers.end(),
                                       [&](std::string_view t) { return *req_.service_tier == t; });
        if (!known) {
            report_.dropped("service_tier");
        } else {
            if (!decide("service_tier", param_action::pass, send)) return false;
            if (send) body["service_tier"] = *req_.service_tier;
        }
    }
    if (req_.store || req_.source_format != api_format::openai_responses) body["store"] = store_;
    if (!req_.previous_response_id.empty()) {
        body["previous_response_id"] = req_.previous_response_id;
    }

    // Reasoning state comes back as encrypted_content only when asked for; without storage it
    // is the only way to continue a reasoning model's turn.
    json::array include;
    if (req_.source_format == api_format::openai_responses) {
        if (const json::array* asked = get_array(req_.extra, "include")) include = *asked;
    }
    constexpr std::string_view encrypted = "reasoning.encrypted_content";
    if (reasoning_sent_ || (!store_ && caps_.openai_reasoning_model)) {
        if (std::none_of(include.begin(), include.end(), [&](const json::value& v) {
                return v.is_string() && v.get_string() == encrypted;
            })) {
            include.emplace_back(encrypted);
        }
    }
    if (!include.empty()) body["include"] = std::move(include);
    return write_extra(body);
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
        builtin =
            upstream::builtin_capabilities(upstream::upstream_format::openai_responses, model);
        caps = &builtin;
    }
    json::object body;
    request_writer writer(req, *caps, report);
    if (!writer.write(body, model, options.stream)) return errc::unsupported_feature;

    upstream::http_request_parts parts;
    parts.path = "/responses";
    parts.body = json::serialize(body);
    parts.headers.emplace_back("Content-Type", "application/json");
    return parts;
}

}  // namespace gateway::formats::openai_responses
