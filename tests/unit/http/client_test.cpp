// gateway::http::client against a real HTTP/1.1 server on 127.0.0.1 (the fake upstream), plus a
// raw-bytes server for framings the fake upstream does not produce.

#include "gateway/http/client.hpp"

#include "support/fake_upstream.hpp"
#include "unit/http/run_coro.hpp"

#include <fmt/format.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <catch2/catch.hpp>

#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#if defined(__GNUC__) && !defined(__clang__)
// With optimisation GCC 12 reports a false -Wmismatched-new-delete where it inlines the
// class-specific operator new/delete of Asio's coroutine frames (aligned_new / aligned_delete).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace {

namespace net = boost::asio;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;
using namespace std::chrono_literals;
using gateway::errc;
using gateway::error_code;
using gateway::http::client;
using gateway::http::client_options;
using gateway::http::exchange;
using gateway::http::request;
using gateway::http::response;
using gateway::test::chunked_framing;
using gateway::test::fake_upstream;
using gateway::test::get_request;
using gateway::test::json_response;
using gateway::test::recorded_request;
using gateway::test::run_coro;
using gateway::test::send;

using gateway::test::scripted_response;
using gateway::test::sleep_for;
using gateway::test::sse_response;
using clock_type = std::chrono::steady_clock;

constexpr auto use_tuple = net::as_tuple(net::use_awaitable);

std::chrono::milliseconds since(clock_type::time_point start) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(clock_type::now() - start);
}

request post(std::string url, std::string body) {
    request r;
    r.method = bhttp::verb::post;
    r.url = std::move(url);
    r.headers.set(bhttp::field::content_type, "application/json");
    r.body = std::move(body);
    return r;
}

/// A port on 127.0.0.1 where nothing listens (bound, then released).
std::uint16_t unused_port() {
    net::io_context ioc;
    tcp::acceptor acceptor(ioc, tcp::endpoint(net::ip::make_address_v4("127.0.0.1"), 0));
    return acceptor.local_endpoint().port();
}

/// Answers every request (read up to the blank line; GET only) with fixed bytes, then closes.
/// For framings the fake upstream never produces: close-delimited bodies, 1xx, garbage.
class raw_server {
  public:
    explicit raw_server(std::string response) : response_(std::move(response)) {
        tcp::endpoint const endpoint(net::ip::make_address_v4("127.0.0.1"), 0);
        acceptor_.open(endpoint.protocol());
        acceptor_.bind(endpoint);
        acceptor_.listen();
        net::co_spawn(ioc_, accept_loop(), net::detached);
        thread_ = std::thread([this] { ioc_.run(); });
    }
    ~raw_server() {
        ioc_.stop();
        thread_.join();
    }
    raw_server(const raw_server&) = delete;
    raw_server& operator=(const raw_server&) = delete;

    std::string url(std::string_view path) const {
        return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()) +
               std::string(path);
    }

  private:
    net::awaitable<void> accept_loop() {
        for (;;) {
            auto [ec, socket] = co_await acceptor_.async_accept(use_tuple);
            if (ec) co_return;
            net::co_spawn(ioc_, serve(std::move(socket), response_), net::detached);
        }
    }

    static net::awaitable<void> serve(tcp::socket socket, std::string response) {
        std::string in;
        auto [rec, rn] =
            co_await net::async_read_until(socket, net::dynamic_buffer(in), "\r\n\r\n", use_tuple);
        if (rec) co_return;
        co_await net::async_write(socket, net::buffer(response), use_tuple);
        error_code ignored;
        socket.shutdown(tcp::socket::shutdown_send, ignored);
        char byte = 0;  // wait for the client to close its side
        co_await socket.async_read_some(net::buffer(&byte, 1), use_tuple);
    }

    std::string response_;
    net::io_context ioc_;
    tcp::acceptor acceptor_{ioc_};
    std::thread thread_;
};

std::string header(const bhttp::fields& fields, bhttp::field name) {
    auto it = fields.find(name);
    return it == fields.end() ? std::string("<absent>") : std::string(it->value());
}

}  // namespace

