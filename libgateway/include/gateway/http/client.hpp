#pragma once
/// Asynchronous HTTP/1.1 client for upstream calls: plain TCP and TLS, a keep-alive pool per
/// host, and bodies read piece by piece so a stream is relayed as it arrives.
///
/// Thread safety: a `client` and everything it returns belong to one executor that runs on a
/// single thread (gatewayd runs one `io_context` per thread, with one client each). None of its
/// members may be called concurrently; the coroutines must run on that same executor.
///
/// Errors: all failures are values in the "gateway" category: `errc::upstream_connect_failed`
/// (DNS, TCP, TLS handshake or certificate), `errc::upstream_timeout` (a deadline of
/// `timeouts`), `errc::bad_upstream_response` (not HTTP/1.1), `errc::body_too_large`,
/// `errc::cancelled` (after `exchange::cancel()`), `errc::bad_request` (a malformed URL).
/// An HTTP error status is not an error: callers read `status()`.

#include "gateway/core/error.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/fields.hpp>
#include <boost/beast/http/verb.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gateway::http {

/// Deadlines of one upstream call. A zero duration means "no deadline".
struct timeouts {
    std::chrono::milliseconds connect{10'000};      ///< DNS + TCP + TLS handshake
    std::chrono::milliseconds first_byte{300'000};  ///< request written → response headers
    std::chrono::milliseconds idle{300'000};        ///< longest gap between two body reads
    std::chrono::milliseconds total{0};             ///< whole exchange, headers and body
};

struct client_options {
    timeouts default_timeouts;
    /// Above this, a connection finishing its exchange is closed: a load with more exchanges in
    /// flight at once to one host than this reconnects (and for HTTPS re-handshakes) all the time.
    std::size_t max_idle_connections_per_host = 256;
    /// Pooled connections idle this long are closed, by a timer of the client's (0: kept until
    /// reused or dropped). While connections are pooled that timer waits on the executor, so an
    /// `io_context::run()` without other work returns only when they expired, or after
    /// `close_idle()`.
    std::chrono::milliseconds idle_connection_ttl{90'000};
    bool verify_peer = true;                       ///< certificate and host name checks
    std::string ca_file;  ///< extra trusted CA bundle (PEM), in addition to the system store
    std::size_t max_header_bytes = 64 * 1024;
    /// What one socket read of a response body takes at most (also the piece size of a
    /// decompressed body). A relay writes what one read brought before it reads again, so a
    /// client that stops reading holds at most this much of the upstream's data in the gateway
    /// (and what the kernel's socket buffers keep).
    std::size_t read_buffer_bytes = 16 * 1024;
    std::size_t max_body_bytes = 64 * 1024 * 1024;  ///< limit of `async_send` / `async_read_all`
    /// Host name → IP address literal, like curl's `--resolve`: requests to such a host connect
    /// to the address without a DNS lookup, while SNI, the Host header and certificate checks
    /// still use the name. For pinning an upstream, and for tests that need a name without DNS.
    std::map<std::string, std::string, std::less<>> resolve_overrides;
    /// Forward proxy for upstream calls, `http://[user:password@]host[:port]` (port 80 by
    /// default); empty: direct. HTTPS upstreams are reached through a CONNECT tunnel (TLS stays
    /// end to end, certificate checks against the upstream's name); plain-HTTP upstreams are
    /// asked for in absolute form. Credentials go in `Proxy-Authorization: Basic`. The proxy
    /// itself is spoken to over plain TCP. A malformed value throws at construction.
    std::string proxy;
    /// Hosts reached directly although `proxy` is set: `api.example.com` (that host and its
    /// subdomains), `.example.com` (subdomains only), an IP literal, or `*` (every host).
    std::vector<std::string> no_proxy;
    /// Send `Accept-Encoding: gzip` when the request names no encoding. gzip and deflate
    /// responses are decoded whatever was asked (`Content-Encoding` and `Content-Length` are then
    /// removed from the response headers, which describe the decoded body); another encoding
    /// fails with `errc::bad_upstream_response`.
    bool request_gzip = true;
};

struct request {
    boost::beast::http::verb method = boost::beast::http::verb::post;
    std::string url;  ///< absolute `http://` or `https://` URL, path and query included
    /// Headers to send; the client sets Host, Content-Length, Connection and User-Agent
    /// (unless present).
    boost::beast::http::fields headers;
    std::string body;
    std::optional<timeouts> deadlines;  ///< overrides `client_options::default_timeouts`
};

struct response {
    unsigned status = 0;
    boost::beast::http::fields headers;
    std::string body;
};

/// Whether `url` is a `client_options::proxy` value the client accepts.
bool valid_proxy_url(std::string_view url) noexcept;

class exchange;
class open_cancellation;
namespace detail {
class connection;
}

class client {
  public:
    client(boost::asio::any_io_executor executor, client_options options = {});
    ~client();
    client(const client&) = delete;
    client& operator=(const client&) = delete;

    /// Sends `req` and reads the whole response (up to `max_body_bytes`).
    boost::asio::awaitable<result<response>> async_send(request req);

    /// Sends `req` and returns once the response headers have arrived; the body is then read
    /// from the returned exchange. The exchange must not outlive the client.
    boost::asio::awaitable<result<std::unique_ptr<exchange>>> async_open(request req);
    /// The same, abortable through `cancellation` until it returns (see `open_cancellation`).
    boost::asio::awaitable<result<std::unique_ptr<exchange>>> async_open(
        request req, open_cancellation& cancellation);

    /// Connections waiting in the pool, over all hosts.
    std::size_t idle_connections() const noexcept;
    /// Connections opened since construction (pool reuse shows as a small number).
    std::size_t connections_opened() const noexcept;

    /// Closes every pooled connection (used at shutdown).
    void close_idle() noexcept;

    /// A human-readable account of the most recent failure of this client (e.g. "TLS
    /// certificate verification failed for localhost:443: certificate has expired"), for logs.
    /// Read it right after the failing call returns: a later failure of any call on this client
    /// replaces it. It never contains the URL (query strings can carry API keys).
    const std::string& last_error_detail() const noexcept;

    struct impl;

  private:
    std::shared_ptr<impl> impl_;
};

/// Aborts an `async_open` while it waits on the network (DNS lookup, connect, TLS handshake,
/// sending the request, the response headers), e.g. when the caller's own client hangs up: the
/// connection being opened is closed at once, so the upstream sees it closed and stops working
/// on the request, and the open ends with `errc::cancelled`. A cancel before the open starts
/// makes it end at once; after the open returned it does nothing (cancel the exchange instead).
/// Same thread rules as the client; it must outlive the `async_open` it is given to.
class open_cancellation {
  public:
    open_cancellation() = default;
    open_cancellation(const open_cancellation&) = delete;
    open_cancellation& operator=(const open_cancellation&) = delete;

    void cancel() noexcept;
    bool cancelled() const noexcept { return cancelled_; }

  private:
    friend struct client::impl;
    bool cancelled_ = false;
    // Set by the open while it runs: its connection (null between connections), and a way to
    // stop a DNS lookup under way.
    std::unique_ptr<detail::connection>* connection_ = nullptr;
    std::function<void()> stop_lookup_;
};

/// One response being received. Reading the body to its end returns the connection to the
/// pool when the upstream allows keep-alive; destroying the exchange earlier closes it.
class exchange {
  public:
    virtual ~exchange() = default;

    virtual unsigned status() const noexcept = 0;
    virtual const boost::beast::http::fields& headers() const noexcept = 0;

    /// The next piece of the body (chunked framing removed). An empty view means the body is
    /// complete. The view stays valid until the next call.
    virtual boost::asio::awaitable<result<std::string_view>> async_read_some() = 0;

    /// The next piece of the body if it is already in the read buffer, without touching the
    /// socket; empty when the next piece needs a read (then call `async_read_some`, which also
    /// reports the end of the body and errors). A relay drains what one socket read brought
    /// before writing it on, so a burst of small chunks costs one downstream write, not one per
    /// chunk. Same validity rule as `async_read_some`.
    virtual std::string_view read_buffered() noexcept { return {}; }

    /// The rest of the body, up to `client_options::max_body_bytes`.
    virtual boost::asio::awaitable<result<std::string>> async_read_all() = 0;

    /// Aborts the exchange: the connection is closed and a pending read ends with
    /// `errc::cancelled`. Call it on the client's executor (e.g. when the downstream client
    /// disconnects).
    virtual void cancel() noexcept = 0;
};

}  // namespace gateway::http
