#pragma once
/// Incremental decoder (and a small encoder) for the AWS event stream binary framing,
/// `application/vnd.amazon.eventstream`, used by Bedrock ConverseStream / InvokeModel streams.
///
/// Wire format of one message (all integers big-endian):
///
///     total length    uint32   the whole message, these 4 bytes and the trailing CRC included
///     headers length  uint32
///     prelude CRC     uint32   CRC-32 (IEEE, as zlib's crc32) of the previous 8 bytes
///     headers         headers length bytes
///     payload         total length - headers length - 16 bytes
///     message CRC     uint32   CRC-32 of every byte of the message before it
///
/// A header is: name length (uint8), name, value type (uint8), value. Value types:
/// 0 bool true and 1 bool false (no value bytes), 2 byte (1), 3 short (2), 4 int (4), 5 long (8),
/// 6 byte array and 7 string (uint16 length, then the bytes), 8 timestamp (int64 milliseconds
/// since the epoch), 9 UUID (16 bytes).
///
/// Push-based and free of I/O, like `sse_parser`: `feed()` takes bytes in chunks of any size and
/// calls back once per complete, verified message; `finish()` marks the end of the stream. A
/// message that lies wholly inside the chunk given to `feed` is decoded in place; only an
/// incomplete message is copied into an internal buffer, and never beyond `max_message_bytes`
/// (the prelude is checked before the rest of a message is buffered).
///
/// Errors: `errc::bad_upstream_response` for a wrong prelude or message CRC, a total length
/// below 16 or a headers length that does not fit in it, a header that overruns the headers
/// section, an empty header name or an unknown value type; `errc::body_too_large` for a total
/// length above `max_message_bytes`. After an error the decoder refuses further input: every
/// `feed` and `finish` returns the same error. Messages completed before the error were
/// delivered. `finish()` returns `errc::stream_truncated` when part of a message is buffered.
///
/// Views in a message (names, values, payload) are valid only during the callback.
///
/// Thread safety: none; one decoder per stream. The callback must not call `feed` or `finish`
/// of the same decoder.

#include "gateway/core/error.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace gateway::stream {

enum class aws_event_stream_header_type : std::uint8_t {
    bool_true = 0,
    bool_false = 1,
    byte = 2,
    int16 = 3,
    int32 = 4,
    int64 = 5,
    byte_array = 6,
    string = 7,
    timestamp = 8,
    uuid = 9,
};

struct aws_event_stream_header {
    std::string_view name;
    aws_event_stream_header_type type = aws_event_stream_header_type::string;
    /// The value bytes of a string, byte array or UUID (16 bytes); empty for other types.
    std::string_view bytes;
    /// The value of a bool (1 or 0), byte, short, int, long or timestamp (milliseconds since the
    /// epoch), sign-extended; 0 for other types.
    std::int64_t integer = 0;
};

struct aws_event_stream_message {
    std::span<const aws_event_stream_header> headers;
    std::string_view payload;

    /// The value of the first string (or byte array) header called `name`; empty when absent.
    std::string_view header(std::string_view name) const noexcept;
    std::string_view event_type() const noexcept { return header(":event-type"); }
    std::string_view message_type() const noexcept { return header(":message-type"); }
    std::string_view content_type() const noexcept { return header(":content-type"); }
    std::string_view exception_type() const noexcept { return header(":exception-type"); }
    std::string_view error_code() const noexcept { return header(":error-code"); }
    std::string_view error_message() const noexcept { return header(":error-message"); }
};

class aws_event_stream_decoder {
  public:
    static constexpr std::size_t default_max_message_bytes = 16 * 1024 * 1024;
    static constexpr std::size_t prelude_bytes = 12;
    static constexpr std::size_t min_message_bytes = 16;  // prelude + message CRC

    explicit aws_event_stream_decoder(std::size_t max_message_bytes = default_max_message_bytes);

    /// Decodes `bytes`, calling `on_message(const aws_event_stream_message&)` for each message
    /// completed by them. `bytes` need only live for the duration of the call. If `on_message`
    /// throws, the exception propagates, that message counts as delivered and the rest of
    /// `bytes` is not decoded.
    template <class OnMessage>
    result<void> feed(std::string_view bytes, OnMessage&& on_message) {
        return feed_impl(bytes, &invoke<OnMessage>,
                         const_cast<void*>(static_cast<const void*>(std::addressof(on_message))));
    }

    /// Ends the stream: `errc::stream_truncated` if part of a message is buffered (which is then
    /// dropped, so the decoder may decode a new stream), the stored error if the decoder failed.
    result<void> finish();

    /// Bytes held for an incomplete message (never more than `max_message_bytes`).
    std::size_t buffered_bytes() const noexcept { return buffer_.size(); }

  private:
    using callback = void (*)(void* context, const aws_event_stream_message& message);

    template <class OnMessage>
    static void invoke(void* context, const aws_event_stream_message& message) {
        (*static_cast<std::remove_reference_t<OnMessage>*>(context))(message);
    }

    result<void> feed_impl(std::string_view bytes, callback cb, void* context);
    // Checks a complete prelude; returns the total length of the message.
    result<std::size_t> check_prelude(std::string_view prelude);
    // Verifies and delivers one complete message of exactly `message.size()` bytes.
    result<void> deliver(std::string_view message, callback cb, void* context);
    result<void> fail(errc e);

    std::size_t max_message_bytes_;
    std::string buffer_;   // an incomplete message carried over between feeds
    std::string scratch_;  // the complete buffered message while it is delivered
    std::vector<aws_event_stream_header> headers_;  // reused for every message
    std::size_t expected_ = 0;                      // total length once the prelude is known
    error_code error_;
};

/// Encodes one message (for fakes and tests). Integers are written from `integer`, strings,
/// byte arrays and UUIDs from `bytes`. `errc::bad_request` when a name is empty or longer than
/// 255 bytes, a string or byte array is longer than 65535 bytes, a UUID is not 16 bytes, or
/// the message would exceed 4 GiB.
result<std::string> encode_aws_event_stream_message(
    std::span<const aws_event_stream_header> headers, std::string_view payload);

/// Encodes an event message as Bedrock sends them: string headers `:event-type` = `event_type`,
/// `:content-type` = "application/json", `:message-type` = "event", then `payload`.
std::string encode_aws_event_stream_event(std::string_view event_type, std::string_view payload);

}  // namespace gateway::stream
