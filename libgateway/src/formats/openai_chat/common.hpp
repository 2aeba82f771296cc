#pragma once
// Pieces of the openai_chat wire format shared by its client and upstream sides (private):
// finish reasons, the usage object, response ids, data: URLs and the error envelope.
//
// Reference: OpenAI API reference, "Chat Completions" (POST /v1/chat/completions) and the
// official OpenAPI spec (CreateChatCompletionRequest / Response / StreamResponse, CompletionUsage).

#include "gateway/core/api_format.hpp"
#include "gateway/core/message.hpp"
#include "gateway/core/response.hpp"
#include "gateway/core/usage.hpp"

#include <boost/json/object.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace gateway::formats::openai_chat::detail {

/// The `extra_format` tag of blocks and responses that carry Chat wire fields.
inline constexpr std::string_view format_name = "openai_chat";

/// Canonical → Chat `finish_reason`, per the table in usage.hpp. Chat has no "error" or "none"
/// value: both become "stop" (a finished answer without a reason the client could act on).
std::string_view finish_to_wire(finish_reason reason) noexcept;

/// Chat `finish_reason` → canonical. `refusal_seen`: "stop" with a refusal is a refusal.
/// `function_call` (the deprecated functions API) counts as tool_use; values invented by
/// compatible servers ("eos", "end_turn", ...) count as stop, the only meaning they can have.
finish_reason finish_from_wire(std::string_view wire, bool refusal_seen) noexcept;

/// Reads a Chat `usage` object into canonical usage. Returns false when a member has the wrong
/// type (the caller reports a malformed body).
///
/// xAI (and other compatible servers) leave reasoning tokens out of `completion_tokens`
/// (observed: total_tokens = prompt + completion + reasoning); OpenAI includes them. The two
/// are told apart by the arithmetic of `total_tokens`, so canonical output always includes
/// reasoning.
bool parse_usage(const boost::json::object& o, usage& out);

/// Appends OpenAI's `usage` object (with the `*_details` objects OpenAI always sends).
void append_usage(std::string& out, const usage& u);

/// A `chatcmpl-` id: the upstream id when it already has the prefix, otherwise the prefix
/// followed by the upstream id (deterministic, and the upstream id stays greppable in logs).
std::string response_id(std::string_view upstream_id);

/// Splits `data:<media type>;base64,<data>`. Returns false for anything else (including
/// data: URLs that are not base64, which no provider accepts as an image).
bool parse_data_url(std::string_view url, std::string_view& media_type, std::string_view& data);

/// The client's wire name of a canonical parameter (`reasoning` → `reasoning_effort` for Chat,
/// `thinking` for Anthropic, ...), for conversion reports, which become a response header the
/// client reads in its own vocabulary. Shared with the Chat-like cohere_chat format.
std::string_view client_name(api_format source, std::string_view param) noexcept;

/// `base[i]`, for parameter paths in reports.
std::string index_path(std::string_view base, std::size_t i);

/// Reads one Chat-shaped tool call (`{id, type, function{name, arguments}}`, which Cohere v2
/// uses too) into a tool_use block: `arguments` as the JSON text given ("{}" when absent; an
/// object, as some compatible servers send, serialized). On a malformed call returns false with
/// the offending `member` (".function.name", ...) and `what` is wrong with it.
bool read_tool_call(const boost::json::object& call, content_block& out, std::string_view& member,
                    std::string_view& what);

/// Appends `{"error":{"message","type","param","code"}}`, OpenAI's error envelope; an empty
/// `param` / `code` is written as null, an empty type is derived from `error.status`.
void append_error_body(std::string& out, const upstream_error& error);

/// Reads OpenAI's `error` object (message, type, param, code) into `out`. `code` may be a
/// string, a number (some compatible servers) or null.
void read_error_object(const boost::json::object& error, upstream_error& out);

}  // namespace gateway::formats::openai_chat::detail
