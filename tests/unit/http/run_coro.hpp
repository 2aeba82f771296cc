#pragma once
// Runs one coroutine to completion on a test's io_context (the client's executor), with a time
// limit so a bug fails the test instead of hanging it; and the requests the client tests send.

#include "gateway/http/client.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <catch2/catch.hpp>

#include <chrono>
#include <future>
#include <string>
#include <utility>

namespace gateway::test {

template <class T>
T run_coro(boost::asio::io_context& ioc, boost::asio::awaitable<T> coro,
           std::chrono::seconds limit = std::chrono::seconds(30)) {
    auto future = boost::asio::co_spawn(ioc, std::move(coro), boost::asio::use_future);
    ioc.restart();
    // Until the coroutine is done, not until the context runs out of work: a client with pooled
    // connections keeps their expiry timer waiting.
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (future.wait_for(std::chrono::seconds(0)) != std::future_status::ready &&
           std::chrono::steady_clock::now() < deadline && !ioc.stopped()) {
        ioc.run_one_until(deadline);
    }
    REQUIRE(future.wait_for(std::chrono::seconds(0)) == std::future_status::ready);
    return future.get();
}

/// Suspends the calling coroutine for `d`.
inline boost::asio::awaitable<void> sleep_for(std::chrono::milliseconds d) {
    boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, d);
    co_await timer.async_wait(boost::asio::use_awaitable);
}

inline http::request get_request(std::string url) {
    http::request r;
    r.method = boost::beast::http::verb::get;
    r.url = std::move(url);
    return r;
}

inline boost::asio::awaitable<result<http::response>> send(http::client& c, http::request r) {
    co_return co_await c.async_send(std::move(r));
}

}  // namespace gateway::test
