#include "gateway/stream/aws_event_stream.hpp"

#include <boost/crc.hpp>

#include <algorithm>
#include <cstring>
#include <limits>
#include <utility>

namespace gateway::stream {
namespace {

using header_type = aws_event_stream_header_type;

std::uint32_t crc32(std::string_view bytes) noexcept {
    // boost::crc_32_type is the IEEE 802.3 CRC-32 (reflected, init and final XOR 0xFFFFFFFF),
    // the one zlib's crc32() and AWS's event stream use.
    boost::crc_32_type crc;
    crc.process_bytes(bytes.data(), bytes.size());
    return static_cast<std::uint32_t>(crc.checksum());
}

std::uint64_t read_be(std::string_view bytes, std::size_t offset, std::size_t width) noexcept {
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < width; ++i) {
        v = (v << 8) | static_cast<unsigned char>(bytes[offset + i]);
    }
    return v;
}

std::uint32_t read_u32(std::string_view bytes, std::size_t offset) noexcept {
    return static_cast<std::uint32_t>(read_be(bytes, offset, 4));
}

// Sign-extends the low `width` bytes of `v` (two's complement on the wire).
std::int64_t sign_extend(std::uint64_t v, std::size_t width) noexcept {
    if (width < 8) {
        std::uint64_t sign = std::uint64_t{1} << (width * 8 - 1);
        v = (v ^ sign) - sign;  // modular arithmetic: well defined for unsigned
    }
    std::int64_t out = 0;
    static_assert(sizeof out == sizeof v);
    std::memcpy(&out, &v, sizeof out);
    return out;
}

void write_be(std::string& out, std::uint64_t v, std::size_t width) {
    for (std::size_t i = width; i-- > 0;) {
        out += static_cast<char>(static_cast<unsigned char>((v >> (i * 8)) & 0xFF));
    }
}

// The fixed width of an integer value type, 0 for the others.
std::size_t integer_width(header_type t) noexcept {
    switch (t) {
        case header_type::byte:
            return 1;
        case header_type::int16:
            return 2;
        case header_type::int32:
            return 4;
        case header_type::int64:
        case header_type::timestamp:
            return 8;
        default:
            return 0;
    }
}

// Parses the headers section; false when it is malformed.
bool parse_headers(std::string_view section, std::vector<aws_event_stream_header>& out) {
    std::size_t pos = 0;
    const std::size_t n = section.size();
    while (pos < n) {
        aws_event_stream_header h;
        std::size_t name_len = static_cast<unsigned char>(section[pos++]);
        if (name_len == 0 || n - pos < name_len + 1) return false;
        h.name = section.substr(pos, name_len);
        pos += name_len;
        auto raw_type = static_cast<unsigned char>(section[pos++]);
        if (raw_type > static_cast<unsigned char>(header_type::uuid)) return false;
        h.type = static_cast<header_type>(raw_type);
        switch (h.type) {
            case header_type::bool_true:
                h.integer = 1;
                break;
            case header_type::bool_false:
                h.integer = 0;
                break;
            case header_type::byte_array:
            case header_type::string: {
                if (n - pos < 2) return false;
                auto len = static_cast<std::size_t>(read_be(section, pos, 2));
                pos += 2;
                if (n - pos < len) return false;
                h.bytes = section.substr(pos, len);
                pos += len;
                break;
            }
            case header_type::uuid:
                if (n - pos < 16) return false;
                h.bytes = section.substr(pos, 16);
                pos += 16;
                break;
            default: {
                std::size_t width = integer_width(h.type);
                if (n - pos < width) return false;
                h.integer = sign_extend(read_be(section, pos, width), width);
                pos += width;
                break;
            }
        }
        out.push_back(h);
    }
    return true;
}

}  // namespace

std::string_view aws_event_stream_message::header(std::string_view name) const noexcept {
    for (const auto& h : headers) {
        if (h.name == name &&
            (h.type == header_type::string || h.type == header_type::byte_array)) {
            return h.bytes;
        }
    }
    return {};
}

aws_event_stream_decoder::aws_event_stream_decoder(std::size_t max_message_bytes)
    : max_message_bytes_(max_message_bytes) {}

result<void> aws_event_stream_decoder::fail(errc e) {
    error_ = make_error_code(e);
    buffer_.clear();
    expected_ = 0;
    return error_;
}

result<std::size_t> aws_event_stream_decoder::check_prelude(std::string_view prelude) {
    const std::uint32_t total = read_u32(prelude, 0);
    const std::uint32_t headers_len = read_u32(prelude, 4);
    // The lengths are meaningless unless the prelude CRC holds, so check it first.
    if (crc32(prelude.substr(0, 8)) != read_u32(prelude, 8)) {
        return fail(errc::bad_upstream_response).error();
    }
    if (total < min_message_bytes) return fail(errc::bad_upstream_response).error();
    if (total > max_message_bytes_) return fail(errc::body_too_large).error();
    if (headers_len > total - min_message_bytes) return fail(errc::bad_upstream_response).error();
    return static_cast<std::size_t>(total);
}

