#pragma once
/// The HTTP/1.1 front end: accepts connections on an `io_pool`, reads requests under limits and
/// deadlines, and hands each one to a coroutine handler through a `request_context`.
///
/// Each connection is served by one coroutine on one context of the pool (no strand needed).
/// Request headers and bodies are read under `header_timeout`/`body_timeout`, keep-alive waits
/// under `idle_timeout`, every write under `write_timeout` (so a stalled client is dropped
/// instead of holding memory). A deadline runs only while a read or write on the client socket
/// waits; one timer per worker checks them every tenth of the shortest timeout (10 to 100 ms),
/// so a timeout fires up to that much late. Bodies above `max_body_bytes` get 413; after an answer
/// given with the body unread the connection lingers (`linger_bytes`) before it closes.
/// `Expect: 100-continue` is answered. Every response carries `X-Request-Id`.
///
/// Thread safety: `listen` once; `stop_accepting`, `close_idle_connections`,
/// `close_all_connections`, `shutdown` and the counters may be called from any thread.
/// Errors: `listen` returns the bind/listen error; the data path never throws.

#include "gateway/core/error.hpp"
#include "gateway/server/io_pool.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace gateway::server {

struct server_options {
    std::string host = "127.0.0.1";
    std::uint16_t port = 3000;  ///< 0 picks a free port (see `http_server::port()`)
    std::size_t max_body_bytes = 32 * 1024 * 1024;
    std::size_t max_header_bytes = 64 * 1024;
    std::chrono::milliseconds header_timeout{30'000};
    std::chrono::milliseconds body_timeout{60'000};
    std::chrono::milliseconds idle_timeout{120'000};
    std::chrono::milliseconds write_timeout{60'000};
    /// After an answer given before the request's body was read (413, a framing error), the
    /// connection is half-closed and what the client still sends is read and dropped, up to
    /// `linger_bytes` and for `linger_timeout` at most: a client that writes its whole body
    /// before reading (Python's http.client) then gets the answer instead of a reset.
    std::size_t linger_bytes = 64 * 1024 * 1024;
    std::chrono::milliseconds linger_timeout{5'000};
    /// Request bodies held at once, over all connections, from their first byte read until
    /// their handler returns (a declared Content-Length counts in full as soon as the head is
    /// read; a chunked body as its buffer grows). A request that would go over gets 503 with
    /// `Retry-After` instead of being read. A body alone in flight is always let through, so a
    /// budget below `max_body_bytes` still serves every size, one at a time. 0: no limit.
    std::size_t max_body_bytes_in_flight = 256 * 1024 * 1024;
};

/// An answer decided from a request's head alone, before its body is read.
struct early_response {
    unsigned status = 0;
    std::string content_type = "application/json";
    std::string body;
};

/// Looks at a request's head (method, target, fields) before its body is read. An answer it
/// returns is sent instead of reading the body and calling the handler, and the connection then
/// closes (lingering, see `server_options::linger_bytes`): e.g. a 401 for a missing key, so a
/// client without one cannot make the server hold its body. Runs on the connection's thread
/// and must not block.
using head_check =
    std::function<std::optional<early_response>(const boost::beast::http::request_header<>&)>;

using http_request = boost::beast::http::request<boost::beast::http::string_body>;

class session;

/// One request being served. Owned by the connection's coroutine; valid until the handler's
/// coroutine returns. A handler either calls `send` once, or `begin_stream`, any number of
/// `write`, then `end_stream`. Every member must be called on the connection's executor.
class request_context {
  public:
    const http_request& request() const noexcept { return request_; }
    /// Path of the target without the query string.
    std::string_view path() const noexcept;
    /// Value of a query parameter of the target, empty if absent.
    std::string_view query_param(std::string_view name) const noexcept;
    std::string_view request_id() const noexcept { return request_id_; }
    std::size_t worker() const noexcept { return worker_; }
    std::chrono::steady_clock::time_point started_at() const noexcept { return started_at_; }

    /// Writes a complete response. Extra headers come as name/value pairs in `fields`.
    boost::asio::awaitable<error_code> send(unsigned status, std::string_view content_type,
                                            std::string body,
                                            boost::beast::http::fields fields = {});

    /// Starts a chunked response (e.g. `text/event-stream`), then `write` pieces of it. An
    /// HTTP/1.0 client cannot read chunked framing (RFC 9112 §6.1): it gets the bytes as they
    /// are, and the connection closes after `end_stream` to end the body.
    boost::asio::awaitable<error_code> begin_stream(unsigned status, std::string_view content_type,
                                                    boost::beast::http::fields fields = {});
    /// Like `begin_stream`, but the head is only prepared: it goes out with the first `write`
    /// (or `end_stream`), in the same system call, or alone with `flush_head`. A relay whose
    /// first chunk is already at hand saves a write and a wake-up of the client; one that must
    /// wait for it calls `flush_head` first, so the client sees the status at once.
    error_code prepare_stream(unsigned status, std::string_view content_type,
                              boost::beast::http::fields fields = {});
    boost::asio::awaitable<error_code> flush_head();
    /// Writes one chunk and waits until the kernel took it: that wait is the backpressure.
    boost::asio::awaitable<error_code> write(std::string_view bytes);
    boost::asio::awaitable<error_code> end_stream();

    bool response_started() const noexcept { return response_started_; }
    unsigned response_status() const noexcept { return status_; }
    /// Bytes of body written so far.
    std::size_t bytes_written() const noexcept { return bytes_written_; }
    /// Time of the first body byte written, for time-to-first-byte metrics.
    std::chrono::steady_clock::time_point first_byte_at() const noexcept { return first_byte_at_; }

    /// Calls `on_close` (once, on the connection's executor) if the client closes the
    /// connection while the handler runs, e.g. to cancel an upstream request. Replaces a
    /// previous callback. The watch starts at the worker's next deadline check (within a tenth
    /// of the shortest timeout, at most 100 ms), so short requests cost no system call for it.
    void on_client_close(std::function<void()> on_close);
    /// Stops watching; the callback will not be called any more.
    void stop_watching() noexcept;
    /// The client closed the connection (seen by the watch), or a write to it failed.
    bool client_closed() const noexcept;

    /// Calls `hook` once, right before the last bytes of the response are written: the whole
    /// response in `send`, the last chunk in `end_stream`; the status, `bytes_written` and
    /// `first_byte_at` are set by then. A relay settles its request log there, so the log is
    /// durable before the client can see its response complete. Replaces a previous hook; an
    /// empty one removes it (do so before what the hook refers to goes away).
    void before_last_write(std::function<void()> hook) { last_write_hook_ = std::move(hook); }

    /// After this request the connection closes instead of waiting for another.
    void close_after_response() noexcept { keep_alive_ = false; }

  private:
    friend class session;
    request_context(session& s, http_request&& req, std::string request_id, std::size_t worker);
    error_code note_write(error_code ec) noexcept;
    void run_last_write_hook();
    // Marks the response started and writes its head into the session's head buffer.
    error_code start_response(unsigned status, std::string_view content_type,
                              const boost::beast::http::fields& fields, bool chunked,
                              std::size_t body_size);

    session& session_;
    http_request request_;
    std::string request_id_;
    std::size_t worker_;
    std::chrono::steady_clock::time_point started_at_;
    std::chrono::steady_clock::time_point first_byte_at_{};
    unsigned status_ = 0;
    std::size_t bytes_written_ = 0;
    bool response_started_ = false;
    bool response_finished_ = false;
    bool keep_alive_ = true;
    bool head_pending_ = false;  // prepare_stream's head, not yet written
    bool close_delimited_ = false;  // a stream to an HTTP/1.0 client: no chunk framing
    std::function<void()> last_write_hook_;
};

using request_handler = std::function<boost::asio::awaitable<void>(request_context&)>;

class http_server {
  public:
    /// `check` (optional) sees each request's head before its body is read.
    http_server(io_pool& pool, server_options options, request_handler handler,
                head_check check = {});
    ~http_server();
    http_server(const http_server&) = delete;
    http_server& operator=(const http_server&) = delete;

    /// Binds and starts accepting (on the pool's first context).
    result<void> listen();
    /// The bound port (useful after listening on port 0).
    std::uint16_t port() const noexcept;

    void stop_accepting();
    /// Closes connections waiting for a request; busy ones close after their response.
    void close_idle_connections();
    /// Closes every connection now.
    void close_all_connections();

    /// Graceful stop: stop accepting, close idle connections, wait up to `grace` for requests
    /// in flight (streams included), then close the rest. Blocks; call from a thread that is
    /// not one of the pool's. Returns true when everything finished within `grace`.
    bool shutdown(std::chrono::milliseconds grace);

    std::size_t open_connections() const noexcept;
    std::size_t requests_in_flight() const noexcept;
    /// Bytes counted against `max_body_bytes_in_flight` now.
    std::size_t body_bytes_in_flight() const noexcept;

    struct impl;

  private:
    std::shared_ptr<impl> impl_;
};

}  // namespace gateway::server
