#include "gateway/http/client.hpp"

#include "http/inflate.hpp"
#include "http/url.hpp"
#include "http/view_body.hpp"
#include "http/wire.hpp"

#include <fmt/format.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_suffix.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <exception>
#include <limits>
#include <stdexcept>
#include <tuple>
#include <utility>
#include <vector>

namespace gateway::http {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;

namespace {

using clock_type = std::chrono::steady_clock;
using time_point = clock_type::time_point;

constexpr time_point no_deadline = time_point::max();
constexpr auto use_tuple = net::as_tuple(net::use_awaitable);

/// `now + d`, capped by `cap`; `cap` itself when `d` is zero (no deadline of its own).
time_point deadline_after(std::chrono::milliseconds d, time_point cap) noexcept {
    if (d.count() <= 0) return cap;
    const time_point now = clock_type::now();
    if (cap != no_deadline && cap - now <= d) return cap;
    return now + d;
}

void set_expiry(beast::tcp_stream& stream, time_point deadline) {
    if (deadline == no_deadline) {
        stream.expires_never();
    } else {
        stream.expires_at(deadline);
    }
}

bool is_timeout(const error_code& ec, time_point deadline) noexcept {
    return ec == beast::error::timeout ||
           (deadline != no_deadline && clock_type::now() >= deadline);
}

}  // namespace

namespace detail {

using parser_type = bhttp::response_parser<view_body>;
using tls_stream_type = beast::ssl_stream<beast::tcp_stream>;

/// One upstream connection, plain or TLS, with the read buffer that outlives each response so
/// bytes the upstream sent early are not lost.
class connection {
  public:
    // `read_bytes`: the buffer's size while it holds no header (client_options::read_buffer_bytes).
    connection(const net::any_io_executor& executor, std::shared_ptr<ssl::context> tls,
               const upstream_target& target, std::size_t buffer_limit, std::size_t read_bytes)
        : tls_context_(std::move(tls)),
          host_(target.host),
          port_(target.port),
          buffer_(buffer_limit) {
        if (tls_context_) {
            tls_.emplace(executor, *tls_context_);
        } else {
            plain_.emplace(executor);
        }
        buffer_.reserve(std::min(read_bytes, buffer_limit));
    }

    ~connection() { close(); }
    connection(const connection&) = delete;
    connection& operator=(const connection&) = delete;

    bool is_tls() const noexcept { return tls_.has_value(); }
    tls_stream_type& tls_stream() noexcept { return *tls_; }
    beast::tcp_stream& plain_stream() noexcept { return *plain_; }
    beast::tcp_stream& tcp() noexcept { return tls_ ? beast::get_lowest_layer(*tls_) : *plain_; }
    beast::flat_buffer& buffer() noexcept { return buffer_; }

    bool same_host(bool tls, std::string_view host, std::uint16_t port) const noexcept {
        return is_tls() == tls && port_ == port && host_ == host;
    }
    const std::string& host() const noexcept { return host_; }
    std::uint16_t port() const noexcept { return port_; }

    time_point idle_since{};

    /// Closes the socket: pending operations complete with `operation_aborted`.
    void close() noexcept {
        try {
            if (tls_ || plain_) tcp().close();
        } catch (...) {  // NOLINT(bugprone-empty-catch): closing is best effort
        }
    }

  private:
    // The SSL objects keep their SSL_CTX alive by reference count; holding the context too keeps
    // the Asio wrapper (and its callbacks) alive whatever the destruction order.
    std::shared_ptr<ssl::context> tls_context_;
    std::optional<beast::tcp_stream> plain_;
    std::optional<tls_stream_type> tls_;
    std::string host_;
    std::uint16_t port_;
    beast::flat_buffer buffer_;
};

/// Idle connections to one (scheme, host, port), oldest first.
struct host_pool {
    bool tls = false;
    std::string host;
    std::uint16_t port = 0;
    std::vector<std::unique_ptr<connection>> idle;
};

class upstream_exchange;

}  // namespace detail

namespace {

std::string_view scheme_name(bool tls) noexcept { return tls ? "https" : "http"; }

}  // namespace

using detail::connection;
using detail::host_pool;
using detail::parser_type;
using detail::upstream_exchange;

struct client::impl : std::enable_shared_from_this<client::impl> {
    impl(net::any_io_executor ex, client_options opts);

    net::any_io_executor executor;
    client_options options;
    std::shared_ptr<ssl::context> tls_context;
    std::optional<detail::proxy_target> proxy;
    std::vector<host_pool> pools;
    std::size_t idle_count = 0;
    std::size_t opened = 0;
    // Armed while connections are pooled (and idle_connection_ttl is set), for the moment the
    // oldest of them expires: an idle pool closes its sockets at their TTL, not at its next use.
    net::steady_timer prune_timer;
    bool prune_armed = false;
    bool closed = false;  // the client is gone: exchanges that finish later are not pooled
    std::string last_error;

    error_code fail(errc e, std::string detail) {
        last_error = std::move(detail);
        return e;
    }

