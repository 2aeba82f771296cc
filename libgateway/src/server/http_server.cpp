#include "gateway/server/http_server.hpp"

#include "gateway/core/api_format.hpp"
#include "gateway/core/log.hpp"
#include "http/wire.hpp"

#include <fmt/format.h>
#include <openssl/rand.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_suffix.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/url/parse.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <condition_variable>
#include <list>
#include <mutex>
#include <thread>
#include <tuple>

namespace gateway::server {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

namespace {

constexpr auto use_tuple = net::as_tuple(net::use_awaitable);
using clock_type = std::chrono::steady_clock;
constexpr clock_type::time_point no_deadline = clock_type::time_point::max();

// How often each worker checks its connections' deadlines and arms their close watches: a tenth
// of the shortest timeout, between 10 ms and 100 ms, so a timeout fires at most that much late.
std::chrono::milliseconds sweep_interval(const server_options& o) {
    using std::chrono::milliseconds;
    const milliseconds shortest = std::min(
        {o.header_timeout, o.body_timeout, o.idle_timeout, o.write_timeout, o.linger_timeout});
    return std::clamp(shortest / 10, milliseconds(10), milliseconds(100));
}

std::string too_large_message(const server_options& o) {
    return fmt::format("request body exceeds the limit of {} bytes", o.max_body_bytes);
}

// Request ids are 32 hex digits: a random per-thread prefix and a counter, so generating one
// costs no system call and no lock.
std::string next_request_id() {
    thread_local std::uint64_t prefix = [] {
        std::uint64_t value = 0;
        if (RAND_bytes(reinterpret_cast<unsigned char*>(&value), sizeof value) != 1) {
            value = static_cast<std::uint64_t>(
                std::chrono::steady_clock::now().time_since_epoch().count());
        }
        return value;
    }();
    thread_local std::uint64_t counter = 0;
    // Written by hand: fmt's format-string machinery cost more than the rest of this function.
    static constexpr char digits[] = "0123456789abcdef";
    std::string id(32, '0');
    const std::uint64_t halves[] = {prefix, ++counter};
    for (std::size_t h = 0; h < 2; ++h) {
        std::uint64_t v = halves[h];
        for (std::size_t i = 16; i-- > 0; v >>= 4) id[h * 16 + i] = digits[v & 0xF];
    }
    return id;
}

// Watches the client socket for EOF while a handler runs. Shared with the pending wait so a
// completion that arrives after the session is gone finds `socket == nullptr` and does nothing.
struct close_watch {
    tcp::socket* socket = nullptr;
    std::function<void()> callback;
    bool active = false;
    bool waiting = false;
    bool fired = false;
};

void fire(const std::shared_ptr<close_watch>& watch) {
    watch->fired = true;
    watch->active = false;
    if (auto cb = std::move(watch->callback)) cb();
}

void arm(const std::shared_ptr<close_watch>& watch) {
    watch->waiting = true;
    watch->socket->async_wait(tcp::socket::wait_read, [watch](error_code ec) {
        watch->waiting = false;
        if (!watch->active || watch->socket == nullptr) return;
        if (!ec) {
            // Readable: either the peer closed (a zero-byte peek) or it pipelined more bytes.
            char byte = 0;
            error_code peek_ec;
            auto n =
                watch->socket->receive(net::buffer(&byte, 1), tcp::socket::message_peek, peek_ec);
            if (peek_ec == net::error::would_block || peek_ec == net::error::try_again) {
                arm(watch);
                return;
            }
            if (!peek_ec && n > 0) {
                // A pipelined request: the client is alive; it will be read after this one.
                watch->active = false;
                return;
            }
        }
        fire(watch);
    });
}

// How a request's body is framed by its Transfer-Encoding (RFC 9112 §6.1, §6.3).
enum class transfer_framing : std::uint8_t {
    none,         // no Transfer-Encoding: Content-Length, or no body
    chunked,      // exactly `chunked`
    not_chunked,  // chunked is not the final coding: the length cannot be known (400, close)
    unsupported,  // chunked last, but another coding too (501, close)
};

// Every Transfer-Encoding field line of `header` taken as one list (a recipient may combine
// them, RFC 9110 §5.3). Beast sees only the line it reads, and frames `gzip` or
// `chunked, identity` by Content-Length, or as no body: so must not we.
transfer_framing framing_of(const http::request_header<>& header) {
    std::size_t codings = 0;
    std::size_t chunked_at = 0;  // 1-based position of the last `chunked`, 0 if none
    bool present = false;
    const auto [first, last] = header.equal_range(http::field::transfer_encoding);
    for (auto field = first; field != last; ++field) {
        present = true;
        std::string_view list = field->value();
        while (!list.empty()) {
            const auto comma = list.find(',');
            std::string_view item = list.substr(0, comma);
            list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
            while (!item.empty() && (item.front() == ' ' || item.front() == '\t'))
                item.remove_prefix(1);
            while (!item.empty() && (item.back() == ' ' || item.back() == '\t'))
                item.remove_suffix(1);
            if (item.empty()) continue;  // `a, , b`: empty list elements are allowed
            ++codings;
            if (beast::iequals(item, "chunked")) {
                // Chunked twice: the final one is not the only one, and applying it twice is
                // forbidden (RFC 9112 §7).
                if (chunked_at != 0) return transfer_framing::not_chunked;
                chunked_at = codings;
            }
        }
    }
    if (!present) return transfer_framing::none;
    if (chunked_at == 0 || chunked_at != codings) return transfer_framing::not_chunked;
    return codings == 1 ? transfer_framing::chunked : transfer_framing::unsupported;
}

}  // namespace

// One worker's deadline check, re-armed while the worker has connections. A timer per
// connection, re-armed around every read and write, would cost two timer-queue changes (and a
// timerfd_settime each) per operation; a store of the deadline costs nothing.
struct deadline_sweep {
    explicit deadline_sweep(net::io_context& context, std::size_t w) : timer(context), worker(w) {}
    net::steady_timer timer;
    std::size_t worker;
};

struct http_server::impl : std::enable_shared_from_this<http_server::impl> {
    impl(io_pool& p, server_options o, request_handler h, head_check c)
        : pool(p),
          options(std::move(o)),
          handler(std::move(h)),
          check(std::move(c)),
          registries(p.size()),
          sweeps(p.size(), nullptr),
          sweep_every(sweep_interval(options)) {}

