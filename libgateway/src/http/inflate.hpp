#pragma once
// Incremental decoding of gzip and zlib ("deflate") response bodies (private to http/), over
// zlib. Push-based: compressed pieces in, decoded pieces out, with one fixed output buffer, so a
// compressed stream is relayed as it arrives and its memory does not grow with its length.

#include "gateway/core/error.hpp"

#include <cstddef>
#include <memory>
#include <string_view>

namespace gateway::http::detail {

/// Whether `content_encoding` (a Content-Encoding header value) is one `inflater` decodes:
/// `gzip`, `x-gzip` or `deflate`, any case. `identity` and empty mean "not encoded".
enum class body_encoding { identity, compressed, unsupported };
body_encoding classify_content_encoding(std::string_view content_encoding) noexcept;

class inflater {
  public:
    /// Each `next` returns at most `output_bytes` decoded bytes.
    explicit inflater(std::size_t output_bytes = 16 * 1024);
    ~inflater();
    inflater(const inflater&) = delete;
    inflater& operator=(const inflater&) = delete;

    /// Hands over the next compressed piece; it must stay valid until `has_input()` is false.
    /// Precondition: `!has_input()`.
    void feed(std::string_view compressed) noexcept;
    bool has_input() const noexcept;

    /// Decodes from the pending input: a non-empty view (valid until the next call), or an empty
    /// one once the pending input is used up. Errors: `errc::bad_upstream_response` for bytes
    /// that are not gzip/zlib data, or data after the compressed body's end.
    result<std::string_view> next() noexcept;

    /// Whether the input so far is a whole compressed body (or nothing at all, as for a 204 or
    /// a HEAD): false means the body was cut short.
    bool complete() const noexcept;

  private:
    struct state;
    std::unique_ptr<state> state_;
};

}  // namespace gateway::http::detail