    // The URLs parsed last, round robin: a gateway calls the same few endpoints again and
    // again, and parsing one costs more than the rest of a request's header work. Shared, since
    // an open that is waiting on the network must not lose its target to a newer URL.
    std::array<std::pair<std::string, std::shared_ptr<const detail::upstream_target>>, 16>
        recent_targets;
    std::size_t next_target_slot = 0;
    /// The parsed `url`, null when it is malformed.
    std::shared_ptr<const detail::upstream_target> target_for(std::string_view url);

    std::unique_ptr<connection> take_idle(const detail::upstream_target& t);
    void put_idle(std::unique_ptr<connection> c) noexcept;
    void close_idle() noexcept;
    /// Closes the pooled connections idle for `idle_connection_ttl` or longer.
    void prune(time_point now) noexcept;
    /// Arms `prune_timer` for the oldest pooled connection's expiry, if any.
    void schedule_prune() noexcept;

    bool proxied(const detail::upstream_target& t) const noexcept {
        return proxy && !detail::bypasses_proxy(options.no_proxy, t.host);
    }

    /// `cancellation` (may be null) can stop the lookup while it runs.
    net::awaitable<std::tuple<error_code, tcp::resolver::results_type>> resolve(
        const std::string& host, std::uint16_t port, time_point deadline,
        open_cancellation* cancellation);

    /// TCP connection to `host` (a name, or an IP literal when `host_is_ip`); `what` names the
    /// peer in errors ("upstream.example:443", "proxy 10.0.0.1:3128").
    net::awaitable<error_code> dial(beast::tcp_stream& stream, const std::string& host,
                                    bool host_is_ip, std::uint16_t port, time_point deadline,
                                    std::string_view what, open_cancellation* cancellation);
    /// Asks the proxy for a tunnel to `t` over the freshly dialled `conn`.
    net::awaitable<error_code> open_tunnel(connection& conn, const detail::upstream_target& t,
                                           time_point deadline);

    /// A new connection to `t`, made in `conn` (where an `open_cancellation` can close it).
    net::awaitable<error_code> connect(const detail::upstream_target& t, time_point deadline,
                                       std::unique_ptr<connection>& conn,
                                       open_cancellation* cancellation);
    /// `cancellation` may be null.
    net::awaitable<result<std::unique_ptr<upstream_exchange>>> open(
        request req, open_cancellation* cancellation);
};

namespace detail {

/// The response side of one request; owns the connection until the body ends.
class upstream_exchange final : public exchange {
  public:
    upstream_exchange(std::weak_ptr<client::impl> owner, std::chrono::milliseconds idle,
                      time_point total_deadline, std::size_t max_body_bytes,
                      std::size_t read_buffer_bytes)
        : owner_(std::move(owner)),
          idle_(idle),
          total_deadline_(total_deadline),
          max_body_bytes_(max_body_bytes),
          read_buffer_bytes_(read_buffer_bytes) {}

    ~upstream_exchange() override { release(); }
    upstream_exchange(const upstream_exchange&) = delete;
    upstream_exchange& operator=(const upstream_exchange&) = delete;

    unsigned status() const noexcept override { return parser_->get().result_int(); }
    const bhttp::fields& headers() const noexcept override { return parser_->get(); }

    net::awaitable<result<std::string_view>> async_read_some() override;
    std::string_view read_buffered() noexcept override;
    net::awaitable<result<std::string>> async_read_all() override;
    void cancel() noexcept override;

    /// After the headers: decode the body if it is gzip or deflate (the headers then describe
    /// the decoded body). `errc::bad_upstream_response` for an encoding zlib cannot read.
    error_code start_decoding();

    // Used by client::impl while opening.

    parser_type& reset_parser(bool head_request, std::size_t max_header_bytes) {
        parser_.reset();
        parser_.emplace();
        parser_->header_limit(static_cast<std::uint32_t>(
            std::min<std::size_t>(max_header_bytes, std::numeric_limits<std::uint32_t>::max())));
        // Streams are unbounded; async_read_all applies max_body_bytes itself.
        parser_->body_limit(boost::none);
        if (head_request) parser_->skip(true);
        return *parser_;
    }
    void attach(std::unique_ptr<connection> c) noexcept { conn_ = std::move(c); }

    bhttp::fields take_headers() noexcept {
        return std::move(static_cast<bhttp::fields&>(parser_->get()));
    }

  private:
    /// The next piece of the body as it came off the wire.
    net::awaitable<result<std::string_view>> read_raw();
    /// Feeds the parser what the connection has buffered, until body bytes come out, the message
    /// ends or the parser needs the socket. Beast's async_read_some does the same, but posts its
    /// completion through the scheduler even when it reads nothing. Returns a parse error.
    error_code parse_buffered();
    error_code fail(errc e, std::string detail) noexcept;
    error_code fail_io(const error_code& ec, time_point deadline) noexcept;
    /// Returns the connection to the pool if the response allows it, else closes it.
    void release() noexcept;

