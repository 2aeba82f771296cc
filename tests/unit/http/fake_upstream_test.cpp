// Self-tests of the test support the other tests rely on: SSE splitting, fixtures, builders and
// the fake upstream's abort detection (driven by a bare socket, not by the client under test).

#include "support/fake_upstream.hpp"
#include "support/fixtures.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>
#include <catch2/catch.hpp>

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

namespace net = boost::asio;
using tcp = net::ip::tcp;
using namespace std::chrono_literals;
using gateway::test::fake_upstream;
using gateway::test::recorded_request;
using gateway::test::scripted_response;
using gateway::test::split_sse_events;
using strings = std::vector<std::string>;

std::string join(const strings& parts) {
    std::string out;
    for (const auto& p : parts) out += p;
    return out;
}

}  // namespace

TEST_CASE("split_sse_events: LF framing", "[http][fake_upstream]") {
    std::string const body = "event: a\ndata: 1\n\ndata: 2\n\n: comment\n\n";
    const auto events = split_sse_events(body);
    CHECK(events == strings{"event: a\ndata: 1\n\n", "data: 2\n\n", ": comment\n\n"});
    CHECK(join(events) == body);
}

TEST_CASE("split_sse_events: CRLF and CR framing", "[http][fake_upstream]") {
    CHECK(split_sse_events("data: 1\r\n\r\ndata: 2\r\n\r\n") ==
          strings{"data: 1\r\n\r\n", "data: 2\r\n\r\n"});
    CHECK(split_sse_events("data: 1\r\rdata: 2\r\r") == strings{"data: 1\r\r", "data: 2\r\r"});
    // Mixed endings still end an event at the empty line.
    CHECK(split_sse_events("data: 1\r\n\ndata: 2\n\r\n") ==
          strings{"data: 1\r\n\n", "data: 2\n\r\n"});
    // A CRLF is one line ending, not a line plus an empty line.
    CHECK(split_sse_events("data: 1\r\ndata: 2\r\n\r\n") == strings{"data: 1\r\ndata: 2\r\n\r\n"});
}

TEST_CASE("split_sse_events: a trailing remainder is kept", "[http][fake_upstream]") {
    CHECK(split_sse_events("data: 1\n\ndata: partial") == strings{"data: 1\n\n", "data: partial"});
    CHECK(split_sse_events("data: no blank line\n") == strings{"data: no blank line\n"});
    CHECK(split_sse_events("").empty());
}

TEST_CASE("read_fixture: a missing fixture throws", "[http][fake_upstream]") {
    CHECK_THROWS_AS(gateway::test::read_fixture("no/such/fixture.sse"), std::runtime_error);
}

TEST_CASE("response builders", "[http][fake_upstream]") {
    const auto json = gateway::test::json_response(404, R"({"error":"x"})");
    CHECK(json.status == 404);
    CHECK_FALSE(json.chunked);
    CHECK(json.chunks == strings{R"({"error":"x"})"});
    REQUIRE(json.headers.size() == 1);
    CHECK(json.headers[0].first == "content-type");
    CHECK(json.headers[0].second == "application/json");

    const auto sse = gateway::test::sse_response("data: 1\n\ndata: 2\n\n", 15ms);
    CHECK(sse.status == 200);
    CHECK(sse.chunked);
    CHECK(sse.delay_between_chunks == 15ms);
    CHECK(sse.chunks == strings{"data: 1\n\n", "data: 2\n\n"});
    CHECK(sse.headers.at(0).second == "text/event-stream");
}

TEST_CASE("fake_upstream: chunked framing and abort detection on a raw socket",
          "[http][fake_upstream]") {
    fake_upstream upstream([](const recorded_request&) {
        scripted_response r;
        r.chunks = {"first", "second", "third"};
        r.delay_between_chunks = 300ms;
        return r;
    });
    CHECK(upstream.base_url() == "http://127.0.0.1:" + std::to_string(upstream.port()));

    net::io_context ioc;
    tcp::socket socket(ioc);
    socket.connect(tcp::endpoint(net::ip::make_address_v4("127.0.0.1"), upstream.port()));
    std::string const req =
        "POST /v1/raw?q=1 HTTP/1.1\r\nHost: example\r\nContent-Length: 4\r\n\r\nbody";
    net::write(socket, net::buffer(req));
    std::string in;
    net::read_until(socket, net::dynamic_buffer(in), "5\r\nfirst\r\n");
    CHECK(in.find("HTTP/1.1 200 OK\r\n") == 0);
    CHECK(in.find("Transfer-Encoding: chunked\r\n") != std::string::npos);

    const auto seen = upstream.requests();
    REQUIRE(seen.size() == 1);
    CHECK(seen[0].method == "POST");
    CHECK(seen[0].target == "/v1/raw?q=1");
    CHECK(seen[0].body == "body");
    CHECK(upstream.connections_accepted() == 1);
    CHECK(upstream.aborted_responses() == 0);

    // Going away during a pause is noticed at once, not at the next write 300 ms later.
    const auto start = std::chrono::steady_clock::now();
    socket.close();
    CHECK(upstream.wait_for_aborted(1, 2s));
    CHECK(std::chrono::steady_clock::now() - start < 250ms);
    CHECK(upstream.aborted_responses() == 1);
}

TEST_CASE("fake_upstream: stops promptly with a client still connected", "[http][fake_upstream]") {
    net::io_context ioc;
    tcp::socket socket(ioc);
    const auto start = std::chrono::steady_clock::now();
    {
        fake_upstream upstream([](const recorded_request&) {
            scripted_response r;
            r.chunks = {"x"};
            r.hang_after_chunks = true;
            return r;
        });
        socket.connect(tcp::endpoint(net::ip::make_address_v4("127.0.0.1"), upstream.port()));
        net::write(socket, net::buffer(std::string("GET / HTTP/1.1\r\nHost: h\r\n\r\n")));
        std::string in;
        net::read_until(socket, net::dynamic_buffer(in), "1\r\nx\r\n");
    }  // destructor with the response hanging
    CHECK(std::chrono::steady_clock::now() - start < 2s);
    // The server closed its end.
    char byte = 0;
    boost::system::error_code ec;
    socket.read_some(net::buffer(&byte, 1), ec);
    CHECK(ec);
}
