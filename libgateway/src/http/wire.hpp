#pragma once
// HTTP/1.1 messages as flat bytes, for writes that bypass Beast's serializer (private to the
// library). The serializer walks nested buffers_cat_view variants for every buffer it hands the
// socket; a header appended to one reused string and written next to the body as two plain
// buffers costs a fraction of that, and the bytes are the same (tests/unit/http/wire_test.cpp).

#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http/fields.hpp>
#include <boost/beast/http/message.hpp>

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

namespace gateway::http::detail {

// A response head written straight from its parts, without building Beast fields: the same bytes
// as a Beast response given `extra` with set(), then Content-Type, (for a stream)
// Cache-Control: no-cache, X-Request-Id, keep_alive() and prepare_payload() or chunked(true).
// Fields of `extra` named like one the head writes itself are left out (with set() the head's
// would replace them); repeated names in `extra` are all written.
struct response_head {
    unsigned status = 200;
    const boost::beast::http::fields* extra = nullptr;
    std::string_view content_type;
    std::string_view request_id;
    bool keep_alive = true;
    bool chunked = false;  // a stream; otherwise Content-Length is body_size
    // A stream to an HTTP/1.0 client, which cannot read chunked (RFC 9112 §6.1): neither
    // Transfer-Encoding nor Content-Length, and the connection's close ends the body. Only with
    // `chunked` and without `keep_alive`.
    bool close_delimited = false;
    std::size_t body_size = 0;
};
void append_head(std::string& out, const response_head& head);

// An upstream request head written straight from its parts: the same bytes as a Beast request
// given `headers`, then (when asked) Proxy-Authorization, Accept-Encoding: gzip unless `headers`
// name an encoding, Host, User-Agent unless `headers` name one, Connection: keep-alive, the
// removal of Transfer-Encoding and prepare_payload() for a body of `body_size` bytes. Fields of
// `headers` named like one the head writes itself are left out.
struct request_head {
    boost::beast::http::verb method = boost::beast::http::verb::post;
    std::string_view target;
    const boost::beast::http::fields* headers = nullptr;
    std::string_view host;
    std::string_view proxy_authorization;  // empty: none
    bool accept_gzip = false;
    std::string_view user_agent;  // unless `headers` have one
    std::size_t body_size = 0;
};
void append_head(std::string& out, const request_head& head);

// Appends the status line, the fields and the blank line that ends them.
void append_head(std::string& out, const boost::beast::http::response_header<>& head);
// Appends the request line, the fields and the blank line that ends them.
void append_head(std::string& out, const boost::beast::http::request_header<>& head);

// The three buffers of one chunk of the chunked transfer coding: size line, data, CRLF. The size
// line lives in the object, so it must outlive the write. `data` is not empty: an empty chunk is
// the last one.
class chunk_buffers {
  public:
    explicit chunk_buffers(std::string_view data) noexcept;
    chunk_buffers(const chunk_buffers&) = delete;  // the buffers point into the object
    chunk_buffers& operator=(const chunk_buffers&) = delete;
    const std::array<boost::asio::const_buffer, 3>& buffers() const noexcept { return buffers_; }

  private:
    std::array<char, 2 * sizeof(std::size_t) + 2> size_line_{};
    std::array<boost::asio::const_buffer, 3> buffers_;
};

// The last chunk of a chunked body with no trailer fields.
inline constexpr std::string_view last_chunk = "0\r\n\r\n";

// Writes what a socket in non-blocking mode takes right now and returns the byte count; `ec` is
// set only by a real failure, not by a full send buffer. A small write done here needs no
// completion handler, no trip through the scheduler and no write timer; the caller writes the
// rest asynchronously, under its deadline.
template <class ConstBuffers>
std::size_t write_now(boost::asio::ip::tcp::socket& socket, const ConstBuffers& buffers,
                      boost::system::error_code& ec) {
    const std::size_t sent = socket.write_some(buffers, ec);
    if (ec == boost::asio::error::would_block || ec == boost::asio::error::try_again) {
        ec = {};
        return 0;
    }
    return ec ? 0 : sent;
}

}  // namespace gateway::http::detail
