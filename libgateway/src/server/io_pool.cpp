#include "gateway/server/io_pool.hpp"

#include <algorithm>

namespace gateway::server {

io_pool::io_pool(std::size_t threads) {
    if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
    contexts_.reserve(threads);
    for (std::size_t i = 0; i < threads; ++i) {
        // Concurrency hint 1: each context is run by exactly one thread, so Asio can skip
        // its internal locking.
        contexts_.push_back(std::make_unique<boost::asio::io_context>(1));
        guards_.emplace_back(contexts_.back()->get_executor());
    }
}

io_pool::~io_pool() {
    stop();
    join();
}

std::size_t io_pool::next_index() noexcept {
    return next_.fetch_add(1, std::memory_order_relaxed) % contexts_.size();
}

void io_pool::run() {
    for (auto& context : contexts_) {
        threads_.emplace_back([ctx = context.get()] { ctx->run(); });
    }
}

void io_pool::release() noexcept {
    for (auto& g : guards_) g.reset();
}

void io_pool::stop() noexcept {
    release();
    for (auto& context : contexts_) context->stop();
}

void io_pool::join() {
    for (auto& t : threads_) {
        if (t.joinable()) t.join();
    }
    threads_.clear();
}

}  // namespace gateway::server
