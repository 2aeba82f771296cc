// The body read loop makes no heap allocation per piece in steady state.
//
// operator new is replaced in this binary to count allocations made on the test's own thread
// while counting is switched on (the fake upstream's thread is never counted). Asio's recycled
// handler and coroutine-frame memory is drawn from its per-thread cache, not from operator new,
// so this checks the client's own code and Beast's parser: no strings, no fields, no buffer
// growth per piece. Not built under AddressSanitizer, which owns operator new.

#include "gateway/http/client.hpp"

#include "support/fake_upstream.hpp"
#include "unit/http/run_coro.hpp"

#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#if defined(__SANITIZE_ADDRESS__)
#define GATEWAY_TEST_COUNT_ALLOCATIONS 0
#else
#define GATEWAY_TEST_COUNT_ALLOCATIONS 1
#endif

namespace {

thread_local bool counting = false;
thread_local std::size_t allocations = 0;

}  // namespace

#if GATEWAY_TEST_COUNT_ALLOCATIONS
void* operator new(std::size_t size) {
    if (counting) ++allocations;
    if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
    throw std::bad_alloc();
}
void* operator new[](std::size_t size) {
    if (counting) ++allocations;
    if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
    throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
#endif

namespace {

namespace net = boost::asio;
namespace bhttp = boost::beast::http;
using namespace std::chrono_literals;

struct counted_read {
    std::size_t pieces_counted = 0;
    std::size_t allocations = 0;
    std::string body;
};

net::awaitable<counted_read> read_counting(gateway::http::client& c, std::string url) {
    counted_read out;
    out.body.reserve(64 * 1024);  // the test's own appends must not count
    gateway::http::request req;
    req.method = bhttp::verb::get;
    req.url = std::move(url);
    auto ex = co_await c.async_open(std::move(req));
    REQUIRE(ex.has_value());
    std::size_t pieces = 0;
    for (;;) {
        // Warm up for 10 pieces (first reads size the buffers and fill Asio's caches), then
        // count over the next 40.
        if (pieces == 10) {
            allocations = 0;
            counting = true;
        }
        auto piece = co_await (*ex)->async_read_some();
        if (pieces >= 10 && pieces < 50) ++out.pieces_counted;
        if (pieces == 49) {
            counting = false;
            out.allocations = allocations;
        }
        REQUIRE(piece.has_value());
        if (piece->empty()) break;
        out.body.append(piece->data(), piece->size());
        ++pieces;
    }
    counting = false;
    co_return out;
}

}  // namespace

TEST_CASE("client: no heap allocation per body piece", "[http][perf]") {
    if (!GATEWAY_TEST_COUNT_ALLOCATIONS) {
        WARN("allocation counting is disabled under AddressSanitizer");
        return;
    }
    std::vector<std::string> events;
    std::string expected;
    for (int i = 0; i < 80; ++i) {
        events.push_back("data: " + std::string(90, static_cast<char>('a' + i % 26)) + "\n\n");
        expected += events.back();
    }
    // Paced so that every event arrives as a piece of its own.
    gateway::test::fake_upstream upstream([&](const gateway::test::recorded_request&) {
        gateway::test::scripted_response r;
        r.chunks = events;
        r.delay_between_chunks = 5ms;
        return r;
    });

    net::io_context ioc;
    gateway::http::client c(ioc.get_executor());
    const auto r = gateway::test::run_coro(ioc, read_counting(c, upstream.base_url() + "/stream"));

    CHECK(r.body == expected);
    CHECK(r.pieces_counted == 40);
    CHECK(r.allocations == 0);
}
