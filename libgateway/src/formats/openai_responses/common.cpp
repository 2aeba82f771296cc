#include "formats/openai_responses/common.hpp"

#include "formats/json_util.hpp"

#include <boost/json/serialize.hpp>

#include <optional>

namespace gateway::formats::openai_responses::detail {

namespace json = boost::json;

std::string index_path(std::string_view base, std::size_t i) {
    std::string p(base);
    p += '[';
    p += std::to_string(i);
    p += ']';
    return p;
}

std::string member_path(std::string_view base, std::string_view key) {
    std::string p(base);
    p += '.';
    p += key;
    return p;
}

bool report_failure(conversion_report& report, std::string_view param, std::string_view what) {
    std::string message(param);
    message += ": ";
    message += what;
    report.fail(param, message);
    return false;
}

bool optional_string(const json::object& o, std::string_view key, std::string_view& out) noexcept {
    out = {};
    const json::value* v = o.if_contains(key);
    if (v == nullptr || v->is_null()) return true;
    if (!v->is_string()) return false;
    out = v->get_string();
    return true;
}

wire_status status_to_wire(finish_reason reason) noexcept {
    switch (reason) {
        case finish_reason::length:
        case finish_reason::context_window:
            return {"incomplete", "max_output_tokens"};
        case finish_reason::content_filter:
            return {"incomplete", "content_filter"};
        case finish_reason::pause_turn:
            return {"incomplete", {}};
        case finish_reason::error:
            return {"failed", {}};
        case finish_reason::none:
        case finish_reason::stop:
        case finish_reason::stop_sequence:
        case finish_reason::tool_use:
        case finish_reason::refusal:
            break;
    }
    return {"completed", {}};
}

finish_reason finish_from_wire(std::string_view status, std::string_view incomplete_reason,
                               bool function_calls, bool refusal) noexcept {
    if (status == "completed") {
        if (function_calls) return finish_reason::tool_use;
        return refusal ? finish_reason::refusal : finish_reason::stop;
    }
    if (status == "incomplete") {
        if (incomplete_reason == "content_filter") return finish_reason::content_filter;
        // The spec's own example says "max_tokens"; any reason is most likely a token limit.
        return incomplete_reason.empty() ? finish_reason::pause_turn : finish_reason::length;
    }
    if (status == "failed" || status == "cancelled") return finish_reason::error;
    return finish_reason::none;
}

namespace {

// A token count at `o.key`: absent or null is 0; anything else must be a non-negative integer.
bool read_count(const json::object* o, std::string_view key, std::int64_t& out) {
    if (o == nullptr) return true;
    const json::value* v = o->if_contains(key);
    if (v == nullptr || v->is_null()) return true;
    const std::optional<std::int64_t> n = get_int(*o, key);
    if (!n || *n < 0) return false;
    out = *n;
    return true;
}

}  // namespace

bool parse_usage(const json::object& o, usage& out) {
    const json::object* input = nullptr;
    const json::object* output = nullptr;
    for (auto [key, details] :
         {std::pair{"input_tokens_details", &input}, std::pair{"output_tokens_details", &output}}) {
        const json::value* v = o.if_contains(key);
        if (v == nullptr || v->is_null()) continue;
        *details = v->if_object();
        if (*details == nullptr) return false;
    }
    usage u;
    if (!read_count(&o, "input_tokens", u.input_tokens) ||
        !read_count(&o, "output_tokens", u.output_tokens) ||
        !read_count(input, "cached_tokens", u.cache_read_tokens) ||
        !read_count(input, "cache_write_tokens", u.cache_creation_tokens) ||
        !read_count(output, "reasoning_tokens", u.reasoning_tokens)) {
        return false;
    }
    u.reported = true;
    out = u;
    return true;
}

void append_usage(std::string& out, const usage& u) {
    out += R"({"input_tokens":)";
    append_json_int(out, u.input_tokens);
    out += R"(,"input_tokens_details":{"cached_tokens":)";
    append_json_int(out, u.cache_read_tokens);
    out += R"(,"cache_write_tokens":)";
    append_json_int(out, u.cache_creation_tokens);
    out += R"(},"output_tokens":)";
    append_json_int(out, u.output_tokens);
    out += R"(,"output_tokens_details":{"reasoning_tokens":)";
    append_json_int(out, u.reasoning_tokens);
    out += R"(},"total_tokens":)";
    append_json_int(out, u.total_tokens());
    out += '}';
}

namespace {

constexpr std::string_view response_prefix = "resp_";
constexpr std::string_view made_up_marker = "gw_";

}  // namespace

std::string response_id(std::string_view upstream_id) {
    if (upstream_id.starts_with(response_prefix) && upstream_id.size() > response_prefix.size()) {
        return std::string(upstream_id);
    }
    std::string id(response_prefix);
    id += upstream_id.empty() ? std::string_view("gateway") : upstream_id;
    return id;
}

std::string made_up_item_id(std::string_view prefix, std::string_view response_id,
                            std::size_t index) {
    if (response_id.starts_with(response_prefix)) response_id.remove_prefix(response_prefix.size());
    std::string id(prefix);
    id += made_up_marker;
    id += response_id;
    id += '_';
    id += std::to_string(index);
    return id;
}

std::string_view kept_item_id(const content_block& b, std::string_view prefix) noexcept {
    if (b.extra_format != format_name) return {};
    const std::string_view id = get_string(b.extra, "id");
    if (!id.starts_with(prefix) || id.size() == prefix.size()) return {};
    if (id.substr(prefix.size()).starts_with(made_up_marker)) return {};
    return id;
}

unsigned stream_error_status(const upstream_error& e) noexcept {
    const std::string_view code = e.code;
    if (e.type == "rate_limit_error" || e.type == "insufficient_quota" ||
        code == "rate_limit_exceeded" || code == "insufficient_quota") {
        return 429;
    }
    // ResponseErrorCode: invalid_prompt and the image errors are about what the client sent.
    if (e.type == "invalid_request_error" || code == "invalid_prompt" ||
        code.starts_with("invalid_image") || code.starts_with("image_") ||
        code == "invalid_base64_image" || code == "unsupported_image_media_type" ||
        code == "empty_image_file" || code == "failed_to_download_image") {
        return 400;
    }
    return 502;
}

namespace {

class item_reader {
  public:
    item_reader(std::vector<content_block>& out, output_flags& flags, read_failure& failure)
        : out_(out), flags_(flags), failure_(failure) {}

