// gateway::http::client through a forward proxy (a CONNECT tunnel for HTTPS, absolute-form
// requests for HTTP), gzip-encoded responses, and the connect deadline covering the TLS
// handshake. The proxy here is a real one on 127.0.0.1: it parses the request, checks the
// credentials and splices bytes to the upstream.

#include "gateway/http/client.hpp"

#include "http/inflate.hpp"
#include "support/fake_upstream.hpp"
#include "support/test_certs.hpp"
#include "unit/http/run_coro.hpp"

#include <zlib.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace net = boost::asio;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;
using namespace std::chrono_literals;
using gateway::errc;
using gateway::http::client;
using gateway::http::client_options;
using gateway::http::request;
using gateway::http::response;
using gateway::http::detail::inflater;
using gateway::test::fake_upstream;
using gateway::test::get_request;
using gateway::test::json_response;
using gateway::test::make_server_identity;
using gateway::test::make_test_ca;
using gateway::test::recorded_request;
using gateway::test::run_coro;
using gateway::test::send;

using gateway::test::scripted_response;
using gateway::test::temp_file;
using gateway::test::test_ca;

constexpr auto use_tuple = net::as_tuple(net::use_awaitable);
constexpr std::string_view upstream_name = "upstream.gateway.test";

/// A forward proxy on 127.0.0.1. It resolves `upstream_name` to 127.0.0.1 itself (the client
/// never looks the name up: that is the proxy's job), demands `Proxy-Authorization` when
/// `credentials` is set, and answers plain-HTTP requests itself with their request line.
class test_proxy {
  public:
    explicit test_proxy(std::string expected_authorization = {})
        : expected_(std::move(expected_authorization)),
          acceptor_(ioc_, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0)) {
        net::co_spawn(ioc_, accept_loop(), net::detached);
        thread_ = std::thread([this] { ioc_.run(); });
    }
    ~test_proxy() {
        ioc_.stop();
        thread_.join();
    }
    test_proxy(const test_proxy&) = delete;
    test_proxy& operator=(const test_proxy&) = delete;

    std::string url(std::string_view userinfo = {}) const {
        std::string u = "http://";
        if (!userinfo.empty()) (u += userinfo) += '@';
        return u + "127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port());
    }
    std::vector<std::string> heads() const {
        std::lock_guard lock(mutex_);
        return heads_;
    }
    int tunnels() const { return tunnels_; }

  private:
    net::awaitable<void> accept_loop() {
        for (;;) {
            auto [ec, socket] = co_await acceptor_.async_accept(use_tuple);
            if (ec) co_return;
            net::co_spawn(ioc_, serve(std::make_shared<tcp::socket>(std::move(socket))),
                          net::detached);
        }
    }

    net::awaitable<void> serve(std::shared_ptr<tcp::socket> client_side) {
        std::string buffer;
        auto [ec, n] = co_await net::async_read_until(*client_side, net::dynamic_buffer(buffer),
                                                      "\r\n\r\n", use_tuple);
        if (ec) co_return;
        const std::string head = buffer.substr(0, n);
        {
            std::lock_guard lock(mutex_);
            heads_.push_back(head);
        }
        auto reply = [&](std::string text) -> net::awaitable<void> {
            co_await net::async_write(*client_side, net::buffer(text), use_tuple);
        };
        const bool authorised =
            expected_.empty() ||
            head.find("\r\nProxy-Authorization: " + expected_ + "\r\n") != std::string::npos;
        if (!authorised) {
            co_await reply(
                "HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n"
                "Proxy-Authenticate: Basic realm=\"test\"\r\n\r\n");
            co_return;
        }
        if (!head.starts_with("CONNECT ")) {
            const std::string line = head.substr(0, head.find("\r\n"));
            co_await reply("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " +
                           std::to_string(line.size()) + "\r\n\r\n" + line);
            co_return;
        }
        // "CONNECT upstream.gateway.test:PORT HTTP/1.1"
        const std::string authority = head.substr(8, head.find(' ', 8) - 8);
        const std::string host = authority.substr(0, authority.rfind(':'));
        const auto port = static_cast<std::uint16_t>(std::stoi(authority.substr(host.size() + 1)));
        if (host != upstream_name) {
            co_await reply("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n");
            co_return;
        }
        auto upstream_side = std::make_shared<tcp::socket>(ioc_);
        auto [cec] = co_await upstream_side->async_connect(
            tcp::endpoint(net::ip::make_address("127.0.0.1"), port), use_tuple);
        if (cec) {
            co_await reply("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n");
            co_return;
        }
        ++tunnels_;
        co_await reply("HTTP/1.1 200 Connection Established\r\n\r\n");
        net::co_spawn(ioc_, splice(client_side, upstream_side), net::detached);
        net::co_spawn(ioc_, splice(upstream_side, client_side), net::detached);
    }

    static net::awaitable<void> splice(std::shared_ptr<tcp::socket> from,
                                       std::shared_ptr<tcp::socket> to) {
        std::array<char, 8192> bytes{};
        for (;;) {
            auto [rec, n] = co_await from->async_read_some(net::buffer(bytes), use_tuple);
            if (rec) break;
            auto [wec, w] = co_await net::async_write(*to, net::buffer(bytes.data(), n), use_tuple);
            (void)w;
            if (wec) break;
        }
        boost::system::error_code ignored;
        to->shutdown(tcp::socket::shutdown_send, ignored);
    }

    std::string expected_;
    net::io_context ioc_;
    tcp::acceptor acceptor_;
    std::thread thread_;
    mutable std::mutex mutex_;
    std::vector<std::string> heads_;
    std::atomic<int> tunnels_{0};
};

