#pragma once
// A real HTTP/1.1 server on 127.0.0.1 (port 0, its own thread) that plays scripted responses:
// the upstream of the client and end-to-end tests. Optionally TLS, with a certificate the test
// supplies.

#include <boost/beast/http/fields.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace gateway::test {

struct recorded_request {
    std::string method;
    std::string target;
    boost::beast::http::fields headers;
    std::string body;
};

struct scripted_response {
    unsigned status = 200;
    std::vector<std::pair<std::string, std::string>> headers;  ///< e.g. {"content-type", ...}
    std::vector<std::string> chunks;  ///< body pieces, each written and flushed separately
    bool chunked = true;              ///< Transfer-Encoding: chunked, else Content-Length
    std::chrono::milliseconds delay_before_headers{0};
    std::chrono::milliseconds delay_between_chunks{0};
    bool close_after = false;        ///< close the connection after this response
    bool hang_after_chunks = false;  ///< never finish the body (for timeout tests)
    /// Chunked only: the headers, every chunk and the last one in one buffer sent in one write,
    /// so one socket read of the client brings them all.
    bool one_write = false;
};

/// Convenience builders.
/// The chunked transfer coding of `chunks`, without the last chunk; empty ones are skipped (an
/// empty chunk would end the body).
std::string chunked_framing(const std::vector<std::string>& chunks);
scripted_response json_response(unsigned status, std::string body);
scripted_response sse_response(std::string_view sse_body,
                               std::chrono::milliseconds delay_between_events = {});

struct tls_identity {
    std::string certificate_chain_pem;
    std::string private_key_pem;
};

class fake_upstream {
  public:
    using handler = std::function<scripted_response(const recorded_request&)>;

    /// Starts listening on 127.0.0.1 at a free port. With `tls`, speaks HTTPS.
    explicit fake_upstream(handler h, std::optional<tls_identity> tls = std::nullopt);
    ~fake_upstream();  ///< stops the server and joins its thread
    fake_upstream(const fake_upstream&) = delete;
    fake_upstream& operator=(const fake_upstream&) = delete;

    std::uint16_t port() const noexcept;
    std::string base_url() const;  ///< "http://127.0.0.1:<port>" (https:// with TLS)

    std::vector<recorded_request> requests() const;  ///< thread-safe copy, in arrival order
    std::size_t connections_accepted() const noexcept;
    /// Connections accepted and not yet closed (by either side, as the server saw it).
    std::size_t open_connections() const noexcept;
    /// Responses the server could not finish because the peer closed the connection.
    std::size_t aborted_responses() const noexcept;
    /// Waits until aborted_responses() >= n or the timeout passes; returns the final test.
    bool wait_for_aborted(std::size_t n, std::chrono::milliseconds timeout) const;

    struct impl;

  private:
    std::unique_ptr<impl> impl_;
};

}  // namespace gateway::test