    bool read(const json::object& item) {
        const std::string_view type = get_string(item, "type");
        if (type == "message") return message(item);
        if (type == "reasoning") return reasoning(item);
        if (type == "function_call") return function_call(item);
        return true;  // web_search_call, file_search_call, ...: the upstream ran them itself
    }

  private:
    bool fail(std::string path, std::string_view what) {
        failure_.path = std::move(path);
        failure_.what = what;
        return false;
    }

    bool opt_string(const json::object& o, std::string_view key, std::string path,
                    std::string_view& out) {
        return optional_string(o, key, out) || fail(std::move(path), "expected a string");
    }

    bool required_string(const json::object& o, std::string_view key, std::string path,
                         std::string_view& out) {
        const json::value* v = o.if_contains(key);
        if (v == nullptr || !v->is_string()) {
            return fail(std::move(path), "missing or not a string");
        }
        out = v->get_string();
        return true;
    }

    static void tag(content_block& b, std::string_view item_id) {
        if (!item_id.empty()) b.extra["id"] = item_id;
        b.extra_format = format_name;
    }

    bool message(const json::object& item) {
        std::string_view id;
        std::string_view phase;
        if (!opt_string(item, "id", "id", id) || !opt_string(item, "phase", "phase", phase)) {
            return false;
        }
        const json::array* parts = get_array(item, "content");
        if (parts == nullptr) return fail("content", "missing or not an array");
        for (std::size_t i = 0; i < parts->size(); ++i) {
            const std::string path = index_path("content", i);
            const json::object* part = (*parts)[i].if_object();
            if (part == nullptr) return fail(path, "expected an object");
            const std::string_view type = get_string(*part, "type");
            content_block b;
            std::string_view text;
            if (type == "output_text") {
                if (!required_string(*part, "text", path + ".text", text)) return false;
                if (const json::array* a = get_array(*part, "annotations");
                    a != nullptr && !a->empty()) {
                    b.extra["annotations"] = *a;
                }
            } else if (type == "refusal") {
                if (!required_string(*part, "refusal", path + ".refusal", text)) return false;
                b.kind = block_kind::refusal;
                flags_.refusal = true;
            } else {
                continue;  // a newer part type: nothing the canonical form can carry
            }
            b.text = text;
            tag(b, id);
            if (!phase.empty()) b.extra["phase"] = phase;
            out_.push_back(std::move(b));
        }
        return true;
    }

