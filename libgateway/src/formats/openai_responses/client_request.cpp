// Client side: a Responses request body (POST /v1/responses) → canonical request.
//
// Field names and shapes: OpenAPI CreateResponse, InputItem (EasyInputMessage, InputMessage,
// OutputMessage, FunctionToolCall, FunctionCallOutputItemParam, ReasoningItem), InputContent,
// FunctionTool, ToolChoiceParam, ResponseTextParam and Reasoning. Every read is checked; a wrong
// type, an unknown role, part or item type is a 400 naming the path ("input[2].content[0].type:
// ..."), like the Chat decoder.
//
// Items become canonical messages: a run of assistant-side items (assistant messages, reasoning,
// function calls) is one assistant message, a run of `function_call_output` items one user message
// of tool results; `system` and `developer` messages stay where they are (`instructions` is the
// leading system prompt).

#include "formats/json_util.hpp"
#include "formats/member_rules.hpp"
#include "formats/openai_chat/common.hpp"
#include "formats/openai_responses/codec.hpp"
#include "formats/openai_responses/common.hpp"

#include <boost/json/value.hpp>

#include <initializer_list>
#include <string>
#include <utility>

namespace gateway::formats::openai_responses {

namespace json = boost::json;

namespace {

using detail::index_path;
using detail::member_path;

// The members of CreateResponse (with CreateModelResponseProperties, ModelResponseProperties and
// ResponseProperties, which it includes): type, `minimum`/`maximum`, `minItems` and the type of
// items or of map values, transcribed from OpenAI's OpenAPI spec 2.3.0 (openai/openai-openapi
// f85dbe2, read 2026-12-07). Enumerations are not checked, as for Chat (openai_chat's table).
namespace kind = json_kind;
constexpr member_rule request_members[] = {
    {.name = "model", .kinds = kind::string},
    {.name = "input", .kinds = kind::string | kind::array, .items = kind::object},
    {.name = "metadata", .kinds = kind::object, .items = kind::string},
    {.name = "top_logprobs", .kinds = kind::integer, .minimum = 0, .maximum = 20},
    {.name = "temperature", .kinds = kind::number, .minimum = 0, .maximum = 2},
    {.name = "top_p", .kinds = kind::number, .minimum = 0, .maximum = 1},
    {.name = "user", .kinds = kind::string},
    {.name = "safety_identifier", .kinds = kind::string},
    {.name = "prompt_cache_key", .kinds = kind::string},
    {.name = "prompt_cache_retention", .kinds = kind::string},
    {.name = "prompt_cache_options", .kinds = kind::object},
    {.name = "previous_response_id", .kinds = kind::string},
    {.name = "background", .kinds = kind::boolean},
    {.name = "max_tool_calls", .kinds = kind::integer},
    {.name = "text", .kinds = kind::object},
    {.name = "tools", .kinds = kind::array, .items = kind::object},
    {.name = "tool_choice", .kinds = kind::string | kind::object},
    {.name = "prompt", .kinds = kind::object},
    {.name = "service_tier", .kinds = kind::string},
    {.name = "truncation", .kinds = kind::string},
    {.name = "reasoning", .kinds = kind::object},
    {.name = "include", .kinds = kind::array, .items = kind::string},
    {.name = "parallel_tool_calls", .kinds = kind::boolean},
    {.name = "store", .kinds = kind::boolean},
    {.name = "instructions", .kinds = kind::string},
    {.name = "moderation", .kinds = kind::object},
    {.name = "stream", .kinds = kind::boolean},
    {.name = "stream_options", .kinds = kind::object},
    {.name = "conversation", .kinds = kind::string | kind::object},
    {.name = "context_management", .kinds = kind::array, .items = kind::object, .min_items = 1},
    {.name = "max_output_tokens", .kinds = kind::integer, .minimum = 16},
};

/// Which content parts a message of a role may hold.
enum class part_context : std::uint8_t { user, instruction, assistant, tool_output };

class request_reader {
  public:
    explicit request_reader(conversion_report& report) : report_(report) {}

    bool read(const json::object& root, request& req);

  private:
    /// What the previous input item added to, so runs of items join one canonical message.
    enum class last_item : std::uint8_t { none, user, system, assistant, tool_output };