    io_pool& pool;
    server_options options;
    request_handler handler;
    head_check check;
    std::unique_ptr<tcp::acceptor> acceptor;
    std::atomic<std::uint16_t> bound_port{0};
    std::atomic<bool> draining{false};
    std::atomic<bool> accepting{false};  // the accept loop runs (and owns the acceptor)
    std::atomic<std::size_t> connections{0};
    std::atomic<std::size_t> requests{0};
    std::atomic<std::size_t> body_bytes{0};  // counted against max_body_bytes_in_flight
    // Sessions per worker, and the worker's running deadline sweep (null when it has none),
    // touched only on that worker's thread.
    std::vector<std::list<session*>> registries;
    std::vector<deadline_sweep*> sweeps;
    std::chrono::milliseconds sweep_every;

    net::awaitable<void> accept_loop();
    void register_session(session* s, std::size_t worker);
    void unregister_session(std::list<session*>::iterator registration, std::size_t worker);
    void arm_sweep(std::shared_ptr<deadline_sweep> sweep);
    template <class F>
    void for_each_session(F f);
};

// One request's share of `max_body_bytes_in_flight`, held from its head until its handler
// returns (the body lives in the request_context until then).
class body_reservation {
  public:
    explicit body_reservation(http_server::impl& server) noexcept : server_(server) {}
    ~body_reservation() {
        if (held_ != 0) server_.body_bytes.fetch_sub(held_, std::memory_order_relaxed);
    }
    body_reservation(const body_reservation&) = delete;
    body_reservation& operator=(const body_reservation&) = delete;

