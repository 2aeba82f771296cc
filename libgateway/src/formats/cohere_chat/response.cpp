// Upstream side: a v2 chat response body → canonical response; error answers → upstream_error.
//
// The body (https://docs.cohere.com/reference/chat, "Response"): `id`, `finish_reason`,
// `message{role, content[{type:"text",text} | {type:"thinking",thinking}], tool_plan,
// tool_calls[{id,type,function{name,arguments}}], citations}`, `usage{billed_units, tokens}`.
// Canonical order: the content parts as given, then `tool_plan` as text, then the tool calls
// (the order a stream delivers them in).

#include "formats/cohere_chat/codec.hpp"
#include "formats/json_util.hpp"
#include "formats/openai_chat/codec.hpp"
#include "formats/openai_chat/common.hpp"


namespace gateway::formats::cohere_chat {

namespace json = boost::json;

namespace detail {

finish_reason finish_from_wire(std::string_view wire) noexcept {
    if (wire == "MAX_TOKENS") return finish_reason::length;
    if (wire == "STOP_SEQUENCE") return finish_reason::stop_sequence;
    if (wire == "TOOL_CALL") return finish_reason::tool_use;
    if (wire == "ERROR" || wire == "TIMEOUT") return finish_reason::error;
    if (wire == "ERROR_TOXIC") return finish_reason::content_filter;
    if (wire == "ERROR_LIMIT") return finish_reason::context_window;
    return finish_reason::stop;  // COMPLETE, and values newer than this code
}

namespace {

// `{input_tokens, output_tokens}`: absent or null members are 0, others non-negative numbers
// (Cohere writes billed units as JSON numbers that may carry a fraction part of zero).
bool read_counts(const json::object& o, std::int64_t& in, std::int64_t& out, bool& any) {
    for (auto [key, target] : {std::pair<std::string_view, std::int64_t*>{"input_tokens", &in},
                               {"output_tokens", &out}}) {
        const json::value* v = o.if_contains(key);
        if (v == nullptr || v->is_null()) continue;
        const std::optional<std::int64_t> n = get_int(o, key);
        if (!n || *n < 0) return false;
        *target = *n;
        any = true;
    }
    return true;
}

}  // namespace

bool parse_usage(const json::object& o, usage& out) {
    usage billed;
    usage tokens;
    bool has_billed = false;
    bool has_tokens = false;
    for (auto [key, target, seen] :
         {std::tuple<std::string_view, usage*, bool*>{"billed_units", &billed, &has_billed},
          {"tokens", &tokens, &has_tokens}}) {
        const json::value* v = o.if_contains(key);
        if (v == nullptr || v->is_null()) continue;
        if (!v->is_object()) return false;
        if (!read_counts(v->get_object(), target->input_tokens, target->output_tokens, *seen)) {
            return false;
        }
    }
    if (!has_billed && !has_tokens) return true;
    out = has_billed ? billed : tokens;
    out.reported = true;
    return true;
}

}  // namespace detail

namespace {

class response_reader {
  public:
    explicit response_reader(conversion_report& report) : report_(report) {}

    bool read(const json::object& root, response& res);

  private:
    bool fail(std::string_view param, std::string_view what) {
        std::string message(param);
        message += ": ";
        message += what;
        report_.fail(param, message);
        return false;
    }

    bool read_content(const json::value& content, response& res);
    bool read_tool_calls(const json::value& calls, response& res);