const test_ca& the_ca() {
    static const test_ca ca = make_test_ca();
    return ca;
}

/// gzip of `text` as one member, flushed (Z_SYNC_FLUSH) after every `piece` bytes so that each
/// piece can be decoded as soon as it arrives, the way a streaming server compresses.
std::vector<std::string> gzip_pieces(std::string_view text, std::size_t piece) {
    z_stream z{};
    REQUIRE(deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) ==
            Z_OK);
    std::vector<std::string> out;
    for (std::size_t at = 0; at <= text.size(); at += piece) {
        const std::string_view in = text.substr(at, piece);
        const bool last = at + piece >= text.size();
        z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));  // NOLINT
        z.avail_in = static_cast<uInt>(in.size());
        std::string chunk;
        int rc = Z_OK;
        do {
            char buf[4096];
            z.next_out = reinterpret_cast<Bytef*>(buf);
            z.avail_out = sizeof buf;
            rc = deflate(&z, last ? Z_FINISH : Z_SYNC_FLUSH);
            chunk.append(buf, sizeof buf - z.avail_out);
        } while (z.avail_out == 0 || (last && rc != Z_STREAM_END));
        out.push_back(std::move(chunk));
        if (last) break;
    }
    deflateEnd(&z);
    return out;
}

std::string joined(const std::vector<std::string>& pieces) {
    std::string all;
    for (const auto& p : pieces) all += p;
    return all;
}

std::string sample_text() {
    std::string text;
    for (int i = 0; i < 400; ++i) {
        text += "data: {\"choices\":[{\"delta\":{\"content\":\"token " + std::to_string(i) +
                "\"}}]}\n\n";
    }
    return text;
}

}  // namespace

