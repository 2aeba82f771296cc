#include "http/inflate.hpp"

#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <limits>
#include <string>

namespace gateway::http::detail {

namespace {

bool equals_ignoring_case(std::string_view a, std::string_view b) noexcept {
    return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
        return std::tolower(static_cast<unsigned char>(x)) ==
               std::tolower(static_cast<unsigned char>(y));
    });
}

std::string_view trim(std::string_view s) noexcept {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

}  // namespace

body_encoding classify_content_encoding(std::string_view content_encoding) noexcept {
    const std::string_view value = trim(content_encoding);
    if (value.empty() || equals_ignoring_case(value, "identity")) return body_encoding::identity;
    if (equals_ignoring_case(value, "gzip") || equals_ignoring_case(value, "x-gzip") ||
        equals_ignoring_case(value, "deflate")) {
        return body_encoding::compressed;
    }
    // Several codings stacked ("gzip, br") or one zlib cannot read (br, zstd).
    return body_encoding::unsupported;
}

struct inflater::state {
    z_stream z{};
    std::unique_ptr<unsigned char[]> out;
    std::size_t out_size = 0;
    bool started = false;  // some input was given
    bool ended = false;    // the current member's end was reached
    bool failed = false;
};

inflater::inflater(std::size_t output_bytes) : state_(std::make_unique<state>()) {
    state_->out_size = std::clamp<std::size_t>(output_bytes, 256, std::numeric_limits<uInt>::max());
    state_->out = std::make_unique<unsigned char[]>(state_->out_size);
    // 15 window bits + 32: detect a gzip or a zlib header by itself.
    if (inflateInit2(&state_->z, 15 + 32) != Z_OK) state_->failed = true;
}

inflater::~inflater() { inflateEnd(&state_->z); }

void inflater::feed(std::string_view compressed) noexcept {
    // zlib does not write through next_in; the cast is its API's.
    state_->z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));  // NOLINT
    state_->z.avail_in = static_cast<uInt>(compressed.size());
    if (!compressed.empty()) state_->started = true;
}

bool inflater::has_input() const noexcept { return state_->z.avail_in != 0; }

result<std::string_view> inflater::next() noexcept {
    state& s = *state_;
    if (s.failed) return errc::bad_upstream_response;
    while (s.z.avail_in != 0) {
        if (s.ended) {
            // Another gzip member may follow (RFC 1952 allows several); anything else is not
            // part of the body.
            if (s.z.next_in[0] != 0x1f || inflateReset(&s.z) != Z_OK) {
                s.failed = true;
                return errc::bad_upstream_response;
            }
            s.ended = false;
        }
        s.z.next_out = s.out.get();
        s.z.avail_out = static_cast<uInt>(s.out_size);
        const int rc = inflate(&s.z, Z_NO_FLUSH);
        if (rc == Z_STREAM_END) {
            s.ended = true;
        } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
            s.failed = true;
            return errc::bad_upstream_response;
        }
        const std::size_t produced = s.out_size - s.z.avail_out;
        if (produced != 0) {
            return std::string_view(reinterpret_cast<const char*>(s.out.get()), produced);
        }
        if (rc == Z_BUF_ERROR) break;  // no progress possible without more input
    }
    return std::string_view{};
}

bool inflater::complete() const noexcept {
    return !state_->failed && (!state_->started || state_->ended) && state_->z.avail_in == 0;
}

}  // namespace gateway::http::detail