TEST_CASE("client: POST with a Content-Length response", "[http]") {
    fake_upstream upstream([](const recorded_request&) {
        auto r = json_response(200, R"({"id":"cmpl-1","ok":true})");
        r.headers.emplace_back("x-request-id", "req-42");
        return r;
    });
    net::io_context ioc;
    client c(ioc.get_executor());

    auto req = post(upstream.base_url() + "/v1/chat/completions?api-version=2024-06-01",
                    R"({"model":"m","messages":[]})");
    req.headers.set("x-api-key", "secret");
    auto res = run_coro(ioc, send(c, std::move(req)));

    REQUIRE(res.has_value());
    CHECK(res->status == 200);
    CHECK(header(res->headers, bhttp::field::content_type) == "application/json");
    CHECK(header(res->headers, bhttp::field::content_length) ==
          std::to_string(std::string_view(R"({"id":"cmpl-1","ok":true})").size()));
    CHECK(res->headers["x-request-id"] == "req-42");
    CHECK(res->body == R"({"id":"cmpl-1","ok":true})");

    const auto seen = upstream.requests();
    REQUIRE(seen.size() == 1);
    CHECK(seen[0].method == "POST");
    CHECK(seen[0].target == "/v1/chat/completions?api-version=2024-06-01");
    CHECK(header(seen[0].headers, bhttp::field::host) ==
          "127.0.0.1:" + std::to_string(upstream.port()));
    CHECK(header(seen[0].headers, bhttp::field::content_length) ==
          std::to_string(std::string_view(R"({"model":"m","messages":[]})").size()));
    CHECK(header(seen[0].headers, bhttp::field::content_type) == "application/json");
    CHECK(header(seen[0].headers, bhttp::field::user_agent) == "gatewayd/0.1");
    CHECK(header(seen[0].headers, bhttp::field::accept_encoding) ==
          "gzip");  // request_gzip, the default
    CHECK(seen[0].headers["x-api-key"] == "secret");
    CHECK(seen[0].body == R"({"model":"m","messages":[]})");
    CHECK(c.connections_opened() == 1);
    CHECK(c.idle_connections() == 1);
}

TEST_CASE("client: GET keeps a caller's User-Agent and sends no body", "[http]") {
    fake_upstream upstream([](const recorded_request&) { return json_response(200, "[]"); });
    net::io_context ioc;
    client c(ioc.get_executor());

    auto req = get_request(upstream.base_url());  // no path at all: the target is "/"
    req.headers.set(bhttp::field::user_agent, "custom-agent/2");
    auto res = run_coro(ioc, send(c, std::move(req)));

    REQUIRE(res.has_value());
    CHECK(res->body == "[]");
    const auto seen = upstream.requests();
    REQUIRE(seen.size() == 1);
    CHECK(seen[0].method == "GET");
    CHECK(seen[0].target == "/");
    CHECK(header(seen[0].headers, bhttp::field::user_agent) == "custom-agent/2");
    CHECK(header(seen[0].headers, bhttp::field::content_length) == "<absent>");
    CHECK(seen[0].body.empty());
}

TEST_CASE("client: HEAD reads headers only and keeps the connection", "[http]") {
    fake_upstream upstream([](const recorded_request&) { return json_response(200, "{\"a\":1}"); });
    net::io_context ioc;
    client c(ioc.get_executor());

    auto req = get_request(upstream.base_url() + "/h");
    req.method = bhttp::verb::head;
    auto head = run_coro(ioc, send(c, std::move(req)));
    auto after = run_coro(ioc, send(c, get_request(upstream.base_url() + "/g")));

    REQUIRE(head.has_value());
    CHECK(head->status == 200);
    CHECK(header(head->headers, bhttp::field::content_length) == "7");
    CHECK(head->body.empty());
    REQUIRE(after.has_value());
    CHECK(after->body == "{\"a\":1}");
    CHECK(c.connections_opened() == 1);
    const auto seen = upstream.requests();
    REQUIRE(seen.size() == 2);
    CHECK(seen[0].method == "HEAD");
}

namespace {

struct stream_observation {
    unsigned status = 0;
    std::string transfer_encoding;
    std::vector<std::string> pieces;
    std::vector<std::chrono::milliseconds> arrivals;
    std::chrono::milliseconds total{};
    std::size_t idle_after_end = 0;
    bool repeat_read_empty = false;
};

net::awaitable<stream_observation> read_stream(client& c, std::string url) {
    stream_observation o;
    auto ex = co_await c.async_open(get_request(std::move(url)));
    REQUIRE(ex.has_value());
    o.status = (*ex)->status();
    o.transfer_encoding = header((*ex)->headers(), bhttp::field::transfer_encoding);
    const auto start = clock_type::now();
    for (;;) {
        auto piece = co_await (*ex)->async_read_some();
        REQUIRE(piece.has_value());
        if (piece->empty()) break;
        o.pieces.emplace_back(*piece);
        o.arrivals.push_back(since(start));
    }
    o.total = since(start);
    // The connection went back to the pool as soon as the end was read, not at destruction.
    o.idle_after_end = c.idle_connections();
    auto again = co_await (*ex)->async_read_some();
    o.repeat_read_empty = again.has_value() && again->empty();
    co_return o;
}

}  // namespace

TEST_CASE("client: a chunked body arrives piece by piece as it is sent", "[http]") {
    const std::vector<std::string> chunks = {"alpha-", "beta-", "gamma-", "delta-", "epsilon"};
    fake_upstream upstream([&](const recorded_request&) {
        scripted_response r;
        r.headers = {{"content-type", "text/plain"}};
        r.chunks = chunks;
        r.chunked = true;
        r.delay_between_chunks = 30ms;
        return r;
    });
    net::io_context ioc;
    client c(ioc.get_executor());

    const auto o = run_coro(ioc, read_stream(c, upstream.base_url() + "/stream"));

    CHECK(o.status == 200);
    CHECK(o.transfer_encoding == "chunked");
    std::string joined;
    for (const auto& p : o.pieces) joined += p;
    CHECK(joined == "alpha-beta-gamma-delta-epsilon");
    // Each chunk is flushed 30 ms after the previous one, so pieces cannot coalesce into one.
    CHECK(o.pieces.size() >= 4);
    CHECK(o.total >= 100ms);                     // four gaps of 30 ms
    CHECK(o.arrivals.front() + 60ms < o.total);  // the first piece came long before the end
    CHECK(o.idle_after_end == 1);
    CHECK(o.repeat_read_empty);
}