TEST_CASE("proxy: HTTPS goes through a CONNECT tunnel with TLS checked end to end",
          "[http][proxy][tls]") {
    fake_upstream upstream{
        [](const recorded_request&) { return json_response(200, R"({"via":"tunnel"})"); },
        make_server_identity(the_ca())};
    test_proxy proxy("Basic YWxpY2U6cyNjcmV0");  // alice:s#cret
    temp_file ca_file(the_ca().certificate_pem);
    net::io_context ioc;
    client_options options;
    options.ca_file = ca_file.path();
    options.proxy = proxy.url("alice:s%23cret");
    client c(ioc.get_executor(), options);
    const std::string url = "https://" + std::string(upstream_name) + ":" +
                            std::to_string(upstream.port()) + "/v1/models";

    for (int i = 0; i < 3; ++i) {
        auto res = run_coro(ioc, send(c, get_request(url)));
        INFO(c.last_error_detail());
        REQUIRE(res.has_value());
        CHECK(res->status == 200);
        CHECK(res->body == R"({"via":"tunnel"})");
    }
    // One tunnel, reused by the pool; the proxy saw only the CONNECT, never the request.
    CHECK(proxy.tunnels() == 1);
    CHECK(c.connections_opened() == 1);
    const auto heads = proxy.heads();
    REQUIRE(heads.size() == 1);
    CHECK(heads[0].starts_with("CONNECT upstream.gateway.test:" + std::to_string(upstream.port()) +
                               " HTTP/1.1\r\n"));
    CHECK(heads[0].find("\r\nHost: upstream.gateway.test:") != std::string::npos);
    const auto seen = upstream.requests();
    REQUIRE(seen.size() == 3);
    CHECK(seen[0].target == "/v1/models");
    CHECK(seen[0].headers[bhttp::field::proxy_authorization].empty());
}

TEST_CASE("proxy: a certificate for another name is still rejected through the tunnel",
          "[http][proxy][tls]") {
    gateway::test::server_cert_options cert;
    cert.common_name = "other.example";
    cert.dns_names = {"other.example"};
    fake_upstream upstream{[](const recorded_request&) { return json_response(200, "{}"); },
                           make_server_identity(the_ca(), cert)};
    test_proxy proxy;
    temp_file ca_file(the_ca().certificate_pem);
    net::io_context ioc;
    client_options options;
    options.ca_file = ca_file.path();
    options.proxy = proxy.url();
    client c(ioc.get_executor(), options);

    auto res = run_coro(ioc, send(c, get_request("https://" + std::string(upstream_name) + ":" +
                                                 std::to_string(upstream.port()) + "/")));
    REQUIRE_FALSE(res.has_value());
    CHECK(res.error() == errc::upstream_connect_failed);
    CHECK_THAT(c.last_error_detail(), Catch::Matchers::Contains("hostname mismatch"));
}

TEST_CASE("proxy: refused credentials are a connect failure that hides them", "[http][proxy]") {
    test_proxy proxy("Basic YWxpY2U6cmlnaHQ=");  // alice:right
    net::io_context ioc;
    client_options options;
    options.proxy = proxy.url("alice:wrong");
    client c(ioc.get_executor(), options);

    auto res = run_coro(ioc, send(c, get_request("https://upstream.gateway.test:8443/")));
    REQUIRE_FALSE(res.has_value());
    CHECK(res.error() == errc::upstream_connect_failed);
    CHECK_THAT(c.last_error_detail(),
               Catch::Matchers::Contains("refused a tunnel") && Catch::Matchers::Contains("407"));
    CHECK(c.last_error_detail().find("wrong") == std::string::npos);
}

TEST_CASE("proxy: plain HTTP is asked for in absolute form; no_proxy hosts go direct",
          "[http][proxy]") {
    fake_upstream direct{[](const recorded_request&) { return json_response(200, "direct"); }};
    test_proxy proxy("Basic Ym9iOnB3");  // bob:pw
    net::io_context ioc;
    client_options options;
    options.proxy = proxy.url("bob:pw");
    options.no_proxy = {"127.0.0.1", ".internal.example"};
    client c(ioc.get_executor(), options);

    auto proxied = run_coro(ioc, send(c, get_request("http://api.example.com:8080/v1/models?x=1")));
    INFO(c.last_error_detail());
    REQUIRE(proxied.has_value());
    CHECK(proxied->body == "GET http://api.example.com:8080/v1/models?x=1 HTTP/1.1");
    REQUIRE(proxy.heads().size() == 1);
    CHECK(proxy.heads()[0].find("\r\nHost: api.example.com:8080\r\n") != std::string::npos);

    auto bypassed = run_coro(ioc, send(c, get_request(direct.base_url() + "/v1/models")));
    REQUIRE(bypassed.has_value());
    CHECK(bypassed->body == "direct");
    CHECK(proxy.heads().size() == 1);
    CHECK(direct.requests().at(0).target == "/v1/models");
}

