// Client side: a Chat Completions request body → canonical request.
//
// Field names and shapes: OpenAPI CreateChatCompletionRequest and the ChatCompletionRequest*
// message and content-part schemas. Every read is checked; a wrong type or an unknown role or
// part type is a 400 naming the field path ("messages[2].content[0].type: ...").

#include "formats/json_util.hpp"
#include "formats/member_rules.hpp"
#include "formats/openai_chat/codec.hpp"
#include "formats/openai_chat/common.hpp"

#include <boost/json/value.hpp>

#include <string>
#include <utility>

namespace gateway::formats::openai_chat {

namespace json = boost::json;

namespace {

using detail::index_path;

// The members of CreateChatCompletionRequest (with CreateModelResponseProperties and
// ModelResponseProperties, which it includes): type, `minimum`/`maximum`, `minItems`/`maxItems`
// and the type of items or of map values, transcribed from OpenAI's OpenAPI spec 2.3.0
// (openai/openai-openapi f85dbe2, read 2026-12-07). Enumerations are not checked: they grow
// between versions (reasoning_effort gained "xhigh" and "max") and OpenAI names an unknown value
// itself. Where the API refuses more than the schema says, the comment says so.
namespace kind = json_kind;
constexpr member_rule request_members[] = {
    {.name = "model", .kinds = kind::string},
    {.name = "messages", .kinds = kind::array, .items = kind::object, .min_items = 1},
    {.name = "metadata", .kinds = kind::object, .items = kind::string},
    {.name = "top_logprobs", .kinds = kind::integer, .minimum = 0, .maximum = 20},
    {.name = "temperature", .kinds = kind::number, .minimum = 0, .maximum = 2},
    {.name = "top_p", .kinds = kind::number, .minimum = 0, .maximum = 1},
    {.name = "user", .kinds = kind::string},
    {.name = "safety_identifier", .kinds = kind::string},
    {.name = "prompt_cache_key", .kinds = kind::string},
    {.name = "prompt_cache_retention", .kinds = kind::string},
    {.name = "prompt_cache_options", .kinds = kind::object},
    {.name = "service_tier", .kinds = kind::string},
    {.name = "modalities", .kinds = kind::array, .items = kind::string},
    {.name = "verbosity", .kinds = kind::string},
    {.name = "reasoning_effort", .kinds = kind::string},
    // No minimum in the schema; the API answers 400 integer_below_min_value below 1.
    {.name = "max_completion_tokens", .kinds = kind::integer, .minimum = 1},
    {.name = "frequency_penalty", .kinds = kind::number, .minimum = -2, .maximum = 2},
    {.name = "presence_penalty", .kinds = kind::number, .minimum = -2, .maximum = 2},
    {.name = "web_search_options", .kinds = kind::object},
    {.name = "response_format", .kinds = kind::object},
    {.name = "audio", .kinds = kind::object},
    {.name = "store", .kinds = kind::boolean},
    {.name = "moderation", .kinds = kind::object},
    {.name = "stream", .kinds = kind::boolean},
    {.name = "stop",
     .kinds = kind::string | kind::array,
     .items = kind::string,
     .min_items = 1,
     .max_items = 4},
    {.name = "logit_bias", .kinds = kind::object, .items = kind::integer},
    {.name = "logprobs", .kinds = kind::boolean},
    // As max_completion_tokens.
    {.name = "max_tokens", .kinds = kind::integer, .minimum = 1},
    {.name = "n", .kinds = kind::integer, .minimum = 1, .maximum = 128},
    {.name = "prediction", .kinds = kind::object},
    {.name = "seed", .kinds = kind::integer},
    {.name = "stream_options", .kinds = kind::object},
    {.name = "tools", .kinds = kind::array, .items = kind::object},
    {.name = "tool_choice", .kinds = kind::string | kind::object},
    {.name = "parallel_tool_calls", .kinds = kind::boolean},
    {.name = "function_call", .kinds = kind::string | kind::object},
    {.name = "functions",
     .kinds = kind::array,
     .items = kind::object,
     .min_items = 1,
     .max_items = 128},
};

std::string member_path(std::string_view base, std::string_view key) {
    std::string p(base);
    p += '.';
    p += key;
    return p;
}

class request_reader {
  public:
    explicit request_reader(conversion_report& report) : report_(report) {}

