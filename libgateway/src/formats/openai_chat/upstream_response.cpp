// Upstream side: a `chat.completion` body → canonical response, and error answers → a neutral
// upstream_error.
//
// Compatible servers extend the message with reasoning text: `reasoning_content` (DeepSeek, xAI,
// vLLM) or `reasoning` (OpenRouter, newer vLLM); both become a thinking block.

#include "core/utf8.hpp"
#include "formats/json_util.hpp"
#include "formats/openai_chat/codec.hpp"
#include "formats/openai_chat/common.hpp"

#include <boost/json/monotonic_resource.hpp>

namespace gateway::formats::openai_chat {

namespace json = boost::json;

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

    // An optional string member: absent or null is fine.
    bool opt_string(const json::object& o, std::string_view key, std::string_view path,
                    std::string_view& out) {
        out = {};
        const json::value* v = o.if_contains(key);
        if (v == nullptr || v->is_null()) return true;
        if (!v->is_string()) return fail(path, "expected a string");
        out = v->get_string();
        return true;
    }

    bool read_message(const json::object& m, response& res, bool& refusal_seen);

    conversion_report& report_;
};

bool response_reader::read_message(const json::object& m, response& res, bool& refusal_seen) {
    std::string_view reasoning;
    if (!opt_string(m, "reasoning_content", "choices[0].message.reasoning_content", reasoning)) {
        return false;
    }
    if (reasoning.empty()) {
        // OpenRouter's field; `reasoning` is an object elsewhere, so only a string counts here.
        reasoning = get_string(m, "reasoning");
    }
    if (!reasoning.empty()) {
        content_block b;
        b.kind = block_kind::thinking;
        b.text = reasoning;
        res.content.push_back(std::move(b));
    }

    const json::value* content = m.if_contains("content");
    if (content != nullptr && content->is_string()) {
        if (!content->get_string().empty()) {
            content_block b = content_block::make_text(std::string(content->get_string()));
            if (const json::array* a = get_array(m, "annotations"); a != nullptr && !a->empty()) {
                b.extra["annotations"] = *a;
                b.extra_format = detail::format_name;
            }
            res.content.push_back(std::move(b));
        }
    } else if (content != nullptr && content->is_array()) {
        // Some compatible servers answer with content parts.
        const json::array& parts = content->get_array();
        for (std::size_t i = 0; i < parts.size(); ++i) {
            const json::object* p = parts[i].if_object();
            const json::value* text = p == nullptr ? nullptr : p->if_contains("text");
            if (text == nullptr || !text->is_string()) {
                return fail("choices[0].message.content[" + std::to_string(i) + "]",
                            "expected a text part");
            }
            res.content.push_back(content_block::make_text(std::string(text->get_string())));
        }
    } else if (content != nullptr && !content->is_null()) {
        return fail("choices[0].message.content", "expected a string, an array or null");
    }

    std::string_view refusal;
    if (!opt_string(m, "refusal", "choices[0].message.refusal", refusal)) return false;
    if (!refusal.empty()) {
        content_block b;
        b.kind = block_kind::refusal;
        b.text = refusal;
        res.content.push_back(std::move(b));
        refusal_seen = true;
    }

    const json::value* calls_v = m.if_contains("tool_calls");
    if (calls_v == nullptr || calls_v->is_null()) return true;
    const json::array* calls = calls_v->if_array();
    if (calls == nullptr) return fail("choices[0].message.tool_calls", "expected an array");
    for (std::size_t i = 0; i < calls->size(); ++i) {
        const std::string path = "choices[0].message.tool_calls[" + std::to_string(i) + "]";
        const json::object* call = (*calls)[i].if_object();
        if (call == nullptr) return fail(path, "expected an object");
        content_block b;
        std::string_view member;
        std::string_view what;
        if (!detail::read_tool_call(*call, b, member, what))
            return fail(path + std::string(member), what);
        res.content.push_back(std::move(b));
    }
    return true;
}