    std::weak_ptr<client::impl> owner_;
    std::unique_ptr<connection> conn_;
    std::optional<parser_type> parser_;
    std::unique_ptr<inflater> inflater_;
    std::chrono::milliseconds idle_;
    time_point total_deadline_;
    std::size_t max_body_bytes_;
    std::size_t read_buffer_bytes_;  // the inflater's output piece
    error_code error_;
    bool cancelled_ = false;
};

error_code upstream_exchange::fail(errc e, std::string detail) noexcept {
    error_ = e;
    if (conn_) {
        conn_->close();
        conn_.reset();
    }
    try {
        if (auto owner = owner_.lock()) owner->last_error = std::move(detail);
    } catch (...) {  // NOLINT(bugprone-empty-catch): the code is what matters
    }
    return error_;
}

error_code upstream_exchange::fail_io(const error_code& ec, time_point deadline) noexcept {
    try {
        if (ec == net::error::operation_aborted) {
            // Per-operation cancellation (e.g. an Asio cancellation slot of the caller).
            return fail(errc::cancelled, "the read was cancelled");
        }
        if (is_timeout(ec, deadline)) {
            return fail(errc::upstream_timeout,
                        fmt::format("upstream {}:{} sent no body bytes within the idle or total "
                                    "deadline",
                                    conn_ ? conn_->host() : "?", conn_ ? conn_->port() : 0));
        }
        return fail(errc::bad_upstream_response,
                    fmt::format("reading the response body failed: {}", ec.message()));
    } catch (...) {
        return fail(errc::bad_upstream_response, {});
    }
}

void upstream_exchange::release() noexcept {
    if (!conn_) return;
    std::unique_ptr<connection> c = std::move(conn_);
    // Bytes left in the buffer after a complete response are garbage: do not reuse.
    if (!cancelled_ && !error_ && parser_ && parser_->is_done() && parser_->keep_alive() &&
        c->buffer().size() == 0) {
        if (auto owner = owner_.lock()) {
            owner->put_idle(std::move(c));
            return;
        }
    }
    c->close();
}

void upstream_exchange::cancel() noexcept {
    cancelled_ = true;
    // Closing (not just cancelling) makes a pending read finish promptly, TLS included, and
    // guarantees the connection is never reused. The connection object itself stays until the
    // exchange dies: a pending read still refers to its stream and buffer.
    if (conn_) conn_->close();
}

error_code upstream_exchange::start_decoding() {
    auto& fields = parser_->get();
    const auto it = fields.find(bhttp::field::content_encoding);
    if (it == fields.end()) return {};
    switch (classify_content_encoding(it->value())) {
        case body_encoding::identity:
            return {};
        case body_encoding::unsupported:
            return fail(errc::bad_upstream_response,
                        fmt::format("the upstream answered with Content-Encoding '{}', which the "
                                    "gateway does not decode",
                                    std::string_view(it->value()).substr(0, 40)));
        case body_encoding::compressed:
            break;
    }
    inflater_ = std::make_unique<inflater>(read_buffer_bytes_);
    fields.erase(bhttp::field::content_encoding);
    fields.erase(bhttp::field::content_length);
    return {};
}

net::awaitable<result<std::string_view>> upstream_exchange::async_read_some() {
    if (!inflater_) co_return co_await read_raw();
    for (;;) {
        if (inflater_->has_input()) {
            auto decoded = inflater_->next();
            if (!decoded) {
                co_return fail(errc::bad_upstream_response,
                               "the upstream's compressed body is corrupt");
            }
            if (!decoded->empty()) co_return *decoded;
            continue;
        }
        auto raw = co_await read_raw();
        if (!raw || raw->empty()) {
            if (raw && !inflater_->complete()) {
                co_return fail(errc::bad_upstream_response,
                               "the upstream's compressed body ended before its end marker");
            }
            co_return raw;
        }
        inflater_->feed(*raw);
    }
}

net::awaitable<result<std::string_view>> upstream_exchange::read_raw() {
    try {
        if (cancelled_) co_return errc::cancelled;
        if (error_) co_return error_;
        if (!conn_) co_return std::string_view{};  // body complete, connection released

        connection* c = conn_.get();
        auto& body = parser_->get().body();
        body.clear();
        while (!parser_->is_done()) {
            const time_point deadline = deadline_after(idle_, total_deadline_);
            // Bytes already buffered need no socket read, so the stream's timer would not see
            // a total deadline that has passed.
            if (total_deadline_ != no_deadline && clock_type::now() >= total_deadline_) {
                co_return fail_io(beast::error::timeout, deadline);
            }
            if (const error_code parse_ec = parse_buffered()) {
                co_return fail_io(parse_ec, no_deadline);
            }
            if (body.size != 0) co_return body.view();
            if (parser_->is_done()) break;
            set_expiry(c->tcp(), deadline);
            // (Not a conditional expression: GCC 12 miscompiles co_await inside `?:`.)
            error_code ec;
            if (c->is_tls()) {
                std::tie(ec, std::ignore) = co_await bhttp::async_read_some(
                    c->tls_stream(), c->buffer(), *parser_, use_tuple);
            } else {
                std::tie(ec, std::ignore) = co_await bhttp::async_read_some(
                    c->plain_stream(), c->buffer(), *parser_, use_tuple);
            }
            if (cancelled_) co_return errc::cancelled;
            if (ec == bhttp::error::need_buffer) ec = {};
            if (ec == ssl::error::stream_truncated && parser_->is_header_done() &&
                parser_->need_eof()) {
                // A TLS peer that ends a close-delimited body without close_notify: the body
                // still ends at the close, as it would over plain TCP.
                ec = {};
                parser_->put_eof(ec);
            }
            if (ec) co_return fail_io(ec, deadline);
            if (body.size != 0) co_return body.view();
        }
        c->tcp().expires_never();
        release();
        co_return std::string_view{};
    } catch (const std::exception& e) {
        co_return fail(errc::bad_upstream_response, fmt::format("internal error: {}", e.what()));
    }
}

std::string_view upstream_exchange::read_buffered() noexcept {
    // Compressed bodies keep to async_read_some: the inflater owns their pieces.
    if (inflater_ || cancelled_ || error_ || !conn_) return {};
    auto& body = parser_->get().body();
    body.clear();
    if (const error_code ec = parse_buffered()) {
        fail_io(ec, no_deadline);  // seen by the next async_read_some
        return {};
    }
    return body.view();
}

error_code upstream_exchange::parse_buffered() {
    const auto& body = parser_->get().body();
    auto& buffer = conn_->buffer();
    while (!parser_->is_done() && buffer.size() != 0 && body.size == 0) {
        error_code ec;
        const std::size_t used = parser_->put(buffer.data(), ec);
        buffer.consume(used);
        if (ec == bhttp::error::need_more || ec == bhttp::error::need_buffer) break;
        if (ec) return ec;
        if (used == 0) break;
    }
    return {};
}

net::awaitable<result<std::string>> upstream_exchange::async_read_all() {
    try {
        std::string out;
        if (parser_->is_header_done()) {
            if (const auto remaining = parser_->content_length()) {
                if (*remaining > max_body_bytes_) {
                    co_return fail(errc::body_too_large,
                                   fmt::format("response body of {} bytes exceeds max_body_bytes "
                                               "({})",
                                               *remaining, max_body_bytes_));
                }
                out.reserve(static_cast<std::size_t>(*remaining));
            }
        }
        for (;;) {
            auto piece = co_await async_read_some();
            if (!piece) co_return piece.error();
            if (piece->empty()) break;
            if (piece->size() > max_body_bytes_ - out.size()) {
                co_return fail(
                    errc::body_too_large,
                    fmt::format("response body exceeds max_body_bytes ({})", max_body_bytes_));
            }
            out.append(piece->data(), piece->size());
        }
        co_return out;
    } catch (const std::exception& e) {
        co_return fail(errc::bad_upstream_response, fmt::format("internal error: {}", e.what()));
    }
}

}  // namespace detail

// ---------------------------------------------------------------------------------------------
// client::impl

client::impl::impl(net::any_io_executor ex, client_options opts)
    : executor(std::move(ex)), options(std::move(opts)), prune_timer(executor) {
    // Start-up only: a bad CA file is a configuration error and throws.
    tls_context = std::make_shared<ssl::context>(ssl::context::tls_client);
    tls_context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                             ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                             ssl::context::no_tlsv1_1);
    error_code ec;
    // A missing system store is not fatal: ca_file may be all that is trusted.
    tls_context->set_default_verify_paths(ec);
    if (!options.ca_file.empty()) {
        tls_context->load_verify_file(options.ca_file, ec);
        if (ec) {
            throw std::runtime_error(
                fmt::format("gateway::http::client: cannot load ca_file "
                            "'{}': {}",
                            options.ca_file, ec.message()));
        }
    }
    tls_context->set_verify_mode(options.verify_peer ? ssl::verify_peer : ssl::verify_none);
    if (!options.proxy.empty()) {
        auto parsed = detail::parse_proxy_url(options.proxy);
        // The value is not repeated: it may hold the proxy's password.
        if (!parsed) {
            throw std::runtime_error(
                "gateway::http::client: proxy is not an http://[user:password@]host[:port] URL");
        }
        proxy = std::move(*parsed);
    }
    for (const auto& [host, literal] : options.resolve_overrides) {
        net::ip::make_address(literal, ec);
        if (ec) {
            throw std::runtime_error(fmt::format(
                "gateway::http::client: resolve_overrides['{}'] = '{}' is not an IP address", host,
                literal));
        }
    }
}

