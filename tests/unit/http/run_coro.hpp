#pragma once
// Runs one coroutine to completion on a test's io_context (the client's executor), with a time
// limit so a bug fails the test instead of hanging it.

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
#include <utility>

namespace gateway::test {

template <class T>
T run_coro(boost::asio::io_context& ioc, boost::asio::awaitable<T> coro,
           std::chrono::seconds limit = std::chrono::seconds(30)) {
    auto future = boost::asio::co_spawn(ioc, std::move(coro), boost::asio::use_future);
    ioc.restart();
    ioc.run_for(limit);
    REQUIRE(future.wait_for(std::chrono::seconds(0)) == std::future_status::ready);
    return future.get();
}

/// Suspends the calling coroutine for `d`.
inline boost::asio::awaitable<void> sleep_for(std::chrono::milliseconds d) {
    boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, d);
    co_await timer.async_wait(boost::asio::use_awaitable);
}

}  // namespace gateway::test
