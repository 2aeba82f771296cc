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
///
/// With a journal (`log_writer_options::journal_base`, see gateway/storage/journal.hpp),
/// `submit` also appends the log to the journal before it returns (one `write(2)`, no fsync), so
/// a log submitted before its response's last bytes go out survives a kill of the process
/// within the commit interval: the next start replays it. Journal files are removed once their
/// logs are committed; those of a failed batch stay for the next start's replay.
/// Thread safety: every member may be called from any thread.

#include "gateway/storage/journal.hpp"
#include "gateway/storage/store.hpp"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace gateway::storage {

struct log_writer_options {
    std::size_t max_batch = 512;
    std::chrono::milliseconds commit_interval{50};
    /// Where the journal's files go: `<journal_base>.journal-…` (gatewayd passes the database's
    /// path). Empty: no journal, and a log survives a crash only once it is committed.
    std::string journal_base;
};

class log_writer {
  public:
    explicit log_writer(store& s, std::size_t max_batch = 512,
                        std::chrono::milliseconds commit_interval = std::chrono::milliseconds(50));
    /// With a journal, first replays the journals that earlier processes left next to
    /// `journal_base` (`replay_journals`; a failure is logged and leaves them for the next
    /// start), then creates its own. Throws `std::runtime_error` if it cannot (start-up only).
    log_writer(store& s, log_writer_options options);
    ~log_writer();
    log_writer(const log_writer&) = delete;
    log_writer& operator=(const log_writer&) = delete;

    /// Queues `log`; with a journal, first appends it there. A journal write that fails (a full
    /// disk) is reported in the log and counted in `journal_failures()`; the log is still
    /// queued, and is then durable once committed.
    void submit(request_log log);
    /// Blocks until every log submitted before the call is written (or failed).
    void flush();

    std::uint64_t written() const;
    std::uint64_t failed() const;
    std::uint64_t journal_failures() const;
    /// What the replay at construction did (all zero without a journal).
    const journal_replay& replayed() const noexcept { return replayed_; }

  private:
    void run();
    /// Writer thread: the file that follows the current one, made ahead of time so that
    /// switching to it under the lock costs no system call.
    void prepare_next_journal();

    store& store_;
    std::size_t max_batch_;
    std::chrono::milliseconds commit_interval_;
    std::string journal_base_;
    journal_replay replayed_;
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
    std::uint64_t journal_failures_ = 0;
    std::uint64_t journal_create_failures_ = 0;  // writer thread only
    bool stopping_ = false;
    // The file `submit` appends to (under mutex_). The writer thread alone touches the others:
    // the next file, and the files sealed (switched away from) whose logs are not all
    // committed yet.
    std::optional<journal_file> journal_;
    std::optional<journal_file> next_journal_;
    std::vector<journal_file> sealed_journals_;
    bool keep_journal_ = false;  // journal_ holds logs of a failed batch: never remove it
    std::thread thread_;
};

}  // namespace gateway::storage
