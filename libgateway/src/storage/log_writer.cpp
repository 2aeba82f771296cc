#include "gateway/storage/log_writer.hpp"

#include "gateway/core/log.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>
#include <stdexcept>

namespace gateway::storage {

namespace {

/// Whether the `count`th failure of a kind is worth a line in the log: the first ones, then one
/// in a thousand (a full disk must not flood the log from every request).
bool worth_reporting(std::uint64_t count) { return count <= 3 || count % 1000 == 0; }

}  // namespace

log_writer::log_writer(store& s, std::size_t max_batch, std::chrono::milliseconds commit_interval)
    : log_writer(s, log_writer_options{max_batch, commit_interval, {}}) {}

log_writer::log_writer(store& s, log_writer_options options)
    : store_(s),
      max_batch_(std::max<std::size_t>(1, options.max_batch)),
      commit_interval_(options.commit_interval),
      journal_base_(std::move(options.journal_base)) {
    if (!journal_base_.empty()) {
        if (auto replay = replay_journals(journal_base_, store_)) {
            replayed_ = *replay;
            if (replayed_.files > 0) {
                log::info(fmt::format(
                    "request log journal: replayed {} files, {} logs, {} of them not yet in the "
                    "database",
                    replayed_.files, replayed_.records, replayed_.inserted));
            }
            if (replayed_.ignored_bytes > 0 || replayed_.refused > 0) {
                log::warn(
                    fmt::format("request log journal: {} bytes of torn or corrupt records "
                                "and {} invalid logs were dropped",
                                replayed_.ignored_bytes, replayed_.refused));
            }
        } else {
            log::error(
                fmt::format("request log journal: replay failed ({}); the files stay for "
                            "the next start",
                            replay.error().message()));
        }
        std::string detail;
        auto created = journal_file::create(journal_base_, detail);
        if (!created) throw std::runtime_error("request log journal: " + detail);
        journal_.emplace(std::move(*created));
        prepare_next_journal();
    }
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
    // Serialised before the lock is taken, into the thread's own buffer.
    thread_local std::string record;
    const bool journaled = !journal_base_.empty();
    if (journaled) {
        record.clear();
        append_journal_record(record, log);
    }
    bool wake = false;
    std::uint64_t journal_failures = 0;
    {
        std::lock_guard lock{mutex_};
        // Written under the lock that also queues the log: the writer switches journal files
        // only together with taking the whole queue, so a file is removed only once every log
        // written to it is committed.
        if (journaled && !(journal_ && journal_->append(record))) {
            journal_failures = ++journal_failures_;
        }
        // The first log of a batch starts the writer's commit_interval; a full batch ends it.
        if (queue_.empty()) first_queued_at_ = std::chrono::steady_clock::now();
        queue_.push_back(std::move(log));
        ++submitted_;
        wake = queue_.size() == 1 || queue_.size() >= max_batch_;
    }
    if (wake) wake_.notify_one();
    if (record.capacity() > 64 * 1024) std::string().swap(record);  // a huge one, not kept
    if (journal_failures != 0 && worth_reporting(journal_failures)) {
        log::error(
            fmt::format("request log journal: a log could not be written ({} so far); "
                        "it is durable only once committed",
                        journal_failures));
    }
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

std::uint64_t log_writer::journal_failures() const {
    std::lock_guard lock{mutex_};
    return journal_failures_;
}

void log_writer::prepare_next_journal() {
    std::string detail;
    auto created = journal_file::create(journal_base_, detail);
    if (created) {
        next_journal_.emplace(std::move(*created));
        return;
    }
    // The current file goes on growing until a new one can be made.
    if (worth_reporting(++journal_create_failures_)) log::error("request log journal: " + detail);
}

void log_writer::run() {
    std::vector<request_log> batch;
    std::unique_lock lock{mutex_};
    for (;;) {
        wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) {
            if (stopping_) break;
            continue;
        }
        wake_.wait_until(lock, first_queued_at_ + commit_interval_, [&] {
            return stopping_ || queue_.size() >= max_batch_ || flush_to_ > finished_;
        });
        std::optional<journal_file> sealed;
        if (queue_.size() <= max_batch_) {
            batch.swap(queue_);
            // Every log in the current journal file is now in this batch or an earlier one:
            // later logs go to the next file, and this one goes once the batch is committed.
            if (journal_ && next_journal_ && (journal_->size() > 0 || !journal_->is_open())) {
                sealed = std::move(journal_);
                journal_ = std::move(next_journal_);
                next_journal_.reset();
            }
        } else {
            auto end = queue_.begin() + static_cast<std::ptrdiff_t>(max_batch_);
            batch.assign(std::make_move_iterator(queue_.begin()), std::make_move_iterator(end));
            queue_.erase(queue_.begin(), end);
            // The rest has waited since before this batch was taken: it is due at once.
        }
        lock.unlock();
        if (sealed && keep_journal_) {
            sealed.reset();  // closed, left on disk: it holds logs of a failed batch
            keep_journal_ = false;
        } else if (sealed) {
            sealed_journals_.push_back(std::move(*sealed));
        }
        result<void> outcome = make_error_code(errc::storage_error);
        for (int attempt = 0; attempt < 3 && !outcome; ++attempt) {
            outcome = store_.append_logs(batch);
        }
        if (!outcome) {
            log::error(fmt::format("request log: {} entries could not be written: {}", batch.size(),
                                   outcome.error().message()));
        }
        if (!journal_base_.empty()) {
            if (outcome) {
                for (auto& file : sealed_journals_) file.remove();
            } else if (!sealed) {
                keep_journal_ = true;  // the batch's logs are (also) in the current file
            }
            // Failed: the sealed files are closed and stay, so the next start replays them.
            sealed_journals_.clear();
            if (!next_journal_) prepare_next_journal();
        }
        lock.lock();
        finished_ += batch.size();
        (outcome ? written_ : failed_) += batch.size();
        batch.clear();
        done_.notify_all();
    }
    // Stopping, with every log submitted so far written or failed.
    if (journal_ && !keep_journal_) journal_->remove();
    if (next_journal_) next_journal_->remove();
}

}  // namespace gateway::storage
