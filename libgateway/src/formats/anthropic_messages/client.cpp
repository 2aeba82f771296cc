// Client side of the Messages API: request bodies in, Message objects and error bodies out.
// https://docs.claude.com/en/api/messages (CreateMessageParams / Message in the OpenAPI spec).

#include "formats/anthropic_messages/codec.hpp"
#include "formats/anthropic_messages/common.hpp"
#include "formats/json_util.hpp"
#include "formats/member_rules.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <array>
#include <string>

namespace gateway::formats::anthropic_messages {

namespace json = boost::json;

namespace {

// The members of CreateMessageParams and of BetaCreateMessageParams (the same route serves the
// beta, which adds members and lets `container` be an object): type, `minimum`/`maximum`,
// `maxItems` and item type, transcribed from Anthropic's OpenAPI spec (the Stainless spec the
// TypeScript SDK is generated from, as committed in tryAGI/Anthropic 8b42a21, read 2026-12-07).
// Enumerations are not checked (they grow between versions and the API names an unknown value
// itself). Where the gateway refuses more than the schema says, the comment says why.
namespace kind = json_kind;
constexpr member_rule request_members[] = {
    {.name = "model", .kinds = kind::string},
    // No minItems in the schema; the API refuses an empty list with a 400.
    {.name = "messages", .kinds = kind::array, .items = kind::object, .min_items = 1},
    {.name = "cache_control", .kinds = kind::object},
    {.name = "container", .kinds = kind::string | kind::object},
    {.name = "context_management", .kinds = kind::object},
    {.name = "inference_geo", .kinds = kind::string},
    // The schema's minimum is 0 (a request that only writes the prompt cache); the gateway has
    // always asked for at least 1, which every upstream format it converts to can take.
    {.name = "max_tokens", .kinds = kind::integer, .minimum = 1},
    {.name = "mcp_servers", .kinds = kind::array, .items = kind::object, .max_items = 20},
    {.name = "metadata", .kinds = kind::object},
    {.name = "output_config", .kinds = kind::object},
    {.name = "output_format", .kinds = kind::object},
    {.name = "service_tier", .kinds = kind::string},
    {.name = "speed", .kinds = kind::string},
    {.name = "stop_sequences", .kinds = kind::array, .items = kind::string},
    {.name = "stream", .kinds = kind::boolean},
    {.name = "system", .kinds = kind::string | kind::array, .items = kind::object},
    {.name = "temperature", .kinds = kind::number, .minimum = 0, .maximum = 1},
    {.name = "thinking", .kinds = kind::object},
    {.name = "tool_choice", .kinds = kind::object},
    {.name = "tools", .kinds = kind::array, .items = kind::object},
    {.name = "top_k", .kinds = kind::integer, .minimum = 0},
    {.name = "top_p", .kinds = kind::number, .minimum = 0, .maximum = 1},
    {.name = "user_profile_id", .kinds = kind::string},
};

// ThinkingConfigEnabled.budget_tokens, same spec.
constexpr member_rule budget_tokens_rule{
    .name = "budget_tokens", .kinds = kind::integer, .minimum = 1024};

/// Builds "messages[2].content[0]"-style paths for error messages.
std::string path_index(std::string_view base, std::size_t i) {
    std::string p(base);
    p += '[';
    p += std::to_string(i);
    p += ']';
    return p;
}

std::string path_field(std::string_view base, std::string_view field) {
    std::string p(base);
    p += '.';
    p += field;
    return p;
}

/// Records a failure in Anthropic's own message style ("<path>: <what>").
result<void> fail(conversion_report& report, std::string_view path, std::string_view what) {
    std::string message(path);
    message += ": ";
    message += what;
    report.fail(path, message);
    return errc::bad_request;
}

/// Content block types of the API (InputContentBlock) that the canonical form does not model;
/// they are kept whole for an Anthropic upstream (see `raw_block_key`).
constexpr std::array unmodelled_block_types{
    std::string_view("server_tool_use"),
    std::string_view("web_search_tool_result"),
    std::string_view("web_fetch_tool_result"),
    std::string_view("code_execution_tool_result"),
    std::string_view("bash_code_execution_tool_result"),
    std::string_view("text_editor_code_execution_tool_result"),
    std::string_view("tool_search_tool_result"),
    std::string_view("container_upload"),
    std::string_view("search_result"),
    std::string_view("mcp_tool_use"),
    std::string_view("mcp_tool_result"),
};

bool is_unmodelled(std::string_view type) {
    for (const std::string_view t : unmodelled_block_types) {
        if (t == type) return true;
    }
    return false;
}

/// Copies the listed members of `from` into the block's extra (Anthropic wire names).
void keep_extra(const json::object& from, content_block& b,
                std::initializer_list<std::string_view> keys) {
    for (const std::string_view key : keys) {
        const json::value* v = from.if_contains(key);
        if (v == nullptr || v->is_null()) continue;
        b.extra[key] = *v;
        b.extra_format = format_name;
    }
}

content_block raw_block(const json::object& o) {
    content_block b;
    b.kind = block_kind::text;
    b.extra[raw_block_key] = o;
    b.extra_format = format_name;
    return b;
}

result<void> require_string(const json::object& o, std::string_view key, std::string_view path,
                            conversion_report& report, std::string& out) {
    const json::value* v = o.if_contains(key);
    if (v == nullptr) return fail(report, path_field(path, key), "Field required");
    if (!v->is_string()) {
        std::string what = "expected a string, got ";
        what += kind_name(*v);
        return fail(report, path_field(path, key), what);
    }
    out = v->get_string();
    return {};
}

result<void> decode_source(const json::object& block, std::string_view path, bool document,
                           conversion_report& report, content_block& b) {
    const json::object* src = get_object(block, "source");
    const std::string spath = path_field(path, "source");
    if (src == nullptr) return fail(report, spath, "Field required (an object)");
    const std::string_view type = get_string(*src, "type");
    if (type == "base64") {
        b.source.type = media_source::kind::base64;
        if (auto r = require_string(*src, "media_type", spath, report, b.source.media_type); !r) {
            return r;
        }
        return require_string(*src, "data", spath, report, b.source.data);
    }
    if (type == "url") {
        b.source.type = media_source::kind::url;
        return require_string(*src, "url", spath, report, b.source.data);
    }
    if (type == "file") {
        b.source.type = media_source::kind::file_id;
        return require_string(*src, "file_id", spath, report, b.source.data);
    }
    if (document && type == "text") {
        b.source.type = media_source::kind::text;
        b.source.media_type = get_string(*src, "media_type");
        if (b.source.media_type.empty()) b.source.media_type = "text/plain";
        return require_string(*src, "data", spath, report, b.source.data);
    }
    std::string what = "unknown source type '";
    what += type;
    what += "'";
    return fail(report, path_field(spath, "type"), what);
}

result<content_block> decode_block(const json::value& item, std::string_view path, bool in_result,
                                   conversion_report& report);

/// tool_result `content`: a string or text/image (and document/search_result) blocks.
result<void> decode_tool_result_content(const json::value& content, std::string_view path,
                                        conversion_report& report, content_block& b) {
    if (content.is_string()) {
        if (!content.get_string().empty()) {
            b.content.push_back(content_block::make_text(std::string(content.get_string())));
        }
        return {};
    }
    const json::array* items = content.if_array();
    if (items == nullptr) {
        std::string what = "expected a string or an array, got ";
        what += kind_name(content);
        return fail(report, path, what);
    }
    for (std::size_t i = 0; i < items->size(); ++i) {
        auto inner = decode_block((*items)[i], path_index(path, i), true, report);
        if (!inner) return inner.error();
        b.content.push_back(std::move(*inner));
    }
    return {};
}

result<content_block> decode_block(const json::value& item, std::string_view path, bool in_result,
                                   conversion_report& report) {
    const json::object* o = item.if_object();
    if (o == nullptr) {
        std::string what = "expected an object, got ";
        what += kind_name(item);
        return fail(report, path, what).error();
    }
    const std::string_view type = get_string(*o, "type");
    content_block b;
    if (type == "text") {
        b.kind = block_kind::text;
        if (auto r = require_string(*o, "text", path, report, b.text); !r) return r.error();
        keep_extra(*o, b, {"cache_control", "citations"});
        return b;
    }
    if (type == "image") {
        b.kind = block_kind::image;
        if (auto r = decode_source(*o, path, false, report, b); !r) return r.error();
        keep_extra(*o, b, {"cache_control"});
        return b;
    }
    if (type == "document") {
        const json::object* src = get_object(*o, "source");
        // A `content` source (custom content document) has no canonical form: keep it whole.
        if (src != nullptr && get_string(*src, "type") == "content") return raw_block(*o);
        b.kind = block_kind::document;
        if (auto r = decode_source(*o, path, true, report, b); !r) return r.error();
        if (b.source.type == media_source::kind::url && b.source.media_type.empty()) {
            b.source.media_type = "application/pdf";  // URLPDFSource: PDFs only
        }
        b.source.filename = get_string(*o, "title");
        keep_extra(*o, b, {"cache_control", "citations", "context", "title"});
        return b;
    }
    if (in_result) {
        if (is_unmodelled(type)) return raw_block(*o);
        std::string what = "unknown content type '";
        what += type;
        what += "' in a tool_result";
        return fail(report, path_field(path, "type"), what).error();
    }
    if (type == "tool_use") {
        b.kind = block_kind::tool_use;
        if (auto r = require_string(*o, "id", path, report, b.id); !r) return r.error();
        if (auto r = require_string(*o, "name", path, report, b.name); !r) return r.error();
        const json::value* input = o->if_contains("input");
        if (input == nullptr || !input->is_object()) {
            return fail(report, path_field(path, "input"), "expected an object").error();
        }
        b.arguments = json::serialize(*input);  // compact, as the model would have written it
        keep_extra(*o, b, {"cache_control", "caller"});
        return b;
    }
    if (type == "tool_result") {
        b.kind = block_kind::tool_result;
        if (auto r = require_string(*o, "tool_use_id", path, report, b.id); !r) return r.error();
        if (const json::value* c = o->if_contains("content"); c != nullptr && !c->is_null()) {
            auto r = decode_tool_result_content(*c, path_field(path, "content"), report, b);
            if (!r) return r.error();
        }
        if (const json::value* e = o->if_contains("is_error"); e != nullptr && !e->is_null()) {
            if (!e->is_bool()) {
                return fail(report, path_field(path, "is_error"), "expected a boolean").error();
            }
            b.is_error = e->get_bool();
        }
        keep_extra(*o, b, {"cache_control"});
        return b;
    }
    if (type == "thinking") {
        b.kind = block_kind::thinking;
        if (auto r = require_string(*o, "thinking", path, report, b.text); !r) return r.error();
        std::string wire;
        if (auto r = require_string(*o, "signature", path, report, wire); !r) return r.error();
        b.signature_origin = parse_client_signature(wire, b.signature);
        return b;
    }
    if (type == "redacted_thinking") {
        b.kind = block_kind::redacted_thinking;
        std::string wire;
        if (auto r = require_string(*o, "data", path, report, wire); !r) return r.error();
        b.signature_origin = parse_client_signature(wire, b.signature);
        return b;
    }
    if (is_unmodelled(type)) return raw_block(*o);
    if (o->if_contains("type") == nullptr) {
        return fail(report, path_field(path, "type"), "Field required").error();
    }
    std::string what = "unknown content type '";
    what += type;
    what += "'";
    return fail(report, path_field(path, "type"), what).error();
}

result<void> decode_system(const json::value& v, conversion_report& report, request& req) {
    if (v.is_string()) {
        if (!v.get_string().empty()) {
            req.system.push_back(content_block::make_text(std::string(v.get_string())));
        }
        return {};
    }
    const json::array* items = v.if_array();
    if (items == nullptr) {
        std::string what = "expected a string or an array of text blocks, got ";
        what += kind_name(v);
        return fail(report, "system", what);
    }
    for (std::size_t i = 0; i < items->size(); ++i) {
        const std::string path = path_index("system", i);
        const json::object* o = (*items)[i].if_object();
        if (o == nullptr || get_string(*o, "type") != "text") {
            return fail(report, path_field(path, "type"), "system blocks must be of type 'text'");
        }
        content_block b;
        if (auto r = require_string(*o, "text", path, report, b.text); !r) return r;
        keep_extra(*o, b, {"cache_control", "citations"});
        req.system.push_back(std::move(b));
    }
    return {};
}

result<void> decode_messages(const json::array& items, conversion_report& report, request& req) {
    req.messages.reserve(items.size());
    for (std::size_t i = 0; i < items.size(); ++i) {
        const std::string path = path_index("messages", i);
        const json::object* o = items[i].if_object();
        if (o == nullptr) {
            std::string what = "expected an object, got ";
            what += kind_name(items[i]);
            return fail(report, path, what);
        }
        message m;
        const std::string_view r = get_string(*o, "role");
        if (r == "user") {
            m.role = role::user;
        } else if (r == "assistant") {
            m.role = role::assistant;
        } else {
            std::string what = "unexpected role '";
            what += r;
            what += "'; roles must be 'user' or 'assistant'";
            return fail(report, path_field(path, "role"), what);
        }
        const json::value* content = o->if_contains("content");
        const std::string cpath = path_field(path, "content");
        if (content == nullptr) return fail(report, cpath, "Field required");
        if (content->is_string()) {
            m.content.push_back(content_block::make_text(std::string(content->get_string())));
        } else if (const json::array* blocks = content->if_array()) {
            m.content.reserve(blocks->size());
            for (std::size_t j = 0; j < blocks->size(); ++j) {
                auto b = decode_block((*blocks)[j], path_index(cpath, j), false, report);
                if (!b) return b.error();
                m.content.push_back(std::move(*b));
            }
        } else {
            std::string what = "expected a string or an array, got ";
            what += kind_name(*content);
            return fail(report, cpath, what);
        }
        req.messages.push_back(std::move(m));
    }
    return {};
}

result<void> decode_tools(const json::array& items, conversion_report& report, request& req) {
    req.tools.reserve(items.size());
    for (std::size_t i = 0; i < items.size(); ++i) {
        const std::string path = path_index("tools", i);
        const json::object* o = items[i].if_object();
        if (o == nullptr) return fail(report, path, "expected an object");
        tool t;
        if (auto r = require_string(*o, "name", path, report, t.name); !r) return r;
        const json::value* type = o->if_contains("type");
        const bool custom = type == nullptr || type->is_null() ||
                            (type->is_string() && type->get_string() == "custom");
        if (!custom) {
            // A server tool (web_search_20250305, bash_20250124, text_editor_..., ...): only an
            // Anthropic upstream can run it, so it travels whole.
            if (!type->is_string())
                return fail(report, path_field(path, "type"), "expected a string");
            t.type = type->get_string();
            t.extra = *o;
            t.extra_format = format_name;
            req.tools.push_back(std::move(t));
            continue;
        }
        t.description = get_string(*o, "description");
        const json::value* schema = o->if_contains("input_schema");
        if (schema == nullptr || !schema->is_object()) {
            return fail(report, path_field(path, "input_schema"), "Field required (an object)");
        }
        t.parameters = *schema;
        t.strict = get_bool(*o, "strict");
        for (const auto& kv : *o) {
            const std::string_view k = kv.key();
            if (k == "name" || k == "description" || k == "input_schema" || k == "strict" ||
                k == "type") {
                continue;
            }
            t.extra[k] = kv.value();  // cache_control, eager_input_streaming, defer_loading, ...
            t.extra_format = format_name;
        }
        req.tools.push_back(std::move(t));
    }
    return {};
}

result<void> decode_tool_choice(const json::object& o, conversion_report& report, request& req) {
    const std::string_view type = get_string(o, "type");
    if (type == "auto") {
        req.choice.type = tool_choice::mode::auto_;
    } else if (type == "any") {
        req.choice.type = tool_choice::mode::required;
    } else if (type == "none") {
        req.choice.type = tool_choice::mode::none;
    } else if (type == "tool") {
        req.choice.type = tool_choice::mode::tool;
        if (auto r = require_string(o, "name", "tool_choice", report, req.choice.name); !r) {
            return r;
        }
    } else {
        std::string what = "unknown tool_choice type '";
        what += type;
        what += "'";
        return fail(report, "tool_choice.type", what);
    }
    if (const auto d = get_bool(o, "disable_parallel_tool_use")) req.parallel_tool_calls = !*d;
    return {};
}

result<void> decode_thinking(const json::object& o, conversion_report& report, request& req) {
    const std::string_view type = get_string(o, "type");
    if (type == "enabled") {
        const json::value* budget_v = o.if_contains("budget_tokens");
        if (budget_v != nullptr &&
            !check_member(*budget_v, budget_tokens_rule, "thinking.budget_tokens", report)) {
            return errc::bad_request;
        }
        const auto budget = get_int(o, "budget_tokens");
        if (!budget) return fail(report, "thinking.budget_tokens", "Field required");
        req.reasoning.enabled = true;
        req.reasoning.budget_tokens = *budget;
    } else if (type == "disabled") {
        req.reasoning.enabled = false;
    } else if (type == "adaptive") {
        // The model picks its own budget (steered by output_config.effort): no budget here.
        req.reasoning.enabled = true;
    } else {
        std::string what = "unknown thinking type '";
        what += type;
        what += "'";
        return fail(report, "thinking.type", what);
    }
    // `display`: "summarized" returns thinking text, "omitted" only the signature.
    const std::string_view display = get_string(o, "display");
    if (display == "summarized") req.reasoning.include_thoughts = true;
    if (display == "omitted") req.reasoning.include_thoughts = false;
    return {};
}

result<void> decode_output_config(const json::object& o, conversion_report& report, request& req) {
    if (const json::value* e = o.if_contains("effort"); e != nullptr && !e->is_null()) {
        if (!e->is_string()) return fail(report, "output_config.effort", "expected a string");
        std::string_view effort = e->get_string();
        if (effort == "max") {
            // No canonical level above xhigh.
            effort = "xhigh";
            report.changed("output_config.effort", "max read as xhigh");
        }
        req.reasoning.effort = std::string(effort);
    }
    if (const json::value* f = o.if_contains("format"); f != nullptr && !f->is_null()) {
        const json::object* fo = f->if_object();
        if (fo == nullptr || get_string(*fo, "type") != "json_schema") {
            return fail(report, "output_config.format.type", "expected 'json_schema'");
        }
        const json::value* schema = fo->if_contains("schema");
        if (schema == nullptr || !schema->is_object()) {
            return fail(report, "output_config.format.schema", "Field required (an object)");
        }
        req.format.type = response_format::kind::json_schema;
        req.format.schema = *schema;
    }
    return {};
}

void append_block(std::string& out, const content_block& b) {
    switch (b.kind) {
        case block_kind::text:
        case block_kind::refusal:  // Messages has no refusal block: the text is the answer
            out += R"({"type":"text","text":)";
            append_json_string(out, b.text);
            if (b.extra_format == format_name) {
                if (const json::value* c = b.extra.if_contains("citations")) {
                    out += R"(,"citations":)";
                    append_json_value(out, *c);
                }
            }
            out += '}';
            return;
        case block_kind::thinking:
            out += R"({"type":"thinking","thinking":)";
            append_json_string(out, b.text);
            out += R"(,"signature":)";
            append_client_signature(out, b.signature, b.signature_origin);
            out += '}';
            return;
        case block_kind::redacted_thinking:
            out += R"({"type":"redacted_thinking","data":)";
            append_client_signature(out, b.signature, b.signature_origin);
            out += '}';
            return;
        case block_kind::tool_use: {
            out += R"({"type":"tool_use","id":)";
            append_json_string(out, b.id);
            out += R"(,"name":)";
            append_json_string(out, b.name);
            out += R"(,"input":)";
            // `input` must be an object. Arguments that are not a JSON object (a model cut off
            // by max_tokens mid-call, a non-Anthropic model's malformed output) become {}: the
            // SDKs parse `input` as an object and would reject anything else.
            error_code ec;
            const json::value v = json::parse(b.arguments, ec);
            if (!ec && v.is_object()) {
                append_json_value(out, v);
            } else {
                out += "{}";
            }
            if (b.extra_format == format_name) {
                if (const json::value* c = b.extra.if_contains("caller")) {
                    out += R"(,"caller":)";
                    append_json_value(out, *c);
                }
            }
            out += '}';
            return;
        }
        case block_kind::image:
        case block_kind::document:
        case block_kind::tool_result:
            return;  // not part of an assistant answer
    }
}

}  // namespace

result<json::value> parse_request(std::string_view body, conversion_report& report) {
    std::string why;
    auto parsed = parse_json(body, &why);
    if (!parsed) {
        report.fail("", "The request body is not valid JSON: " + why);
        return errc::bad_request;
    }
    if (!parsed->is_object()) {
        report.fail("", "The request body must be a JSON object");
        return errc::bad_request;
    }
    return parsed;
}

result<request> decode_request(const json::object& body, conversion_report& report) {
    if (!check_members(body, request_members, report)) return errc::bad_request;
    if (!numbers_in_range(body, report)) return errc::bad_request;
    const json::object* root = &body;
    request req;
    req.source_format = api_format::anthropic_messages;

    {
        const json::value* model = root->if_contains("model");
        if (model == nullptr || !model->is_string()) {
            return fail(report, "model", "Field required (a string)").error();
        }
        req.model = model->get_string();
    }
    {
        const json::value* mt = root->if_contains("max_tokens");
        if (mt == nullptr) return fail(report, "max_tokens", "Field required").error();
        const auto v = get_int(*root, "max_tokens");
        if (!v || *v < 1) {
            return fail(report, "max_tokens", "expected an integer of at least 1").error();
        }
        req.max_output_tokens = *v;
    }
    const json::array* messages = get_array(*root, "messages");
    if (messages == nullptr) {
        return fail(report, "messages", "Field required (an array)").error();
    }
    if (auto r = decode_messages(*messages, report, req); !r) return r.error();

    for (const auto& kv : *root) {
        const std::string_view key = kv.key();
        const json::value& v = kv.value();
        if (key == "model" || key == "max_tokens" || key == "messages") continue;
        if (key == "system") {
            if (auto r = decode_system(v, report, req); !r) return r.error();
        } else if (key == "tools") {
            if (v.is_null()) continue;
            const json::array* tools = v.if_array();
            if (tools == nullptr) return fail(report, "tools", "expected an array").error();
            if (auto r = decode_tools(*tools, report, req); !r) return r.error();
        } else if (key == "tool_choice") {
            if (v.is_null()) continue;
            const json::object* o = v.if_object();
            if (o == nullptr) return fail(report, "tool_choice", "expected an object").error();
            if (auto r = decode_tool_choice(*o, report, req); !r) return r.error();
        } else if (key == "thinking") {
            if (v.is_null()) continue;
            const json::object* o = v.if_object();
            if (o == nullptr) return fail(report, "thinking", "expected an object").error();
            if (auto r = decode_thinking(*o, report, req); !r) return r.error();
        } else if (key == "output_config") {
            if (v.is_null()) continue;
            const json::object* o = v.if_object();
            if (o == nullptr) return fail(report, "output_config", "expected an object").error();
            if (auto r = decode_output_config(*o, report, req); !r) return r.error();
        } else if (key == "temperature" || key == "top_p") {
            const auto n = get_number(*root, key);
            if (!n) return fail(report, key, "expected a number").error();
            (key == "temperature" ? req.sampler.temperature : req.sampler.top_p) = *n;
        } else if (key == "top_k") {
            const auto n = get_int(*root, key);
            if (!n) return fail(report, key, "expected an integer").error();
            req.sampler.top_k = *n;
        } else if (key == "stop_sequences") {
            const json::array* a = v.if_array();
            if (a == nullptr) return fail(report, key, "expected an array of strings").error();
            for (std::size_t i = 0; i < a->size(); ++i) {
                const json::string* s = (*a)[i].if_string();
                if (s == nullptr) {
                    return fail(report, path_index(key, i), "expected a string").error();
                }
                req.sampler.stop.emplace_back(*s);
            }
        } else if (key == "stream") {
            const auto s = get_bool(*root, key);
            if (!s) return fail(report, key, "expected a boolean").error();
            req.stream = *s;
        } else if (key == "metadata") {
            if (v.is_null()) continue;
            const json::object* o = v.if_object();
            if (o == nullptr) return fail(report, key, "expected an object").error();
            const json::value* uid = o->if_contains("user_id");
            if (uid != nullptr && !uid->is_null()) {
                if (!uid->is_string()) {
                    return fail(report, "metadata.user_id", "expected a string").error();
                }
                req.user = uid->get_string();
            }
        } else if (key == "service_tier") {
            const json::string* s = v.if_string();
            if (s == nullptr) return fail(report, key, "expected a string").error();
            req.service_tier = std::string(*s);
        } else {
            // container, cache_control (automatic caching), inference_geo, mcp_servers,
            // context_management, ...: for an Anthropic upstream only.
            req.extra[key] = v;
        }
    }
    return req;
}

std::string encode_response(const response& res, const ingress::encode_options& options) {
    std::string out;
    out.reserve(256 + res.content.size() * 128);
    out += R"({"model":)";
    append_json_string(out, options.model.empty() ? std::string_view(res.model) : options.model);
    out += R"(,"id":)";
    append_json_string(out, message_id(res.id));
    out += R"(,"type":"message","role":"assistant","content":[)";
    bool first = true;
    for (const content_block& b : res.content) {
        if (b.kind == block_kind::image || b.kind == block_kind::document ||
            b.kind == block_kind::tool_result) {
            continue;
        }
        if (!first) out += ',';
        first = false;
        append_block(out, b);
    }
    out += R"(],"stop_reason":)";
    const std::string_view stop = finish_to_wire(res.finish);
    if (stop.empty()) {
        out += "null";
    } else {
        append_json_string(out, stop);
    }
    out += R"(,"stop_sequence":)";
    if (res.stop_sequence.empty()) {
        out += "null";
    } else {
        append_json_string(out, res.stop_sequence);
    }
    // `stop_details` (refusal details) is part of every Message of current API versions.
    out += R"(,"stop_details":null,"usage":{)";
    append_usage_members(out, res.usage);
    if (res.extra_format == format_name) {
        // Only an Anthropic upstream's own tier is meaningful in Anthropic's vocabulary.
        if (const json::value* tier = res.extra.if_contains("service_tier")) {
            out += R"(,"service_tier":)";
            append_json_value(out, *tier);
        }
    }
    out += "}}";
    return out;
}

std::string encode_error(const upstream_error& error) {
    std::string out;
    append_error_body(out, error);
    return out;
}

}  // namespace gateway::formats::anthropic_messages