std::unique_ptr<connection> client::impl::take_idle(const detail::upstream_target& t) {
    auto it = std::find_if(pools.begin(), pools.end(), [&](const host_pool& p) {
        return p.tls == t.tls && p.port == t.port && p.host == t.host;
    });
    if (it == pools.end()) return nullptr;
    const time_point now = clock_type::now();
    // Newest first: the most recently used connection is the most likely to still be open.
    while (!it->idle.empty()) {
        std::unique_ptr<connection> c = std::move(it->idle.back());
        it->idle.pop_back();
        --idle_count;
        if (options.idle_connection_ttl.count() > 0 &&
            now - c->idle_since >= options.idle_connection_ttl) {
            // The rest are older still.
            idle_count -= it->idle.size();
            it->idle.clear();
            return nullptr;
        }
        return c;
    }
    return nullptr;
}

void client::impl::put_idle(std::unique_ptr<connection> c) noexcept {
    try {
        if (options.max_idle_connections_per_host == 0 || closed) return;
        c->tcp().expires_never();
        auto it = std::find_if(pools.begin(), pools.end(), [&](const host_pool& p) {
            return c->same_host(p.tls, p.host, p.port);
        });
        if (it == pools.end()) {
            pools.push_back(host_pool{c->is_tls(), c->host(), c->port(), {}});
            it = std::prev(pools.end());
        }
        const time_point now = clock_type::now();
        auto& idle = it->idle;
        if (options.idle_connection_ttl.count() > 0) {
            const auto fresh = std::find_if(idle.begin(), idle.end(), [&](const auto& p) {
                return now - p->idle_since < options.idle_connection_ttl;
            });
            idle_count -= static_cast<std::size_t>(fresh - idle.begin());
            idle.erase(idle.begin(), fresh);
        }
        if (idle.size() >= options.max_idle_connections_per_host) {
            idle.erase(idle.begin());  // drop the oldest
            --idle_count;
        }
        c->idle_since = now;
        idle.push_back(std::move(c));
        ++idle_count;
        if (!prune_armed) schedule_prune();
    } catch (...) {  // NOLINT(bugprone-empty-catch): c closes in its destructor
    }
}

