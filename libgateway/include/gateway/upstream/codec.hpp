#pragma once
/// Upstream-side codecs: the wire formats upstreams speak (OpenAI Chat Completions, OpenAI
/// Responses, Anthropic Messages, Google Gemini generateContent, Cohere Chat v2, Amazon Bedrock
/// Converse), to and from the canonical form.
///
/// Sans-I/O like the client codecs. Provider adapters (base URL, authentication, quirks) build on
/// these; a user can also drive them directly to convert captured traffic.

#include "gateway/core/conversion.hpp"
#include "gateway/core/error.hpp"
#include "gateway/core/request.hpp"
#include "gateway/core/response.hpp"
#include "gateway/core/stream_event.hpp"
#include "gateway/upstream/capabilities.hpp"

#include <boost/json/object.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gateway::upstream {

enum class upstream_format : std::uint8_t {
    openai_chat,         ///< POST {base}/chat/completions
    openai_responses,    ///< POST {base}/responses
    anthropic_messages,  ///< POST {base}/messages
    gemini,              ///< POST {base}/models/{model}:generateContent | :streamGenerateContent
    cohere_chat,       ///< POST {base}/chat (Cohere Chat API v2, base `https://api.cohere.com/v2`)
    bedrock_converse,  ///< POST {base}/model/{modelId}/converse | /converse-stream (the model id
                       ///< URI-encoded; the stream is `application/vnd.amazon.eventstream`)
};

std::string_view to_string(upstream_format format) noexcept;
/// The upstream format that speaks a client format natively (pass-through candidates).
bool same_format(upstream_format upstream, api_format client) noexcept;

struct encode_options {
    std::string_view model;  ///< the upstream's model name (after the channel's mapping)
    bool stream = false;
    /// Anthropic requires `max_tokens`: used when the client gave no limit.
    std::int64_t default_max_output_tokens = 4096;
    /// What the target model accepts; `builtin_capabilities(format, model)` when not configured.
    const model_capabilities* capabilities = nullptr;
    /// Provider quirks applied to the finished body (see `provider::adapter::tune`): top-level
    /// fields renamed (Mistral's `random_seed` for `seed`), fields added or replaced
    /// (OpenRouter's `provider` routing, Vertex's `anthropic_version`), and whether the model
    /// name goes into the body at all (not for APIs that take it in the URL only).
    std::vector<std::pair<std::string, std::string>> renames;
    boost::json::object extra_body;
    bool model_in_body = true;
};

/// The HTTP request to send, relative to the channel's base URL (which includes the version,
/// e.g. `https://api.openai.com/v1`, `https://generativelanguage.googleapis.com/v1beta`).
struct http_request_parts {
    std::string
        path;  ///< "/chat/completions", "/models/gemini-2.5-flash:streamGenerateContent?alt=sse"
    std::string body;
    /// Format headers (Content-Type, `anthropic-version`, ...); never authentication.
    std::vector<std::pair<std::string, std::string>> headers;
};

/// The format's own path for `model` relative to its API's base URL (what `encode_request` puts
/// in `http_request_parts::path`), for a body that is passed through unconverted.
std::string request_path(upstream_format format, std::string_view model, bool stream);

/// Applies `options.renames`, `options.extra_body` and `options.model_in_body` to an encoded
/// body (every encoder calls it last; pass-through bodies get it too).
void apply_body_tuning(boost::json::object& body, const encode_options& options);

/// For a body passed through unconverted: the capability rows of `caps` applied to its top-level
/// fields (a `drop` row removes the field and reports it, a `reject` row fails naming it). Only
/// rows the table has are applied; the body is otherwise the client's. Wire names map to row names
/// as the encoders do (`max_completion_tokens` → `max_tokens`, `reasoning_effort` → `reasoning`).
/// Errors: `errc::unsupported_feature` with `report` naming the parameter.
result<void> apply_capabilities(upstream_format format, boost::json::object& body,
                                const model_capabilities& caps, conversion_report& report);

/// Encodes the canonical request for the upstream format. Errors: `errc::unsupported_feature`
/// (or `errc::bad_request`) with `report.error_message`/`error_param` naming the parameter the
/// target cannot honour; dropped and emulated parameters are listed in `report.adjustments`.
/// Reasoning state of another origin is stripped (and reported), never sent as garbage.
result<http_request_parts> encode_request(upstream_format format, const request& req,
                                          const encode_options& options, conversion_report& report);

/// Decodes a complete (non-stream, HTTP 2xx) response body. `original` is the request it answers
/// (structured output emulated through a forced tool turns back into text), may be null.
/// Errors: `errc::bad_upstream_response` with `report.error_message` for bytes that do not
/// follow the format.
result<response> decode_response(upstream_format format, std::string_view body,
                                 const request* original, conversion_report& report);

/// What the gateway needs of a complete response it relays unchanged: usage to bill, and the
/// model name to show the client its own. Reads only those members: the root object is skimmed
/// (strings and nested values passed over, their structure checked) and only `model`, `usage`
/// and Chat's `error` are parsed, with no canonical response, which makes a pass-through answer
/// far cheaper than `decode_response`. Errors as for `decode_response`: not a JSON object, a
/// malformed usage, an error body in a successful answer; bytes inside members it does not read
/// are not validated (the client gets them as they came).
struct response_summary {
    gateway::usage usage;
    std::string model;
};
result<response_summary> summarize_response(upstream_format format, std::string_view body,
                                            conversion_report& report);

/// Consumes a streamed response body (SSE; AWS event-stream framing for bedrock_converse) in chunks
/// of any size and emits canonical events (see `stream_event.hpp` for the grammar). Output does not
/// depend on how the input is split.
class stream_decoder {
  public:
    virtual ~stream_decoder() = default;
    /// Errors: `errc::bad_upstream_response` (malformed event), `errc::body_too_large` (an event
    /// above the limit); the decoder then refuses further input. An upstream error event is not
    /// a decoder error: it is emitted as an `error` event.
    virtual result<void> feed(std::string_view bytes, event_sink& sink) = 0;
    /// Ends the input. A stream that stopped before its terminal event gives
    /// `errc::stream_truncated` (after emitting what it could); a complete one emits
    /// `message_stop` if the format has no explicit end marker.
    virtual result<void> finish(event_sink& sink) = 0;
    /// Details of the last error, for logs and the client's error message.
    virtual std::string_view error_detail() const noexcept = 0;
};

struct stream_decoder_options {
    const request* original = nullptr;  ///< as for `decode_response`
    std::size_t max_event_bytes = 16 * 1024 * 1024;
};

std::unique_ptr<stream_decoder> make_stream_decoder(upstream_format format,
                                                    const stream_decoder_options& options = {});

/// Interprets an upstream's error answer (HTTP status and body, any shape, also non-JSON) as a
/// neutral error for the client: provider message kept, type mapped, status kept for 4xx the
/// client caused, 502 / 503 / 504 / 429 as appropriate otherwise. `error_type` is the
/// `x-amzn-ErrorType` response header of AWS APIs (bedrock_converse), ignored by other formats.
upstream_error decode_error(upstream_format format, unsigned http_status, std::string_view body,
                            std::string_view error_type = {});

/// The Content-Type a streamed answer of `format` has (`text/event-stream`, or
/// `application/vnd.amazon.eventstream` for bedrock_converse).
std::string_view stream_content_type(upstream_format format) noexcept;

}  // namespace gateway::upstream
