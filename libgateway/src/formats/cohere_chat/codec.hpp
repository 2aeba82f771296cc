#pragma once
// The cohere_chat wire format, upstream side only (private to the library): Cohere's Chat API v2
// (POST https://api.cohere.com/v2/chat, https://docs.cohere.com/reference/chat). Semantics of
// the four entry points: see gateway/upstream/codec.hpp.
//
// Cohere v2 is close to Chat Completions (roles system/user/assistant/tool, `tool_calls` with
// `function.arguments` as JSON text, `tool_call_id`, `image_url` content parts), with its own
// names for the rest: `p`/`k` for top_p/top_k, `stop_sequences`, `tool_choice` REQUIRED|NONE,
// `thinking{type,token_budget}`, an assistant `tool_plan`, upper-case finish reasons and a
// `usage{billed_units, tokens}` object. Streams are named SSE events (see stream.cpp).

#include "gateway/upstream/codec.hpp"

#include <boost/json/object.hpp>

namespace gateway::formats::cohere_chat {

result<upstream::http_request_parts> encode_request(const request& req,
                                                    const upstream::encode_options& options,
                                                    conversion_report& report);
result<response> decode_response(std::string_view body, const request* original,
                                 conversion_report& report);
std::unique_ptr<upstream::stream_decoder> make_stream_decoder(
    const upstream::stream_decoder_options& options);
upstream_error decode_error(unsigned http_status, std::string_view body);

namespace detail {

/// The `extra_format` tag of responses that carry Cohere wire fields.
inline constexpr std::string_view format_name = "cohere_chat";

/// Cohere `finish_reason` → canonical: COMPLETE → stop, STOP_SEQUENCE → stop_sequence,
/// MAX_TOKENS → length, TOOL_CALL → tool_use, ERROR / TIMEOUT → error, ERROR_TOXIC →
/// content_filter, ERROR_LIMIT → context_window; anything else (a newer value) → stop.
finish_reason finish_from_wire(std::string_view wire) noexcept;

/// Reads Cohere's `usage` object. Billing follows what Cohere bills: `billed_units` when it has
/// the counts, `tokens` (which add the prompt template's tokens) otherwise. Returns false when a
/// member has the wrong type.
bool parse_usage(const boost::json::object& o, usage& out);

}  // namespace detail

}  // namespace gateway::formats::cohere_chat
