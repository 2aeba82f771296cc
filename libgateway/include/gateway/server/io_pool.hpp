#pragma once
/// A pool of single-threaded `io_context`s, one thread each (gatewayd uses one per core).
///
/// Each connection lives on one context for its whole life, with its upstream connections, so
/// no strand or lock is needed on the data path, and per-thread state (the HTTP client and its
/// connection pool) is indexed by `index_of()`.
///
/// Thread safety: `run`, `stop` and `join` may be called from any thread; `context(i)` returns
/// a reference that stays valid for the pool's life.

#include <boost/asio/io_context.hpp>

#include <atomic>
#include <cstddef>
#include <memory>
#include <thread>
#include <vector>

namespace gateway::server {

class io_pool {
  public:
    /// `threads == 0` means one per hardware thread.
    explicit io_pool(std::size_t threads = 0);
    ~io_pool();
    io_pool(const io_pool&) = delete;
    io_pool& operator=(const io_pool&) = delete;

    std::size_t size() const noexcept { return contexts_.size(); }
    boost::asio::io_context& context(std::size_t index) noexcept { return *contexts_[index]; }
    /// Round-robin choice for a new connection.
    std::size_t next_index() noexcept;

    /// Starts one thread per context; they run until `stop()` (work guards keep idle contexts
    /// alive).
    void run();
    /// Releases the work guards: each context's thread exits once its work is done.
    void release() noexcept;
    /// Stops every context at once (pending handlers are abandoned).
    void stop() noexcept;
    /// Waits for the threads started by `run()`.
    void join();

  private:
    using guard = boost::asio::executor_work_guard<boost::asio::io_context::executor_type>;
    std::vector<std::unique_ptr<boost::asio::io_context>> contexts_;
    std::vector<guard> guards_;
    std::vector<std::thread> threads_;
    std::atomic<std::size_t> next_{0};
};

}  // namespace gateway::server