    conversion_report& report_;
};

bool response_reader::read_content(const json::value& content, response& res) {
    if (content.is_null()) return true;
    if (content.is_string()) {  // not documented for answers, but the shape requests use
        if (!content.get_string().empty()) {
            res.content.push_back(content_block::make_text(std::string(content.get_string())));
        }
        return true;
    }
    const json::array* parts = content.if_array();
    if (parts == nullptr) return fail("message.content", "expected an array");
    for (std::size_t i = 0; i < parts->size(); ++i) {
        const std::string path = "message.content[" + std::to_string(i) + "]";
        const json::object* p = (*parts)[i].if_object();
        if (p == nullptr) return fail(path, "expected an object");
        const std::string_view type = get_string(*p, "type");
        const std::string_view key = type == "thinking" ? "thinking" : "text";
        if (type != "text" && type != "thinking") continue;  // a newer part type
        const json::value* text = p->if_contains(key);
        if (text == nullptr || !text->is_string()) {
            return fail(path + "." + std::string(key), "missing or not a string");
        }
        content_block b = content_block::make_text(std::string(text->get_string()));
        if (type == "thinking") b.kind = block_kind::thinking;
        res.content.push_back(std::move(b));
    }
    return true;
}

bool response_reader::read_tool_calls(const json::value& calls_v, response& res) {
    if (calls_v.is_null()) return true;
    const json::array* calls = calls_v.if_array();
    if (calls == nullptr) return fail("message.tool_calls", "expected an array");
    for (std::size_t i = 0; i < calls->size(); ++i) {
        const std::string path = "message.tool_calls[" + std::to_string(i) + "]";
        const json::object* call = (*calls)[i].if_object();
        if (call == nullptr) return fail(path, "expected an object");
        content_block b;
        std::string_view member;
        std::string_view what;
        if (!openai_chat::detail::read_tool_call(*call, b, member, what)) {
            return fail(path + std::string(member), what);
        }
        res.content.push_back(std::move(b));
    }
    return true;
}

bool response_reader::read(const json::object& root, response& res) {
    const json::value* id = root.if_contains("id");
    if (id != nullptr && !id->is_string() && !id->is_null()) return fail("id", "expected a string");
    res.id = get_string(root, "id");
    const json::object* message = get_object(root, "message");
    if (message == nullptr) return fail("message", "missing or not an object");
    if (const json::value* c = message->if_contains("content"); c && !read_content(*c, res)) {
        return false;
    }
    const json::value* plan = message->if_contains("tool_plan");
    if (plan != nullptr && plan->is_string() && !plan->get_string().empty()) {
        res.content.push_back(content_block::make_text(std::string(plan->get_string())));
    }
    if (const json::value* c = message->if_contains("tool_calls"); c && !read_tool_calls(*c, res)) {
        return false;
    }
    const json::value* finish = root.if_contains("finish_reason");
    if (finish != nullptr && !finish->is_null()) {
        if (!finish->is_string()) return fail("finish_reason", "expected a string");
        res.finish = detail::finish_from_wire(finish->get_string());
    }
    if (const json::value* u = root.if_contains("usage"); u != nullptr && !u->is_null()) {
        if (!u->is_object() || !detail::parse_usage(u->get_object(), res.usage)) {
            return fail("usage", "malformed usage object");
        }
    }
    if (const json::array* citations = get_array(*message, "citations");
        citations != nullptr && !citations->empty()) {
        res.extra["citations"] = *citations;
        res.extra_format = detail::format_name;
    }
    return true;
}

}  // namespace

result<response> decode_response(std::string_view body, const request* /*original*/,
                                 conversion_report& report) {
    auto parsed = parse_upstream_object(body, report);
    if (!parsed) return parsed.error();
    response res;
    response_reader reader(report);
    if (!reader.read(parsed->get_object(), res)) return errc::bad_upstream_response;
    return res;
}

upstream_error decode_error(unsigned http_status, std::string_view body) {
    // Cohere's error body is `{"id": "...", "message": "..."}` (https://docs.cohere.com/reference/
    // errors), which the Chat reader already understands, with the same bounded excerpt for
    // bodies of any other shape. Cohere's 499 ("request cancelled", also for streaming errors)
    // is not the client's doing: an upstream fault like a 500.
    return openai_chat::decode_error(http_status == 499 ? 500 : http_status, body);
}

}  // namespace gateway::formats::cohere_chat
