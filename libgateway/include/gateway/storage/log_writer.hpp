#pragma once
/// Writes request logs (and their quota charges) to a store from a background thread, so no
/// request waits for the disk.
///
/// `submit` only appends to a queue under a short lock. The writer thread commits the queue in
/// one transaction when `max_batch` logs wait, when `flush` is called, or `commit_interval`
/// after the first log of the batch was submitted, whichever comes first (group commit: at
/// 8,000 requests/s one transaction carries hundreds of logs instead of two, and a quiet
/// gateway still has every log on disk within `commit_interval`).
/// A failed batch is retried (up to 3 times) and then counted in `failed()` and reported in
/// the log; the destructor writes everything still queued.
/// Thread safety: every member may be called from any thread.

#include "gateway/storage/store.hpp"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace gateway::storage {

class log_writer {
  public:
    explicit log_writer(store& s, std::size_t max_batch = 512,
                        std::chrono::milliseconds commit_interval = std::chrono::milliseconds(50));
    ~log_writer();
    log_writer(const log_writer&) = delete;
    log_writer& operator=(const log_writer&) = delete;

    void submit(request_log log);
    /// Blocks until every log submitted before the call is written (or failed).
    void flush();

    std::uint64_t written() const;
    std::uint64_t failed() const;

  private:
    void run();

    store& store_;
    std::size_t max_batch_;
    std::chrono::milliseconds commit_interval_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::condition_variable done_;
    std::vector<request_log> queue_;
    std::chrono::steady_clock::time_point first_queued_at_{};  // of the oldest queued log
    std::uint64_t submitted_ = 0;
    std::uint64_t flush_to_ = 0;  // every log up to this count is wanted on disk now
    std::uint64_t finished_ = 0;  // written or failed
    std::uint64_t written_ = 0;
    std::uint64_t failed_ = 0;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace gateway::storage