    // Grows the share to `bytes`; false, and nothing taken, when the budget cannot cover it.
    // A body alone in flight is always covered, so a budget below max_body_bytes still lets
    // every size through, one at a time.
    bool cover(std::size_t bytes) noexcept {
        if (bytes <= held_) return true;
        const std::size_t more = bytes - held_;
        const std::size_t limit = server_.options.max_body_bytes_in_flight;
        std::size_t now = server_.body_bytes.load(std::memory_order_relaxed);
        do {
            const bool alone = now == held_;
            if (limit != 0 && !alone && (now > limit || limit - now < more)) return false;
        } while (!server_.body_bytes.compare_exchange_weak(now, now + more,
                                                           std::memory_order_relaxed));
        held_ = bytes;
        return true;
    }

  private:
    http_server::impl& server_;
    std::size_t held_ = 0;
};

class session {
  public:
    session(std::shared_ptr<http_server::impl> server, tcp::socket socket, std::size_t worker)
        : server_(std::move(server)),
          socket_(std::move(socket)),
          worker_(worker),
          watch_(std::make_shared<close_watch>()) {
        watch_->socket = &socket_;
    }

    ~session() {
        watch_->socket = nullptr;
        watch_->active = false;
        watch_->callback = nullptr;
    }

    net::awaitable<void> run();

    void close_if_idle() {
        if (idle_) {
            closing_ = true;
            error_code ignored;
            socket_.cancel(ignored);
        } else {
            close_requested_ = true;
        }
    }

    void close_now() {
        closing_ = true;
        error_code ignored;
        socket_.shutdown(tcp::socket::shutdown_both, ignored);
        socket_.cancel(ignored);
    }

    // Called by the worker's sweep: the read or write under way has run out of time.
    void cancel_if_due(clock_type::time_point now) {
        if (now < deadline_) return;
        deadline_ = no_deadline;
        error_code ignored;
        socket_.cancel(ignored);
    }

    // Also called by the sweep: a handler that asked for a close watch has been running for up
    // to one sweep. Arming it at once would cost every request an epoll_ctl (Asio re-registers
    // the socket for each wait), most of them for requests that end long before a tick.
    void arm_watch_if_asked() {
        if (watch_->active && !watch_->waiting && watch_->socket != nullptr) arm(watch_);
    }

  private:
    friend class request_context;
    friend struct http_server::impl;

    net::awaitable<error_code> write_error(unsigned status, std::string_view path,
                                           std::string_view message);
    net::awaitable<error_code> write_continue();
    // A head check's answer, with the connection to close after it.
    net::awaitable<error_code> write_early(const early_response& early);
    // 503: the bodies in flight use up max_body_bytes_in_flight.
    net::awaitable<error_code> write_busy(std::string_view path);
    // After an answer sent with the request's body unread: stop sending, then read and drop what
    // the client still sends, within linger_bytes and linger_timeout, until it closes. Closing
    // at once with its bytes unread would make the kernel reset the connection, and a reset can
    // destroy the answer before the client (busy writing its body) reads it (RFC 9112 §9.6).
    net::awaitable<void> linger();
    // One response: its header (serialised into head_) and its body, in one write.
    net::awaitable<error_code> write_response(const http::response<http::string_body>& res);
    // Writes all of `buffers` under write_timeout.
    template <class ConstBuffers>
    net::awaitable<error_code> send_all(const ConstBuffers& buffers);
    // A deadline holds only while one read or write on the socket is pending.
    void expire_in(std::chrono::milliseconds timeout) { deadline_ = clock_type::now() + timeout; }

    std::shared_ptr<http_server::impl> server_;
    tcp::socket socket_;
    clock_type::time_point deadline_ = no_deadline;
    beast::flat_buffer buffer_;
    std::size_t worker_;
    std::shared_ptr<close_watch> watch_;
    std::list<session*>::iterator registration_;
    std::string head_;  // reused: a response header's bytes while they are written
    bool idle_ = true;
    bool closing_ = false;
    bool close_requested_ = false;
};

// ---------------------------------------------------------------------------------------------
// request_context

request_context::request_context(session& s, http_request&& req, std::string request_id,
                                 std::size_t worker)
    : session_(s),
      request_(std::move(req)),
      request_id_(std::move(request_id)),
      worker_(worker),
      started_at_(std::chrono::steady_clock::now()) {}

std::string_view request_context::path() const noexcept {
    std::string_view target = request_.target();
    return target.substr(0, target.find('?'));
}

std::string_view request_context::query_param(std::string_view name) const noexcept {
    std::string_view target = request_.target();
    auto q = target.find('?');
    if (q == std::string_view::npos) return {};
    auto query = target.substr(q + 1);
    while (!query.empty()) {
        auto amp = query.find('&');
        auto pair = query.substr(0, amp);
        auto eq = pair.find('=');
        if (pair.substr(0, eq) == name) {
            return eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1);
        }
        if (amp == std::string_view::npos) break;
        query.remove_prefix(amp + 1);
    }
    return {};
}