result<void> aws_event_stream_decoder::deliver(std::string_view message, callback cb,
                                               void* context) {
    const std::size_t n = message.size();
    if (crc32(message.substr(0, n - 4)) != read_u32(message, n - 4)) {
        return fail(errc::bad_upstream_response);
    }
    const std::size_t headers_len = read_u32(message, 4);  // checked by check_prelude
    headers_.clear();
    if (!parse_headers(message.substr(prelude_bytes, headers_len), headers_)) {
        return fail(errc::bad_upstream_response);
    }
    aws_event_stream_message m;
    m.headers = headers_;
    m.payload = message.substr(prelude_bytes + headers_len, n - min_message_bytes - headers_len);
    cb(context, m);
    return {};
}

result<void> aws_event_stream_decoder::feed_impl(std::string_view bytes, callback cb,
                                                 void* context) {
    if (error_) return error_;
    while (!bytes.empty()) {
        if (buffer_.empty()) {
            // Decode in place while whole messages lie inside the chunk.
            if (bytes.size() < prelude_bytes) {
                buffer_.assign(bytes);
                return {};
            }
            auto total = check_prelude(bytes);
            if (!total) return total.error();
            if (bytes.size() < *total) {
                buffer_.assign(bytes);  // fewer than *total <= max_message_bytes_ bytes
                expected_ = *total;
                return {};
            }
            auto delivered = deliver(bytes.substr(0, *total), cb, context);
            if (!delivered) return delivered;
            bytes.remove_prefix(*total);
            continue;
        }
        if (buffer_.size() < prelude_bytes) {
            std::size_t take = std::min(prelude_bytes - buffer_.size(), bytes.size());
            buffer_.append(bytes.substr(0, take));
            bytes.remove_prefix(take);
            if (buffer_.size() < prelude_bytes) return {};
            auto total = check_prelude(buffer_);
            if (!total) return total.error();
            expected_ = *total;
        }
        std::size_t take = std::min(expected_ - buffer_.size(), bytes.size());
        buffer_.append(bytes.substr(0, take));
        bytes.remove_prefix(take);
        if (buffer_.size() < expected_) return {};
        // Deliver from scratch_ so that buffer_ is empty (and consistent) should the callback
        // throw; swapping keeps both capacities for the next messages.
        scratch_.swap(buffer_);
        buffer_.clear();
        expected_ = 0;
        auto delivered = deliver(scratch_, cb, context);
        if (!delivered) return delivered;
    }
    return {};
}

result<void> aws_event_stream_decoder::finish() {
    if (error_) return error_;
    if (!buffer_.empty()) {
        buffer_.clear();
        expected_ = 0;
        return errc::stream_truncated;
    }
    return {};
}

result<std::string> encode_aws_event_stream_message(
    std::span<const aws_event_stream_header> headers, std::string_view payload) {
    std::string encoded_headers;
    for (const auto& h : headers) {
        if (h.name.empty() || h.name.size() > 255) return errc::bad_request;
        encoded_headers += static_cast<char>(static_cast<unsigned char>(h.name.size()));
        encoded_headers += h.name;
        encoded_headers += static_cast<char>(static_cast<unsigned char>(h.type));
        switch (h.type) {
            case header_type::bool_true:
            case header_type::bool_false:
                break;
            case header_type::byte_array:
            case header_type::string:
                if (h.bytes.size() > 0xFFFF) return errc::bad_request;
                write_be(encoded_headers, h.bytes.size(), 2);
                encoded_headers += h.bytes;
                break;
            case header_type::uuid:
                if (h.bytes.size() != 16) return errc::bad_request;
                encoded_headers += h.bytes;
                break;
            default: {
                std::uint64_t v = 0;
                std::memcpy(&v, &h.integer, sizeof v);
                write_be(encoded_headers, v, integer_width(h.type));
                break;
            }
        }
    }
    const std::size_t total =
        aws_event_stream_decoder::min_message_bytes + encoded_headers.size() + payload.size();
    if (total > std::numeric_limits<std::uint32_t>::max()) return errc::bad_request;
    std::string out;
    out.reserve(total);
    write_be(out, total, 4);
    write_be(out, encoded_headers.size(), 4);
    write_be(out, crc32(out), 4);
    out += encoded_headers;
    out += payload;
    write_be(out, crc32(out), 4);
    return out;
}

std::string encode_aws_event_stream_event(std::string_view event_type, std::string_view payload) {
    const aws_event_stream_header headers[] = {
        {":event-type", header_type::string, event_type, 0},
        {":content-type", header_type::string, "application/json", 0},
        {":message-type", header_type::string, "event", 0},
    };
    auto encoded = encode_aws_event_stream_message(headers, payload);
    // Only an event type longer than 65535 bytes or a payload near 4 GiB can fail.
    return encoded ? std::move(*encoded) : std::string();
}

}  // namespace gateway::stream