    bool read(const json::object& root, request& req);

  private:
    bool fail(const std::string& param, std::string_view what) {
        std::string message = param;
        message += ": ";
        message += what;
        report_.fail(param, message);
        return false;
    }

    bool wrong_type(const std::string& param, std::string_view expected, const json::value& v) {
        std::string what = "expected ";
        what += expected;
        what += ", got ";
        what += kind_name(v);
        return fail(param, what);
    }

    bool read_string(const json::value& v, const std::string& path, std::string& out) {
        if (!v.is_string()) return wrong_type(path, "a string", v);
        out = v.get_string();
        return true;
    }

    bool read_messages(const json::value& v, request& req);
    bool read_message(const json::object& m, const std::string& path, request& req, bool& leading,
                      bool& last_was_tool);
    bool read_text_content(const json::value& v, const std::string& path,
                           std::vector<content_block>& out, bool keep_empty);
    bool read_user_part(const json::value& v, const std::string& path,
                        std::vector<content_block>& out);
    bool read_assistant(const json::object& m, const std::string& path, message& out);
    bool read_tool_calls(const json::value& v, const std::string& path, message& out);
    bool read_tools(const json::value& v, request& req);
    bool read_tool_choice(const json::value& v, request& req);
    bool read_response_format(const json::value& v, request& req);
    bool read_stop(const json::value& v, request& req);
    bool read_stream_options(const json::value& v, request& req);
    bool read_metadata(const json::value& v, request& req);