    bool fail(const std::string& param, std::string_view what) {
        return detail::report_failure(report_, param, what);
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

    /// A member that may be absent or null; otherwise a string.
    bool opt_string(const json::object& o, std::string_view key, const std::string& base,
                    std::string& out) {
        const json::value* v = o.if_contains(key);
        if (v == nullptr || v->is_null()) return true;
        return read_string(*v, member_path(base, key), out);
    }

    bool required_string(const json::object& o, std::string_view key, const std::string& base,
                         std::string& out) {
        const json::value* v = o.if_contains(key);
        if (v == nullptr) return fail(member_path(base, key), "missing");
        return read_string(*v, member_path(base, key), out);
    }

    /// The canonical message the next item adds to: the last one when the item continues a run
    /// of the same kind, otherwise a new one.
    message& target(request& req, last_item kind, role r) {
        if (last_ != kind || req.messages.empty()) {
            message m;
            m.role = r;
            req.messages.push_back(std::move(m));
        }
        last_ = kind;
        return req.messages.back();
    }

    bool read_input(const json::value& v, request& req);
    bool read_item(const json::object& item, const std::string& path, request& req);
    bool read_message(const json::object& item, const std::string& path, request& req);
    bool read_output_item(const json::object& item, const std::string& path, request& req);
    bool read_tool_output(const json::object& item, const std::string& path, request& req);
    bool read_content(const json::value& v, const std::string& path, part_context context,
                      std::vector<content_block>& out);
    bool read_part(const json::value& v, const std::string& path, part_context context,
                   std::vector<content_block>& out);
    bool read_image(const json::object& part, const std::string& path, content_block& b);
    bool read_file(const json::object& part, const std::string& path, content_block& b);
    bool read_tools(const json::value& v, request& req);
    bool read_tool_choice(const json::value& v, request& req);
    bool read_text(const json::value& v, request& req);
    bool read_format(const json::value& v, request& req);
    bool read_reasoning(const json::value& v, request& req);
    bool read_metadata(const json::value& v, request& req);
    bool read_include(const json::value& v, request& req);
    bool read_stream_options(const json::value& v);

    conversion_report& report_;
    last_item last_ = last_item::none;
};

// Part members other than `type` and the payload (e.g. `prompt_cache_breakpoint`) stay on the
// block for an upstream of this format.
void keep_part_extras(const json::object& part, std::initializer_list<std::string_view> payload,
                      content_block& b) {
    for (const auto& kv : part) {
        bool skip = kv.key() == "type";
        for (std::string_view k : payload) skip = skip || kv.key() == k;
        if (!skip) b.extra[kv.key()] = kv.value();
    }
    if (!b.extra.empty()) b.extra_format = detail::format_name;
}

bool request_reader::read_image(const json::object& part, const std::string& path,
                                content_block& b) {
    b.kind = block_kind::image;
    std::string url;
    std::string file_id;
    if (!opt_string(part, "image_url", path, url) || !opt_string(part, "file_id", path, file_id) ||
        !opt_string(part, "detail", path, b.source.detail)) {
        return false;
    }
    if (!file_id.empty()) {
        b.source.type = media_source::kind::file_id;
        b.source.data = std::move(file_id);
    } else if (url.empty()) {
        return fail(member_path(path, "image_url"),
                    "missing (an input_image needs 'image_url' "
                    "or 'file_id')");
    } else if (std::string_view media_type, data;
               openai_chat::detail::parse_data_url(url, media_type, data)) {
        b.source.type = media_source::kind::base64;
        b.source.media_type = media_type;
        b.source.data = data;
    } else {
        b.source.type = media_source::kind::url;
        b.source.data = std::move(url);
    }
    keep_part_extras(part, {"image_url", "file_id", "detail"}, b);
    return true;
}

bool request_reader::read_file(const json::object& part, const std::string& path,
                               content_block& b) {
    b.kind = block_kind::document;
    std::string file_id;
    std::string file_data;
    std::string file_url;
    if (!opt_string(part, "file_id", path, file_id) ||
        !opt_string(part, "file_data", path, file_data) ||
        !opt_string(part, "file_url", path, file_url) ||
        !opt_string(part, "filename", path, b.source.filename) ||
        !opt_string(part, "detail", path, b.source.detail)) {
        return false;
    }
    if (!file_id.empty()) {
        b.source.type = media_source::kind::file_id;
        b.source.data = std::move(file_id);
    } else if (!file_data.empty()) {
        b.source.type = media_source::kind::base64;
        if (std::string_view media_type, data;
            openai_chat::detail::parse_data_url(file_data, media_type, data)) {
            b.source.media_type = media_type;
            b.source.data = data;
        } else {
            // OpenAI documents file_data as a data: URL of a PDF; bare base64 is read as one.
            b.source.media_type = "application/pdf";
            b.source.data = std::move(file_data);
        }
    } else if (!file_url.empty()) {
        b.source.type = media_source::kind::url;
        b.source.data = std::move(file_url);
    } else {
        return fail(path, "an input_file needs 'file_id', 'file_data' or 'file_url'");
    }
    keep_part_extras(part, {"file_id", "file_data", "file_url", "filename", "detail"}, b);
    return true;
}

bool request_reader::read_part(const json::value& v, const std::string& path, part_context context,
                               std::vector<content_block>& out) {
    const json::object* part = v.if_object();
    if (part == nullptr) return wrong_type(path, "an object", v);
    const json::value* type_v = part->if_contains("type");
    if (type_v == nullptr || !type_v->is_string()) {
        return fail(member_path(path, "type"), "missing or not a string");
    }
    const std::string_view type = type_v->get_string();
    content_block b;
    if (context == part_context::assistant) {
        // OutputMessage content: output_text or refusal (input_text accepted as text too).
        std::string_view key;
        if (type == "output_text" || type == "input_text" || type == "text") {
            key = "text";
        } else if (type == "refusal") {
            key = "refusal";
            b.kind = block_kind::refusal;
        } else {
            std::string what = "content type '";
            what += type;
            what += "' is not allowed in an assistant message (only 'output_text' or 'refusal')";
            return fail(member_path(path, "type"), what);
        }
        if (!required_string(*part, key, path, b.text)) return false;
        out.push_back(std::move(b));  // annotations and logprobs are output, not input
        return true;
    }
    if (type == "input_text") {
        if (!required_string(*part, "text", path, b.text)) return false;
        keep_part_extras(*part, {"text"}, b);
    } else if (context == part_context::instruction) {
        std::string what = "content type '";
        what += type;
        what += "' is not allowed here (only 'input_text')";
        return fail(member_path(path, "type"), what);
    } else if (type == "input_image") {
        if (!read_image(*part, path, b)) return false;
    } else if (type == "input_file") {
        if (!read_file(*part, path, b)) return false;
    } else {
        std::string what = "unknown content type '";
        what += type;
        what += '\'';
        return fail(member_path(path, "type"), what);
    }
    out.push_back(std::move(b));
    return true;
}

bool request_reader::read_content(const json::value& v, const std::string& path,
                                  part_context context, std::vector<content_block>& out) {
    if (v.is_string()) {
        // An empty assistant or instruction string carries nothing (clients send `content: ""`
        // for an assistant turn made only of function calls); an empty user turn is kept.
        const bool keep_empty = context == part_context::user;
        if (keep_empty || !v.get_string().empty()) {
            out.push_back(content_block::make_text(std::string(v.get_string())));
        }
        return true;
    }
    if (!v.is_array()) return wrong_type(path, "a string or an array of content parts", v);
    const json::array& parts = v.get_array();
    for (std::size_t i = 0; i < parts.size(); ++i) {
        if (!read_part(parts[i], index_path(path, i), context, out)) return false;
    }
    return true;
}

bool request_reader::read_message(const json::object& item, const std::string& path, request& req) {
    const json::value* role_v = item.if_contains("role");
    if (role_v == nullptr) return fail(member_path(path, "role"), "missing");
    if (!role_v->is_string()) return wrong_type(member_path(path, "role"), "a string", *role_v);
    const std::string_view role_name = role_v->get_string();
    const json::value* content = item.if_contains("content");
    const std::string content_path = member_path(path, "content");
    if (content == nullptr) return fail(content_path, "missing");
    std::string phase;
    std::string id;
    if (!opt_string(item, "phase", path, phase) || !opt_string(item, "id", path, id)) {
        return false;
    }
    // `id` and `status` are echoes of items the API returned; other members are reported,
    // never forwarded in a wrong place.
    for (const auto& kv : item) {
        const std::string_view k = kv.key();
        if (k != "role" && k != "content" && k != "type" && k != "id" && k != "status" &&
            k != "phase") {
            report_.dropped(member_path(path, k));
        }
    }

    if (role_name == "user") {
        return read_content(*content, content_path, part_context::user,
                            target(req, last_item::user, role::user).content);
    }
    if (role_name == "system" || role_name == "developer") {
        message m;
        m.role = role::system;
        m.developer = role_name == "developer";
        if (!read_content(*content, content_path, part_context::instruction, m.content)) {
            return false;
        }
        req.messages.push_back(std::move(m));
        last_ = last_item::system;
        return true;
    }
    if (role_name == "assistant") {
        std::vector<content_block>& blocks =
            target(req, last_item::assistant, role::assistant).content;
        const std::size_t first = blocks.size();
        if (!read_content(*content, content_path, part_context::assistant, blocks)) return false;
        // The item id (an output message sent back, paired with the reasoning before it) and the
        // gpt-5.x `phase` (commentary / final_answer) go back with the message.
        for (std::size_t i = first; i < blocks.size() && !(id.empty() && phase.empty()); ++i) {
            if (!id.empty()) blocks[i].extra["id"] = id;
            if (!phase.empty()) blocks[i].extra["phase"] = phase;
            blocks[i].extra_format = detail::format_name;
        }
        return true;
    }
    std::string what = "unknown role '";
    what += role_name;
    what += "' (expected 'user', 'assistant', 'system' or 'developer')";
    return fail(member_path(path, "role"), what);
}

bool request_reader::read_output_item(const json::object& item, const std::string& path,
                                      request& req) {
    // Reasoning items and function calls sent back have the shape of output items: one reader.
    std::vector<content_block> blocks;
    detail::output_flags flags;
    detail::read_failure failure;
    if (!detail::read_output_item(item, blocks, flags, failure)) {
        return fail(member_path(path, failure.path), failure.what);
    }
    std::vector<content_block>& content =
        target(req, last_item::assistant, role::assistant).content;
    for (content_block& b : blocks) content.push_back(std::move(b));
    return true;
}

bool request_reader::read_tool_output(const json::object& item, const std::string& path,
                                      request& req) {
    content_block result;
    result.kind = block_kind::tool_result;
    if (!required_string(item, "call_id", path, result.id)) return false;
    const json::value* output = item.if_contains("output");
    const std::string output_path = member_path(path, "output");
    if (output == nullptr) return fail(output_path, "missing");
    if (output->is_string()) {
        if (!output->get_string().empty()) {
            result.content.push_back(content_block::make_text(std::string(output->get_string())));
        }
    } else if (output->is_array()) {
        if (!read_content(*output, output_path, part_context::tool_output, result.content)) {
            return false;
        }
    } else {
        return wrong_type(output_path, "a string or an array of content parts", *output);
    }
    for (const auto& kv : item) {
        const std::string_view k = kv.key();
        if (k == "type" || k == "call_id" || k == "output" || k == "id" || k == "status") continue;
        result.extra[k] = kv.value();  // name, namespace, caller: for a Responses upstream
    }
    if (!result.extra.empty()) result.extra_format = detail::format_name;
    target(req, last_item::tool_output, role::user).content.push_back(std::move(result));
    return true;
}

bool request_reader::read_item(const json::object& item, const std::string& path, request& req) {
    const json::value* type_v = item.if_contains("type");
    if (type_v == nullptr || type_v->is_null()) return read_message(item, path, req);
    if (!type_v->is_string()) return wrong_type(member_path(path, "type"), "a string", *type_v);
    const std::string_view type = type_v->get_string();
    if (type == "message") return read_message(item, path, req);
    if (type == "function_call" || type == "reasoning") return read_output_item(item, path, req);
    if (type == "function_call_output") return read_tool_output(item, path, req);
    // item_reference, built-in tool calls and their outputs, MCP items, ...: state that only
    // OpenAI's own tools or storage can give a meaning to.
    std::string what = "input item type '";
    what += type;
    what +=
        "' is not supported by this gateway (supported: 'message', 'function_call', "
        "'function_call_output', 'reasoning')";
    return fail(member_path(path, "type"), what);
}

bool request_reader::read_input(const json::value& v, request& req) {
    if (v.is_string()) {
        message m;
        m.content.push_back(content_block::make_text(std::string(v.get_string())));
        req.messages.push_back(std::move(m));
        return true;
    }
    if (!v.is_array()) return wrong_type("input", "a string or an array of input items", v);
    const json::array& items = v.get_array();
    for (std::size_t i = 0; i < items.size(); ++i) {
        const std::string path = index_path("input", i);
        const json::object* item = items[i].if_object();
        if (item == nullptr) return wrong_type(path, "an object", items[i]);
        if (!read_item(*item, path, req)) return false;
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
        out.extra_format = detail::format_name;
        if (out.type != "function") {
            // web_search, file_search, mcp, custom, ...: kept whole for a Responses upstream.
            out.extra = *t;
            req.tools.push_back(std::move(out));
            continue;
        }
        // Unlike Chat, the function's fields are at the top level of the tool.
        if (!required_string(*t, "name", path, out.name)) return false;
        if (out.name.empty()) return fail(member_path(path, "name"), "must not be empty");
        if (!opt_string(*t, "description", path, out.description)) return false;
        if (const json::value* p = t->if_contains("parameters"); p != nullptr && !p->is_null()) {
            if (!p->is_object())
                return wrong_type(member_path(path, "parameters"), "an object", *p);
            out.parameters = *p;
        }
        if (const json::value* s = t->if_contains("strict"); s != nullptr && !s->is_null()) {
            if (!s->is_bool()) return wrong_type(member_path(path, "strict"), "a boolean", *s);
            out.strict = s->get_bool();
        }
        for (const auto& kv : *t) {
            const std::string_view k = kv.key();
            if (k == "type" || k == "name" || k == "description" || k == "parameters" ||
                k == "strict") {
                continue;
            }
            out.extra[k] = kv.value();  // output_schema, defer_loading, allowed_callers, ...
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
    const json::value* type = o->if_contains("type");
    if (type == nullptr || !type->is_string()) {
        return fail("tool_choice.type", "missing or not a string");
    }
    if (type->get_string() != "function") {
        // allowed_tools, a hosted tool, mcp, custom: no canonical form; kept for this format.
        req.extra["tool_choice"] = v;
        return true;
    }
    if (!required_string(*o, "name", "tool_choice", req.choice.name)) return false;
    req.choice.type = tool_choice::mode::tool;
    return true;
}

bool request_reader::read_format(const json::value& v, request& req) {
    const json::object* o = v.if_object();
    if (o == nullptr) return wrong_type("text.format", "an object", v);
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
        return fail("text.format.type", what);
    }
    // TextResponseFormatJsonSchema: name, schema, strict and description at this level (Chat
    // nests them in `json_schema`).
    req.format.type = response_format::kind::json_schema;
    if (!required_string(*o, "name", "text.format", req.format.name) ||
        !opt_string(*o, "description", "text.format", req.format.description)) {
        return false;
    }
    const json::value* schema = o->if_contains("schema");
    if (schema == nullptr) return fail("text.format.schema", "missing");
    if (!schema->is_object()) return wrong_type("text.format.schema", "an object", *schema);
    req.format.schema = *schema;
    if (const json::value* s = o->if_contains("strict"); s != nullptr && !s->is_null()) {
        if (!s->is_bool()) return wrong_type("text.format.strict", "a boolean", *s);
        req.format.strict = s->get_bool();
    }
    return true;
}

bool request_reader::read_text(const json::value& v, request& req) {
    const json::object* o = v.if_object();
    if (o == nullptr) return wrong_type("text", "an object", v);
    json::object rest;  // verbosity and newer members: for a Responses upstream
    for (const auto& kv : *o) {
        if (kv.key() == "format") {
            if (!kv.value().is_null() && !read_format(kv.value(), req)) return false;
        } else {
            rest[kv.key()] = kv.value();
        }
    }
    if (!rest.empty()) req.extra["text"] = std::move(rest);
    return true;
}

bool request_reader::read_reasoning(const json::value& v, request& req) {
    const json::object* o = v.if_object();
    if (o == nullptr) return wrong_type("reasoning", "an object", v);
    std::string effort;
    std::string summary;
    std::string generate_summary;
    if (!opt_string(*o, "effort", "reasoning", effort) ||
        !opt_string(*o, "summary", "reasoning", summary) ||
        !opt_string(*o, "generate_summary", "reasoning", generate_summary)) {
        return false;
    }
    if (!effort.empty()) req.reasoning.effort = std::move(effort);
    // `generate_summary` is the deprecated name of `summary`.
    req.reasoning.summary = summary.empty() ? std::move(generate_summary) : std::move(summary);
    json::object rest;  // context, mode, ...
    for (const auto& kv : *o) {
        const std::string_view k = kv.key();
        if (k != "effort" && k != "summary" && k != "generate_summary") rest[k] = kv.value();
    }
    if (!rest.empty()) req.extra["reasoning"] = std::move(rest);
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

bool request_reader::read_include(const json::value& v, request& req) {
    if (!v.is_array()) return wrong_type("include", "an array of strings", v);
    const json::array& a = v.get_array();
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (!a[i].is_string()) return wrong_type(index_path("include", i), "a string", a[i]);
    }
    req.extra["include"] = v;  // merged with what the upstream encoder adds
    return true;
}

bool request_reader::read_stream_options(const json::value& v) {
    const json::object* o = v.if_object();
    if (o == nullptr) return wrong_type("stream_options", "an object", v);
    // include_obfuscation and newer: the gateway writes its own events.
    for (const auto& kv : *o) report_.dropped(member_path("stream_options", kv.key()));
    return true;
}

bool request_reader::read(const json::object& root, request& req) {
    req.source_format = api_format::openai_responses;
    bool have_model = false;
    bool have_input = false;

    auto number = [&](const json::value& v, std::string_view key, std::optional<double>& out) {
        if (v.is_null()) return true;
        const std::optional<double> d = get_number(root, key);
        if (!d) return wrong_type(std::string(key), "a number", v);
        out = d;
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
        } else if (key == "input") {
            ok = v.is_null() || read_input(v, req);
            have_input = !v.is_null();
        } else if (key == "instructions") {
            std::string instructions;
            ok = string(v, key, instructions);
            if (ok && !instructions.empty()) {
                req.system.push_back(content_block::make_text(std::move(instructions)));
            }
        } else if (key == "tools") {
            ok = v.is_null() || read_tools(v, req);
        } else if (key == "tool_choice") {
            ok = v.is_null() || read_tool_choice(v, req);
        } else if (key == "parallel_tool_calls") {
            ok = boolean(v, key, req.parallel_tool_calls);
        } else if (key == "text") {
            ok = v.is_null() || read_text(v, req);
        } else if (key == "reasoning") {
            ok = v.is_null() || read_reasoning(v, req);
        } else if (key == "max_output_tokens") {
            if (!v.is_null()) {
                req.max_output_tokens = get_int(root, key);
                ok = req.max_output_tokens.has_value() ||
                     wrong_type("max_output_tokens", "an integer", v);
            }
        } else if (key == "temperature") {
            ok = number(v, key, req.sampler.temperature);
        } else if (key == "top_p") {
            ok = number(v, key, req.sampler.top_p);
        } else if (key == "stream") {
            std::optional<bool> stream;
            ok = boolean(v, key, stream);
            req.stream = stream.value_or(false);
        } else if (key == "stream_options") {
            ok = v.is_null() || read_stream_options(v);
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
        } else if (key == "previous_response_id") {
            ok = string(v, key, req.previous_response_id);
        } else if (key == "include") {
            ok = v.is_null() || read_include(v, req);
        } else {
            // truncation, background, conversation, prompt, prompt_cache_key, safety_identifier,
            // max_tool_calls, top_logprobs, context_management, ...
            req.extra[key] = v;
        }
        if (!ok) return false;
    }
    if (!have_model) return fail("model", "missing (a non-empty string is required)");
    // Without input the conversation must live at OpenAI (a stored response, a conversation or a
    // prompt template).
    if (!have_input && req.previous_response_id.empty() && !req.extra.contains("conversation") &&
        !req.extra.contains("prompt")) {
        return fail("input", "missing (a string or an array of input items is required)");
    }
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

}  // namespace gateway::formats::openai_responses
