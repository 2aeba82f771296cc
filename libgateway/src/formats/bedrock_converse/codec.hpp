#pragma once
// The bedrock_converse wire format, upstream side only (private to the library): Amazon
// Bedrock's Converse and ConverseStream operations
// (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html,
// .../API_runtime_ConverseStream.html). Semantics: see gateway/upstream/codec.hpp.
//
// Wire summary: POST /model/{modelId}/converse (or /converse-stream) with
// `{messages[{role, content[]}], system[], inferenceConfig, toolConfig,
// additionalModelRequestFields}`; content blocks are keyed by shape (`text`, `image`,
// `document`, `toolUse`, `toolResult`, `reasoningContent`), not tagged with a type. The stream
// is AWS event-stream framing (`application/vnd.amazon.eventstream`) with one JSON event per
// message, named by its `:event-type` header.

#include "gateway/upstream/codec.hpp"

#include <boost/json/object.hpp>

#include <memory>
#include <string>
#include <string_view>

namespace gateway::formats::bedrock_converse {

/// The `extra_format` tag of responses carrying Converse wire fields.
inline constexpr std::string_view format_name = "bedrock_converse";

result<upstream::http_request_parts> encode_request(const request& req,
                                                    const upstream::encode_options& options,
                                                    conversion_report& report);
result<response> decode_response(std::string_view body, const request* original,
                                 conversion_report& report);
std::unique_ptr<upstream::stream_decoder> make_stream_decoder(
    const upstream::stream_decoder_options& options);
/// `error_type` is the `x-amzn-ErrorType` response header when the caller has it (the body
/// usually holds only `{"message": ...}`).
upstream_error decode_error(unsigned http_status, std::string_view body,
                            std::string_view error_type = {});

// ---- shared by the response and stream decoders --------------------------------------------

/// `/model/{modelId}/converse` or `/converse-stream`, the model id URI-encoded once (a ':' of
/// `anthropic.claude-…-v1:0` becomes `%3A`, a '/' of an ARN `%2F`).
std::string request_path(std::string_view model, bool stream);

/// Converse `stopReason` → canonical. Unknown values give `stop` and set `*unknown`.
finish_reason finish_from_wire(std::string_view stop_reason, bool* unknown = nullptr) noexcept;

/// Reads a Converse `usage` object (`inputTokens` excludes cache reads and writes, as on
/// Anthropic; the canonical input total includes them).
void read_usage(const boost::json::object& wire, usage& u) noexcept;

/// The neutral error for a Bedrock exception name (`ValidationException`, also the lower-camel
/// event-stream names like `throttlingException`) and message. `http_status` 0 (an in-stream
/// exception) is derived from the name.
upstream_error error_from_exception(unsigned http_status, std::string_view type,
                                    std::string_view message);

}  // namespace gateway::formats::bedrock_converse