void client::impl::close_idle() noexcept {
    pools.clear();
    idle_count = 0;
    prune_armed = false;
    prune_timer.cancel();
}

void client::impl::prune(time_point now) noexcept {
    for (auto& pool : pools) {
        // Oldest first: the expired ones are a prefix.
        const auto fresh = std::find_if(pool.idle.begin(), pool.idle.end(), [&](const auto& c) {
            return now - c->idle_since < options.idle_connection_ttl;
        });
        idle_count -= static_cast<std::size_t>(fresh - pool.idle.begin());
        pool.idle.erase(pool.idle.begin(), fresh);
    }
}

void client::impl::schedule_prune() noexcept {
    prune_armed = false;
    if (options.idle_connection_ttl.count() <= 0 || idle_count == 0) return;
    time_point oldest = time_point::max();
    for (const auto& pool : pools) {
        if (!pool.idle.empty()) oldest = std::min(oldest, pool.idle.front()->idle_since);
    }
    try {
        prune_timer.expires_at(oldest + options.idle_connection_ttl);
        // A weak reference: a pending wait must not keep a destroyed client's state alive.
        prune_timer.async_wait([weak = weak_from_this()](error_code ec) {
            auto self = weak.lock();
            if (ec || !self || !self->prune_armed) return;
            self->prune(clock_type::now());
            self->schedule_prune();
        });
        prune_armed = true;
    } catch (...) {  // NOLINT(bugprone-empty-catch): out of memory; take_idle checks the TTL too
    }
}

net::awaitable<std::tuple<error_code, tcp::resolver::results_type>> client::impl::resolve(
    const std::string& host, std::uint16_t port, time_point deadline,
    open_cancellation* cancellation) {
    // The resolver runs getaddrinfo off the I/O thread. A timer cancels it at the deadline; the
    // handler holds a weak_ptr so that a late timer never touches a finished resolver.
    auto resolver = std::make_shared<tcp::resolver>(executor);
    std::optional<net::steady_timer> timer;
    if (deadline != no_deadline) {
        timer.emplace(executor, deadline);
        timer->async_wait([weak = std::weak_ptr<tcp::resolver>(resolver)](error_code ec) {
            if (ec) return;
            if (auto r = weak.lock()) r->cancel();
        });
    }
    if (cancellation != nullptr) {
        cancellation->stop_lookup_ = [r = resolver.get()] { r->cancel(); };
    }
    auto [ec, results] = co_await resolver->async_resolve(host, std::to_string(port), use_tuple);
    if (cancellation != nullptr) cancellation->stop_lookup_ = nullptr;
    if (timer) timer->cancel();
    co_return std::tuple{ec, std::move(results)};
}

net::awaitable<error_code> client::impl::dial(beast::tcp_stream& stream, const std::string& host,
                                              bool host_is_ip, std::uint16_t port,
                                              time_point deadline, std::string_view what,
                                              open_cancellation* cancellation) {
    error_code ec;
    if (host_is_ip) {
        const auto address = net::ip::make_address(host, ec);
        if (ec) {
            co_return fail(errc::upstream_connect_failed,
                           fmt::format("bad address '{}' of {}: {}", host, what, ec.message()));
        }
        set_expiry(stream, deadline);
        std::tie(ec) = co_await stream.async_connect(tcp::endpoint(address, port), use_tuple);
    } else {
        auto [rec, endpoints] = co_await resolve(host, port, deadline, cancellation);
        if (rec) {
            if (is_timeout(rec, deadline)) {
                co_return fail(errc::upstream_timeout,
                               fmt::format("DNS lookup of {} timed out", what));
            }
            co_return fail(errc::upstream_connect_failed,
                           fmt::format("DNS lookup of {} failed: {}", what, rec.message()));
        }
        set_expiry(stream, deadline);
        std::tie(ec, std::ignore) = co_await stream.async_connect(endpoints, use_tuple);
    }
    if (ec) {
        if (is_timeout(ec, deadline)) {
            co_return fail(errc::upstream_timeout, fmt::format("connecting to {} timed out", what));
        }
        co_return fail(errc::upstream_connect_failed,
                       fmt::format("connecting to {} failed: {}", what, ec.message()));
    }
    co_return error_code{};
}

