#include "gateway/storage/log_writer.hpp"

#include "gateway/core/log.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>

namespace gateway::storage {

log_writer::log_writer(store& s, std::size_t max_batch, std::chrono::milliseconds commit_interval)
    : store_(s),
      max_batch_(std::max<std::size_t>(1, max_batch)),
      commit_interval_(commit_interval) {
    thread_ = std::thread([this] { run(); });
}

log_writer::~log_writer() {
    {
        std::lock_guard lock{mutex_};
        stopping_ = true;
    }
    wake_.notify_all();
    thread_.join();
}

void log_writer::submit(request_log log) {
    bool wake = false;
    {
        std::lock_guard lock{mutex_};
        // The first log of a batch starts the writer's commit_interval; a full batch ends it.
        if (queue_.empty()) first_queued_at_ = std::chrono::steady_clock::now();
        queue_.push_back(std::move(log));
        ++submitted_;
        wake = queue_.size() == 1 || queue_.size() >= max_batch_;
    }
    if (wake) wake_.notify_one();
}

void log_writer::flush() {
    std::unique_lock lock{mutex_};
    auto target = submitted_;
    flush_to_ = std::max(flush_to_, target);
    wake_.notify_one();
    done_.wait(lock, [&] { return finished_ >= target; });
}

std::uint64_t log_writer::written() const {
    std::lock_guard lock{mutex_};
    return written_;
}

std::uint64_t log_writer::failed() const {
    std::lock_guard lock{mutex_};
    return failed_;
}

void log_writer::run() {
    std::vector<request_log> batch;
    std::unique_lock lock{mutex_};
    for (;;) {
        wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) {
            if (stopping_) return;
            continue;
        }
        wake_.wait_until(lock, first_queued_at_ + commit_interval_, [&] {
            return stopping_ || queue_.size() >= max_batch_ || flush_to_ > finished_;
        });
        if (queue_.size() <= max_batch_) {
            batch.swap(queue_);
        } else {
            auto end = queue_.begin() + static_cast<std::ptrdiff_t>(max_batch_);
            batch.assign(std::make_move_iterator(queue_.begin()), std::make_move_iterator(end));
            queue_.erase(queue_.begin(), end);
            // The rest has waited since before this batch was taken: it is due at once.
        }
        lock.unlock();
        result<void> outcome = make_error_code(errc::storage_error);
        for (int attempt = 0; attempt < 3 && !outcome; ++attempt) {
            outcome = store_.append_logs(batch);
        }
        if (!outcome) {
            log::error(fmt::format("request log: {} entries could not be written: {}", batch.size(),
                                   outcome.error().message()));
        }
        lock.lock();
        finished_ += batch.size();
        (outcome ? written_ : failed_) += batch.size();
        batch.clear();
        done_.notify_all();
    }
}

}  // namespace gateway::storage