net::awaitable<error_code> request_context::send(unsigned status, std::string_view content_type,
                                                 std::string body, http::fields fields) {
    if (auto ec = start_response(status, content_type, fields, false, body.size())) co_return ec;
    bytes_written_ = body.size();
    first_byte_at_ = std::chrono::steady_clock::now();
    run_last_write_hook();
    const std::array<net::const_buffer, 2> buffers{net::buffer(session_.head_), net::buffer(body)};
    const error_code ec = co_await session_.send_all(buffers);
    response_finished_ = !ec;
    co_return note_write(ec);
}

net::awaitable<error_code> request_context::begin_stream(unsigned status,
                                                         std::string_view content_type,
                                                         http::fields fields) {
    if (auto ec = prepare_stream(status, content_type, std::move(fields))) co_return ec;
    co_return co_await flush_head();
}

error_code request_context::prepare_stream(unsigned status, std::string_view content_type,
                                           http::fields fields) {
    if (auto ec = start_response(status, content_type, fields, true, 0)) return ec;
    head_pending_ = true;
    return {};
}

error_code request_context::start_response(unsigned status, std::string_view content_type,
                                           const http::fields& fields, bool chunked,
                                           std::size_t body_size) {
    if (response_started_) return make_error_code(errc::bad_request);
    response_started_ = true;
    status_ = status;
    if (chunked && request_.version() < 11) {
        close_delimited_ = true;
        keep_alive_ = false;
    }
    gateway::http::detail::response_head head;
    head.status = status;
    head.extra = &fields;
    head.content_type = content_type;
    head.request_id = request_id_;
    head.keep_alive = keep_alive_ && request_.keep_alive();
    head.chunked = chunked;
    head.close_delimited = close_delimited_;
    head.body_size = body_size;
    session_.head_.clear();
    gateway::http::detail::append_head(session_.head_, head);
    return {};
}

net::awaitable<error_code> request_context::flush_head() {
    if (!head_pending_) co_return error_code{};
    head_pending_ = false;
    co_return note_write(co_await session_.send_all(net::buffer(session_.head_)));
}

net::awaitable<error_code> request_context::write(std::string_view bytes) {
    if (!response_started_ || response_finished_) co_return make_error_code(errc::bad_request);
    if (bytes.empty()) co_return error_code{};
    if (bytes_written_ == 0) first_byte_at_ = std::chrono::steady_clock::now();
    bytes_written_ += bytes.size();
    if (close_delimited_) {
        const net::const_buffer data = net::buffer(bytes.data(), bytes.size());
        if (head_pending_) {
            head_pending_ = false;
            const std::array<net::const_buffer, 2> with_head{net::buffer(session_.head_), data};
            co_return note_write(co_await session_.send_all(with_head));
        }
        co_return note_write(co_await session_.send_all(data));
    }
    const gateway::http::detail::chunk_buffers chunk(bytes);
    if (head_pending_) {
        head_pending_ = false;
        const auto& c = chunk.buffers();
        const std::array<net::const_buffer, 4> with_head{net::buffer(session_.head_), c[0], c[1],
                                                         c[2]};
        co_return note_write(co_await session_.send_all(with_head));
    }
    co_return note_write(co_await session_.send_all(chunk.buffers()));
}