TEST_CASE("proxy: a malformed proxy URL is a start-up error that does not quote it",
          "[http][proxy]") {
    net::io_context ioc;
    for (const char* bad : {"https://proxy:3128", "socks5://p:1080", "http://u:secret@p:99999",
                            "http://p:3128/path", "proxy:3128"}) {
        INFO(bad);
        CHECK_FALSE(gateway::http::valid_proxy_url(bad));
        client_options options;
        options.proxy = bad;
        try {
            client c(ioc.get_executor(), options);
            FAIL("accepted");
        } catch (const std::runtime_error& e) {
            CHECK(std::string(e.what()).find("secret") == std::string::npos);
        }
    }
    CHECK(gateway::http::valid_proxy_url("http://10.0.0.1:3128"));
    CHECK(gateway::http::valid_proxy_url("http://user:p%40ss@proxy.corp/"));
}

TEST_CASE("inflate: gzip decodes identically whatever the input split", "[http][gzip]") {
    const std::string text = sample_text();
    const std::string compressed = joined(gzip_pieces(text, text.size()));
    REQUIRE(compressed.size() < text.size() / 4);
    for (const std::size_t split : {std::size_t{1}, std::size_t{7}, std::size_t{4096}}) {
        INFO(split);
        inflater z(256);
        std::string decoded;
        for (std::size_t at = 0; at < compressed.size(); at += split) {
            z.feed(std::string_view(compressed).substr(at, split));
            while (z.has_input()) {
                auto piece = z.next();
                REQUIRE(piece.has_value());
                CHECK(piece->size() <= 256);
                decoded += *piece;
            }
        }
        CHECK(z.complete());
        CHECK(decoded == text);
    }
}

TEST_CASE("inflate: corrupt, truncated and trailing data are errors", "[http][gzip]") {
    const std::string text = sample_text();
    std::string compressed = joined(gzip_pieces(text, text.size()));
    {
        inflater z;
        z.feed(std::string_view(compressed).substr(0, compressed.size() / 2));
        while (z.has_input()) REQUIRE(z.next().has_value());
        CHECK_FALSE(z.complete());
    }
    {
        std::string corrupt = compressed;
        corrupt[corrupt.size() / 2] = static_cast<char>(corrupt[corrupt.size() / 2] ^ 0x55);
        corrupt[corrupt.size() - 6] = static_cast<char>(corrupt[corrupt.size() - 6] ^ 0x55);
        inflater z;
        z.feed(corrupt);
        bool failed = false;
        while (z.has_input() && !failed) failed = !z.next().has_value();
        CHECK((failed || !z.complete()));
    }
    {
        const std::string trailing = compressed + "garbage";
        inflater z;
        z.feed(trailing);
        bool failed = false;
        while (z.has_input() && !failed) failed = !z.next().has_value();
        CHECK(failed);
    }
    {
        // Two gzip members one after the other are one body (RFC 1952 2.2).
        const std::string twice = compressed + compressed;
        inflater z;
        z.feed(twice);
        std::string decoded;
        while (z.has_input()) {
            auto piece = z.next();
            REQUIRE(piece.has_value());
            decoded += *piece;
        }
        CHECK(z.complete());
        CHECK(decoded == text + text);
    }
}