    bool reasoning(const json::object& item) {
        std::string_view id;
        std::string_view encrypted;
        if (!opt_string(item, "id", "id", id) ||
            !opt_string(item, "encrypted_content", "encrypted_content", encrypted)) {
            return false;
        }
        const std::size_t first = out_.size();
        if (const json::value* s = item.if_contains("summary"); s != nullptr && !s->is_null()) {
            const json::array* summary = s->if_array();
            if (summary == nullptr) return fail("summary", "expected an array");
            for (std::size_t i = 0; i < summary->size(); ++i) {
                const std::string path = index_path("summary", i);
                const json::object* part = (*summary)[i].if_object();
                if (part == nullptr) return fail(path, "expected an object");
                std::string_view text;
                if (!required_string(*part, "text", path + ".text", text)) return false;
                content_block b;
                b.kind = block_kind::thinking;
                b.text = text;
                out_.push_back(std::move(b));
            }
        }
        // A summary-less item (no `reasoning.summary` asked) still is state to send back.
        if (out_.size() == first) {
            content_block b;
            b.kind = block_kind::thinking;
            out_.push_back(std::move(b));
        }
        for (std::size_t i = first; i < out_.size(); ++i) {
            out_[i].signature_origin = reasoning_origin::openai;
            tag(out_[i], id);
        }
        content_block& last = out_.back();
        last.signature = encrypted;
        if (const json::array* content = get_array(item, "content");
            content != nullptr && !content->empty()) {
            last.extra["content"] = *content;
        }
        return true;
    }

    bool function_call(const json::object& item) {
        content_block b;
        b.kind = block_kind::tool_use;
        std::string_view s;
        if (!required_string(item, "call_id", "call_id", s)) return false;
        b.id = s;
        if (!required_string(item, "name", "name", s)) return false;
        b.name = s;
        if (const json::value* args = item.if_contains("arguments");
            args != nullptr && !args->is_null()) {
            if (args->is_string()) {
                b.arguments = args->get_string();
            } else if (args->is_object()) {
                b.arguments = json::serialize(*args);  // compatible servers that send an object
            } else {
                return fail("arguments", "expected a string");
            }
        }
        if (b.arguments.empty()) b.arguments = "{}";
        for (const auto& kv : item) {
            const std::string_view key = kv.key();
            if (key == "type" || key == "status" || key == "call_id" || key == "name" ||
                key == "arguments") {
                continue;
            }
            b.extra[key] = kv.value();  // id, namespace, caller, ...
        }
        b.extra_format = format_name;
        flags_.function_call = true;
        out_.push_back(std::move(b));
        return true;
    }

    std::vector<content_block>& out_;
    output_flags& flags_;
    read_failure& failure_;
};

}  // namespace

bool read_output_item(const json::object& item, std::vector<content_block>& out,
                      output_flags& flags, read_failure& failure) {
    return item_reader(out, flags, failure).read(item);
}

}  // namespace gateway::formats::openai_responses::detail