TEST_CASE("client: a Content-Length body is also streamed in pieces", "[http]") {
    fake_upstream upstream([](const recorded_request&) {
        scripted_response r;
        r.chunks = {"one ", "two ", "three"};
        r.chunked = false;
        r.delay_between_chunks = 40ms;
        return r;
    });
    net::io_context ioc;
    client c(ioc.get_executor());

    const auto o = run_coro(ioc, read_stream(c, upstream.base_url() + "/cl"));

    CHECK(o.transfer_encoding == "<absent>");
    std::string joined;
    for (const auto& p : o.pieces) joined += p;
    CHECK(joined == "one two three");
    CHECK(o.pieces.size() == 3);
    CHECK(o.arrivals.front() + 50ms < o.total);
    CHECK(o.idle_after_end == 1);
}

TEST_CASE("client: read_buffer_bytes bounds what one read of a body takes", "[http]") {
    // 64 KiB sent in one write: with the default buffer a read takes up to 16 KiB, with a
    // 2 KiB one never more than that.
    const std::string body(64 * 1024, 'b');
    fake_upstream upstream([&](const recorded_request&) {
        scripted_response r;
        r.chunks = {body};
        r.chunked = false;
        return r;
    });
    const auto largest_piece = [&](std::size_t read_buffer_bytes) {
        net::io_context ioc;
        client_options options;
        options.read_buffer_bytes = read_buffer_bytes;
        client c(ioc.get_executor(), options);
        const auto o = run_coro(ioc, read_stream(c, upstream.base_url() + "/big"));
        std::string joined;
        std::size_t largest = 0;
        for (const auto& p : o.pieces) {
            joined += p;
            largest = std::max(largest, p.size());
        }
        CHECK(joined == body);
        return largest;
    };
    CHECK(largest_piece(2048) <= 2048);
    CHECK(largest_piece(16 * 1024) > 2048);
}

namespace {

/// A chunked response whose chunks the server writes all at once, so one socket read brings
/// several of them (or all).
std::string burst_of_chunks(const std::vector<std::string>& chunks, std::string_view tail) {
    std::string out =
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
        "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
    out += chunked_framing(chunks);
    out += tail;
    return out;
}

struct drained_stream {
    std::string joined;
    std::size_t socket_pieces = 0;    // pieces from async_read_some
    std::size_t buffered_pieces = 0;  // pieces from read_buffered
    error_code end;                   // what ended the body: success or the read's error
};

net::awaitable<drained_stream> drain(client& c, std::string url) {
    drained_stream d;
    auto ex = co_await c.async_open(get_request(std::move(url)));
    REQUIRE(ex.has_value());
    for (;;) {
        auto piece = co_await (*ex)->async_read_some();
        if (!piece) {
            d.end = piece.error();
            break;
        }
        if (piece->empty()) break;
        ++d.socket_pieces;
        d.joined += *piece;
        for (auto more = (*ex)->read_buffered(); !more.empty(); more = (*ex)->read_buffered()) {
            ++d.buffered_pieces;
            d.joined += more;
        }
    }
    co_return d;
}

}  // namespace

TEST_CASE("client: read_buffered hands over the chunks one read brought, without I/O", "[http]") {
    std::vector<std::string> chunks;
    std::string expected;
    for (int i = 0; i < 20; ++i) {
        chunks.push_back(fmt::format("data: {{\"n\":{}}}\n\n", i));
        expected += chunks.back();
    }
    net::io_context ioc;
    client c(ioc.get_executor());

    SECTION("a well-formed burst") {
        raw_server server(burst_of_chunks(chunks, "0\r\n\r\n"));
        const auto d = run_coro(ioc, drain(c, server.url("/burst")));
        CHECK_FALSE(d.end);
        CHECK(d.joined == expected);
        CHECK(d.socket_pieces + d.buffered_pieces == chunks.size());
        // 20 chunks in one small write: the socket is asked far fewer times than once a chunk.
        CHECK(d.buffered_pieces >= chunks.size() / 2);
    }
    SECTION("a malformed chunk after good ones is the read's error, not silence") {
        raw_server server(burst_of_chunks(chunks, "zz\r\nnot a chunk\r\n"));
        const auto d = run_coro(ioc, drain(c, server.url("/bad")));
        CHECK(d.end == errc::bad_upstream_response);
        CHECK(d.joined == expected);
    }
}

