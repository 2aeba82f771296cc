#include "support/fake_upstream.hpp"

#include "support/fixtures.hpp"

#include <fmt/format.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/chunk_encode.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <atomic>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <sstream>
#include <thread>

namespace gateway::test {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;

namespace {

using error_code = boost::system::error_code;
constexpr auto use_tuple = net::as_tuple(net::use_awaitable);

}  // namespace

std::string chunked_framing(const std::vector<std::string>& chunks) {
    std::string framed;
    for (const auto& chunk : chunks) {
        if (chunk.empty()) continue;
        framed += fmt::format("{:x}\r\n", chunk.size());
        framed += chunk;
        framed += "\r\n";
    }
    return framed;
}

scripted_response json_response(unsigned status, std::string body) {
    scripted_response r;
    r.status = status;
    r.headers = {{"content-type", "application/json"}};
    r.chunks.push_back(std::move(body));
    r.chunked = false;
    return r;
}

scripted_response sse_response(std::string_view sse_body,
                               std::chrono::milliseconds delay_between_events) {
    scripted_response r;
    r.headers = {{"content-type", "text/event-stream"}, {"cache-control", "no-cache"}};
    r.chunks = split_sse_events(sse_body);
    r.chunked = true;
    r.delay_between_chunks = delay_between_events;
    return r;
}

// Sessions are coroutines on the server's own io_context. Stopping the server stops that
// context and joins its thread; the io_context's destructor then destroys the suspended
// session frames, which closes their sockets, so the destructor never waits for a client.
struct fake_upstream::impl {
    impl(handler h, const std::optional<tls_identity>& identity);
    ~impl();
    impl(const impl&) = delete;
    impl& operator=(const impl&) = delete;

    net::awaitable<void> accept_loop();
    net::awaitable<void> session(tcp::socket socket);
    template <class Stream>
    net::awaitable<void> serve(Stream& stream);
    template <class Stream>
    net::awaitable<bool> play(Stream& stream, const scripted_response& script, bool head);
    net::awaitable<bool> pause(beast::tcp_stream& lowest, std::chrono::milliseconds delay,
                               bool forever);
    void count_aborted();