    conversion_report& report_;
};

// Part members other than `type` and the part's own payload key (e.g. the newer
// `prompt_cache_breakpoint`) stay on the block for an upstream of this format.
void keep_part_extras(const json::object& part, std::string_view payload_key, content_block& b) {
    for (const auto& kv : part) {
        if (kv.key() == "type" || kv.key() == payload_key) continue;
        b.extra[kv.key()] = kv.value();
    }
    if (!b.extra.empty()) b.extra_format = detail::format_name;
}

bool request_reader::read_text_content(const json::value& v, const std::string& path,
                                       std::vector<content_block>& out, bool keep_empty) {
    if (v.is_string()) {
        if (keep_empty || !v.get_string().empty()) {
            out.push_back(content_block::make_text(std::string(v.get_string())));
        }
        return true;
    }
    if (!v.is_array()) return wrong_type(path, "a string or an array of text parts", v);
    const json::array& parts = v.get_array();
    for (std::size_t i = 0; i < parts.size(); ++i) {
        const std::string part_path = index_path(path, i);
        const json::object* part = parts[i].if_object();
        if (part == nullptr) return wrong_type(part_path, "an object", parts[i]);
        const json::value* type = part->if_contains("type");
        if (type == nullptr || !type->is_string()) {
            return fail(member_path(part_path, "type"), "missing or not a string");
        }
        if (type->get_string() != "text") {
            std::string what = "content type '";
            what += type->get_string();
            what += "' is not allowed here (only 'text')";
            return fail(member_path(part_path, "type"), what);
        }
        const json::value* text = part->if_contains("text");
        if (text == nullptr) return fail(member_path(part_path, "text"), "missing");
        content_block b;
        if (!read_string(*text, member_path(part_path, "text"), b.text)) return false;
        keep_part_extras(*part, "text", b);
        out.push_back(std::move(b));
    }
    return true;
}

bool request_reader::read_user_part(const json::value& v, const std::string& path,
                                    std::vector<content_block>& out) {
    const json::object* part = v.if_object();
    if (part == nullptr) return wrong_type(path, "an object", v);
    const json::value* type_v = part->if_contains("type");
    if (type_v == nullptr || !type_v->is_string()) {
        return fail(member_path(path, "type"), "missing or not a string");
    }
    const std::string_view type = type_v->get_string();
    content_block b;
    if (type == "text") {
        const json::value* text = part->if_contains("text");
        if (text == nullptr) return fail(member_path(path, "text"), "missing");
        if (!read_string(*text, member_path(path, "text"), b.text)) return false;
        keep_part_extras(*part, "text", b);
    } else if (type == "image_url") {
        const std::string image_path = member_path(path, "image_url");
        const json::value* image_v = part->if_contains("image_url");
        if (image_v == nullptr) return fail(image_path, "missing");
        const json::object* image = image_v->if_object();
        if (image == nullptr) return wrong_type(image_path, "an object", *image_v);
        const json::value* url_v = image->if_contains("url");
        if (url_v == nullptr) return fail(member_path(image_path, "url"), "missing");
        std::string url;
        if (!read_string(*url_v, member_path(image_path, "url"), url)) return false;
        if (const json::value* detail = image->if_contains("detail");
            detail != nullptr && !detail->is_null()) {
            if (!read_string(*detail, member_path(image_path, "detail"), b.source.detail)) {
                return false;
            }
        }
        b.kind = block_kind::image;
        std::string_view media_type;
        std::string_view data;
        if (detail::parse_data_url(url, media_type, data)) {
            b.source.type = media_source::kind::base64;
            b.source.media_type = media_type;
            b.source.data = data;
        } else {
            b.source.type = media_source::kind::url;
            b.source.data = std::move(url);
        }
        keep_part_extras(*part, "image_url", b);
    } else if (type == "file") {
        const std::string file_path = member_path(path, "file");
        const json::value* file_v = part->if_contains("file");
        if (file_v == nullptr) return fail(file_path, "missing");
        const json::object* file = file_v->if_object();
        if (file == nullptr) return wrong_type(file_path, "an object", *file_v);
        b.kind = block_kind::document;
        std::string value;
        if (const json::value* name = file->if_contains("filename");
            name != nullptr && !name->is_null()) {
            if (!read_string(*name, member_path(file_path, "filename"), b.source.filename)) {
                return false;
            }
        }
        if (const json::value* id = file->if_contains("file_id"); id != nullptr && !id->is_null()) {
            if (!read_string(*id, member_path(file_path, "file_id"), value)) return false;
            b.source.type = media_source::kind::file_id;
            b.source.data = std::move(value);
        } else if (const json::value* data_v = file->if_contains("file_data");
                   data_v != nullptr && !data_v->is_null()) {
            if (!read_string(*data_v, member_path(file_path, "file_data"), value)) return false;
            b.source.type = media_source::kind::base64;
            std::string_view media_type;
            std::string_view data;
            if (detail::parse_data_url(value, media_type, data)) {
                b.source.media_type = media_type;
                b.source.data = data;
            } else {
                // OpenAI documents file inputs as PDFs sent as a data: URL; bare base64 is read
                // as the same thing.
                b.source.media_type = "application/pdf";
                b.source.data = std::move(value);
            }
        } else {
            return fail(file_path, "needs 'file_id' or 'file_data'");
        }
        keep_part_extras(*part, "file", b);
    } else if (type == "input_audio") {
        return fail(member_path(path, "type"),
                    "audio input ('input_audio') is not supported by this gateway");
    } else {
        std::string what = "unknown content type '";
        what += type;
        what += '\'';
        return fail(member_path(path, "type"), what);
    }
    out.push_back(std::move(b));
    return true;
}

bool request_reader::read_tool_calls(const json::value& v, const std::string& path, message& out) {
    if (v.is_null()) return true;
    if (!v.is_array()) return wrong_type(path, "an array", v);
    const json::array& calls = v.get_array();
    for (std::size_t i = 0; i < calls.size(); ++i) {
        const std::string call_path = index_path(path, i);
        const json::object* call = calls[i].if_object();
        if (call == nullptr) return wrong_type(call_path, "an object", calls[i]);
        const std::string_view type = get_string(*call, "type");
        if (!type.empty() && type != "function") {
            std::string what = "tool call type '";
            what += type;
            what += "' is not supported (only 'function')";
            return fail(member_path(call_path, "type"), what);
        }
        content_block b;
        b.kind = block_kind::tool_use;
        const json::value* id = call->if_contains("id");
        if (id == nullptr) return fail(member_path(call_path, "id"), "missing");
        if (!read_string(*id, member_path(call_path, "id"), b.id)) return false;
        const std::string fn_path = member_path(call_path, "function");
        const json::value* fn_v = call->if_contains("function");
        if (fn_v == nullptr) return fail(fn_path, "missing");
        const json::object* fn = fn_v->if_object();
        if (fn == nullptr) return wrong_type(fn_path, "an object", *fn_v);
        const json::value* name = fn->if_contains("name");
        if (name == nullptr) return fail(member_path(fn_path, "name"), "missing");
        if (!read_string(*name, member_path(fn_path, "name"), b.name)) return false;
        const json::value* args = fn->if_contains("arguments");
        if (args == nullptr) return fail(member_path(fn_path, "arguments"), "missing");
        if (!read_string(*args, member_path(fn_path, "arguments"), b.arguments)) return false;
        if (b.arguments.empty()) b.arguments = "{}";
        out.content.push_back(std::move(b));
    }
    return true;
}

bool request_reader::read_assistant(const json::object& m, const std::string& path, message& out) {
    // Order of the canonical blocks: reasoning first, then text, refusal, tool calls (the order
    // in which the model produced them).
    if (const json::value* r = m.if_contains("reasoning_content"); r != nullptr && !r->is_null()) {
        content_block b;
        b.kind = block_kind::thinking;
        if (!read_string(*r, member_path(path, "reasoning_content"), b.text)) return false;
        if (!b.text.empty()) out.content.push_back(std::move(b));
    }
    if (const json::value* c = m.if_contains("content"); c != nullptr && !c->is_null()) {
        const std::string content_path = member_path(path, "content");
        if (c->is_string()) {
            if (!c->get_string().empty()) {
                out.content.push_back(content_block::make_text(std::string(c->get_string())));
            }
        } else if (c->is_array()) {
            // ChatCompletionRequestAssistantMessageContentPart: text or refusal.
            const json::array& parts = c->get_array();
            for (std::size_t i = 0; i < parts.size(); ++i) {
                const std::string part_path = index_path(content_path, i);
                const json::object* part = parts[i].if_object();
                if (part == nullptr) return wrong_type(part_path, "an object", parts[i]);
                const std::string_view type = get_string(*part, "type");
                content_block b;
                std::string_view key;
                if (type == "text") {
                    key = "text";
                } else if (type == "refusal") {
                    key = "refusal";
                    b.kind = block_kind::refusal;
                } else {
                    std::string what = "unknown content type '";
                    what += type;
                    what += "' for an assistant message";
                    return fail(member_path(part_path, "type"), what);
                }
                const json::value* text = part->if_contains(key);
                if (text == nullptr) return fail(member_path(part_path, key), "missing");
                if (!read_string(*text, member_path(part_path, key), b.text)) return false;
                keep_part_extras(*part, key, b);
                out.content.push_back(std::move(b));
            }
        } else {
            return wrong_type(content_path, "a string, an array or null", *c);
        }
    }
    if (const json::value* r = m.if_contains("refusal"); r != nullptr && !r->is_null()) {
        content_block b;
        b.kind = block_kind::refusal;
        if (!read_string(*r, member_path(path, "refusal"), b.text)) return false;
        out.content.push_back(std::move(b));
    }
    if (const json::value* calls = m.if_contains("tool_calls"); calls != nullptr) {
        if (!read_tool_calls(*calls, member_path(path, "tool_calls"), out)) return false;
    }
    if (const json::value* fc = m.if_contains("function_call"); fc != nullptr && !fc->is_null()) {
        return fail(member_path(path, "function_call"),
                    "the deprecated 'function_call' is not supported; use 'tool_calls'");
    }
    return true;
}

bool request_reader::read_message(const json::object& m, const std::string& path, request& req,
                                  bool& leading, bool& last_was_tool) {
    const json::value* role_v = m.if_contains("role");
    if (role_v == nullptr) return fail(member_path(path, "role"), "missing");
    if (!role_v->is_string()) return wrong_type(member_path(path, "role"), "a string", *role_v);
    const std::string_view role_name = role_v->get_string();

    std::string name;
    if (const json::value* n = m.if_contains("name"); n != nullptr && !n->is_null()) {
        if (!read_string(*n, member_path(path, "name"), name)) return false;
    }
    const json::value* content = m.if_contains("content");
    const std::string content_path = member_path(path, "content");

    // Members a role does not know are reported, never forwarded in a wrong place.
    auto report_unknown = [&](std::initializer_list<std::string_view> known) {
        for (const auto& kv : m) {
            bool ok = kv.key() == "role";
            for (std::string_view k : known) ok = ok || kv.key() == k;
            if (!ok) report_.dropped(member_path(path, kv.key()));
        }
    };

    if (role_name == "system" || role_name == "developer") {
        if (content == nullptr) return fail(content_path, "missing");
        const bool developer = role_name == "developer";
        report_unknown({"content", "name"});
        if (leading) {
            if (developer) req.system_is_developer = true;
            return read_text_content(*content, content_path, req.system, false);
        }
        message msg;
        msg.role = role::system;
        msg.developer = developer;
        msg.name = std::move(name);
        if (!read_text_content(*content, content_path, msg.content, false)) return false;
        req.messages.push_back(std::move(msg));
        last_was_tool = false;
        return true;
    }
    leading = false;

    if (role_name == "user") {
        if (content == nullptr) return fail(content_path, "missing");
        report_unknown({"content", "name"});
        message msg;
        msg.role = role::user;
        msg.name = std::move(name);
        if (content->is_string()) {
            msg.content.push_back(content_block::make_text(std::string(content->get_string())));
        } else if (content->is_array()) {
            const json::array& parts = content->get_array();
            for (std::size_t i = 0; i < parts.size(); ++i) {
                if (!read_user_part(parts[i], index_path(content_path, i), msg.content)) {
                    return false;
                }
            }
        } else {
            return wrong_type(content_path, "a string or an array of content parts", *content);
        }
        req.messages.push_back(std::move(msg));
        last_was_tool = false;
        return true;
    }
    if (role_name == "assistant") {
        report_unknown(
            {"content", "name", "refusal", "tool_calls", "function_call", "reasoning_content"});
        message msg;
        msg.role = role::assistant;
        msg.name = std::move(name);
        if (!read_assistant(m, path, msg)) return false;
        req.messages.push_back(std::move(msg));
        last_was_tool = false;
        return true;
    }
    if (role_name == "tool") {
        report_unknown({"content", "tool_call_id"});
        content_block result;
        result.kind = block_kind::tool_result;
        const json::value* id = m.if_contains("tool_call_id");
        if (id == nullptr) return fail(member_path(path, "tool_call_id"), "missing");
        if (!read_string(*id, member_path(path, "tool_call_id"), result.id)) return false;
        if (content == nullptr) return fail(content_path, "missing");
        if (!read_text_content(*content, content_path, result.content, false)) return false;
        // A run of tool messages is one user turn of tool results (message.hpp).
        if (!last_was_tool) {
            message msg;
            msg.role = role::user;
            req.messages.push_back(std::move(msg));
        }
        req.messages.back().content.push_back(std::move(result));
        last_was_tool = true;
        return true;
    }
    if (role_name == "function") {
        return fail(member_path(path, "role"),
                    "the deprecated 'function' role is not supported; use 'tool' messages");
    }
    std::string what = "unknown role '";
    what += role_name;
    what += '\'';
    return fail(member_path(path, "role"), what);
}

bool request_reader::read_messages(const json::value& v, request& req) {
    if (!v.is_array()) return wrong_type("messages", "a non-empty array", v);
    const json::array& messages = v.get_array();
    if (messages.empty()) return fail("messages", "must not be empty");
    bool leading = true;
    bool last_was_tool = false;
    for (std::size_t i = 0; i < messages.size(); ++i) {
        const std::string path = index_path("messages", i);
        const json::object* m = messages[i].if_object();
        if (m == nullptr) return wrong_type(path, "an object", messages[i]);
        if (!read_message(*m, path, req, leading, last_was_tool)) return false;
    }
    return true;
}

bool request_reader::read_tools(const json::value& v, request& req) {
    if (!v.is_array()) return wrong_type("tools", "an array", v);
    const json::array& tools = v.get_array();
    for (std::size_t i = 0; i < tools.size(); ++i) {
        const std::string path = index_path("tools", i);
        const json::object* t = tools[i].if_object();
        if (t == nullptr) return wrong_type(path, "an object", tools[i]);
        const json::value* type_v = t->if_contains("type");
        if (type_v == nullptr || !type_v->is_string()) {
            return fail(member_path(path, "type"), "missing or not a string");
        }
        tool out;
        out.type = type_v->get_string();
        if (out.type != "function") {
            // `custom` tools and anything newer: kept whole for an upstream of this format.
            out.extra = *t;
            out.extra_format = detail::format_name;
            req.tools.push_back(std::move(out));
            continue;
        }
        const std::string fn_path = member_path(path, "function");
        const json::value* fn_v = t->if_contains("function");
        if (fn_v == nullptr) return fail(fn_path, "missing");
        const json::object* fn = fn_v->if_object();
        if (fn == nullptr) return wrong_type(fn_path, "an object", *fn_v);
        const json::value* name = fn->if_contains("name");
        if (name == nullptr) return fail(member_path(fn_path, "name"), "missing");
        if (!read_string(*name, member_path(fn_path, "name"), out.name)) return false;
        if (out.name.empty()) return fail(member_path(fn_path, "name"), "must not be empty");
        if (const json::value* d = fn->if_contains("description"); d != nullptr && !d->is_null()) {
            if (!read_string(*d, member_path(fn_path, "description"), out.description)) {
                return false;
            }
        }
        if (const json::value* p = fn->if_contains("parameters"); p != nullptr && !p->is_null()) {
            if (!p->is_object())
                return wrong_type(member_path(fn_path, "parameters"), "an object", *p);
            out.parameters = *p;
        }
        if (const json::value* s = fn->if_contains("strict"); s != nullptr && !s->is_null()) {
            if (!s->is_bool()) return wrong_type(member_path(fn_path, "strict"), "a boolean", *s);
            out.strict = s->get_bool();
        }
        req.tools.push_back(std::move(out));
    }
    return true;
}

bool request_reader::read_tool_choice(const json::value& v, request& req) {
    if (v.is_string()) {
        const std::string_view s = v.get_string();
        if (s == "auto") {
            req.choice.type = tool_choice::mode::auto_;
        } else if (s == "none") {
            req.choice.type = tool_choice::mode::none;
        } else if (s == "required") {
            req.choice.type = tool_choice::mode::required;
        } else {
            std::string what = "unknown value '";
            what += s;
            what += "' (expected 'auto', 'none' or 'required')";
            return fail("tool_choice", what);
        }
        return true;
    }
    const json::object* o = v.if_object();
    if (o == nullptr) return wrong_type("tool_choice", "a string or an object", v);
    if (get_string(*o, "type") != "function") {
        // allowed_tools / custom: no canonical form; kept for an upstream of this format.
        req.extra["tool_choice"] = v;
        return true;
    }
    const json::value* fn_v = o->if_contains("function");
    if (fn_v == nullptr) return fail("tool_choice.function", "missing");
    const json::object* fn = fn_v->if_object();
    if (fn == nullptr) return wrong_type("tool_choice.function", "an object", *fn_v);
    const json::value* name = fn->if_contains("name");
    if (name == nullptr) return fail("tool_choice.function.name", "missing");
    if (!read_string(*name, "tool_choice.function.name", req.choice.name)) return false;
    req.choice.type = tool_choice::mode::tool;
    return true;
}

bool request_reader::read_response_format(const json::value& v, request& req) {
    const json::object* o = v.if_object();
    if (o == nullptr) return wrong_type("response_format", "an object", v);
    const std::string_view type = get_string(*o, "type");
    if (type == "text") {
        req.format.type = response_format::kind::text;
        return true;
    }
    if (type == "json_object") {
        req.format.type = response_format::kind::json_object;
        return true;
    }
    if (type != "json_schema") {
        std::string what = "unknown type '";
        what += type;
        what += "' (expected 'text', 'json_object' or 'json_schema')";
        return fail("response_format.type", what);
    }
    const json::value* js_v = o->if_contains("json_schema");
    if (js_v == nullptr) return fail("response_format.json_schema", "missing");
    const json::object* js = js_v->if_object();
    if (js == nullptr) return wrong_type("response_format.json_schema", "an object", *js_v);
    req.format.type = response_format::kind::json_schema;
    const json::value* name = js->if_contains("name");
    if (name == nullptr) return fail("response_format.json_schema.name", "missing");
    if (!read_string(*name, "response_format.json_schema.name", req.format.name)) return false;
    if (const json::value* d = js->if_contains("description"); d != nullptr && !d->is_null()) {
        if (!read_string(*d, "response_format.json_schema.description", req.format.description)) {
            return false;
        }
    }
    if (const json::value* s = js->if_contains("schema"); s != nullptr && !s->is_null()) {
        if (!s->is_object())
            return wrong_type("response_format.json_schema.schema", "an object", *s);
        req.format.schema = *s;
    }
    if (const json::value* s = js->if_contains("strict"); s != nullptr && !s->is_null()) {
        if (!s->is_bool()) return wrong_type("response_format.json_schema.strict", "a boolean", *s);
        req.format.strict = s->get_bool();
    }
    return true;
}

bool request_reader::read_stop(const json::value& v, request& req) {
    if (v.is_string()) {
        req.sampler.stop.emplace_back(v.get_string());
        return true;
    }
    if (!v.is_array()) return wrong_type("stop", "a string or an array of strings", v);
    const json::array& a = v.get_array();
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (!a[i].is_string()) return wrong_type(index_path("stop", i), "a string", a[i]);
        req.sampler.stop.emplace_back(a[i].get_string());
    }
    return true;
}

bool request_reader::read_stream_options(const json::value& v, request& req) {
    const json::object* o = v.if_object();
    if (o == nullptr) return wrong_type("stream_options", "an object", v);
    for (const auto& kv : *o) {
        if (kv.key() == "include_usage") {
            if (kv.value().is_null()) continue;
            if (!kv.value().is_bool()) {
                return wrong_type("stream_options.include_usage", "a boolean", kv.value());
            }
            req.include_usage = kv.value().get_bool();
        } else {
            // include_obfuscation and newer: the gateway writes its own chunks.
            report_.dropped(member_path("stream_options", kv.key()));
        }
    }
    return true;
}

bool request_reader::read_metadata(const json::value& v, request& req) {
    const json::object* o = v.if_object();
    if (o == nullptr) return wrong_type("metadata", "an object", v);
    for (const auto& kv : *o) {
        if (!kv.value().is_string()) {
            return wrong_type(member_path("metadata", kv.key()), "a string", kv.value());
        }
    }
    req.metadata = *o;
    return true;
}

bool request_reader::read(const json::object& root, request& req) {
    req.source_format = api_format::openai_chat;
    std::optional<std::int64_t> max_tokens;
    std::optional<std::int64_t> max_completion_tokens;
    bool have_model = false;
    bool have_messages = false;

    auto number = [&](const json::value& v, std::string_view key, std::optional<double>& out) {
        if (v.is_null()) return true;
        const std::optional<double> d = get_number(root, key);
        if (!d) return wrong_type(std::string(key), "a number", v);
        out = d;
        return true;
    };
    auto integer = [&](const json::value& v, std::string_view key,
                       std::optional<std::int64_t>& out) {
        if (v.is_null()) return true;
        const std::optional<std::int64_t> n = get_int(root, key);
        if (!n) return wrong_type(std::string(key), "an integer", v);
        out = n;
        return true;
    };
    auto boolean = [&](const json::value& v, std::string_view key, std::optional<bool>& out) {
        if (v.is_null()) return true;
        if (!v.is_bool()) return wrong_type(std::string(key), "a boolean", v);
        out = v.get_bool();
        return true;
    };
    auto string = [&](const json::value& v, std::string_view key, std::string& out) {
        if (v.is_null()) return true;
        return read_string(v, std::string(key), out);
    };

    for (const auto& kv : root) {
        const std::string_view key = kv.key();
        const json::value& v = kv.value();
        bool ok = true;
        if (key == "model") {
            if (!v.is_string()) return wrong_type("model", "a string", v);
            req.model = v.get_string();
            have_model = !req.model.empty();
        } else if (key == "messages") {
            ok = read_messages(v, req);
            have_messages = true;
        } else if (key == "tools") {
            ok = v.is_null() || read_tools(v, req);
        } else if (key == "tool_choice") {
            ok = v.is_null() || read_tool_choice(v, req);
        } else if (key == "parallel_tool_calls") {
            ok = boolean(v, key, req.parallel_tool_calls);
        } else if (key == "response_format") {
            ok = v.is_null() || read_response_format(v, req);
        } else if (key == "reasoning_effort") {
            std::string effort;
            ok = string(v, key, effort);
            if (ok && !v.is_null()) req.reasoning.effort = std::move(effort);
        } else if (key == "max_tokens") {
            ok = integer(v, key, max_tokens);
        } else if (key == "max_completion_tokens") {
            ok = integer(v, key, max_completion_tokens);
        } else if (key == "temperature") {
            ok = number(v, key, req.sampler.temperature);
        } else if (key == "top_p") {
            ok = number(v, key, req.sampler.top_p);
        } else if (key == "presence_penalty") {
            ok = number(v, key, req.sampler.presence_penalty);
        } else if (key == "frequency_penalty") {
            ok = number(v, key, req.sampler.frequency_penalty);
        } else if (key == "seed") {
            ok = integer(v, key, req.sampler.seed);
        } else if (key == "stop") {
            ok = v.is_null() || read_stop(v, req);
        } else if (key == "n") {
            ok = integer(v, key, req.n);
        } else if (key == "stream") {
            std::optional<bool> stream;
            ok = boolean(v, key, stream);
            req.stream = stream.value_or(false);
        } else if (key == "stream_options") {
            ok = v.is_null() || read_stream_options(v, req);
        } else if (key == "user") {
            ok = string(v, key, req.user);
        } else if (key == "metadata") {
            ok = v.is_null() || read_metadata(v, req);
        } else if (key == "service_tier") {
            std::string tier;
            ok = string(v, key, tier);
            if (ok && !v.is_null()) req.service_tier = std::move(tier);
        } else if (key == "store") {
            ok = boolean(v, key, req.store);
        } else {
            // logprobs, top_logprobs, logit_bias, prediction, modalities, audio,
            // prompt_cache_key, safety_identifier, web_search_options, verbosity, ...
            req.extra[key] = v;
        }
        if (!ok) return false;
    }
    if (!have_model) return fail("model", "missing (a non-empty string is required)");
    if (!have_messages) return fail("messages", "missing (a non-empty array is required)");
    // max_tokens is deprecated in favour of max_completion_tokens; when both came, the newer one
    // is what the client means.
    req.max_output_tokens = max_completion_tokens ? max_completion_tokens : max_tokens;
    return true;
}

}  // namespace

result<json::value> parse_request(std::string_view body, conversion_report& report) {
    std::string why;
    auto parsed = parse_json(body, &why);
    if (!parsed) {
        report.fail("", "the request body is not valid JSON: " + why);
        return errc::bad_request;
    }
    if (!parsed->is_object()) {
        report.fail("", "the request body must be a JSON object");
        return errc::bad_request;
    }
    return parsed;
}

result<request> decode_request(const json::object& body, conversion_report& report) {
    if (!check_members(body, request_members, report)) return errc::bad_request;
    if (!numbers_in_range(body, report)) return errc::bad_request;
    const json::object* root = &body;
    request req;
    request_reader reader(report);
    if (!reader.read(*root, req)) return errc::bad_request;
    return req;
}

}  // namespace gateway::formats::openai_chat
