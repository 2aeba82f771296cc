#include "gateway/storage/log_writer.hpp"

#include "gateway/core/log.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>

namespace gateway::storage {

log_writer::log_writer(store& s, std::size_t max_batch)
    : store_(s), max_batch_(std::max<std::size_t>(1, max_batch)) {
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
    bool full = false;
    {
        std::lock_guard lock{mutex_};
        queue_.push_back(std::move(log));
        ++submitted_;
        full = queue_.size() >= max_batch_;
    }
    if (full) wake_.notify_one();
}

void log_writer::flush() {
    std::unique_lock lock{mutex_};
    auto target = submitted_;
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
        if (queue_.size() <= max_batch_) {
            batch.swap(queue_);
        } else {
            auto end = queue_.begin() + static_cast<std::ptrdiff_t>(max_batch_);
            batch.assign(std::make_move_iterator(queue_.begin()), std::make_move_iterator(end));
            queue_.erase(queue_.begin(), end);
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