TEST_CASE("client: gzip bodies are decoded, whole and streamed piece by piece", "[http][gzip]") {
    const std::string text = sample_text();
    fake_upstream upstream{[&](const recorded_request& r) {
        scripted_response res;
        res.headers = {
            {"content-type", r.target == "/sse" ? "text/event-stream" : "application/json"},
            {"content-encoding", "gzip"}};
        res.chunks = gzip_pieces(text, r.target == "/sse" ? 512 : text.size());
        res.chunked = r.target == "/sse";
        if (r.target == "/sse") res.delay_between_chunks = 5ms;
        if (r.target == "/br") res.headers[1].second = "br";
        return res;
    }};
    net::io_context ioc;
    client c(ioc.get_executor());

    auto whole = run_coro(ioc, send(c, get_request(upstream.base_url() + "/json")));
    REQUIRE(whole.has_value());
    CHECK(whole->body == text);
    CHECK(whole->headers[bhttp::field::content_encoding].empty());
    CHECK(whole->headers[bhttp::field::content_length].empty());
    CHECK(upstream.requests().at(0).headers[bhttp::field::accept_encoding] == "gzip");

    // A stream: decoded pieces arrive as the compressed ones do, not at the end.
    auto streamed = run_coro(ioc, [&]() -> net::awaitable<std::vector<std::string>> {
        request r = get_request(upstream.base_url() + "/sse");
        auto ex = co_await c.async_open(std::move(r));
        REQUIRE(ex.has_value());
        std::vector<std::string> pieces;
        for (;;) {
            auto piece = co_await (*ex)->async_read_some();
            REQUIRE(piece.has_value());
            if (piece->empty()) break;
            pieces.emplace_back(*piece);
        }
        co_return pieces;
    }());
    CHECK(joined(streamed) == text);
    CHECK(streamed.size() >= text.size() / 512);
    CHECK(c.connections_opened() == 1);  // both bodies ended cleanly: the connection was reused

    auto unsupported = run_coro(ioc, send(c, get_request(upstream.base_url() + "/br")));
    REQUIRE_FALSE(unsupported.has_value());
    CHECK(unsupported.error() == errc::bad_upstream_response);
    CHECK_THAT(c.last_error_detail(), Catch::Matchers::Contains("Content-Encoding 'br'"));
}

TEST_CASE("client: a caller's Accept-Encoding is kept", "[http][gzip]") {
    fake_upstream upstream{[](const recorded_request&) { return json_response(200, "{}"); }};
    net::io_context ioc;
    client c(ioc.get_executor());
    request r = get_request(upstream.base_url() + "/");
    r.headers.set(bhttp::field::accept_encoding, "identity");
    REQUIRE(run_coro(ioc, send(c, std::move(r))).has_value());
    CHECK(upstream.requests().at(0).headers[bhttp::field::accept_encoding] == "identity");
}

TEST_CASE("client: the connect deadline covers a TLS handshake that never completes",
          "[http][tls]") {
    // Accepts TCP connections and never says a word: the ClientHello goes unanswered.
    net::io_context server_ioc;
    tcp::acceptor silent(server_ioc, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
    std::vector<tcp::socket> held;
    silent.async_accept([&](boost::system::error_code ec, tcp::socket s) {
        if (!ec) held.push_back(std::move(s));
    });
    std::thread server([&] { server_ioc.run_for(5s); });

    net::io_context ioc;
    client_options options;
    options.default_timeouts.connect = 200ms;
    client c(ioc.get_executor(), options);
    const auto start = std::chrono::steady_clock::now();
    auto res =
        run_coro(ioc, send(c, get_request("https://127.0.0.1:" +
                                          std::to_string(silent.local_endpoint().port()) + "/")));
    const auto took = std::chrono::steady_clock::now() - start;
    server_ioc.stop();
    server.join();

    REQUIRE_FALSE(res.has_value());
    CHECK(res.error() == errc::upstream_timeout);
    CHECK_THAT(c.last_error_detail(), Catch::Matchers::Contains("TLS handshake"));
    CHECK(took < 3s);
}
