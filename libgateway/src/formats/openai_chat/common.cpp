#include "formats/openai_chat/common.hpp"

#include "formats/json_util.hpp"

#include <boost/json/serialize.hpp>

namespace gateway::formats::openai_chat::detail {

namespace json = boost::json;

std::string_view finish_to_wire(finish_reason reason) noexcept {
    switch (reason) {
        case finish_reason::length:
        case finish_reason::context_window:
            return "length";
        case finish_reason::tool_use:
            return "tool_calls";
        case finish_reason::content_filter:
            return "content_filter";
        case finish_reason::none:
        case finish_reason::stop:
        case finish_reason::stop_sequence:
        case finish_reason::refusal:
        case finish_reason::pause_turn:
        case finish_reason::error:
            return "stop";
    }
    return "stop";
}

finish_reason finish_from_wire(std::string_view wire, bool refusal_seen) noexcept {
    if (wire == "length") return finish_reason::length;
    if (wire == "tool_calls" || wire == "function_call") return finish_reason::tool_use;
    if (wire == "content_filter") return finish_reason::content_filter;
    return refusal_seen ? finish_reason::refusal : finish_reason::stop;
}

std::string_view client_name(api_format source, std::string_view param) noexcept {
    if (param == "reasoning") {
        switch (source) {
            case api_format::openai_chat:
                return "reasoning_effort";
            case api_format::openai_responses:
                return "reasoning";
            case api_format::anthropic_messages:
                return "thinking";
        }
    }
    if (param == "max_tokens") {
        return source == api_format::openai_responses ? "max_output_tokens" : "max_tokens";
    }
    if (param == "stop" && source == api_format::anthropic_messages) return "stop_sequences";
    if (param == "user" && source == api_format::anthropic_messages) return "metadata.user_id";
    return param;
}

std::string index_path(std::string_view base, std::size_t i) {
    std::string p(base);
    p += '[';
    p += std::to_string(i);
    p += ']';
    return p;
}

bool read_tool_call(const json::object& call, content_block& out, std::string_view& member,
                    std::string_view& what) {
    const json::object* fn = get_object(call, "function");
    if (fn == nullptr) {
        member = ".function";
        what = "missing or not an object";
        return false;
    }
    const json::value* name = fn->if_contains("name");
    if (name == nullptr || !name->is_string()) {
        member = ".function.name";
        what = "missing or not a string";
        return false;
    }
    out.kind = block_kind::tool_use;
    out.id = get_string(call, "id");
    out.name = name->get_string();
    if (const json::value* args = fn->if_contains("arguments"); args != nullptr) {
        if (args->is_string()) {
            out.arguments = args->get_string();
        } else if (args->is_object()) {
            out.arguments = json::serialize(*args);  // some compatible servers send an object
        } else if (!args->is_null()) {
            member = ".function.arguments";
            what = "expected a string";
            return false;
        }
    }
    if (out.arguments.empty()) out.arguments = "{}";
    return true;
}

namespace {

// A token count: absent or null is 0; anything else must be a non-negative integer.
bool read_count(const json::object& o, std::string_view key, std::int64_t& out) {
    const json::value* v = o.if_contains(key);
    if (v == nullptr || v->is_null()) return true;
    const std::optional<std::int64_t> n = get_int(o, key);
    if (!n || *n < 0) return false;
    out = *n;
    return true;
}

// A `*_details` member: absent or null is fine, otherwise an object.
bool read_details(const json::object& o, std::string_view key, const json::object*& out) {
    out = nullptr;
    const json::value* v = o.if_contains(key);
    if (v == nullptr || v->is_null()) return true;
    out = v->if_object();
    return out != nullptr;
}

}  // namespace

bool parse_usage(const json::object& o, usage& out) {
    usage u;
    std::int64_t total = -1;
    if (!read_count(o, "prompt_tokens", u.input_tokens) ||
        !read_count(o, "completion_tokens", u.output_tokens) ||
        !read_count(o, "total_tokens", total)) {
        return false;
    }
    const json::object* prompt = nullptr;
    const json::object* completion = nullptr;
    if (!read_details(o, "prompt_tokens_details", prompt) ||
        !read_details(o, "completion_tokens_details", completion)) {
        return false;
    }
    if (prompt != nullptr &&
        (!read_count(*prompt, "cached_tokens", u.cache_read_tokens) ||
         !read_count(*prompt, "cache_write_tokens", u.cache_creation_tokens))) {
        return false;
    }
    if (completion != nullptr && !read_count(*completion, "reasoning_tokens", u.reasoning_tokens)) {
        return false;
    }
    // xAI: completion_tokens excludes reasoning_tokens, total_tokens includes them.
    if (u.reasoning_tokens > 0 && total >= 0 && total != u.input_tokens + u.output_tokens &&
        total == u.input_tokens + u.output_tokens + u.reasoning_tokens) {
        u.output_tokens += u.reasoning_tokens;
    }
    u.reported = true;
    out = u;
    return true;
}

void append_usage(std::string& out, const usage& u) {
    out += R"({"prompt_tokens":)";
    append_json_int(out, u.input_tokens);
    out += R"(,"completion_tokens":)";
    append_json_int(out, u.output_tokens);
    out += R"(,"total_tokens":)";
    append_json_int(out, u.total_tokens());
    out += R"(,"prompt_tokens_details":{"cached_tokens":)";
    append_json_int(out, u.cache_read_tokens);
    out += R"(,"audio_tokens":0)";
    if (u.cache_creation_tokens != 0) {
        // OpenAI's newer field (recorded in openai-chat/cached-tokens.cassette.yaml).
        out += R"(,"cache_write_tokens":)";
        append_json_int(out, u.cache_creation_tokens);
    }
    out += R"(},"completion_tokens_details":{"reasoning_tokens":)";
    append_json_int(out, u.reasoning_tokens);
    out += R"(,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}})";
}

std::string response_id(std::string_view upstream_id) {
    constexpr std::string_view prefix = "chatcmpl-";
    if (upstream_id.starts_with(prefix) && upstream_id.size() > prefix.size()) {
        return std::string(upstream_id);
    }
    std::string id(prefix);
    if (upstream_id.empty()) {
        id += "gateway";  // no upstream id at all: still the right shape
    } else {
        id += upstream_id;
    }
    return id;
}

bool parse_data_url(std::string_view url, std::string_view& media_type, std::string_view& data) {
    constexpr std::string_view scheme = "data:";
    constexpr std::string_view marker = ";base64,";
    if (!url.starts_with(scheme)) return false;
    url.remove_prefix(scheme.size());
    const std::size_t at = url.find(marker);
    if (at == std::string_view::npos) return false;
    media_type = url.substr(0, at);
    data = url.substr(at + marker.size());
    return true;
}

namespace {

// The canonical error vocabulary (response.hpp) in OpenAI's: OpenAI answers an unknown model
// with 404 `invalid_request_error` / `model_not_found`, and overload with `server_error`.
std::string_view openai_type(const upstream_error& e) noexcept {
    if (e.type == "not_found_error") return "invalid_request_error";
    if (e.type == "overloaded_error") return "server_error";
    if (!e.type.empty()) return e.type;
    switch (e.status) {
        case 401:
            return "authentication_error";
        case 403:
            return "permission_error";
        case 429:
            return "rate_limit_error";
        default:
            break;
    }
    return e.status >= 500 ? "api_error" : "invalid_request_error";
}

void append_string_or_null(std::string& out, std::string_view s) {
    if (s.empty()) {
        out += "null";
    } else {
        append_json_string(out, s);
    }
}

}  // namespace

void append_error_body(std::string& out, const upstream_error& error) {
    out += R"({"error":{"message":)";
    append_json_string(out, error.message);
    out += R"(,"type":)";
    append_json_string(out, openai_type(error));
    out += R"(,"param":)";
    append_string_or_null(out, error.param);
    out += R"(,"code":)";
    append_string_or_null(out, error.code);
    out += "}}";
}

void read_error_object(const json::object& error, upstream_error& out) {
    out.message = get_string(error, "message");
    out.type = get_string(error, "type");
    out.param = get_string(error, "param");
    if (const json::value* code = error.if_contains("code"); code != nullptr) {
        if (code->is_string()) {
            out.code = code->get_string();
        } else if (const auto n = get_int(error, "code")) {
            out.code = std::to_string(*n);
        }
    }
}

}  // namespace gateway::formats::openai_chat::detail
