#include "gateway/core/api_format.hpp"

#include "core/utf8.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

namespace gateway {

std::string_view to_string(api_format format) noexcept {
    switch (format) {
        case api_format::openai_chat:
            return "openai_chat";
        case api_format::openai_responses:
            return "openai_responses";
        case api_format::anthropic_messages:
            return "anthropic_messages";
    }
    return "openai_chat";
}

api_format format_for_path(std::string_view path) noexcept {
    if (auto q = path.find('?'); q != std::string_view::npos) path = path.substr(0, q);
    while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
    if (path.ends_with("/v1/messages") || path.ends_with("/v1/messages/count_tokens")) {
        return api_format::anthropic_messages;
    }
    if (path.ends_with("/v1/responses")) return api_format::openai_responses;
    return api_format::openai_chat;
}

namespace {

// https://platform.openai.com/docs/guides/error-codes
std::string_view openai_type_for(unsigned status) noexcept {
    switch (status) {
        case 401:
            return "authentication_error";
        case 403:
            return "permission_error";
        case 404:
            return "invalid_request_error";
        case 429:
            return "rate_limit_error";
        default:
            break;
    }
    if (status >= 500) return "api_error";
    return "invalid_request_error";
}

// https://docs.anthropic.com/en/api/errors
std::string_view anthropic_type_for(unsigned status) noexcept {
    switch (status) {
        case 401:
            return "authentication_error";
        case 402:
            return "billing_error";
        case 403:
            return "permission_error";
        case 404:
            return "not_found_error";
        case 413:
            return "request_too_large";
        case 429:
            return "rate_limit_error";
        case 504:
            return "timeout_error";
        case 529:
            return "overloaded_error";
        default:
            break;
    }
    if (status >= 500) return "api_error";
    return "invalid_request_error";
}

}  // namespace

std::string error_body(api_format format, unsigned status, std::string_view message,
                       std::string_view code, std::string_view type) {
    // A message may quote what the client sent (the request target of a 404), bytes no parser
    // checked: the body must stay UTF-8 JSON for the client's parser.
    std::string repaired;
    if (!detail::is_valid_utf8(message)) {
        repaired = detail::valid_utf8(message);
        message = repaired;
    }
    boost::json::object error;
    if (format == api_format::anthropic_messages) {
        error["type"] = type.empty() ? anthropic_type_for(status) : type;
        error["message"] = message;
        boost::json::object body;
        body["type"] = "error";
        body["error"] = std::move(error);
        return boost::json::serialize(body);
    }
    error["message"] = message;
    error["type"] = type.empty() ? openai_type_for(status) : type;
    error["param"] = nullptr;
    if (code.empty()) {
        error["code"] = nullptr;
    } else {
        error["code"] = code;
    }
    boost::json::object body;
    body["error"] = std::move(error);
    return boost::json::serialize(body);
}

}  // namespace gateway