net::awaitable<error_code> client::impl::open_tunnel(connection& conn,
                                                     const detail::upstream_target& t,
                                                     time_point deadline) {
    // CONNECT names the upstream in authority form, port always included (RFC 9110 9.3.6).
    std::string authority = t.host.find(':') != std::string::npos ? "[" + t.host + "]" : t.host;
    authority += ':';
    authority += std::to_string(t.port);
    const std::string via = fmt::format("proxy {}:{}", proxy->host, proxy->port);

    bhttp::request<bhttp::empty_body> req{bhttp::verb::connect, authority, 11};
    req.set(bhttp::field::host, authority);
    if (!proxy->authorization.empty()) {
        req.set(bhttp::field::proxy_authorization, proxy->authorization);
    }
    beast::tcp_stream& stream = conn.tcp();
    set_expiry(stream, deadline);
    auto [wec, written] = co_await bhttp::async_write(stream, req, use_tuple);
    (void)written;
    // A 2xx answer to CONNECT has no body whatever its headers say: read the header only.
    bhttp::response_parser<bhttp::empty_body> parser;
    parser.skip(true);
    error_code rec = wec;
    if (!rec) {
        std::tie(rec, std::ignore) =
            co_await bhttp::async_read_header(stream, conn.buffer(), parser, use_tuple);
    }
    if (rec) {
        if (is_timeout(rec, deadline)) {
            co_return fail(errc::upstream_timeout,
                           fmt::format("{} did not open a tunnel to {} in time", via, authority));
        }
        co_return fail(errc::upstream_connect_failed,
                       fmt::format("{} failed while opening a tunnel to {}: {}", via, authority,
                                   rec.message()));
    }
    const unsigned status = parser.get().result_int();
    if (status < 200 || status >= 300) {
        co_return fail(errc::upstream_connect_failed,
                       fmt::format("{} refused a tunnel to {}: {} {}", via, authority, status,
                                   std::string_view(parser.get().reason()).substr(0, 80)));
    }
    if (conn.buffer().size() != 0) {
        co_return fail(errc::upstream_connect_failed,
                       fmt::format("{} sent bytes before the TLS handshake", via));
    }
    co_return error_code{};
}

net::awaitable<error_code> client::impl::connect(const detail::upstream_target& t,
                                                 time_point deadline,
                                                 std::unique_ptr<connection>& conn,
                                                 open_cancellation* cancellation) {
    conn = std::make_unique<connection>(
        executor, t.tls ? tls_context : nullptr, t,
        std::max(options.max_header_bytes, std::size_t{1024}) + options.read_buffer_bytes,
        options.read_buffer_bytes);
    beast::tcp_stream& stream = conn->tcp();

    error_code ec;
    if (proxied(t)) {
        ec = co_await dial(stream, proxy->host, proxy->host_is_ip, proxy->port, deadline,
                           fmt::format("proxy {}:{}", proxy->host, proxy->port), cancellation);
        if (!ec && t.tls) ec = co_await open_tunnel(*conn, t, deadline);
    } else {
        const auto pinned = options.resolve_overrides.find(t.host);
        const bool literal = t.host_is_ip || pinned != options.resolve_overrides.end();
        const std::string& address = literal && !t.host_is_ip ? pinned->second : t.host;
        const std::string what = fmt::format("{}:{}", t.host, t.port);
        ec = co_await dial(stream, address, literal, t.port, deadline, what, cancellation);
    }
    if (ec) co_return ec;
    ++opened;
    stream.socket().set_option(tcp::no_delay(true), ec);  // small writes must not wait
    // write_now sends a plain request without blocking; Asio's async operations are unaffected.
    if (!t.tls) stream.socket().non_blocking(true, ec);

    if (t.tls) {
        SSL* ssl_handle = conn->tls_stream().native_handle();
        if (!t.host_is_ip) {
            // SNI (RFC 6066 forbids IP literals there). SSL_set_tlsext_host_name is a macro with
            // a C cast; this is its expansion.
            if (SSL_ctrl(ssl_handle, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                         const_cast<char*>(t.host.c_str())) != 1) {
                co_return fail(errc::upstream_connect_failed,
                               fmt::format("cannot set TLS SNI to {}", t.host));
            }
        }
        if (options.verify_peer) {
            // OpenSSL checks the name during chain verification, so a mismatch is reported as
            // X509_V_ERR_HOSTNAME_MISMATCH / IP_ADDRESS_MISMATCH rather than a bare failure.
            const int ok = t.host_is_ip ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_handle),
                                                                        t.host.c_str())
                                        : SSL_set1_host(ssl_handle, t.host.c_str());
            if (ok != 1) {
                co_return fail(errc::upstream_connect_failed,
                               fmt::format("cannot set the expected TLS peer name {}", t.host));
            }
        }
        set_expiry(stream, deadline);
        auto [hec] =
            co_await conn->tls_stream().async_handshake(ssl::stream_base::client, use_tuple);
        if (hec) {
            if (is_timeout(hec, deadline)) {
                co_return fail(errc::upstream_timeout,
                               fmt::format("TLS handshake with {}:{} timed out", t.host, t.port));
            }
            const long verify = SSL_get_verify_result(ssl_handle);
            if (verify != X509_V_OK) {
                co_return fail(errc::upstream_connect_failed,
                               fmt::format("TLS certificate verification failed for {}:{}: {}",
                                           t.host, t.port, X509_verify_cert_error_string(verify)));
            }
            co_return fail(
                errc::upstream_connect_failed,
                fmt::format("TLS handshake with {}:{} failed: {}", t.host, t.port, hec.message()));
        }
    }
    stream.expires_never();
    co_return error_code{};
}