net::awaitable<error_code> request_context::end_stream() {
    if (!response_started_ || response_finished_) co_return make_error_code(errc::bad_request);
    // A close-delimited body has no last chunk: the close that follows ends it.
    const net::const_buffer last =
        close_delimited_ ? net::const_buffer{} : net::buffer(gateway::http::detail::last_chunk);
    run_last_write_hook();
    error_code ec;
    if (head_pending_) {
        head_pending_ = false;
        const std::array<net::const_buffer, 2> with_head{net::buffer(session_.head_), last};
        ec = co_await session_.send_all(with_head);
    } else {
        ec = co_await session_.send_all(last);
    }
    response_finished_ = !ec;
    co_return note_write(ec);
}

void request_context::on_client_close(std::function<void()> on_close) {
    auto& watch = session_.watch_;
    if (watch->fired) {
        on_close();
        return;
    }
    watch->callback = std::move(on_close);
    watch->active = true;  // armed by the worker's next sweep
}

void request_context::stop_watching() noexcept {
    session_.watch_->active = false;
    session_.watch_->callback = nullptr;
}

bool request_context::client_closed() const noexcept { return session_.watch_->fired; }

void request_context::run_last_write_hook() {
    if (!last_write_hook_) return;
    const std::function<void()> hook = std::move(last_write_hook_);
    last_write_hook_ = nullptr;
    hook();
}

error_code request_context::note_write(error_code ec) noexcept {
    // The client is gone or stopped reading (write_timeout): for the handler, closed. Noted
    // here because the watch may not be armed yet (see session::arm_watch_if_asked).
    if (ec) {
        session_.watch_->fired = true;
        session_.watch_->active = false;
    }
    return ec;
}

// ---------------------------------------------------------------------------------------------
// session

net::awaitable<error_code> session::write_error(unsigned status, std::string_view path,
                                                std::string_view message) {
    http::response<http::string_body> res{static_cast<http::status>(status), 11};
    res.set(http::field::content_type, "application/json");
    res.set("X-Request-Id", next_request_id());
    res.body() = error_body(format_for_path(path), status, message);
    res.keep_alive(false);
    res.prepare_payload();
    co_return co_await write_response(res);
}

net::awaitable<error_code> session::write_early(const early_response& early) {
    http::response<http::string_body> res{static_cast<http::status>(early.status), 11};
    res.set(http::field::content_type, early.content_type);
    res.set("X-Request-Id", next_request_id());
    res.body() = early.body;
    res.keep_alive(false);
    res.prepare_payload();
    co_return co_await write_response(res);
}

net::awaitable<error_code> session::write_busy(std::string_view path) {
    http::response<http::string_body> res{http::status::service_unavailable, 11};
    res.set(http::field::content_type, "application/json");
    res.set("X-Request-Id", next_request_id());
    // A second: bodies in flight finish with their requests, most within that.
    res.set(http::field::retry_after, "1");
    res.body() = error_body(format_for_path(path), 503,
                            "the server holds too many request bodies at once; retry later");
    res.keep_alive(false);
    res.prepare_payload();
    co_return co_await write_response(res);
}

net::awaitable<error_code> session::write_response(const http::response<http::string_body>& res) {
    head_.clear();
    gateway::http::detail::append_head(head_, res.base());
    const std::array<net::const_buffer, 2> buffers{net::buffer(head_), net::buffer(res.body())};
    co_return co_await send_all(buffers);
}

net::awaitable<error_code> session::write_continue() {
    static constexpr std::string_view continue_line = "HTTP/1.1 100 Continue\r\n\r\n";
    co_return co_await send_all(net::const_buffer(continue_line.data(), continue_line.size()));
}

net::awaitable<void> session::linger() {
    error_code ec;
    socket_.shutdown(tcp::socket::shutdown_send, ec);
    if (ec) co_return;
    const auto& options = server_->options;
    std::size_t dropped = buffer_.size();
    buffer_.consume(buffer_.size());
    idle_ = true;  // close_idle_connections ends it at once
    expire_in(options.linger_timeout);
    while (!closing_ && dropped < options.linger_bytes) {
        // Read into the buffer's free space and never commit: the bytes are dropped.
        auto [read_ec, n] =
            co_await socket_.async_read_some(buffer_.prepare(16 * 1024), use_tuple);
        if (read_ec) break;  // the client closed, or the deadline passed
        dropped += n;
    }
    deadline_ = no_deadline;
}