    handler on_request;
    std::optional<ssl::context> tls;
    mutable std::mutex mutex;
    mutable std::condition_variable aborted_changed;
    std::vector<recorded_request> recorded;
    std::atomic<std::size_t> accepted{0};
    std::atomic<std::size_t> open{0};
    std::atomic<std::size_t> aborted{0};
    std::uint16_t port = 0;
    // Declared last among the state the sessions use, so it is destroyed (with the sessions'
    // frames) first; the acceptor belongs to it and goes just before.
    net::io_context ioc{1};
    tcp::acceptor acceptor{ioc};
    std::thread thread;
};

fake_upstream::impl::impl(handler h, const std::optional<tls_identity>& identity)
    : on_request(std::move(h)) {
    if (identity) {
        tls.emplace(ssl::context::tls_server);
        tls->use_certificate_chain(net::buffer(identity->certificate_chain_pem));
        tls->use_private_key(net::buffer(identity->private_key_pem), ssl::context::pem);
    }
    tcp::endpoint const endpoint(net::ip::make_address_v4("127.0.0.1"), 0);
    acceptor.open(endpoint.protocol());
    acceptor.bind(endpoint);
    acceptor.listen();
    port = acceptor.local_endpoint().port();
    net::co_spawn(ioc, accept_loop(), net::detached);
    thread = std::thread([this] { ioc.run(); });
}

fake_upstream::impl::~impl() {
    ioc.stop();
    if (thread.joinable()) thread.join();
}

void fake_upstream::impl::count_aborted() {
    {
        std::lock_guard lock(mutex);
        ++aborted;
    }
    aborted_changed.notify_all();
}

net::awaitable<void> fake_upstream::impl::accept_loop() {
    for (;;) {
        auto [ec, socket] = co_await acceptor.async_accept(use_tuple);
        if (ec) {
            if (!acceptor.is_open() || ec == net::error::operation_aborted) co_return;
            continue;
        }
        ++accepted;
        net::co_spawn(ioc, session(std::move(socket)), net::detached);
    }
}

net::awaitable<void> fake_upstream::impl::session(tcp::socket socket) {
    ++open;
    struct closed {
        std::atomic<std::size_t>& count;
        ~closed() { --count; }
    } on_exit{open};
    try {
        error_code ignored;
        // Each chunk must leave at once so the client sees the pacing.
        socket.set_option(tcp::no_delay(true), ignored);
        beast::tcp_stream plain(std::move(socket));
        if (!tls) {
            co_await serve(plain);
            co_return;
        }
        beast::ssl_stream<beast::tcp_stream> secure(std::move(plain), *tls);
        beast::get_lowest_layer(secure).expires_after(std::chrono::seconds(10));
        auto [ec] = co_await secure.async_handshake(ssl::stream_base::server, use_tuple);
        beast::get_lowest_layer(secure).expires_never();
        if (ec) co_return;  // e.g. the client rejected the certificate
        co_await serve(secure);
    } catch (const std::exception&) {  // NOLINT(bugprone-empty-catch): the session just ends
    }
}

template <class Stream>
net::awaitable<void> fake_upstream::impl::serve(Stream& stream) {
    beast::flat_buffer buffer;
    for (;;) {
        bhttp::request_parser<bhttp::string_body> parser;
        parser.header_limit(1024 * 1024);
        parser.body_limit(std::uint64_t{256} * 1024 * 1024);
        auto [ec, n] = co_await bhttp::async_read(stream, buffer, parser, use_tuple);
        if (ec) co_return;  // the client closed the connection (or sent garbage)
        const auto& req = parser.get();

        recorded_request rec;
        rec.method = std::string(req.method_string());
        rec.target = std::string(req.target());
        rec.headers = static_cast<const bhttp::fields&>(req);
        rec.body = req.body();
        {
            std::lock_guard lock(mutex);
            recorded.push_back(rec);
        }

        scripted_response script;
        try {
            script = on_request(rec);
        } catch (const std::exception& e) {
            script = json_response(
                500, std::string(R"({"error":"fake upstream handler threw: )") + e.what() + "\"}");
        }
        const bool keep_alive = req.keep_alive();
        if (!co_await play(stream, script, req.method() == bhttp::verb::head)) co_return;
        if (script.close_after || !keep_alive) {
            auto& lowest = beast::get_lowest_layer(stream);
            error_code ignored;
            lowest.socket().shutdown(tcp::socket::shutdown_send, ignored);
            lowest.close();
            co_return;
        }
    }
}

template <class Stream>
net::awaitable<bool> fake_upstream::impl::play(Stream& stream, const scripted_response& script,
                                               bool head) {
    beast::tcp_stream& lowest = beast::get_lowest_layer(stream);
    if (script.delay_before_headers.count() > 0 &&
        !co_await pause(lowest, script.delay_before_headers, false)) {
        count_aborted();
        co_return false;
    }

    bhttp::response<bhttp::empty_body> res;
    res.version(11);
    res.result(script.status);
    for (const auto& [name, value] : script.headers) res.insert(name, value);
    if (script.chunked) {
        res.chunked(true);
    } else {
        std::uint64_t length = 0;
        for (const auto& c : script.chunks) length += c.size();
        // A hanging Content-Length response announces one byte more than it sends.
        res.content_length(length + (script.hang_after_chunks ? 1 : 0));
    }
    // A script that names its own Connection header (e.g. keep-alive with close_after, to close
    // silently) gets exactly that.
    if (script.close_after && res.find(bhttp::field::connection) == res.end()) {
        res.keep_alive(false);
    }

    if (script.one_write && script.chunked && !head) {
        std::ostringstream header;
        header << res.base();
        const std::string framed = header.str() + chunked_framing(script.chunks) + "0\r\n\r\n";
        auto [ec, n] = co_await net::async_write(stream, net::buffer(framed), use_tuple);
        if (ec) count_aborted();
        co_return !ec;
    }
    bhttp::response_serializer<bhttp::empty_body> serializer(res);
    auto [hec, hn] = co_await bhttp::async_write_header(stream, serializer, use_tuple);
    if (hec) {
        count_aborted();
        co_return false;
    }
    if (head) co_return true;  // the headers describe a body that is not sent

    for (std::size_t i = 0; i < script.chunks.size(); ++i) {
        if (i > 0 && script.delay_between_chunks.count() > 0 &&
            !co_await pause(lowest, script.delay_between_chunks, false)) {
            count_aborted();
            co_return false;
        }
        const std::string& chunk = script.chunks[i];
        if (chunk.empty()) continue;  // an empty HTTP chunk would end the body
        error_code ec;
        if (script.chunked) {
            std::tie(ec, std::ignore) =
                co_await net::async_write(stream, bhttp::make_chunk(net::buffer(chunk)), use_tuple);
        } else {
            std::tie(ec, std::ignore) =
                co_await net::async_write(stream, net::buffer(chunk), use_tuple);
        }
        if (ec) {
            count_aborted();
            co_return false;
        }
    }

    if (script.hang_after_chunks) {
        // Until the client goes away (counted as aborted) or the server stops.
        co_await pause(lowest, {}, true);
        count_aborted();
        co_return false;
    }
    if (script.chunked) {
        auto [ec, n] = co_await net::async_write(stream, bhttp::make_chunk_last(), use_tuple);
        if (ec) {
            count_aborted();
            co_return false;
        }
    }
    co_return true;
}

net::awaitable<bool> fake_upstream::impl::pause(beast::tcp_stream& lowest,
                                                std::chrono::milliseconds delay, bool forever) {
    // Sleeps while watching the socket, so that a client that closes during a pause is seen at
    // once rather than at the next write. Returns false if the peer went away.
    using namespace net::experimental::awaitable_operators;
    net::steady_timer timer(ioc);
    if (forever) {
        timer.expires_at(net::steady_timer::time_point::max());
    } else {
        timer.expires_after(delay);
    }
    tcp::socket& socket = lowest.socket();
    auto which = co_await (timer.async_wait(use_tuple) ||
                           socket.async_wait(tcp::socket::wait_read, use_tuple));
    if (which.index() == 0) co_return true;  // the pause is over
    auto [wait_ec] = std::get<1>(which);
    if (wait_ec) co_return false;
    // Readable: either the peer closed (a peek sees the end of the stream) or it sent bytes
    // early (a pipelined request, TLS records); then sleep out the pause without watching,
    // since watching further would mean consuming those bytes.
    char byte = 0;
    error_code ec;
    std::size_t const n = socket.receive(net::buffer(&byte, 1), tcp::socket::message_peek, ec);
    if (ec || n == 0) co_return false;
    auto [timer_ec] = co_await timer.async_wait(use_tuple);
    (void)timer_ec;
    co_return true;
}

fake_upstream::fake_upstream(handler h, std::optional<tls_identity> tls)
    : impl_(std::make_unique<impl>(std::move(h), tls)) {}

fake_upstream::~fake_upstream() = default;

std::uint16_t fake_upstream::port() const noexcept { return impl_->port; }

std::string fake_upstream::base_url() const {
    return std::string(impl_->tls ? "https" : "http") +
           "://127.0.0.1:" + std::to_string(impl_->port);
}

std::vector<recorded_request> fake_upstream::requests() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->recorded;
}

std::size_t fake_upstream::connections_accepted() const noexcept { return impl_->accepted; }

std::size_t fake_upstream::open_connections() const noexcept { return impl_->open; }

std::size_t fake_upstream::aborted_responses() const noexcept { return impl_->aborted; }

bool fake_upstream::wait_for_aborted(std::size_t n, std::chrono::milliseconds timeout) const {
    std::unique_lock lock(impl_->mutex);
    return impl_->aborted_changed.wait_for(lock, timeout,
                                           [&] { return impl_->aborted.load() >= n; });
}

}  // namespace gateway::test