std::shared_ptr<const detail::upstream_target> client::impl::target_for(std::string_view url) {
    for (const auto& [cached_url, target] : recent_targets) {
        if (target && cached_url == url) return target;
    }
    auto parsed = detail::parse_upstream_url(url);
    if (!parsed) return nullptr;
    auto target = std::make_shared<const detail::upstream_target>(std::move(*parsed));
    auto& slot = recent_targets[next_target_slot++ % recent_targets.size()];
    slot.first.assign(url);
    slot.second = target;
    return target;
}

net::awaitable<result<std::unique_ptr<upstream_exchange>>> client::impl::open(
    request req, open_cancellation* cancellation) {
    const auto target = target_for(req.url);
    // The URL itself is not repeated: query strings can carry API keys.
    if (!target) co_return fail(errc::bad_request, "malformed upstream URL");
    const detail::upstream_target& t = *target;

    const timeouts tmo = req.deadlines.value_or(options.default_timeouts);
    const time_point total_deadline = deadline_after(tmo.total, no_deadline);

    const bool plain_via_proxy = !t.tls && proxied(t);
    detail::request_head request_head;
    request_head.method = req.method;
    request_head.headers = &req.headers;
    // A proxy is asked for an absolute URL (RFC 9112 3.2.2).
    const std::string absolute = plain_via_proxy ? "http://" + t.host_header + t.target : "";
    request_head.target = plain_via_proxy ? std::string_view(absolute) : t.target;
    if (plain_via_proxy) request_head.proxy_authorization = proxy->authorization;
    request_head.accept_gzip = options.request_gzip;
    request_head.host = t.host_header;
    request_head.user_agent = "gatewayd/0.1";
    request_head.body_size = req.body.size();
    const bool head_request = req.method == bhttp::verb::head;

    auto ex =
        std::make_unique<upstream_exchange>(weak_from_this(), tmo.idle, total_deadline,
                                            options.max_body_bytes, options.read_buffer_bytes);
    std::string head;
    detail::append_head(head, request_head);
    const std::array<net::const_buffer, 2> request_bytes{net::buffer(head), net::buffer(req.body)};

    std::unique_ptr<connection> conn = take_idle(t);
    // While the open waits, a cancellation closes `conn` (whichever connection it holds then).
    struct watched_by {
        open_cancellation* cancellation;
        ~watched_by() {
            if (cancellation == nullptr) return;
            cancellation->connection_ = nullptr;
            cancellation->stop_lookup_ = nullptr;
        }
    } watch{cancellation};
    auto cancelled = [&] { return cancellation != nullptr && cancellation->cancelled(); };
    if (cancellation != nullptr) cancellation->connection_ = &conn;
    for (;;) {
        if (cancelled()) co_return fail(errc::cancelled, "the request was cancelled");
        // A pooled connection the upstream closed while it was idle fails before any response
        // byte; that request never reached the upstream's application, so it is sent again, once,
        // on a new connection (a new connection is never retried).
        const bool reused = conn != nullptr;
        if (!conn) {
            const error_code cec = co_await connect(t, deadline_after(tmo.connect, total_deadline),
                                                    conn, cancellation);
            if (cancelled()) co_return fail(errc::cancelled, "connecting was cancelled");
            if (cec) co_return cec;
        }
        const time_point deadline = deadline_after(tmo.first_byte, total_deadline);
        set_expiry(conn->tcp(), deadline);

        error_code wec;
        if (conn->is_tls()) {
            std::tie(wec, std::ignore) =
                co_await net::async_write(conn->tls_stream(), request_bytes, use_tuple);
        } else {
            const std::size_t sent =
                detail::write_now(conn->plain_stream().socket(), request_bytes, wec);
            if (!wec && sent != net::buffer_size(request_bytes)) {
                beast::buffers_suffix<std::array<net::const_buffer, 2>> rest(request_bytes);
                rest.consume(sent);
                std::tie(wec, std::ignore) =
                    co_await net::async_write(conn->plain_stream(), rest, use_tuple);
            }
        }
        if (wec == net::error::operation_aborted || cancelled()) {
            co_return fail(errc::cancelled, "sending the request was cancelled");
        }
        if (wec) {
            if (is_timeout(wec, deadline)) {
                co_return fail(
                    errc::upstream_timeout,
                    fmt::format("sending the request to {}:{} timed out", t.host, t.port));
            }
            if (reused) {
                conn.reset();
                continue;
            }
            co_return fail(errc::upstream_connect_failed,
                           fmt::format("sending the request to {}:{} failed: {}", t.host, t.port,
                                       wec.message()));
        }

        error_code rec;
        bool received = false;  // any byte of a response (interim ones included)
        for (;;) {
            parser_type& parser = ex->reset_parser(head_request, options.max_header_bytes);
            if (conn->is_tls()) {
                std::tie(rec, std::ignore) = co_await bhttp::async_read_header(
                    conn->tls_stream(), conn->buffer(), parser, use_tuple);
            } else {
                std::tie(rec, std::ignore) = co_await bhttp::async_read_header(
                    conn->plain_stream(), conn->buffer(), parser, use_tuple);
            }
            received = received || parser.got_some() || conn->buffer().size() != 0;
            // Interim 1xx responses (e.g. 103 Early Hints) precede the real one.
            const unsigned status = rec ? 0 : parser.get().result_int();
            if (rec || status < 100 || status >= 200 || status == 101) break;
        }
        if (rec == net::error::operation_aborted || cancelled()) {
            co_return fail(errc::cancelled, "waiting for the response was cancelled");
        }
        if (rec) {
            if (is_timeout(rec, deadline)) {
                co_return fail(
                    errc::upstream_timeout,
                    fmt::format("no response headers from {}:{} in time", t.host, t.port));
            }
            if (!received) {
                if (reused) {
                    conn.reset();
                    continue;
                }
                co_return fail(errc::upstream_connect_failed,
                               fmt::format("{}://{}:{} closed the connection without responding: "
                                           "{}",
                                           scheme_name(t.tls), t.host, t.port, rec.message()));
            }
            if (rec == bhttp::error::header_limit) {
                co_return fail(errc::bad_upstream_response,
                               fmt::format("response headers from {}:{} exceed max_header_bytes "
                                           "({})",
                                           t.host, t.port, options.max_header_bytes));
            }
            co_return fail(errc::bad_upstream_response, fmt::format("bad response from {}:{}: {}",
                                                                    t.host, t.port, rec.message()));
        }
        ex->attach(std::move(conn));
        if (const error_code dec = ex->start_decoding()) co_return dec;
        co_return ex;
    }
}

