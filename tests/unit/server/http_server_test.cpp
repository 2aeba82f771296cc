// The HTTP front end in-process: limits, deadlines, keep-alive, streaming, disconnects and
// graceful shutdown, driven over real sockets on 127.0.0.1.

#include "support/test_client.hpp"

#include <gateway/server/http_server.hpp>
#include <gateway/server/io_pool.hpp>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <catch2/catch.hpp>

#include <atomic>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <thread>

using namespace gateway::server;
using namespace gateway::test;
using namespace std::chrono_literals;
namespace net = boost::asio;
namespace http = boost::beast::http;

namespace {

net::awaitable<void> sleep_for(std::chrono::milliseconds d) {
    net::steady_timer timer{co_await net::this_coro::executor};
    timer.expires_after(d);
    co_await timer.async_wait(net::use_awaitable);
}

struct running_server {
    io_pool pool{2};
    http_server server;

    running_server(server_options options, request_handler handler, head_check check = {})
        : server(
              pool,
              [&] {
                  options.port = 0;
                  return options;
              }(),
              std::move(handler), std::move(check)) {
        REQUIRE(server.listen());
        pool.run();
    }
    ~running_server() {
        server.shutdown(2s);
        pool.stop();
        pool.join();
    }
    std::uint16_t port() const { return server.port(); }
};

request_handler echo_handler() {
    return [](request_context& ctx) -> net::awaitable<void> {
        co_await ctx.send(200, "text/plain", std::string(ctx.request().body()));
    };
}

std::string raw_request(std::string_view target, std::string_view extra = {}) {
    return std::string("GET ") + std::string(target) + " HTTP/1.1\r\nHost: x\r\n" +
           std::string(extra) + "\r\n";
}

}  // namespace

TEST_CASE("keep-alive serves several requests on one connection", "[server]") {
    running_server s{{}, echo_handler()};
    raw_connection conn{s.port()};
    conn.send(raw_post("/a", "first"));
    auto one = conn.read_until("first", 2s);
    REQUIRE(one.find("HTTP/1.1 200 OK") == 0);
    REQUIRE(one.find("X-Request-Id: ") != std::string::npos);
    conn.send(raw_post("/b", "second"));
    auto two = conn.read_until("second", 2s);
    REQUIRE(two.find("HTTP/1.1 200 OK") == 0);
    REQUIRE(s.server.open_connections() == 1);

    // Request ids: 32 hex digits, a per-thread prefix and a counter.
    const auto id_of = [](const std::string& raw) {
        const auto at = raw.find("X-Request-Id: ") + 14;
        return raw.substr(at, raw.find("\r\n", at) - at);
    };
    const std::string first = id_of(one);
    const std::string second = id_of(two);
    REQUIRE(first.size() == 32);
    REQUIRE(first.find_first_not_of("0123456789abcdef") == std::string::npos);
    CHECK(second.substr(0, 16) == first.substr(0, 16));
    CHECK(std::stoull(second.substr(16), nullptr, 16) ==
          std::stoull(first.substr(16), nullptr, 16) + 1);
}