TEST_CASE("client: sequential requests reuse one pooled connection", "[http]") {
    int n = 0;
    fake_upstream upstream([&](const recorded_request&) {
        return json_response(200, "{\"n\":" + std::to_string(n++) + "}");
    });
    net::io_context ioc;
    client c(ioc.get_executor());

    std::vector<std::string> bodies;
    for (int i = 0; i < 10; ++i) {
        auto res = run_coro(ioc, send(c, post(upstream.base_url() + "/v1/x", "{}")));
        REQUIRE(res.has_value());
        bodies.push_back(res->body);
    }
    // Streamed responses (chunked) return their connection too.
    const auto o = run_coro(ioc, read_stream(c, upstream.base_url() + "/v1/x"));
    CHECK(o.status == 200);

    CHECK(bodies.front() == "{\"n\":0}");
    CHECK(bodies.back() == "{\"n\":9}");
    CHECK(c.connections_opened() == 1);
    CHECK(upstream.connections_accepted() == 1);
    CHECK(c.idle_connections() == 1);
    CHECK(upstream.requests().size() == 11);

    c.close_idle();
    CHECK(c.idle_connections() == 0);
}

TEST_CASE("client: each of many URLs reaches its own path and query", "[http]") {
    fake_upstream upstream([](const recorded_request& r) { return json_response(200, r.target); });
    net::io_context ioc;
    client c(ioc.get_executor());
    // More distinct URLs than the client keeps parsed, each asked for twice, in two orders.
    std::vector<std::string> targets;
    for (int i = 0; i < 40; ++i) targets.push_back(fmt::format("/v1/m{}?key=k{}", i, i % 7));
    for (int round = 0; round < 2; ++round) {
        for (std::size_t i = 0; i < targets.size(); ++i) {
            const auto& target = round == 0 ? targets[i] : targets[targets.size() - 1 - i];
            auto res = run_coro(ioc, send(c, post(upstream.base_url() + target, "{}")));
            REQUIRE(res.has_value());
            REQUIRE(res->body == target);
        }
    }
    CHECK(c.connections_opened() == 1);
}

TEST_CASE("client: close_after responses get a new connection each time", "[http]") {
    fake_upstream upstream([](const recorded_request& r) {
        auto res = json_response(200, "{\"path\":\"" + r.target + "\"}");
        res.close_after = true;  // sends Connection: close
        return res;
    });
    net::io_context ioc;
    client c(ioc.get_executor());

    for (int i = 0; i < 3; ++i) {
        auto res =
            run_coro(ioc, send(c, get_request(upstream.base_url() + "/r" + std::to_string(i))));
        REQUIRE(res.has_value());
        CHECK(res->body == "{\"path\":\"/r" + std::to_string(i) + "\"}");
        CHECK(header(res->headers, bhttp::field::connection) == "close");
        CHECK(c.idle_connections() == 0);
    }
    CHECK(c.connections_opened() == 3);
    CHECK(upstream.connections_accepted() == 3);
    CHECK(upstream.requests().size() == 3);
}

TEST_CASE("client: a pooled connection closed silently by the upstream is retried", "[http]") {
    // The upstream promises keep-alive, then closes the connection right after the response:
    // the client pools a connection that is already dead.
    fake_upstream upstream([](const recorded_request& r) {
        auto res = json_response(200, "{\"path\":\"" + r.target + "\"}");
        res.headers.emplace_back("connection", "keep-alive");
        res.close_after = true;
        return res;
    });
    net::io_context ioc;
    client c(ioc.get_executor());

    auto first = run_coro(ioc, send(c, post(upstream.base_url() + "/first", "{}")));
    REQUIRE(first.has_value());
    CHECK(c.idle_connections() == 1);
    std::this_thread::sleep_for(100ms);  // the upstream's FIN arrives meanwhile

    auto second = run_coro(ioc, send(c, post(upstream.base_url() + "/second", "{}")));
    REQUIRE(second.has_value());
    CHECK(second->status == 200);
    CHECK(second->body == "{\"path\":\"/second\"}");
    CHECK(c.connections_opened() == 2);
    CHECK(upstream.connections_accepted() == 2);
    // The dead connection never delivered the request: the upstream saw each request once.
    const auto seen = upstream.requests();
    REQUIRE(seen.size() == 2);
    CHECK(seen[0].target == "/first");
    CHECK(seen[1].target == "/second");
}

TEST_CASE("client: idle connections past their TTL are not reused", "[http]") {
    fake_upstream upstream([](const recorded_request&) { return json_response(200, "{}"); });
    net::io_context ioc;
    client_options options;
    options.idle_connection_ttl = 1s;
    client c(ioc.get_executor(), options);

    REQUIRE(run_coro(ioc, send(c, get_request(upstream.base_url() + "/a"))).has_value());
    CHECK(c.idle_connections() == 1);
    std::this_thread::sleep_for(1100ms);
    REQUIRE(run_coro(ioc, send(c, get_request(upstream.base_url() + "/b"))).has_value());
    CHECK(c.connections_opened() == 2);
    CHECK(c.idle_connections() == 1);
}

