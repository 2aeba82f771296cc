#pragma once
/// Client-side codecs: the three formats clients speak (OpenAI Chat Completions, OpenAI
/// Responses, Anthropic Messages), to and from the canonical form.
///
/// Sans-I/O: bytes and values in, bytes and values out; no clock (the caller passes `created`),
/// no randomness (ids derive from the upstream's). Every function is reentrant; a stream encoder
/// belongs to one stream.

#include "gateway/core/api_format.hpp"
#include "gateway/core/conversion.hpp"
#include "gateway/core/error.hpp"
#include "gateway/core/request.hpp"
#include "gateway/core/response.hpp"
#include "gateway/core/stream_event.hpp"

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace gateway::ingress {

/// Decodes a client's request body. Errors: `errc::bad_request` with `report.error_message`
/// (and `error_param`) saying what is wrong: malformed JSON, a missing required field, a wrong
/// type, an unknown role or content type.
result<request> decode_request(api_format format, std::string_view body, conversion_report& report);

/// `decode_request` in two steps, for a caller that keeps the parsed body: gatewayd relays the
/// client's own JSON on pass-through and so parses it only once. `parse_request_body` fails as
/// `decode_request` does on bytes that are not a JSON object (the same messages); the value it
/// returns is an object.
result<boost::json::value> parse_request_body(api_format format, std::string_view body,
                                              conversion_report& report);
result<request> decode_request(api_format format, const boost::json::object& body,
                               conversion_report& report);

/// Where a Chat client gets the reasoning text (the `reasoning_format` URL parameter).
enum class reasoning_field : std::uint8_t {
    reasoning_content,  ///< `delta.reasoning_content` (DeepSeek's, the default)
    reasoning,          ///< `delta.reasoning` (OpenRouter's)
    thinking,           ///< `delta.thinking`
};

struct encode_options {
    /// The model name the client asked for: responses show it, not the upstream's.
    std::string_view model;
    /// Seconds since the epoch for `created` / `created_at` when the response has none.
    std::int64_t created = 0;
    /// The decoded client request (Responses echoes its parameters: instructions, tools,
    /// temperature, ...; Chat reads `include_usage`; structured output emulation reads `format`).
    /// May be null: encoders then use neutral defaults.
    const request* original = nullptr;
    /// Chat only: send reasoning text to the client at all, and in which field.
    bool expose_reasoning = true;
    reasoning_field reasoning = reasoning_field::reasoning_content;
};

/// Encodes a complete response as the format's JSON body. The id gets the format's shape
/// (`chatcmpl-…`, `resp_…`, `msg_…`): kept when it has it, otherwise derived from the
/// upstream's id (same input, same output).
std::string encode_response(api_format format, const response& res, const encode_options& options);

/// Turns canonical events into the format's SSE bytes, appended to `output()`: the caller
/// writes them out and clears the buffer (keeping its capacity, so a steady stream allocates
/// nothing). Exact event names, order, indices and terminators per format: Chat `chunk`s and
/// `data: [DONE]`; Responses `response.created` … `response.completed` with `sequence_number`;
/// Messages `message_start` … `message_stop`. An `error` event becomes the format's in-stream
/// error. Events must follow the grammar of `stream_event.hpp`.
class stream_encoder : public event_sink {
  public:
    std::string& output() noexcept { return out_; }
    /// True once the terminal bytes were produced (after message_stop or error).
    virtual bool finished() const noexcept = 0;

  protected:
    std::string out_;
};

std::unique_ptr<stream_encoder> make_stream_encoder(api_format format,
                                                    const encode_options& options);

/// An error body in the format's envelope for an upstream (or gateway) error; the HTTP status to
/// use is `error.status`.
std::string encode_error(api_format format, const upstream_error& error);

}  // namespace gateway::ingress