TEST_CASE("Expect: 100-continue is answered before the body is read", "[server]") {
    running_server s{{}, echo_handler()};
    raw_connection conn{s.port()};
    conn.send("POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
    auto interim = conn.read_until("\r\n\r\n", 2s);
    REQUIRE(interim == "HTTP/1.1 100 Continue\r\n\r\n");
    conn.send("hello");
    auto final_response = conn.read_until("hello", 2s);
    REQUIRE(final_response.find("HTTP/1.1 200 OK") == 0);
}

TEST_CASE("limits give clear HTTP errors", "[server]") {
    server_options options;
    options.max_body_bytes = 100;
    options.max_header_bytes = 1024;
    running_server s{options, echo_handler()};

    SECTION("a declared body over the limit is 413 without reading it") {
        auto res =
            http_call(s.port(), http::verb::post, "/v1/chat/completions", std::string(101, 'x'));
        REQUIRE(res.status == 413);
        REQUIRE(res.body.find("\"error\"") != std::string::npos);
    }
    SECTION("a chunked body that grows over the limit is 413") {
        raw_connection conn{s.port()};
        conn.send(
            "POST /v1/messages HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
            "40\r\n" +
            std::string(64, 'a') + "\r\n40\r\n" + std::string(64, 'b') + "\r\n0\r\n\r\n");
        auto res = conn.read_to_end(2s);
        REQUIRE(res.find("HTTP/1.1 413") == 0);
        // The Anthropic route gets Anthropic's error envelope.
        REQUIRE(res.find("\"type\":\"error\"") != std::string::npos);
        REQUIRE(res.find("request_too_large") != std::string::npos);
    }
    SECTION("headers over the limit are 431") {
        raw_connection conn{s.port()};
        conn.send(raw_request("/", "X-Big: " + std::string(2000, 'h') + "\r\n"));
        REQUIRE(conn.read_to_end(2s).find("HTTP/1.1 431") == 0);
    }
    SECTION("garbage is 400 and the connection closes") {
        raw_connection conn{s.port()};
        conn.send("THIS IS NOT HTTP\r\n\r\n");
        REQUIRE(conn.read_to_end(2s).find("HTTP/1.1 400") == 0);
    }
}

TEST_CASE("a silent client is dropped after the header timeout", "[server]") {
    server_options options;
    options.header_timeout = 200ms;
    running_server s{options, echo_handler()};
    raw_connection conn{s.port()};
    auto start = std::chrono::steady_clock::now();
    auto got = conn.read_to_end(5s);
    REQUIRE(got.empty());
    REQUIRE(std::chrono::steady_clock::now() - start < 3s);
}

TEST_CASE("an idle keep-alive connection is closed after the idle timeout", "[server]") {
    server_options options;
    options.idle_timeout = 300ms;
    running_server s{options, echo_handler()};
    raw_connection conn{s.port()};
    conn.send(raw_request("/first"));
    REQUIRE(conn.read_until("\r\n\r\n", 2s).find("HTTP/1.1 200") == 0);
    auto start = std::chrono::steady_clock::now();
    conn.read_to_end(5s);
    const auto waited = std::chrono::steady_clock::now() - start;
    REQUIRE(waited >= 250ms);
    REQUIRE(waited < 3s);
}

TEST_CASE("the write timeout counts only while a write waits, not between writes", "[server]") {
    server_options options;
    options.write_timeout = 100ms;
    running_server s{options, [](request_context& ctx) -> net::awaitable<void> {
                         co_await ctx.begin_stream(200, "text/event-stream");
                         co_await ctx.write("data: 1\n\n");
                         co_await sleep_for(400ms);  // a slow upstream, four timeouts long
                         co_await ctx.write("data: 2\n\n");
                         co_await ctx.end_stream();
                     }};
    raw_connection conn{s.port()};
    conn.send(raw_request("/stream"));
    auto raw = conn.read_until("\r\n0\r\n\r\n", 5s);
    REQUIRE(dechunk(raw.substr(raw.find("\r\n\r\n") + 4)) == "data: 1\n\ndata: 2\n\n");
}

TEST_CASE("handlers that fail or say nothing still answer 500", "[server]") {
    running_server s{{}, [](request_context& ctx) -> net::awaitable<void> {
                         if (ctx.path() == "/throw") throw std::runtime_error("boom");
                         co_return;
                     }};
    auto thrown = http_call(s.port(), http::verb::get, "/throw");
    REQUIRE(thrown.status == 500);
    REQUIRE(thrown.body.find("\"error\"") != std::string::npos);
    REQUIRE(http_call(s.port(), http::verb::get, "/silent").status == 500);
}

TEST_CASE("streamed responses are chunked, one chunk per write", "[server]") {
    running_server s{{}, [](request_context& ctx) -> net::awaitable<void> {
                         co_await ctx.begin_stream(200, "text/event-stream");
                         co_await ctx.write("data: 1\n\n");
                         co_await ctx.write("data: 2\n\n");
                         co_await ctx.end_stream();
                     }};
    raw_connection conn{s.port()};
    conn.send(raw_request("/stream"));
    auto raw = conn.read_until("\r\n0\r\n\r\n", 2s);
    REQUIRE(raw.find("Transfer-Encoding: chunked") != std::string::npos);
    REQUIRE(raw.find("Cache-Control: no-cache") != std::string::npos);
    auto body = dechunk(raw.substr(raw.find("\r\n\r\n") + 4));
    REQUIRE(body == "data: 1\n\ndata: 2\n\n");
    REQUIRE(raw.find("9\r\ndata: 1\n\n\r\n") != std::string::npos);
}

TEST_CASE("a prepared stream's head goes out with the first write, or alone when flushed",
          "[server]") {
    running_server s{{}, [](request_context& ctx) -> net::awaitable<void> {
                         if (ctx.prepare_stream(200, "text/event-stream")) co_return;
                         if (ctx.path() == "/flushed") co_await ctx.flush_head();
                         co_await sleep_for(150ms);  // a slow upstream
                         co_await ctx.write("data: 1\n\n");
                         co_await ctx.end_stream();
                     }};
    SECTION("with the first write") {
        raw_connection conn{s.port()};
        conn.send(raw_request("/held"));
        CHECK(conn.read_until("\r\n\r\n", 100ms).empty());  // nothing before the first write
        auto raw = conn.read_until("\r\n0\r\n\r\n", 2s);
        REQUIRE(raw.find("HTTP/1.1 200 OK\r\n") == 0);
        REQUIRE(dechunk(raw.substr(raw.find("\r\n\r\n") + 4)) == "data: 1\n\n");
        CHECK(conn.data_segments_received() == 2);  // head and chunk, then the last chunk
    }
    SECTION("flushed") {
        raw_connection conn{s.port()};
        conn.send(raw_request("/flushed"));
        auto head = conn.read_until("\r\n\r\n", 100ms);
        REQUIRE(head.find("HTTP/1.1 200 OK\r\n") == 0);
        CHECK(head.find("data: 1") == std::string::npos);
        auto rest = conn.read_until("\r\n0\r\n\r\n", 2s);
        REQUIRE(dechunk(rest) == "data: 1\n\n");
        CHECK(conn.data_segments_received() == 3);
    }
}

TEST_CASE("a prepared stream that ends with no chunk still sends its head", "[server]") {
    running_server s{{}, [](request_context& ctx) -> net::awaitable<void> {
                         if (ctx.prepare_stream(200, "text/event-stream")) co_return;
                         co_await ctx.end_stream();
                     }};
    raw_connection conn{s.port()};
    conn.send(raw_request("/empty"));
    auto raw = conn.read_until("\r\n0\r\n\r\n", 2s);
    REQUIRE(raw.find("HTTP/1.1 200 OK\r\n") == 0);
    REQUIRE(raw.find("Transfer-Encoding: chunked\r\n") != std::string::npos);
    REQUIRE(raw.ends_with("\r\n\r\n0\r\n\r\n"));
}

TEST_CASE("the last-write hook runs once, right before the response's last bytes", "[server]") {
    std::atomic<int> calls{0};
    std::atomic<unsigned> status_seen{0};
    std::atomic<std::size_t> bytes_seen{0};
    running_server s{{}, [&](request_context& ctx) -> net::awaitable<void> {
                         auto hook = [&] {
                             ++calls;
                             status_seen = ctx.response_status();
                             bytes_seen = ctx.bytes_written();
                             // Holds the last bytes back: the client must not have them yet.
                             std::this_thread::sleep_for(300ms);
                         };
                         if (ctx.path() == "/send") {
                             ctx.before_last_write(hook);
                             co_await ctx.send(201, "text/plain", "hello");
                         } else if (ctx.path() == "/removed") {
                             ctx.before_last_write(hook);
                             ctx.before_last_write(nullptr);
                             co_await ctx.send(200, "text/plain", "hello");
                         } else {
                             co_await ctx.begin_stream(200, "text/event-stream");
                             co_await ctx.write("data: 1\n\n");
                             ctx.before_last_write(hook);
                             co_await ctx.write("data: 2\n\n");
                             co_await ctx.end_stream();
                         }
                     }};
    SECTION("a stream: before its last chunk, not before its other writes") {
        raw_connection conn{s.port()};
        conn.send(raw_request("/stream"));
        auto raw = conn.read_until("data: 2", 2s);
        REQUIRE(raw.find("data: 2") != std::string::npos);
        raw += conn.read_until("\r\n0\r\n\r\n", 150ms);
        CHECK(raw.find("\r\n0\r\n\r\n") == std::string::npos);
        raw += conn.read_until("\r\n0\r\n\r\n", 2s);
        CHECK(raw.find("\r\n0\r\n\r\n") != std::string::npos);
        CHECK(calls == 1);
        CHECK(status_seen == 200);
        CHECK(bytes_seen == 18);
    }
    SECTION("a whole response: before any of it") {
        raw_connection conn{s.port()};
        conn.send(raw_request("/send"));
        CHECK(conn.read_until("hello", 150ms).empty());
        CHECK(conn.read_until("hello", 2s).find("hello") != std::string::npos);
        CHECK(calls == 1);
        CHECK(status_seen == 201);
        CHECK(bytes_seen == 5);
    }
    SECTION("removed") {
        auto res = http_call(s.port(), http::verb::get, "/removed");
        CHECK(res.body == "hello");
        CHECK(calls == 0);
    }
}

TEST_CASE("a client closing the connection is noticed while the handler waits", "[server]") {
    std::atomic<bool> noticed{false};
    std::atomic<bool> handler_done{false};
    running_server s{{}, [&](request_context& ctx) -> net::awaitable<void> {
                         ctx.on_client_close([&] { noticed = true; });
                         for (int i = 0; i < 200 && !ctx.client_closed(); ++i) {
                             co_await sleep_for(10ms);
                         }
                         handler_done = true;
                         co_return;
                     }};
    {
        raw_connection conn{s.port()};
        conn.send(raw_request("/wait"));
        std::this_thread::sleep_for(100ms);
    }
    for (int i = 0; i < 100 && !handler_done; ++i) std::this_thread::sleep_for(10ms);
    REQUIRE(noticed);
    REQUIRE(handler_done);
}

TEST_CASE("a failed write to a client that left counts as the client closing", "[server]") {
    // The watch is armed only at the worker's next check; a handler that writes first must
    // still learn that the client is gone from the failed write alone.
    std::atomic<bool> write_failed{false};
    std::atomic<bool> closed_after_failure{false};
    std::atomic<bool> handler_done{false};
    running_server s{{}, [&](request_context& ctx) -> net::awaitable<void> {
                         if (co_await ctx.begin_stream(200, "text/event-stream")) co_return;
                         const std::string chunk(64 * 1024, 'x');
                         for (int i = 0; i < 2000; ++i) {
                             if (co_await ctx.write(chunk)) {
                                 write_failed = true;
                                 closed_after_failure = ctx.client_closed();
                                 break;
                             }
                         }
                         handler_done = true;
                     }};
    {
        raw_connection conn{s.port()};
        conn.send(raw_request("/stream"));
        conn.read_until("\r\n\r\n", 2s);
    }  // closed with unread data: the server's writes get a reset
    for (int i = 0; i < 300 && !handler_done; ++i) std::this_thread::sleep_for(10ms);
    REQUIRE(handler_done);
    REQUIRE(write_failed);
    CHECK(closed_after_failure);
}

TEST_CASE("shutdown waits for requests in flight and closes idle connections", "[server]") {
    auto s = std::make_unique<running_server>(
        server_options{}, [](request_context& ctx) -> net::awaitable<void> {
            co_await sleep_for(300ms);
            co_await ctx.send(200, "text/plain", "late but complete");
        });
    raw_connection idle{s->port()};
    raw_connection busy{s->port()};
    busy.send(raw_request("/slow"));
    std::this_thread::sleep_for(50ms);
    auto start = std::chrono::steady_clock::now();
    REQUIRE(s->server.shutdown(5s));
    REQUIRE(std::chrono::steady_clock::now() - start >= 200ms);
    REQUIRE(busy.read_to_end(2s).find("late but complete") != std::string::npos);
    REQUIRE(idle.read_to_end(2s).empty());  // closed without a response
    REQUIRE(s->server.open_connections() == 0);
}

// ---------------------------------------------------------------------------------------------
// Message framing (RFC 9112 §6): bytes after a request whose length cannot be trusted must never
// be served as another request.

namespace {

// Counts the requests that reached the handler, and echoes their bodies.
struct counting_echo {
    std::atomic<int> served{0};
    request_handler handler() {
        return [this](request_context& ctx) -> net::awaitable<void> {
            ++served;
            co_await ctx.send(200, "text/plain", std::string(ctx.request().body()));
        };
    }
};

std::size_t count_of(std::string_view haystack, std::string_view needle) {
    std::size_t n = 0;
    for (auto at = haystack.find(needle); at != std::string_view::npos;
         at = haystack.find(needle, at + needle.size())) {
        ++n;
    }
    return n;
}

const std::string smuggled = "GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n";

}  // namespace

TEST_CASE("a Transfer-Encoding whose final coding is not chunked is 400 and closes",
          "[server][framing]") {
    // RFC 9112 §6.3 (4): the length cannot be determined, so 400 and close; never framed by a
    // Content-Length or taken as no body.
    counting_echo echo;
    running_server s{{}, echo.handler()};
    for (const std::string te : {"chunked, identity", "xchunked", "gzip", "identity",
                                 "chunked, chunked", "", "chunked;x=1"}) {
        for (const bool with_length : {true, false}) {
            INFO("Transfer-Encoding: " << te << (with_length ? " with" : " without")
                                       << " Content-Length");
            raw_connection conn{s.port()};
            std::string req = "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: " +
                              te + "\r\n";
            req += with_length ? "Content-Length: 5\r\n\r\nhello" : "\r\n";
            conn.send(req + smuggled);
            const auto raw = conn.read_to_end(2s);
            CHECK(raw.find("HTTP/1.1 400 ") == 0);
            CHECK(raw.find("Connection: close\r\n") != std::string::npos);
            CHECK(count_of(raw, "HTTP/1.1 ") == 1);
        }
    }
    // Two field lines are one list: `chunked` then `identity` does not end in chunked either.
    raw_connection conn{s.port()};
    conn.send(
        "POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: "
        "identity\r\nContent-Length: 5\r\n\r\nhello" +
        smuggled);
    const auto raw = conn.read_to_end(2s);
    CHECK(raw.find("HTTP/1.1 400 ") == 0);
    CHECK(count_of(raw, "HTTP/1.1 ") == 1);
    CHECK(echo.served == 0);
}

TEST_CASE("a request with both Transfer-Encoding and Content-Length never keeps the connection",
          "[server][framing]") {
    // RFC 9112 §6.1: "the server MUST close the connection after responding to such a request".
    counting_echo echo;
    running_server s{{}, echo.handler()};
    const std::string chunked_body = "5\r\nhello\r\n0\r\n\r\n";
    for (const std::string fields :
         {"Transfer-Encoding: chunked\r\nContent-Length: 15\r\n",
          "Content-Length: 15\r\nTransfer-Encoding: chunked\r\n",
          "Transfer-Encoding: gzip\r\nContent-Length: 15\r\n"}) {
        INFO(fields);
        raw_connection conn{s.port()};
        conn.send("POST /x HTTP/1.1\r\nHost: x\r\n" + fields + "\r\n" + chunked_body + smuggled);
        const auto raw = conn.read_to_end(2s);
        CHECK(raw.find("HTTP/1.1 ") == 0);
        CHECK(count_of(raw, "HTTP/1.1 ") == 1);
        CHECK(raw.find("Connection: close\r\n") != std::string::npos);
    }
}

TEST_CASE("a transfer coding other than chunked is 501 and closes", "[server][framing]") {
    // RFC 9112 §6.1: a server that receives a transfer coding it does not understand should
    // answer 501; the body is gzip bytes it cannot read.
    counting_echo echo;
    running_server s{{}, echo.handler()};
    raw_connection conn{s.port()};
    conn.send(
        "POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n5\r\nhello\r\n0\r\n"
        "\r\n" +
        smuggled);
    const auto raw = conn.read_to_end(2s);
    CHECK(raw.find("HTTP/1.1 501 ") == 0);
    CHECK(count_of(raw, "HTTP/1.1 ") == 1);
    CHECK(echo.served == 0);
}

TEST_CASE("Transfer-Encoding in an HTTP/1.0 request is faulty framing: 400 and close",
          "[server][framing]") {
    // RFC 9112 §6.1: an HTTP/1.0 message with Transfer-Encoding is treated as faulty framing.
    counting_echo echo;
    running_server s{{}, echo.handler()};
    raw_connection conn{s.port()};
    conn.send(
        "POST /x HTTP/1.0\r\nHost: x\r\nConnection: keep-alive\r\nTransfer-Encoding: "
        "chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n" +
        smuggled);
    const auto raw = conn.read_to_end(2s);
    CHECK(raw.find("HTTP/1.1 400 ") == 0);
    CHECK(count_of(raw, "HTTP/1.1 ") == 1);
    CHECK(echo.served == 0);
}

TEST_CASE("a chunked request alone is still served and keeps the connection",
          "[server][framing]") {
    counting_echo echo;
    running_server s{{}, echo.handler()};
    raw_connection conn{s.port()};
    conn.send("POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: Chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
    const auto one = conn.read_until("hello", 2s);
    CHECK(one.find("HTTP/1.1 200 ") == 0);
    conn.send(raw_post("/y", "again"));
    CHECK(conn.read_until("again", 2s).find("HTTP/1.1 200 ") == 0);
    CHECK(echo.served == 2);
}

TEST_CASE("an HTTP/1.0 client gets a stream close-delimited, never chunked", "[server][framing]") {
    // RFC 9112 §6.1: a server MUST NOT send a response containing Transfer-Encoding unless the
    // request indicates HTTP/1.1 (or later); the body then ends with the connection (§6.3 (8)).
    running_server s{{}, [](request_context& ctx) -> net::awaitable<void> {
                         if (ctx.path() == "/prepared") {
                             if (ctx.prepare_stream(200, "text/event-stream")) co_return;
                         } else if (co_await ctx.begin_stream(200, "text/event-stream")) {
                             co_return;
                         }
                         co_await ctx.write("data: 1\n\n");
                         co_await ctx.write("data: 2\n\n");
                         co_await ctx.end_stream();
                     }};
    for (const std::string target : {"/stream", "/prepared"}) {
        for (const std::string connection : {"", "Connection: keep-alive\r\n"}) {
            INFO(target << " " << connection);
            raw_connection conn{s.port()};
            conn.send("GET " + target + " HTTP/1.0\r\nHost: x\r\n" + connection + "\r\n");
            const auto raw = conn.read_to_end(2s);
            const auto head_end = raw.find("\r\n\r\n");
            REQUIRE(head_end != std::string::npos);
            const auto head = raw.substr(0, head_end + 4);
            CHECK(head.find("HTTP/1.1 200 OK\r\n") == 0);
            CHECK(head.find("Transfer-Encoding") == std::string::npos);
            CHECK(head.find("Content-Length") == std::string::npos);
            CHECK(head.find("Connection: close\r\n") != std::string::npos);
            CHECK(raw.substr(head.size()) == "data: 1\n\ndata: 2\n\n");
        }
    }
    // HTTP/1.1 on the same server is still chunked.
    raw_connection conn{s.port()};
    conn.send(raw_request("/stream"));
    const auto raw = conn.read_until("\r\n0\r\n\r\n", 2s);
    CHECK(raw.find("Transfer-Encoding: chunked\r\n") != std::string::npos);
    CHECK(dechunk(raw.substr(raw.find("\r\n\r\n") + 4)) == "data: 1\n\ndata: 2\n\n");
}

// ---------------------------------------------------------------------------------------------
// Answers given before the body was read: the connection lingers so the client reads them.

TEST_CASE("an early 413 reaches a client that writes its whole body before reading",
          "[server][linger]") {
    // Like Python's http.client and requests: the whole body is written, then the answer read.
    // 16 MiB is more than the loopback socket buffers hold, so the server must read it.
    server_options options;
    options.max_body_bytes = 1024;
    running_server s{options, echo_handler()};
    const std::string body(16 * 1024 * 1024, 'x');

    SECTION("a declared Content-Length over the limit") {
        raw_connection conn{s.port()};
        REQUIRE_NOTHROW(conn.send(raw_post("/v1/chat/completions", body)));
        const auto raw = conn.read_to_end(5s);
        CHECK(raw.find("HTTP/1.1 413 ") == 0);
        CHECK(raw.find("Connection: close\r\n") != std::string::npos);
    }
    SECTION("a chunked body that grows over the limit") {
        raw_connection conn{s.port()};
        std::string req = "POST /v1/messages HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
        for (std::size_t i = 0; i < 256; ++i) req += "10000\r\n" + body.substr(0, 0x10000) + "\r\n";
        req += "0\r\n\r\n";
        REQUIRE_NOTHROW(conn.send(req));
        const auto raw = conn.read_to_end(5s);
        CHECK(raw.find("HTTP/1.1 413 ") == 0);
        CHECK(raw.find("request_too_large") != std::string::npos);
    }
}

TEST_CASE("lingering after an early answer is bounded in bytes and in time", "[server][linger]") {
    server_options options;
    options.max_body_bytes = 1024;
    options.linger_bytes = 256 * 1024;
    options.linger_timeout = 300ms;
    running_server s{options, echo_handler()};

    SECTION("bytes: a client sending far more than linger_bytes is cut off") {
        raw_connection conn{s.port()};
        const std::string body(64 * 1024 * 1024, 'x');
        CHECK_THROWS(conn.send(raw_post("/v1/chat/completions", body)));
    }
    SECTION("time: a client that neither sends nor closes is closed after linger_timeout") {
        raw_connection conn{s.port()};
        conn.send("POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\nsome");
        const auto start = std::chrono::steady_clock::now();
        // The answer and the end of the server's side arrive at once (half-close)...
        CHECK(conn.read_to_end(2s).find("HTTP/1.1 413 ") == 0);
        CHECK(std::chrono::steady_clock::now() - start < 250ms);
        // ...while the connection itself stays open for the linger time.
        CHECK(s.server.open_connections() == 1);
        while (s.server.open_connections() != 0 && std::chrono::steady_clock::now() - start < 3s) {
            std::this_thread::sleep_for(5ms);
        }
        const auto lingered = std::chrono::steady_clock::now() - start;
        CHECK(lingered >= 250ms);
        CHECK(lingered < 1s);
    }
}

// ---------------------------------------------------------------------------------------------
// Memory: a head check answers before the body is read; bodies in flight share a budget.

namespace {

// A server whose head check refuses requests without an Authorization field, as the relay does
// for its keyed routes.
struct keyed_server {
    std::atomic<int> served{0};
    running_server s;
    explicit keyed_server(server_options options = {})
        : s(std::move(options),
            [this](request_context& ctx) -> net::awaitable<void> {
                ++served;
                co_await ctx.send(200, "text/plain", std::to_string(ctx.request().body().size()));
            },
            [](const http::request_header<>& head) -> std::optional<early_response> {
                if (!head[http::field::authorization].empty()) return std::nullopt;
                return early_response{401, "application/json", R"({"error":"no key"})"};
            }) {}
};

std::string head_of_post(std::string_view target, std::size_t length, std::string_view extra = {}) {
    return "POST " + std::string(target) + " HTTP/1.1\r\nHost: x\r\nContent-Length: " +
           std::to_string(length) + "\r\n" + std::string(extra) + "\r\n";
}

}  // namespace

TEST_CASE("a head check answers before the body is read", "[server][memory]") {
    keyed_server k;
    const auto port = k.s.port();

    SECTION("the answer comes while the body has not been sent") {
        raw_connection conn{port};
        conn.send(head_of_post("/v1/chat/completions", 30 * 1024 * 1024));
        const auto raw = conn.read_to_end(2s);  // the server half-closes after its answer
        CHECK(raw.find("HTTP/1.1 401 ") == 0);
        CHECK(raw.find("Content-Type: application/json\r\n") != std::string::npos);
        CHECK(raw.find("X-Request-Id: ") != std::string::npos);
        CHECK(raw.find("Connection: close\r\n") != std::string::npos);
        CHECK(raw.ends_with(R"({"error":"no key"})"));
        CHECK(k.s.server.body_bytes_in_flight() == 0);
    }
    SECTION("a client that writes its whole body first still reads the answer") {
        raw_connection conn{port};
        const std::string body(16 * 1024 * 1024, 'x');
        REQUIRE_NOTHROW(conn.send(head_of_post("/v1/messages", body.size()) + body));
        CHECK(conn.read_to_end(5s).find("HTTP/1.1 401 ") == 0);
    }
    SECTION("Expect: 100-continue gets the answer instead of 100") {
        raw_connection conn{port};
        conn.send(head_of_post("/v1/messages", 1000, "Expect: 100-continue\r\n"));
        CHECK(conn.read_to_end(2s).find("HTTP/1.1 401 ") == 0);
    }
    SECTION("a request the check lets through is read and handled") {
        raw_connection conn{port};
        conn.send(head_of_post("/v1/messages", 5, "Authorization: Bearer k\r\n") + "hello");
        CHECK(conn.read_until("\r\n\r\n5", 2s).find("HTTP/1.1 200 ") == 0);
    }
    CHECK(k.served <= 1);
}

TEST_CASE("bodies in flight share max_body_bytes_in_flight: over it is 503 with Retry-After",
          "[server][memory]") {
    server_options options;
    options.max_body_bytes = 1024 * 1024;
    options.max_body_bytes_in_flight = 1536 * 1024;  // one full body and a half
    keyed_server k{options};
    auto& server = k.s.server;
    const auto port = k.s.port();
    const std::string key = "Authorization: Bearer k\r\n";
    const auto wait_for_held = [&](std::size_t bytes) {
        for (int i = 0; i < 200 && server.body_bytes_in_flight() != bytes; ++i) {
            std::this_thread::sleep_for(5ms);
        }
        return server.body_bytes_in_flight();
    };

    // A declared body counts in full as soon as its head is read.
    raw_connection holder{port};
    holder.send(head_of_post("/v1/chat/completions", 1024 * 1024, key) + "first bytes");
    REQUIRE(wait_for_held(1024 * 1024) == 1024 * 1024);

    SECTION("a declared body that does not fit is refused before it is read") {
        raw_connection conn{port};
        conn.send(head_of_post("/v1/messages", 600 * 1024, key));
        const auto raw = conn.read_to_end(2s);
        CHECK(raw.find("HTTP/1.1 503 ") == 0);
        CHECK(raw.find("Retry-After: 1\r\n") != std::string::npos);
        // In the route's format (Anthropic's envelope here).
        CHECK(raw.find(R"("type":"error")") != std::string::npos);
        CHECK(raw.find(R"("type":"api_error")") != std::string::npos);
    }
    SECTION("a chunked body is refused when it grows past what is left") {
        raw_connection conn{port};
        std::string req = "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n" + key +
                          "Transfer-Encoding: chunked\r\n\r\n";
        const std::string piece(64 * 1024, 'c');
        for (int i = 0; i < 12; ++i) req += "10000\r\n" + piece + "\r\n";  // 768 KiB
        req += "0\r\n\r\n";
        conn.send(req);
        const auto raw = conn.read_to_end(2s);
        CHECK(raw.find("HTTP/1.1 503 ") == 0);
        CHECK(raw.find("Retry-After: 1\r\n") != std::string::npos);
    }
    SECTION("a body that fits is served") {
        raw_connection conn{port};
        conn.send(head_of_post("/v1/chat/completions", 400 * 1024, key) +
                  std::string(400 * 1024, 'y'));
        CHECK(conn.read_until("\r\n\r\n409600", 2s).find("HTTP/1.1 200 ") == 0);
    }
    // The holder's body completes: served, and its share is given back with its request.
    holder.send(std::string(1024 * 1024 - std::strlen("first bytes"), 'z'));
    CHECK(holder.read_until("\r\n\r\n1048576", 2s).find("HTTP/1.1 200 ") == 0);
    CHECK(wait_for_held(0) == 0);
}

TEST_CASE("a body alone in flight is let through even above max_body_bytes_in_flight",
          "[server][memory]") {
    server_options options;
    options.max_body_bytes = 1024 * 1024;
    options.max_body_bytes_in_flight = 64 * 1024;
    keyed_server k{options};
    raw_connection conn{k.s.port()};
    conn.send(head_of_post("/x", 512 * 1024, "Authorization: Bearer k\r\n") +
              std::string(512 * 1024, 'y'));
    CHECK(conn.read_until("\r\n\r\n524288", 2s).find("HTTP/1.1 200 ") == 0);
}
