#pragma once
// Pieces of the openai_responses wire format shared by its client and upstream sides (private):
// the status of a response ↔ finish reasons, the usage object, ids, error statuses, and the
// reader of output items (shared by the response and the stream decoders).
//
// Reference: OpenAI API reference, "Responses" (POST /v1/responses) and the official OpenAPI spec
// (CreateResponse, Response, ResponseStreamEvent, OutputMessage, FunctionToolCall, ReasoningItem,
// ResponseUsage, ResponseError), checked against recorded traffic (see
// tests/golden/openai_responses/PROVENANCE.md). The error envelope is Chat's
// (`{"error":{message,type,param,code}}`): openai_chat/common.hpp writes and reads it.

#include "gateway/core/conversion.hpp"
#include "gateway/core/message.hpp"
#include "gateway/core/response.hpp"
#include "gateway/core/usage.hpp"

#include <boost/json/object.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace gateway::formats::openai_responses::detail {

/// The `extra_format` tag of blocks, tools, requests and responses carrying Responses wire fields.
inline constexpr std::string_view format_name = "openai_responses";

// ---- reading --------------------------------------------------------------------------------

/// `base[i]` and `base.key`: the paths errors name.
std::string index_path(std::string_view base, std::size_t i);
std::string member_path(std::string_view base, std::string_view key);

/// Sets `report`'s error to `param: what` (naming `param`) and returns false.
bool report_failure(conversion_report& report, std::string_view param, std::string_view what);

/// Reads an optional string member: absent or null gives empty. False when it has another type.
bool optional_string(const boost::json::object& o, std::string_view key,
                     std::string_view& out) noexcept;

// ---- status and finish reasons (normative table in gateway/core/usage.hpp) ------------------

/// A response's `status` and, for "incomplete", `incomplete_details.reason` (empty: null).
struct wire_status {
    std::string_view status;
    std::string_view incomplete_reason;
};

/// Canonical → Responses: stop, stop_sequence, tool_use, refusal and none are "completed";
/// length and context_window "incomplete" / max_output_tokens; content_filter "incomplete" /
/// content_filter; pause_turn "incomplete" without a reason; error "failed".
wire_status status_to_wire(finish_reason reason) noexcept;

/// Responses → canonical. "completed" is tool_use when the output has function calls, refusal
/// when it has a refusal part, otherwise stop. "incomplete" is length for max_output_tokens (and
/// any other reason naming tokens or unknown to us: running out is the common cause),
/// content_filter for content_filter, pause_turn without a reason. "failed" and "cancelled" are
/// error; "in_progress" and "queued" (background responses) none.
finish_reason finish_from_wire(std::string_view status, std::string_view incomplete_reason,
                               bool function_calls, bool refusal) noexcept;

// ---- usage ------------------------------------------------------------------------------------

/// Reads a ResponseUsage object: `input_tokens` (cached ones included, as canonical),
/// `input_tokens_details.{cached_tokens,cache_write_tokens}`, `output_tokens` (reasoning
/// included), `output_tokens_details.reasoning_tokens`. Returns false when a member has the wrong
/// type or a negative count (the caller reports a malformed body).
bool parse_usage(const boost::json::object& o, usage& out);

/// Appends a ResponseUsage object with both detail objects (the spec requires them, with
/// `cache_write_tokens`; the recordings show them on every response).
void append_usage(std::string& out, const usage& u);

// ---- ids ----------------------------------------------------------------------------------------

/// A `resp_` id: the upstream id when it has the prefix, otherwise the prefix and the upstream id
/// (deterministic; the upstream id stays greppable), "resp_gateway" when there is none.
std::string response_id(std::string_view upstream_id);

/// An output item id the gateway makes up when the block carries none of this format:
/// `<prefix>gw_<response id without resp_>_<index>` ("msg_", "rs_", "fc_"). The `gw_` marker
/// tells the upstream encoder never to send it to OpenAI as a reference to a stored item.
std::string made_up_item_id(std::string_view prefix, std::string_view response_id,
                            std::size_t index);

/// The item id an output item (or an input item sent back) keeps: `extra.id` of a block of this
/// format when it starts with `prefix` and was not made up by the gateway; empty otherwise.
std::string_view kept_item_id(const content_block& b, std::string_view prefix) noexcept;

// ---- errors -------------------------------------------------------------------------------------

/// The HTTP status a client should see for an error reported inside a stream (an `error` event
/// or a `response.failed` with `response.error`), whose HTTP status was 200 already: 429 for
/// rate limits and quota, 400 for what the client sent (invalid_request_error, invalid_prompt,
/// the image errors of ResponseErrorCode), 502 otherwise.
unsigned stream_error_status(const upstream_error& error) noexcept;

// ---- output items (upstream side)
// -----------------------------------------------------------------

/// What the output items read so far contain, for the finish reason.
struct output_flags {
    bool function_call = false;
    bool refusal = false;
};

/// Where an output item is malformed: a member path relative to the item ("content[0].text")
/// and what is wrong.
struct read_failure {
    std::string path;
    std::string what;
};

/// Appends the canonical blocks of one output item of a `response` object:
/// - `message`: an `output_text` part is a text block, a `refusal` part a refusal block; each
///   carries `extra.id` (the item id) and, when present, `extra.annotations` (non-empty) and
///   `extra.phase`;
/// - `reasoning`: one thinking block per `summary` entry (one empty block when there is none),
///   all with `extra.id` and origin openai; `encrypted_content` is the signature of the last;
///   the reasoning text `content` of open-weight models is kept in the last block's extra;
/// - `function_call`: a tool_use block (`id` = `call_id`; the item id and any other member but
///   type, status, call_id, name and arguments in extra; empty arguments become "{}").
/// Other item types (built-in tool calls) add nothing. Returns false with `failure` set when the
/// item does not follow the schema.
bool read_output_item(const boost::json::object& item, std::vector<content_block>& out,
                      output_flags& flags, read_failure& failure);

}  // namespace gateway::formats::openai_responses::detail
