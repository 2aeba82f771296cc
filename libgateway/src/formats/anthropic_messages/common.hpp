#pragma once
// Pieces shared by the client and upstream sides of the anthropic_messages format (private).
//
// Wire reference: https://docs.claude.com/en/api/messages and .../messages-streaming, checked
// against recorded traffic (see tests/golden/anthropic_messages/PROVENANCE.md).

#include "gateway/core/message.hpp"
#include "gateway/core/request.hpp"
#include "gateway/core/response.hpp"
#include "gateway/core/usage.hpp"

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace gateway::formats::anthropic_messages {

/// The `extra_format` tag of blocks, tools and responses carrying Anthropic wire fields.
inline constexpr std::string_view format_name = "anthropic_messages";

/// Key under which a content block the canonical form cannot model (server_tool_use,
/// web_search_tool_result, a `content`-source document, ...) keeps its whole wire object. The
/// block is a `text` block with empty text; only an Anthropic upstream gets it back (verbatim).
inline constexpr std::string_view raw_block_key = "$block";

/// Name of the forced tool through which structured output is emulated (Anthropic has no JSON
/// schema mode on the Messages API version we target). Leading underscores: tool names must match
/// `^[a-zA-Z0-9_-]{1,64}$`, and no real tool is expected to look like this.
inline constexpr std::string_view json_tool_name = "__json_response";

/// True when `original` asked for structured output that the upstream encoder emulates with the
/// forced tool `json_tool_name` (so decoders turn that tool call back into text).
bool structured_output_emulated(const request* original) noexcept;

/// The forced tool's description and input schema for the structured output `req` asks for
/// (also used by the Bedrock Converse encoder, which emulates it the same way).
std::string_view json_tool_description(const request& req) noexcept;
boost::json::value json_tool_schema(const request& req);

// ---- stop reasons (normative table in gateway/core/usage.hpp) -----------------------------

/// Anthropic `stop_reason` → canonical. Unknown values (a newer API) give `stop` and set
/// `*unknown` when not null.
finish_reason finish_from_wire(std::string_view stop_reason, bool* unknown = nullptr) noexcept;
/// Canonical → Anthropic `stop_reason`; empty for `none` and `error` (written as null).
std::string_view finish_to_wire(finish_reason reason) noexcept;

// ---- usage --------------------------------------------------------------------------------

/// Reads an Anthropic `usage` object into `u` (canonical convention: input counts cached
/// tokens). Fields absent or null keep their current value, so a `message_delta` usage merges
/// into the `message_start` one.
void read_usage(const boost::json::object& wire, usage& u) noexcept;

/// Appends the Anthropic usage members (without braces): `input_tokens` (uncached part),
/// `cache_creation_input_tokens`, `cache_read_input_tokens`, `output_tokens`.
void append_usage_members(std::string& out, const usage& u);

// ---- errors ---------------------------------------------------------------------------------

/// The Anthropic error `type` for a neutral upstream error (its type when Anthropic has it,
/// otherwise by HTTP status).
std::string_view error_type_for(const upstream_error& error) noexcept;
/// Appends `{"type":"error","error":{"type":...,"message":...}}`.
void append_error_body(std::string& out, const upstream_error& error);
/// The neutral error for an Anthropic error `type` and message, with the status the gateway
/// gives its client (see `decode_error`).
upstream_error error_from_wire(unsigned http_status, std::string_view type,
                               std::string_view message);

// ---- ids and signatures -------------------------------------------------------------------

/// `msg_…`: the upstream id when it has the prefix, otherwise derived from it (deterministic).
std::string message_id(std::string_view upstream_id);

/// Signatures of a non-Anthropic origin sent to an Anthropic client carry this prefix plus the
/// origin name and a colon (`gw1:openai:<opaque>`). Real Claude signatures are base64 and never
/// contain ':', so decode_request recognises the prefix and restores origin and bytes.
inline constexpr std::string_view foreign_signature_prefix = "gw1:";

/// Appends the signature as an Anthropic client must see it (see `foreign_signature_prefix`).
void append_client_signature(std::string& out, std::string_view signature, reasoning_origin origin);
/// Splits a signature a client sent back: origin and the original bytes.
reasoning_origin parse_client_signature(std::string_view wire, std::string& signature);

}  // namespace gateway::formats::anthropic_messages