namespace {

net::awaitable<std::size_t> three_at_once(client& c, std::string url) {
    // Three exchanges open at the same time need three connections.
    std::vector<std::unique_ptr<exchange>> open;
    for (int i = 0; i < 3; ++i) {
        auto ex = co_await c.async_open(get_request(url));
        REQUIRE(ex.has_value());
        open.push_back(std::move(*ex));
    }
    for (auto& ex : open) {
        auto body = co_await ex->async_read_all();
        REQUIRE(body.has_value());
        CHECK(*body == "{}");
    }
    co_return c.connections_opened();
}

}  // namespace

TEST_CASE("client: the pool keeps at most max_idle_connections_per_host", "[http]") {
    fake_upstream upstream([](const recorded_request&) { return json_response(200, "{}"); });
    net::io_context ioc;
    client_options options;
    options.max_idle_connections_per_host = 2;
    client c(ioc.get_executor(), options);

    CHECK(run_coro(ioc, three_at_once(c, upstream.base_url() + "/p")) == 3);
    CHECK(c.idle_connections() == 2);
}

TEST_CASE("client: first-byte timeout", "[http]") {
    fake_upstream upstream([](const recorded_request&) {
        auto r = json_response(200, "{}");
        r.delay_before_headers = 500ms;
        return r;
    });
    net::io_context ioc;
    client c(ioc.get_executor());

    auto req = post(upstream.base_url() + "/slow", "{}");
    req.deadlines = gateway::http::timeouts{};
    req.deadlines->first_byte = 100ms;
    const auto start = clock_type::now();
    auto res = run_coro(ioc, send(c, std::move(req)));
    const auto elapsed = since(start);

    REQUIRE_FALSE(res.has_value());
    CHECK(res.error() == errc::upstream_timeout);
    CHECK(elapsed >= 90ms);
    CHECK(elapsed < 400ms);
    CHECK_FALSE(c.last_error_detail().empty());
    CHECK(c.idle_connections() == 0);
}

namespace {

struct read_failure {
    bool first_ok = false;
    std::string first;
    error_code error;
    std::chrono::milliseconds waited{};
};

/// Opens `url`, reads one piece, then reads on until a failure.
net::awaitable<read_failure> read_until_failure(client& c, request req) {
    read_failure f;
    auto ex = co_await c.async_open(std::move(req));
    REQUIRE(ex.has_value());
    auto first = co_await (*ex)->async_read_some();
    f.first_ok = first.has_value();
    if (first) f.first = std::string(*first);
    const auto start = clock_type::now();
    for (;;) {
        auto piece = co_await (*ex)->async_read_some();
        if (!piece) {
            f.error = piece.error();
            break;
        }
        if (piece->empty()) break;
    }
    f.waited = since(start);
    co_return f;
}

}  // namespace

TEST_CASE("client: idle timeout while the upstream hangs mid-body", "[http]") {
    fake_upstream upstream([](const recorded_request&) {
        scripted_response r;
        r.chunks = {"data: first\n\n"};
        r.hang_after_chunks = true;
        return r;
    });
    net::io_context ioc;
    client c(ioc.get_executor());

    auto req = get_request(upstream.base_url() + "/hang");
    req.deadlines = gateway::http::timeouts{};
    req.deadlines->idle = 100ms;
    const auto f = run_coro(ioc, read_until_failure(c, std::move(req)));

    CHECK(f.first_ok);
    CHECK(f.first == "data: first\n\n");
    CHECK(f.error == errc::upstream_timeout);
    CHECK(f.waited >= 90ms);
    CHECK(f.waited < 400ms);
    CHECK(c.idle_connections() == 0);
    // The client closed the connection: the hanging response is aborted.
    CHECK(upstream.wait_for_aborted(1, 2s));
}

TEST_CASE("client: total deadline bounds a slow stream", "[http]") {
    fake_upstream upstream([](const recorded_request&) {
        return sse_response("data: 1\n\ndata: 2\n\ndata: 3\n\ndata: 4\n\ndata: 5\n\n", 100ms);
    });
    net::io_context ioc;
    client c(ioc.get_executor());

    auto req = get_request(upstream.base_url() + "/sse");
    req.deadlines = gateway::http::timeouts{};
    req.deadlines->total = 250ms;
    const auto start = clock_type::now();
    const auto f = run_coro(ioc, read_until_failure(c, std::move(req)));
    const auto elapsed = since(start);

    CHECK(f.first == "data: 1\n\n");
    CHECK(f.error == errc::upstream_timeout);
    CHECK(elapsed >= 240ms);
    CHECK(elapsed < 380ms);  // well before the stream's 400 ms
}