bool response_reader::read(const json::object& root, response& res) {
    if (const json::object* err = get_object(root, "error")) {
        std::string what = "an error body in a successful answer: ";
        what += get_string(*err, "message");
        return fail("error", what);
    }
    std::string_view s;
    if (!opt_string(root, "id", "id", s)) return false;
    res.id = s;
    if (!opt_string(root, "model", "model", s)) return false;
    res.model = s;
    if (const json::value* c = root.if_contains("created"); c != nullptr && !c->is_null()) {
        const auto created = get_int(root, "created");
        if (!created) return fail("created", "expected an integer");
        res.created = *created;
    }
    const json::array* choices = get_array(root, "choices");
    if (choices == nullptr) return fail("choices", "missing or not an array");
    if (choices->empty()) return fail("choices", "empty: the answer has no choice");
    const json::object* choice = (*choices)[0].if_object();
    if (choice == nullptr) return fail("choices[0]", "expected an object");
    const json::object* message = get_object(*choice, "message");
    if (message == nullptr) return fail("choices[0].message", "missing or not an object");
    bool refusal_seen = false;
    if (!read_message(*message, res, refusal_seen)) return false;

    std::string_view finish;
    if (!opt_string(*choice, "finish_reason", "choices[0].finish_reason", finish)) return false;
    if (!finish.empty()) res.finish = detail::finish_from_wire(finish, refusal_seen);

    if (const json::value* u = root.if_contains("usage"); u != nullptr && !u->is_null()) {
        if (!u->is_object() || !detail::parse_usage(u->get_object(), res.usage)) {
            return fail("usage", "malformed usage object");
        }
    }
    for (std::string_view key : {"system_fingerprint", "service_tier"}) {
        // Kept also when null (OpenAI sends `"system_fingerprint": null` for some models).
        if (const json::value* v = root.if_contains(key);
            v != nullptr && (v->is_string() || v->is_null())) {
            res.extra[key] = *v;
        }
    }
    if (!res.extra.empty()) res.extra_format = detail::format_name;
    return true;
}

}  // namespace

result<response> decode_response(std::string_view body, const request* /*original*/,
                                 conversion_report& report) {
    json::monotonic_resource arena(read_arena_size(body));
    auto parsed = parse_upstream_object(body, report, &arena);
    if (!parsed) return parsed.error();
    response res;
    response_reader reader(report);
    if (!reader.read(parsed->get_object(), res)) return errc::bad_upstream_response;
    return res;
}

upstream_error decode_error(unsigned http_status, std::string_view body) {
    upstream_error e;
    bool parsed_ok = false;
    if (auto parsed = parse_json(body); parsed && parsed->is_object()) {
        const json::object& root = parsed->get_object();
        if (const json::object* err = get_object(root, "error")) {
            detail::read_error_object(*err, e);
            parsed_ok = true;
        } else if (const std::string_view s = get_string(root, "error"); !s.empty()) {
            e.message = s;  // {"error":"..."}: some compatible servers
            parsed_ok = true;
        } else if (const std::string_view m = get_string(root, "message"); !m.empty()) {
            e.message = m;
            parsed_ok = true;
        }
    }
    if (!parsed_ok || e.message.empty()) {
        // Not OpenAI's envelope (a proxy's HTML page, plain text): keep a bounded, printable
        // excerpt so the client sees what the upstream said.
        constexpr std::size_t max_excerpt = 200;
        std::string_view cut = body.substr(0, max_excerpt);
        if (cut.size() < body.size()) {
            // Do not end inside a UTF-8 sequence: drop continuation bytes and their lead byte.
            while (!cut.empty() && (static_cast<unsigned char>(cut.back()) & 0xC0U) == 0x80U) {
                cut.remove_suffix(1);
            }
            if (!cut.empty() && static_cast<unsigned char>(cut.back()) >= 0xC0U) {
                cut.remove_suffix(1);
            }
        }
        const std::string excerpt = gateway::detail::printable_excerpt(cut);
        e.message = "upstream answered HTTP " + std::to_string(http_status);
        if (!excerpt.empty()) e.message += ": " + excerpt;
    }

    // Status: what the client should see. 4xx the client caused are kept; the channel's own
    // credentials being refused is the gateway's fault, not the client's.
    if (http_status == 401 || http_status == 403) {
        e.message = "upstream rejected the channel's credentials: " + e.message;
        e.status = 502;
        e.type = "api_error";
    } else if (http_status == 429) {
        e.status = 429;
        e.type = "rate_limit_error";  // insufficient_quota stays visible in `code`
    } else if (http_status == 503 || http_status == 529) {
        e.status = 503;
        e.type = "overloaded_error";
    } else if (http_status == 504 || http_status == 408) {
        e.status = 504;
        e.type = "api_error";
    } else if (http_status >= 500 || http_status < 400) {
        e.status = 502;
        e.type = "api_error";
    } else {
        e.status = http_status;
        if (e.type.empty()) {
            e.type = http_status == 404 ? "not_found_error" : "invalid_request_error";
        }
    }
    return e;
}

}  // namespace gateway::formats::openai_chat