template <class ConstBuffers>
net::awaitable<error_code> session::send_all(const ConstBuffers& buffers) {
    error_code ec;
    const std::size_t sent = gateway::http::detail::write_now(socket_, buffers, ec);
    if (ec || sent == net::buffer_size(buffers)) co_return ec;
    beast::buffers_suffix<ConstBuffers> rest(buffers);
    rest.consume(sent);
    expire_in(server_->options.write_timeout);
    auto [write_ec, n] = co_await net::async_write(socket_, rest, use_tuple);
    (void)n;
    deadline_ = no_deadline;
    co_return write_ec;
}

net::awaitable<void> session::run() {
    server_->register_session(this, worker_);
    struct unregister {
        session* self;
        ~unregister() { self->server_->unregister_session(self->registration_, self->worker_); }
    } unregister_on_exit{this};

    const auto& options = server_->options;
    error_code ignored;
    socket_.set_option(tcp::no_delay(true), ignored);
    // The close watcher peeks and send_all writes without blocking; Asio's async operations are
    // unaffected.
    socket_.non_blocking(true, ignored);

    bool first = true;
    while (!closing_) {
        if (!first && server_->draining.load(std::memory_order_relaxed)) break;
        http::request_parser<http::string_body> parser;
        parser.header_limit(static_cast<std::uint32_t>(options.max_header_bytes));
        parser.body_limit(options.max_body_bytes);

        idle_ = true;
        expire_in(first ? options.header_timeout : options.idle_timeout);
        auto [read_ec, header_bytes] =
            co_await http::async_read_header(socket_, buffer_, parser, use_tuple);
        deadline_ = no_deadline;
        (void)header_bytes;
        idle_ = false;
        first = false;
        if (read_ec) {
            error_code answer_ec = make_error_code(errc::bad_request);  // stays set: no answer
            if (read_ec == http::error::body_limit) {
                // Beast checks a declared Content-Length against the limit with the headers.
                const std::string why = too_large_message(options);
                answer_ec = co_await write_error(413, parser.get().target(), why);
            } else if (read_ec == http::error::header_limit) {
                answer_ec = co_await write_error(431, "/", "request headers too large");
            } else if (read_ec.category() ==
                           http::make_error_code(http::error::bad_target).category() &&
                       read_ec != http::error::end_of_stream &&
                       read_ec != http::error::partial_message) {
                const std::string why = fmt::format("malformed HTTP request: {}", read_ec.message());
                answer_ec = co_await write_error(400, "/", why);
            }
            if (!answer_ec) co_await linger();
            break;
        }

        auto& header = parser.get();
        std::string_view target = header.target();
        // Framing that Beast accepted but that cannot be trusted: answered and closed before
        // any byte after the head is taken for a body or for the next request.
        const transfer_framing framing = framing_of(header);
        if (framing == transfer_framing::not_chunked ||
            (framing != transfer_framing::none && header.version() < 11)) {
            const std::string_view why =
                header.version() < 11
                    ? "malformed HTTP request: Transfer-Encoding in HTTP/1.0"
                    : "malformed HTTP request: the final transfer coding must be chunked";
            if (!co_await write_error(400, target, why)) co_await linger();
            break;
        }
        if (framing == transfer_framing::unsupported) {
            if (!co_await write_error(501, target,
                                      "unsupported transfer coding: only chunked is implemented")) {
                co_await linger();
            }
            break;
        }
        // Both Transfer-Encoding and Content-Length: served by the former, and the connection
        // closed after (RFC 9112 §6.1). Beast 1.81 refuses such a request when it is chunked;
        // this holds whatever it does.
        const bool framing_suspect =
            framing != transfer_framing::none && header.count(http::field::content_length) != 0;
        // The relay's judgement on the head alone (a missing key): the body is never read.
        if (server_->check) {
            std::optional<early_response> early;
            try {
                early = server_->check(header);
            } catch (const std::exception& e) {
                log::error(fmt::format("head check failed: {}", e.what()));
                early = early_response{500, "application/json",
                                       error_body(format_for_path(target), 500,
                                                  "internal error: the request was not read")};
            }
            if (early) {
                if (!co_await write_early(*early)) co_await linger();
                break;
            }
        }

        body_reservation reservation{*server_};
        if (!parser.is_done()) {
            const auto declared = parser.content_length();
            if (declared && !reservation.cover(static_cast<std::size_t>(*declared))) {
                if (!co_await write_busy(target)) co_await linger();
                break;
            }
            if (beast::iequals(header[http::field::expect], "100-continue")) {
                if (co_await write_continue()) break;
            }
            // Read and parsed here rather than by Beast's async_read: body bytes that came with
            // the headers need no trip through the scheduler, and a chunked body is counted
            // against the budget as it grows.
            parser.eager(true);
            error_code body_ec;
            bool over_budget = false;
            bool read_first = buffer_.size() == 0;
            expire_in(options.body_timeout);
            while (!parser.is_done()) {
                if (read_first) {
                    auto [some_ec, n] =
                        co_await socket_.async_read_some(buffer_.prepare(64 * 1024), use_tuple);
                    if (some_ec) {
                        body_ec = some_ec;
                        break;
                    }
                    buffer_.commit(n);
                }
                read_first = true;
                const std::size_t used = parser.put(buffer_.data(), body_ec);
                buffer_.consume(used);
                if (body_ec == http::error::need_more) body_ec = {};
                if (body_ec) break;
                if (!declared && !reservation.cover(parser.get().body().capacity())) {
                    over_budget = true;
                    break;
                }
            }
            deadline_ = no_deadline;
            if (over_budget) {
                if (!co_await write_busy(target)) co_await linger();
                break;
            }
            if (body_ec == http::error::body_limit) {
                const std::string why = too_large_message(options);
                if (!co_await write_error(413, target, why)) co_await linger();
                break;
            }
            if (body_ec) break;
        }

        ++server_->requests;
        request_context ctx{*this, parser.release(), next_request_id(), worker_};
        if (framing_suspect) ctx.close_after_response();
        try {
            co_await server_->handler(ctx);
        } catch (const std::exception& e) {
            log::error(fmt::format("request {}: handler failed: {}", ctx.request_id(), e.what()));
        }
        ctx.stop_watching();
        if (!ctx.response_started_ && !watch_->fired) {
            co_await ctx.send(500, "application/json",
                              error_body(format_for_path(ctx.path()), 500,
                                         "internal error: no response was produced"));
        }
        --server_->requests;
        bool keep_alive = ctx.response_finished_ && ctx.keep_alive_ && ctx.request().keep_alive() &&
                          !close_requested_ && !watch_->fired;
        if (!keep_alive) break;
        watch_->fired = false;
    }
    socket_.shutdown(tcp::socket::shutdown_send, ignored);
    socket_.close(ignored);
}