namespace {

net::awaitable<void> cancel_after(exchange* ex, std::chrono::milliseconds d) {
    co_await sleep_for(d);
    ex->cancel();
}

struct cancel_observation {
    std::string first;
    error_code error;
    error_code error_after;
    std::chrono::milliseconds waited{};
};

net::awaitable<cancel_observation> read_and_cancel(client& c, std::string url) {
    cancel_observation o;
    auto ex = co_await c.async_open(get_request(std::move(url)));
    REQUIRE(ex.has_value());
    auto first = co_await (*ex)->async_read_some();
    REQUIRE(first.has_value());
    o.first = std::string(*first);

    // A second coroutine on the same executor cancels while the read below is pending.
    net::co_spawn(co_await net::this_coro::executor, cancel_after(ex->get(), 50ms), net::detached);
    const auto start = clock_type::now();
    auto piece = co_await (*ex)->async_read_some();
    o.waited = since(start);
    REQUIRE_FALSE(piece.has_value());
    o.error = piece.error();
    auto again = co_await (*ex)->async_read_some();
    REQUIRE_FALSE(again.has_value());
    o.error_after = again.error();
    co_return o;
}

}  // namespace

TEST_CASE("client: cancel() ends a pending read and the upstream sees the abort", "[http]") {
    fake_upstream upstream([](const recorded_request& r) {
        if (r.target == "/again") return json_response(200, "{}");
        return sse_response("data: a\n\ndata: b\n\ndata: c\n\ndata: d\n\n", 300ms);
    });
    net::io_context ioc;
    client c(ioc.get_executor());

    const auto o = run_coro(ioc, read_and_cancel(c, upstream.base_url() + "/sse"));

    CHECK(o.first == "data: a\n\n");
    CHECK(o.error == errc::cancelled);
    CHECK(o.error_after == errc::cancelled);
    CHECK(o.waited >= 40ms);
    CHECK(o.waited < 200ms);  // long before the next event (300 ms)
    // The upstream notices within about one pacing delay.
    CHECK(upstream.wait_for_aborted(1, 600ms));
    CHECK(upstream.aborted_responses() == 1);
    // A cancelled connection is never pooled.
    CHECK(c.idle_connections() == 0);
    auto next = run_coro(ioc, send(c, get_request(upstream.base_url() + "/again")));
    REQUIRE(next.has_value());
    CHECK(c.connections_opened() == 2);
}

namespace {

struct open_observation {
    error_code error;
    std::chrono::milliseconds waited{};
};

net::awaitable<void> cancel_open_after(gateway::http::open_cancellation* cancellation,
                                       std::chrono::milliseconds d) {
    co_await sleep_for(d);
    cancellation->cancel();
}

/// Opens `url`, cancelled from a second coroutine after `after` while the open waits.
net::awaitable<open_observation> open_and_cancel(client& c, std::string url,
                                                 std::chrono::milliseconds after) {
    open_observation o;
    gateway::http::open_cancellation cancellation;
    net::co_spawn(co_await net::this_coro::executor, cancel_open_after(&cancellation, after),
                  net::detached);
    const auto start = clock_type::now();
    auto ex = co_await c.async_open(get_request(std::move(url)), cancellation);
    o.waited = since(start);
    REQUIRE_FALSE(ex.has_value());
    o.error = ex.error();
    co_return o;
}

net::awaitable<open_observation> open_cancelled_first(client& c, std::string url) {
    gateway::http::open_cancellation cancellation;
    cancellation.cancel();
    auto ex = co_await c.async_open(get_request(std::move(url)), cancellation);
    REQUIRE_FALSE(ex.has_value());
    co_return open_observation{ex.error(), {}};
}

}  // namespace

TEST_CASE("client: an open_cancellation ends an open that waits for the response headers",
          "[http]") {
    // Headers after 3 s: without the cancellation the open would wait for them.
    fake_upstream upstream([](const recorded_request& r) {
        auto res = json_response(200, "{}");
        if (r.target == "/slow") res.delay_before_headers = 3s;
        return res;
    });
    net::io_context ioc;
    client c(ioc.get_executor());

    SECTION("on a new connection") {
        const auto o = run_coro(ioc, open_and_cancel(c, upstream.base_url() + "/slow", 100ms));
        CHECK(o.error == errc::cancelled);
        CHECK(o.waited < 1s);
    }
    SECTION("on a pooled connection") {
        REQUIRE(run_coro(ioc, send(c, get_request(upstream.base_url() + "/fast"))).has_value());
        REQUIRE(c.idle_connections() == 1);
        const auto o = run_coro(ioc, open_and_cancel(c, upstream.base_url() + "/slow", 100ms));
        CHECK(o.error == errc::cancelled);
        CHECK(o.waited < 1s);
        CHECK(c.connections_opened() == 1);
    }
    // The upstream sees its connection closed while it is still working on the request.
    CHECK(upstream.wait_for_aborted(1, 1s));
    CHECK(c.idle_connections() == 0);

    // A cancellation that came first stops the open before it sends anything.
    const auto sent_before = upstream.requests().size();
    const auto first = run_coro(ioc, open_cancelled_first(c, upstream.base_url() + "/fast"));
    CHECK(first.error == errc::cancelled);
    CHECK(upstream.requests().size() == sent_before);
}