// ---------------------------------------------------------------------------------------------
// client

bool valid_proxy_url(std::string_view url) noexcept {
    try {
        return detail::parse_proxy_url(url).has_value();
    } catch (...) {
        return false;
    }
}

client::client(net::any_io_executor executor, client_options options)
    : impl_(std::make_shared<impl>(std::move(executor), std::move(options))) {}

client::~client() {
    impl_->closed = true;
    impl_->close_idle();
}

net::awaitable<result<response>> client::async_send(request req) {
    // Keep the state alive for the whole call, whatever the caller does with *this.
    std::shared_ptr<impl> self = impl_;
    try {
        auto ex = co_await self->open(std::move(req), nullptr);
        if (!ex) co_return ex.error();
        auto body = co_await (*ex)->async_read_all();
        if (!body) co_return body.error();
        response res;
        res.status = (*ex)->status();
        res.headers = (*ex)->take_headers();
        res.body = std::move(*body);
        co_return res;
    } catch (const std::exception& e) {
        co_return self->fail(errc::upstream_connect_failed,
                             fmt::format("internal error: {}", e.what()));
    }
}

namespace {

net::awaitable<result<std::unique_ptr<exchange>>> open_exchange(std::shared_ptr<client::impl> self,
                                                                request req,
                                                                open_cancellation* cancellation) {
    try {
        auto ex = co_await self->open(std::move(req), cancellation);
        if (!ex) co_return ex.error();
        co_return std::unique_ptr<exchange>(std::move(*ex));
    } catch (const std::exception& e) {
        co_return self->fail(errc::upstream_connect_failed,
                             fmt::format("internal error: {}", e.what()));
    }
}

}  // namespace

net::awaitable<result<std::unique_ptr<exchange>>> client::async_open(request req) {
    return open_exchange(impl_, std::move(req), nullptr);
}

net::awaitable<result<std::unique_ptr<exchange>>> client::async_open(
    request req, open_cancellation& cancellation) {
    return open_exchange(impl_, std::move(req), &cancellation);
}

void open_cancellation::cancel() noexcept {
    cancelled_ = true;
    // Closing (as exchange::cancel does) ends a pending connect, handshake, write or read at
    // once; the connection object stays with the open until it returns.
    if (connection_ != nullptr && *connection_) (*connection_)->close();
    if (stop_lookup_) stop_lookup_();
}

std::size_t client::idle_connections() const noexcept { return impl_->idle_count; }

std::size_t client::connections_opened() const noexcept { return impl_->opened; }

void client::close_idle() noexcept { impl_->close_idle(); }

const std::string& client::last_error_detail() const noexcept { return impl_->last_error; }

}  // namespace gateway::http