// ---------------------------------------------------------------------------------------------
// http_server

net::awaitable<void> http_server::impl::accept_loop() {
    auto self = shared_from_this();
    while (acceptor && acceptor->is_open()) {
        auto worker = pool.next_index();
        auto [ec, socket] = co_await acceptor->async_accept(pool.context(worker), use_tuple);
        if (ec) {
            if (ec == net::error::operation_aborted || !acceptor->is_open()) break;
            // Out of descriptors and similar: back off instead of spinning.
            log::warn(fmt::format("accept failed: {}", ec.message()));
            net::steady_timer timer{co_await net::this_coro::executor};
            timer.expires_after(std::chrono::milliseconds(50));
            co_await timer.async_wait(use_tuple);
            continue;
        }
        auto s = std::make_shared<session>(self, std::move(socket), worker);
        net::co_spawn(
            pool.context(worker), [s]() -> net::awaitable<void> { co_await s->run(); },
            net::detached);
    }
    // Destroyed here, on its own thread, so no I/O object outlives a running context.
    acceptor.reset();
    accepting = false;
}

void http_server::impl::register_session(session* s, std::size_t worker) {
    auto& registry = registries[worker];
    s->registration_ = registry.insert(registry.end(), s);
    ++connections;
    if (sweeps[worker] == nullptr) {
        auto sweep = std::make_shared<deadline_sweep>(pool.context(worker), worker);
        sweeps[worker] = sweep.get();
        arm_sweep(std::move(sweep));
    }
}