TEST_CASE("client: an open_cancellation ends a connect that waits", "[http]") {
    // A listener whose backlog is full: further connects wait in SYN_SENT until cancelled.
    net::io_context ioc;
    tcp::acceptor full(ioc, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
    full.listen(0);
    const auto port = full.local_endpoint().port();
    // Non-blocking connects from plain descriptors (Asio's connect would wait for its own).
    std::vector<int> fillers;
    const tcp::endpoint to(net::ip::make_address("127.0.0.1"), port);
    for (int i = 0; i < 8; ++i) {
        const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        REQUIRE(fd >= 0);
        (void)::connect(fd, to.data(), static_cast<socklen_t>(to.size()));
        fillers.push_back(fd);
    }
    struct close_all {
        std::vector<int>& fds;
        ~close_all() {
            for (int fd : fds) ::close(fd);
        }
    } closer{fillers};
    client c(ioc.get_executor());
    const auto o =
        run_coro(ioc, open_and_cancel(c, fmt::format("http://127.0.0.1:{}/x", port), 200ms));
    CHECK(o.error == errc::cancelled);
    CHECK(o.waited < 1s);
}

TEST_CASE("client: connection refused", "[http]") {
    net::io_context ioc;
    client c(ioc.get_executor());
    const auto port = unused_port();

    auto res =
        run_coro(ioc, send(c, get_request("http://127.0.0.1:" + std::to_string(port) + "/")));

    REQUIRE_FALSE(res.has_value());
    CHECK(res.error() == errc::upstream_connect_failed);
    CHECK(res.error() == gateway::condition::retryable);
    CHECK_THAT(c.last_error_detail(), Catch::Matchers::Contains("refused"));
    CHECK(c.connections_opened() == 0);
}

TEST_CASE("client: an IPv6 literal URL is parsed and dialled", "[http]") {
    net::io_context ioc;
    client c(ioc.get_executor());
    const auto port = unused_port();  // nothing listens there on ::1 either, or v6 is absent

    auto res = run_coro(ioc, send(c, get_request("http://[::1]:" + std::to_string(port) + "/x")));

    REQUIRE_FALSE(res.has_value());
    CHECK(res.error() == errc::upstream_connect_failed);  // not bad_request
    CHECK_THAT(c.last_error_detail(), Catch::Matchers::Contains("::1"));
}

TEST_CASE("client: malformed URLs are bad requests", "[http]") {
    net::io_context ioc;
    client c(ioc.get_executor());
    for (std::string url :
         {"", "not a url", "/relative/path", "ftp://example.com/file", "http://", "http:///path",
          "http://host:99999/", "http://host:0/", "http://host:12ab/",
          "https://user:pw@example.com/", "http://exa mple.com/", "http://ex%41mple.com/"}) {
        INFO("url: " << url);
        auto res = run_coro(ioc, send(c, get_request(url)));
        REQUIRE_FALSE(res.has_value());
        CHECK(res.error() == errc::bad_request);
    }
    CHECK(c.connections_opened() == 0);
}

TEST_CASE("client: max_body_bytes limits whole-body reads", "[http]") {
    std::string const big(4096, 'x');
    bool chunked = false;
    fake_upstream upstream([&](const recorded_request&) {
        scripted_response r;
        r.chunks = {big.substr(0, 2048), big.substr(2048)};
        r.chunked = chunked;
        return r;
    });
    net::io_context ioc;
    client_options options;
    options.max_body_bytes = 1024;
    client c(ioc.get_executor(), options);

    SECTION("Content-Length over the limit") {
        chunked = false;
        auto res = run_coro(ioc, send(c, get_request(upstream.base_url() + "/big")));
        REQUIRE_FALSE(res.has_value());
        CHECK(res.error() == errc::body_too_large);
    }
    SECTION("chunked body growing over the limit") {
        chunked = true;
        auto res = run_coro(ioc, send(c, get_request(upstream.base_url() + "/big")));
        REQUIRE_FALSE(res.has_value());
        CHECK(res.error() == errc::body_too_large);
    }
    CHECK(c.idle_connections() == 0);
}

TEST_CASE("client: a body delimited by the connection closing", "[http]") {
    raw_server server(
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n"
        "hello, close-delimited world");
    net::io_context ioc;
    client c(ioc.get_executor());

    auto res = run_coro(ioc, send(c, get_request(server.url("/eof"))));

    REQUIRE(res.has_value());
    CHECK(res->status == 200);
    CHECK(res->body == "hello, close-delimited world");
    CHECK(c.idle_connections() == 0);
}

TEST_CASE("client: interim 1xx responses are skipped", "[http]") {
    raw_server server(
        "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n"
        "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok");
    net::io_context ioc;
    client c(ioc.get_executor());

    auto res = run_coro(ioc, send(c, get_request(server.url("/hints"))));

    REQUIRE(res.has_value());
    CHECK(res->status == 201);
    CHECK(res->body == "ok");
}

TEST_CASE("client: protocol violations are bad upstream responses", "[http]") {
    net::io_context ioc;
    client_options options;
    options.max_header_bytes = 1024;
    client c(ioc.get_executor(), options);

    SECTION("not HTTP") {
        raw_server server("SSH-2.0-OpenSSH_9.2\r\n\r\n");
        auto res = run_coro(ioc, send(c, get_request(server.url("/"))));
        REQUIRE_FALSE(res.has_value());
        CHECK(res.error() == errc::bad_upstream_response);
    }
    SECTION("headers over max_header_bytes") {
        raw_server server("HTTP/1.1 200 OK\r\nX-Big: " + std::string(2000, 'a') +
                          "\r\nContent-Length: 0\r\n\r\n");
        auto res = run_coro(ioc, send(c, get_request(server.url("/"))));
        REQUIRE_FALSE(res.has_value());
        CHECK(res.error() == errc::bad_upstream_response);
        CHECK_THAT(c.last_error_detail(), Catch::Matchers::Contains("max_header_bytes"));
    }
    SECTION("body shorter than its Content-Length") {
        raw_server server("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort");
        auto res = run_coro(ioc, send(c, get_request(server.url("/"))));
        REQUIRE_FALSE(res.has_value());
        CHECK(res.error() == errc::bad_upstream_response);
    }
    CHECK(c.idle_connections() == 0);
}

TEST_CASE("client: an exchange destroyed before its end closes the connection", "[http]") {
    fake_upstream upstream(
        [](const recorded_request&) { return sse_response("data: 1\n\ndata: 2\n\n", 200ms); });
    net::io_context ioc;
    client c(ioc.get_executor());

    const auto first =
        run_coro(ioc, [](client& cl, std::string url) -> net::awaitable<std::string> {
            auto ex = co_await cl.async_open(get_request(std::move(url)));
            REQUIRE(ex.has_value());
            auto piece = co_await (*ex)->async_read_some();
            REQUIRE(piece.has_value());
            co_return std::string(*piece);
        }(c, upstream.base_url() + "/sse"));

    CHECK(first == "data: 1\n\n");
    CHECK(c.idle_connections() == 0);
    CHECK(upstream.wait_for_aborted(1, 1s));
}

namespace {

net::awaitable<std::string> read_after_client_dies(std::unique_ptr<client>& owner,
                                                   std::string url) {
    auto ex = co_await owner->async_open(get_request(std::move(url)));
    REQUIRE(ex.has_value());
    std::string body;
    auto first = co_await (*ex)->async_read_some();
    REQUIRE(first.has_value());
    body += *first;
    owner.reset();  // misuse the contract: the exchange now outlives its client
    for (;;) {
        auto piece = co_await (*ex)->async_read_some();
        REQUIRE(piece.has_value());
        if (piece->empty()) break;
        body += *piece;
    }
    co_return body;
}

}  // namespace

TEST_CASE("client: an exchange that outlives its client stays safe", "[http]") {
    fake_upstream upstream([](const recorded_request&) {
        return sse_response("data: 1\n\ndata: 2\n\ndata: 3\n\n", 20ms);
    });
    net::io_context ioc;
    auto c = std::make_unique<client>(ioc.get_executor());

    const auto body = run_coro(ioc, read_after_client_dies(c, upstream.base_url() + "/sse"));

    CHECK(c == nullptr);
    CHECK(body == "data: 1\n\ndata: 2\n\ndata: 3\n\n");
}

TEST_CASE("client: pooled connections close at their TTL, also when the pool is not used again",
          "[http][pool]") {
    // Two upstreams, so two pooled connections with different idle times.
    fake_upstream first([](const recorded_request&) { return json_response(200, "{}"); });
    fake_upstream second([](const recorded_request&) { return json_response(200, "{}"); });
    net::io_context ioc;
    client_options options;
    options.idle_connection_ttl = 400ms;
    client c(ioc.get_executor(), options);

    const auto start = clock_type::now();
    REQUIRE(run_coro(ioc, send(c, get_request(first.base_url() + "/a"))).has_value());
    run_coro(ioc, sleep_for(200ms));
    REQUIRE(run_coro(ioc, send(c, get_request(second.base_url() + "/b"))).has_value());
    CHECK(c.idle_connections() == 2);

    // Nothing uses the pool from here on: only its timer runs. The first connection expires
    // 400 ms after it was pooled, the second 200 ms later.
    const auto wait_until_closed = [](const fake_upstream& u) {
        for (int i = 0; i < 100 && u.open_connections() != 0; ++i) std::this_thread::sleep_for(5ms);
        return u.open_connections() == 0;
    };
    ioc.restart();
    ioc.run_until(start + 500ms);
    CHECK(c.idle_connections() == 1);
    CHECK(wait_until_closed(first));
    CHECK(second.open_connections() == 1);

    ioc.restart();
    ioc.run_for(2s);  // returns as soon as the timer, its only work, is done
    CHECK(c.idle_connections() == 0);
    CHECK(wait_until_closed(second));
    CHECK(since(start) < 1s);
}
