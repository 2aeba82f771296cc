#pragma once
/// The client-facing API formats and their error envelopes.

#include <string>
#include <string_view>

namespace gateway {

/// One lowercase id per format, the same in config, fixtures and metric labels.
enum class api_format {
    openai_chat,         ///< POST /v1/chat/completions
    openai_responses,    ///< POST /v1/responses
    anthropic_messages,  ///< POST /v1/messages
};

std::string_view to_string(api_format format) noexcept;

/// The format a client speaks, judged by the request path (`/v1/messages` is Anthropic's,
/// `/v1/responses` OpenAI Responses, everything else OpenAI's error shape).
api_format format_for_path(std::string_view path) noexcept;

/// An error body in the client's own envelope:
/// OpenAI: `{"error":{"message","type","param":null,"code"}}`;
/// Anthropic: `{"type":"error","error":{"type","message"}}`.
/// `type` is mapped per format from the HTTP status when empty; `code` may be empty (null).
std::string error_body(api_format format, unsigned status, std::string_view message,
                       std::string_view code = {}, std::string_view type = {});

}  // namespace gateway
