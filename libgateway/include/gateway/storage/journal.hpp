#pragma once
/// The request-log journal: what makes a request log survive a kill of the process before the
/// log writer committed it to the store.
///
/// A `log_writer` given a journal appends each log to a journal file (one `write(2)` of the
/// serialised record, no fsync) before the log can be seen as complete by a client, and removes
/// the file once the batch holding its logs is committed. The next start replays whatever
/// journal files a killed process left (`replay_journals`), inserting the logs the store does
/// not have yet, keyed by request id, so nothing is logged or charged twice.
///
/// What it guarantees: the page cache outlives a killed process (SIGKILL, a crash, the OOM
/// killer), so a log whose `write(2)` returned is replayed. A power loss or kernel crash may lose
/// what is only in the page cache: the journal is never fsynced, and neither is the store on
/// each commit (SQLite in WAL mode with `synchronous=NORMAL` syncs at checkpoints).
///
/// Files: `<base>.journal-<instance>-<n>` next to `<base>` (gatewayd: the database's path), each
/// a sequence of records: the payload's size (4 bytes, little-endian), its CRC-32 (4 bytes,
/// little-endian), then the payload (a version byte and the fields of `request_log`). The
/// process that writes a file holds an exclusive `flock` on it until it removes or closes it,
/// so a replay (by a later start, or by another process on the same database) never touches a
/// journal that a running writer owns.

#include "gateway/core/error.hpp"
#include "gateway/storage/store.hpp"

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace gateway::storage {

/// Appends `log` to `out` as one journal record.
void append_journal_record(std::string& out, const request_log& log);

/// What `read_journal_records` found in a journal file's bytes.
struct journal_records {
    std::vector<request_log> logs;  ///< in the order they were written
    std::size_t ignored_bytes = 0;  ///< from the first record that is cut short or corrupt on
};

/// Decodes a journal file's bytes. Reading stops at the first record that is cut short or fails
/// its checksum (a write torn by a crash or a power loss): the bytes from there on are counted in
/// `ignored_bytes`, never guessed at. Pure: no I/O.
journal_records read_journal_records(std::string_view bytes);

/// One journal file, created and locked by this process. Not thread-safe: its owner serialises
/// the calls. Closing it (the destructor) keeps the file on disk for a replay; `remove` deletes
/// it.
class journal_file {
  public:
    /// Creates a new, empty file `<base>.journal-<instance>-<n>` (`instance` is random per
    /// process, `n` counts up) and locks it. Errors: `errc::storage_error` (`detail` says why).
    static result<journal_file> create(const std::string& base, std::string& detail);

    journal_file(journal_file&& other) noexcept;
    journal_file& operator=(journal_file&& other) noexcept;
    journal_file(const journal_file&) = delete;
    journal_file& operator=(const journal_file&) = delete;
    ~journal_file();

    /// Appends `bytes` in one `write(2)` (more only if the kernel takes part of them). All or
    /// nothing: after a failed write (e.g. a full disk) the file is cut back to its former size,
    /// so the records after it stay readable.
    result<void> append(std::string_view bytes);
    /// Deletes the file (while still holding its lock) and closes it.
    void remove() noexcept;

    /// False after an append failed and could not be undone: the owner should move on to a
    /// new file.
    bool is_open() const noexcept { return fd_ >= 0; }
    const std::string& path() const noexcept { return path_; }
    std::size_t size() const noexcept { return size_; }

  private:
    journal_file(int fd, std::string path) noexcept : fd_(fd), path_(std::move(path)) {}
    void close() noexcept;

    int fd_ = -1;
    std::string path_;
    std::size_t size_ = 0;
};

/// What `replay_journals` did.
struct journal_replay {
    std::size_t files = 0;          ///< journal files replayed and removed
    std::size_t records = 0;        ///< logs read from them
    std::size_t inserted = 0;       ///< of which the store did not have yet
    std::size_t ignored_bytes = 0;  ///< torn or corrupt tails
    std::size_t refused = 0;        ///< records no store would take (a negative quota): dropped
    std::size_t files_in_use = 0;   ///< left alone: a running writer holds them
};

/// Replays the journal files next to `base` that no running process holds: inserts their logs
/// that `s` does not have yet (`store::append_missing_logs`, which charges each once), then
/// removes each file. Idempotent: replaying the same records again inserts nothing. Blocks on
/// the disk and the store: call it at start-up, before tokens are loaded into memory (their
/// quotas then include the replayed charges). Errors: `errc::storage_error`, with the files not
/// yet replayed left in place for the next try.
result<journal_replay> replay_journals(const std::string& base, store& s);

}  // namespace gateway::storage
