#pragma once
// Client side (private): the `response` object and its output items as a Responses client sees
// them, written by client_response.cpp and used by both client encoders. The output items are
// assembled from canonical blocks in one place, the stream encoder (client_stream.cpp): the
// non-stream encoder replays the response through it, so both group blocks into items the same
// way.
//
// Shapes and member order as OpenAI sends them (openai-responses/*.sse, *.json): the response
// object of reasoning-summary-function-call.json (Response, without `billing`), OutputMessage
// with OutputTextContent / RefusalContent, FunctionToolCall, ReasoningItem.

#include "gateway/core/request.hpp"
#include "gateway/core/response.hpp"
#include "gateway/core/usage.hpp"
#include "gateway/ingress/codec.hpp"

#include <boost/json/array.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace gateway::formats::openai_responses::detail {

/// What varies in a response object; everything else echoes the client's request.
struct response_fields {
    std::string_view id;  ///< already `resp_`-shaped
    std::int64_t created_at = 0;
    std::string_view status;                ///< "in_progress", "completed", "incomplete", "failed"
    std::string_view incomplete_reason;     ///< status "incomplete": empty writes null details
    const upstream_error* error = nullptr;  ///< status "failed"
    std::string_view model;
    std::string_view output;        ///< the output items, comma-separated, without the brackets
    const usage* tokens = nullptr;  ///< null writes "usage":null
    /// The tier the upstream reported; empty: the requested one, else "default".
    std::string_view service_tier;
};

/// Appends the `response` object. The request parameters (instructions, tools, tool_choice,
/// temperature, text, reasoning, ...) come from `original` when not null, the API's defaults
/// otherwise; members the canonical request does not model (background, truncation,
/// prompt_cache_key, ...) from its `extra` when the client spoke this format.
void append_response_object(std::string& out, const response_fields& fields,
                            const request* original);

/// `{"type":"output_text","annotations":[...],"logprobs":[],"text":...}`.
void append_output_text_part(std::string& out, std::string_view text,
                             const boost::json::array* annotations);
/// `{"type":"refusal","refusal":...}`.
void append_refusal_part(std::string& out, std::string_view refusal);
/// `{"type":"summary_text","text":...}`.
void append_summary_part(std::string& out, std::string_view text);

/// An OutputMessage: `parts` are the content parts, comma-separated; `phase` empty: none.
void append_message_item(std::string& out, std::string_view id, std::string_view status,
                         std::string_view parts, std::string_view phase);
/// A ReasoningItem: `summary` are summary parts, comma-separated; `encrypted` empty: none.
void append_reasoning_item(std::string& out, std::string_view id, std::string_view summary,
                           std::string_view encrypted);
/// A FunctionToolCall; empty `arguments` are written as "{}".
void append_function_call_item(std::string& out, std::string_view id, std::string_view status,
                               std::string_view arguments, std::string_view call_id,
                               std::string_view name);

/// The `response` object for a complete canonical response (defined with the stream encoder,
/// which assembles the items).
std::string assemble_response(const response& res, const ingress::encode_options& options);

}  // namespace gateway::formats::openai_responses::detail
