// Converse response bodies and Bedrock error answers → canonical; the pieces the stream decoder
// shares (stop reasons, usage, exceptions).
// https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html
// https://docs.aws.amazon.com/bedrock/latest/APIReference/CommonErrors.html

#include "core/utf8.hpp"
#include "formats/anthropic_messages/common.hpp"
#include "formats/bedrock_converse/codec.hpp"
#include "formats/json_util.hpp"
#include "providers/bedrock/sigv4.hpp"

#include <boost/json/parse.hpp>

#include <string>

namespace gateway::formats::bedrock_converse {

namespace json = boost::json;

std::string request_path(std::string_view model, bool stream) {
    // Encoded once here; SigV4 encodes the canonical URI a second time (see sigv4.hpp).
    std::string path = "/model/";
    path += providers::bedrock::aws_uri_encode(model);
    path += stream ? "/converse-stream" : "/converse";
    return path;
}

finish_reason finish_from_wire(std::string_view stop_reason, bool* unknown) noexcept {
    if (unknown != nullptr) *unknown = false;
    if (stop_reason == "end_turn") return finish_reason::stop;
    if (stop_reason == "stop_sequence") return finish_reason::stop_sequence;
    if (stop_reason == "max_tokens") return finish_reason::length;
    if (stop_reason == "tool_use") return finish_reason::tool_use;
    if (stop_reason == "guardrail_intervened" || stop_reason == "content_filtered") {
        return finish_reason::content_filter;
    }
    if (stop_reason == "model_context_window_exceeded") return finish_reason::context_window;
    if (unknown != nullptr) *unknown = true;
    return finish_reason::stop;
}

void read_usage(const json::object& wire, usage& u) noexcept {
    u.cache_read_tokens = get_int(wire, "cacheReadInputTokens").value_or(u.cache_read_tokens);
    u.cache_creation_tokens =
        get_int(wire, "cacheWriteInputTokens").value_or(u.cache_creation_tokens);
    if (const auto input = get_int(wire, "inputTokens")) {
        u.input_tokens = *input + u.cache_read_tokens + u.cache_creation_tokens;
    }
    u.output_tokens = get_int(wire, "outputTokens").value_or(u.output_tokens);
    u.reported = true;
}

namespace {

/// `ValidationException` from `ValidationException:http://internal.amazon.com/...`,
/// `com.amazon.coral.validate#ValidationException` or the event-stream `validationException`.
std::string exception_name(std::string_view type) {
    if (const std::size_t colon = type.find(':'); colon != std::string_view::npos) {
        type = type.substr(0, colon);
    }
    if (const std::size_t hash = type.rfind('#'); hash != std::string_view::npos) {
        type = type.substr(hash + 1);
    }
    std::string name(type);
    if (!name.empty() && name[0] >= 'a' && name[0] <= 'z') {
        name[0] = static_cast<char>(name[0] - 'a' + 'A');
    }
    return name;
}

/// The HTTP status Bedrock documents for each exception of the runtime API.
unsigned status_of(std::string_view name) noexcept {
    if (name == "ValidationException" || name == "ServiceQuotaExceededException") return 400;
    if (name == "AccessDeniedException" || name == "UnrecognizedClientException") return 403;
    if (name == "ResourceNotFoundException") return 404;
    if (name == "ModelTimeoutException") return 408;
    if (name == "ModelErrorException" || name == "ModelStreamErrorException") return 424;
    if (name == "ThrottlingException") return 429;
    if (name == "ModelNotReadyException" || name == "ServiceUnavailableException") return 503;
    return 500;  // InternalServerException and anything newer
}

}  // namespace

upstream_error error_from_exception(unsigned http_status, std::string_view type,
                                    std::string_view message) {
    const std::string name = exception_name(type);
    if (http_status == 0) http_status = name.empty() ? 500 : status_of(name);
    upstream_error e;
    // Header values (`:exception-type`, `:error-message`, `x-amzn-ErrorType`) are bytes no JSON
    // parser checked; they go into the client's JSON.
    e.code = gateway::detail::valid_utf8(name);
    e.message = gateway::detail::valid_utf8(message);
    if (name == "ModelNotReadyException" || name == "ServiceUnavailableException" ||
        http_status == 503) {
        e.status = 503;
        e.type = "overloaded_error";
    } else if (http_status == 401 || http_status == 403) {
        // The channel's credentials, not the client's: the client cannot fix it.
        e.status = 502;
        e.type = "api_error";
        e.message = "upstream rejected the channel's credentials: " + e.message;
    } else if (http_status == 429) {
        e.status = 429;
        e.type = "rate_limit_error";
    } else if (http_status == 408 || http_status == 504) {
        e.status = 504;
        e.type = "api_error";
    } else if (http_status >= 500 || http_status == 424) {
        e.status = 502;
        e.type = "api_error";
    } else if (http_status >= 400) {
        e.status = http_status;
        e.type = http_status == 404   ? "not_found_error"
                 : http_status == 413 ? "request_too_large"
                                      : "invalid_request_error";
    } else {
        e.status = 502;
        e.type = "api_error";
    }
    return e;
}

upstream_error decode_error(unsigned http_status, std::string_view body,
                            std::string_view error_type) {
    std::string type(error_type);
    std::string message;
    error_code ec;
    const json::value v = json::parse(body, ec);
    if (!ec && v.is_object()) {
        const json::object& o = v.get_object();
        message = get_string(o, "message");
        if (message.empty()) message = get_string(o, "Message");  // some services capitalise
        if (type.empty()) type = get_string(o, "__type");
        if (type.empty()) type = get_string(o, "code");
    }
    // Not Bedrock's envelope (a proxy's page, an empty body): a short excerpt.
    if (message.empty()) message = status_message(http_status, body);
    return error_from_exception(http_status, type, message);
}

result<response> decode_response(std::string_view body, const request* original,
                                 conversion_report& report) {
    auto bad = [&](std::string message) -> result<response> {
        report.fail("", message);
        return errc::bad_upstream_response;
    };
    std::string why;
    auto parsed = parse_json(body, &why);
    if (!parsed) return bad("upstream body is not JSON: " + why);
    const json::object* root = parsed->if_object();
    if (root == nullptr) return bad("upstream body is not a JSON object");
    const json::object* output = get_object(*root, "output");
    const json::object* msg = output != nullptr ? get_object(*output, "message") : nullptr;
    const json::array* content = msg != nullptr ? get_array(*msg, "content") : nullptr;
    if (content == nullptr) return bad("upstream body has no output.message.content array");

    const bool emulated = anthropic_messages::structured_output_emulated(original);
    response res;
    bool real_tool_use = false;
    for (std::size_t i = 0; i < content->size(); ++i) {
        const json::object* o = (*content)[i].if_object();
        if (o == nullptr) return bad("upstream content[" + std::to_string(i) + "] not an object");
        content_block b;
        if (const json::value* text = o->if_contains("text"); text != nullptr) {
            if (!text->is_string()) return bad("upstream text block is not a string");
            b = content_block::make_text(std::string(text->get_string()));
        } else if (const json::object* use = get_object(*o, "toolUse")) {
            std::string arguments = "{}";
            if (const json::value* input = use->if_contains("input");
                input != nullptr && input->is_object()) {
                arguments.clear();
                append_json_value(arguments, *input);
            }
            const std::string_view name = get_string(*use, "name");
            if (emulated && name == anthropic_messages::json_tool_name) {
                b = content_block::make_text(std::move(arguments));
            } else {
                b = content_block::make_tool_use(std::string(get_string(*use, "toolUseId")),
                                                 std::string(name), std::move(arguments));
                real_tool_use = true;
            }
        } else if (const json::object* rc = get_object(*o, "reasoningContent")) {
            if (const json::object* rt = get_object(*rc, "reasoningText")) {
                b.kind = block_kind::thinking;
                b.text = get_string(*rt, "text");
                b.signature = get_string(*rt, "signature");
            } else {
                b.kind = block_kind::redacted_thinking;
                b.signature = get_string(*rc, "redactedContent");
            }
            // Signatures come from Claude on Bedrock: only Claude can check them.
            if (!b.signature.empty()) b.signature_origin = reasoning_origin::anthropic;
        } else {
            // citationsContent, guardContent, images a model produced: no canonical form.
            report.dropped("output.message.content[" + std::to_string(i) + "]");
            continue;
        }
        res.content.push_back(std::move(b));
    }
    bool unknown = false;
    const std::string_view stop_reason = get_string(*root, "stopReason");
    res.finish =
        stop_reason.empty() ? finish_reason::none : finish_from_wire(stop_reason, &unknown);
    if (unknown) report.changed("stopReason", "unknown value read as end_turn");
    if (emulated && res.finish == finish_reason::tool_use && !real_tool_use) {
        res.finish = finish_reason::stop;
    }
    if (const json::object* u = get_object(*root, "usage")) read_usage(*u, res.usage);
    for (const std::string_view key : {"additionalModelResponseFields", "trace", "metrics"}) {
        if (const json::value* v = root->if_contains(key); v != nullptr && !v->is_null()) {
            res.extra[key] = *v;
            res.extra_format = format_name;
        }
    }
    return res;
}

}  // namespace gateway::formats::bedrock_converse