void http_server::impl::unregister_session(std::list<session*>::iterator registration,
                                           std::size_t worker) {
    auto& registry = registries[worker];
    registry.erase(registration);
    --connections;
    // An idle worker holds no timer, so a pool being joined is not kept waiting for a tick.
    if (registry.empty() && sweeps[worker] != nullptr) sweeps[worker]->timer.cancel();
}

void http_server::impl::arm_sweep(std::shared_ptr<deadline_sweep> sweep) {
    sweep->timer.expires_after(sweep_every);
    sweep->timer.async_wait([self = shared_from_this(), sweep](error_code ec) mutable {
        const std::size_t worker = sweep->worker;
        if (self->registries[worker].empty()) {
            self->sweeps[worker] = nullptr;
            return;
        }
        // A cancelled wait whose worker has a new connection by now only re-arms.
        if (!ec) {
            const auto now = clock_type::now();
            // Cancelling only wakes a session's coroutine later; the list is not changed here.
            for (session* s : self->registries[worker]) {
                s->cancel_if_due(now);
                s->arm_watch_if_asked();
            }
        }
        self->arm_sweep(std::move(sweep));
    });
}

template <class F>
void http_server::impl::for_each_session(F f) {
    for (std::size_t i = 0; i < pool.size(); ++i) {
        net::post(pool.context(i), [self = shared_from_this(), i, f] {
            // Copy: closing may erase the session from the list.
            std::vector<session*> sessions(self->registries[i].begin(), self->registries[i].end());
            for (auto* s : sessions) f(*s);
        });
    }
}

http_server::http_server(io_pool& pool, server_options options, request_handler handler,
                         head_check check)
    : impl_(std::make_shared<impl>(pool, std::move(options), std::move(handler),
                                   std::move(check))) {}

http_server::~http_server() { stop_accepting(); }

result<void> http_server::listen() {
    error_code ec;
    auto address = net::ip::make_address(impl_->options.host, ec);
    if (ec) return ec;
    tcp::endpoint endpoint{address, impl_->options.port};
    auto acceptor = std::make_unique<tcp::acceptor>(impl_->pool.context(0));
    acceptor->open(endpoint.protocol(), ec);
    if (ec) return ec;
    acceptor->set_option(net::socket_base::reuse_address(true), ec);
    if (ec) return ec;
    acceptor->bind(endpoint, ec);
    if (ec) return ec;
    acceptor->listen(net::socket_base::max_listen_connections, ec);
    if (ec) return ec;
    impl_->bound_port = acceptor->local_endpoint().port();
    impl_->acceptor = std::move(acceptor);
    impl_->accepting = true;
    net::co_spawn(impl_->pool.context(0), impl_->accept_loop(), net::detached);
    return {};
}

std::uint16_t http_server::port() const noexcept { return impl_->bound_port.load(); }

void http_server::stop_accepting() {
    net::post(impl_->pool.context(0), [self = impl_] {
        if (self->acceptor) {
            error_code ignored;
            self->acceptor->close(ignored);
        }
    });
}

void http_server::close_idle_connections() {
    impl_->for_each_session([](session& s) { s.close_if_idle(); });
}

void http_server::close_all_connections() {
    impl_->for_each_session([](session& s) { s.close_now(); });
}

bool http_server::shutdown(std::chrono::milliseconds grace) {
    impl_->draining = true;
    stop_accepting();
    close_idle_connections();
    auto deadline = std::chrono::steady_clock::now() + grace;
    while (impl_->requests.load() > 0 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    bool in_time = impl_->requests.load() == 0;
    while (impl_->accepting.load() && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    // Sessions that finished their request close themselves; force the rest.
    close_all_connections();
    auto close_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    while (impl_->connections.load() > 0 && std::chrono::steady_clock::now() < close_deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return in_time;
}

std::size_t http_server::open_connections() const noexcept { return impl_->connections.load(); }

std::size_t http_server::requests_in_flight() const noexcept { return impl_->requests.load(); }

std::size_t http_server::body_bytes_in_flight() const noexcept {
    return impl_->body_bytes.load();
}

}  // namespace gateway::server
