// The request-log journal (gateway/storage/journal.hpp): record framing, the files, replay.

#include "gateway/storage/journal.hpp"

#include <fmt/format.h>
#include <openssl/rand.h>
#include <zlib.h>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <optional>
#include <system_error>
#include <utility>

namespace gateway::storage {
namespace {

// Bumped when the payload's fields change; a reader refuses versions it does not know (the
// rest of that file is then ignored, never misread).
constexpr unsigned char record_version = 1;
constexpr std::size_t record_header_bytes = 8;  // payload size, CRC-32

error_code storage_failure() { return error_code{errc::storage_error}; }

std::string errno_text(int e) { return std::generic_category().message(e); }

void put_u32(std::string& out, std::uint32_t v) {
    std::array<char, 4> b{};
    for (std::size_t i = 0; i < b.size(); ++i) b[i] = static_cast<char>((v >> (8 * i)) & 0xffu);
    out.append(b.data(), b.size());
}

void put_i64(std::string& out, std::int64_t value) {
    const auto v = static_cast<std::uint64_t>(value);
    std::array<char, 8> b{};
    for (std::size_t i = 0; i < b.size(); ++i) b[i] = static_cast<char>((v >> (8 * i)) & 0xffu);
    out.append(b.data(), b.size());
}

void put_string(std::string& out, std::string_view s) {
    // A request body is limited far below 4 GiB, and so is every string taken from it.
    put_u32(out, static_cast<std::uint32_t>(s.size()));
    out.append(s);
}

std::uint32_t get_u32(std::string_view bytes) {
    std::uint32_t v = 0;
    for (std::size_t i = 0; i < 4; ++i) {
        v |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << (8 * i);
    }
    return v;
}

std::uint32_t crc_of(std::string_view bytes) {
    return static_cast<std::uint32_t>(
        crc32_z(0, reinterpret_cast<const Bytef*>(bytes.data()), bytes.size()));
}

/// Reads the payload's fields in order; any shortfall or leftover makes the record invalid.
class payload_reader {
  public:
    explicit payload_reader(std::string_view bytes) : rest_(bytes) {}

    bool ok() const noexcept { return ok_; }
    bool at_end() const noexcept { return rest_.empty(); }

    unsigned char byte() {
        if (!take(1)) return 0;
        return static_cast<unsigned char>(last_[0]);
    }
    std::int64_t i64() {
        if (!take(8)) return 0;
        std::uint64_t v = 0;
        for (std::size_t i = 0; i < 8; ++i) {
            v |= static_cast<std::uint64_t>(static_cast<unsigned char>(last_[i])) << (8 * i);
        }
        return static_cast<std::int64_t>(v);
    }
    std::string string() {
        if (!take(4)) return {};
        const std::uint32_t size = get_u32(last_);
        if (!take(size)) return {};
        return std::string(last_);
    }

  private:
    bool take(std::size_t n) {
        if (!ok_ || rest_.size() < n) {
            ok_ = false;
            return false;
        }
        last_ = rest_.substr(0, n);
        rest_.remove_prefix(n);
        return true;
    }

    std::string_view rest_;
    std::string_view last_;
    bool ok_ = true;
};

std::optional<request_log> decode_payload(std::string_view payload) {
    payload_reader r(payload);
    if (r.byte() != record_version) return std::nullopt;
    request_log log;
    log.request_id = r.string();
    log.token_id = r.i64();
    log.channel_id = r.i64();
    log.endpoint = r.string();
    log.model = r.string();
    log.upstream_model = r.string();
    const unsigned char stream = r.byte();
    const std::int64_t status = r.i64();
    log.prompt_tokens = r.i64();
    log.completion_tokens = r.i64();
    log.quota = r.i64();
    log.created_at_ms = r.i64();
    log.duration_ms = r.i64();
    log.first_byte_ms = r.i64();
    log.error = r.string();
    if (!r.ok() || !r.at_end() || stream > 1 || status < 0 || status > 999) return std::nullopt;
    log.stream = stream == 1;
    log.status = static_cast<int>(status);
    return log;
}

/// 16 hex digits, random per process: two processes never pick the same file names.
const std::string& instance_name() {
    static const std::string name = [] {
        std::uint64_t value = 0;
        if (RAND_bytes(reinterpret_cast<unsigned char*>(&value), sizeof value) != 1) {
            value = static_cast<std::uint64_t>(
                        std::chrono::steady_clock::now().time_since_epoch().count()) ^
                    (static_cast<std::uint64_t>(::getpid()) << 32);
        }
        return fmt::format("{:016x}", value);
    }();
    return name;
}

/// Closes a descriptor when the scope ends.
struct fd_guard {
    int fd;
    ~fd_guard() {
        if (fd >= 0) ::close(fd);
    }
};

/// The whole file behind `fd`, read from its start.
bool read_all(int fd, std::string& out) {
    std::array<char, 64 * 1024> buffer{};
    for (;;) {
        const ssize_t n = ::read(fd, buffer.data(), buffer.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return false;
        if (n == 0) return true;
        out.append(buffer.data(), static_cast<std::size_t>(n));
    }
}

}  // namespace

void append_journal_record(std::string& out, const request_log& log) {
    const std::size_t start = out.size();
    out.append(record_header_bytes, '\0');  // filled in once the payload's size is known
    out.push_back(static_cast<char>(record_version));
    put_string(out, log.request_id);
    put_i64(out, log.token_id);
    put_i64(out, log.channel_id);
    put_string(out, log.endpoint);
    put_string(out, log.model);
    put_string(out, log.upstream_model);
    out.push_back(log.stream ? '\1' : '\0');
    put_i64(out, log.status);
    put_i64(out, log.prompt_tokens);
    put_i64(out, log.completion_tokens);
    put_i64(out, log.quota);
    put_i64(out, log.created_at_ms);
    put_i64(out, log.duration_ms);
    put_i64(out, log.first_byte_ms);
    put_string(out, log.error);
    const std::string_view payload = std::string_view(out).substr(start + record_header_bytes);
    std::string header;
    put_u32(header, static_cast<std::uint32_t>(payload.size()));
    put_u32(header, crc_of(payload));
    out.replace(start, record_header_bytes, header);
}

journal_records read_journal_records(std::string_view bytes) {
    journal_records out;
    std::size_t at = 0;
    while (bytes.size() - at >= record_header_bytes) {
        const std::string_view header = bytes.substr(at, record_header_bytes);
        const std::uint32_t size = get_u32(header);
        const std::uint32_t crc = get_u32(header.substr(4));
        if (size > bytes.size() - at - record_header_bytes) break;  // cut short
        const std::string_view payload = bytes.substr(at + record_header_bytes, size);
        if (crc_of(payload) != crc) break;
        auto log = decode_payload(payload);
        if (!log) break;
        out.logs.push_back(std::move(*log));
        at += record_header_bytes + size;
    }
    out.ignored_bytes = bytes.size() - at;
    return out;
}

// ---------------------------------------------------------------------------------------------
// journal_file

result<journal_file> journal_file::create(const std::string& base, std::string& detail) {
    static std::atomic<std::uint64_t> counter{0};
    for (int attempt = 0; attempt < 16; ++attempt) {
        std::string path = fmt::format("{}.journal-{}-{:08}", base, instance_name(), ++counter);
        // Owner-only, like the database: the logs name models and error texts.
        const int fd =
            ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0600);
        if (fd < 0) {
            if (errno == EEXIST) continue;
            detail = fmt::format("cannot create {}: {}", path, errno_text(errno));
            return storage_failure();
        }
        // A replay elsewhere may have found the new file empty, locked and removed it before
        // this lock: then take the next name.
        if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
            const int e = errno;
            ::close(fd);
            if (e == EWOULDBLOCK) continue;
            detail = fmt::format("cannot lock {}: {}", path, errno_text(e));
            return storage_failure();
        }
        struct stat st {};
        if (::fstat(fd, &st) != 0 || st.st_nlink == 0) {
            ::close(fd);
            continue;
        }
        return journal_file(fd, std::move(path));
    }
    detail = fmt::format("cannot create a journal file next to {}", base);
    return storage_failure();
}

journal_file::journal_file(journal_file&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      path_(std::move(other.path_)),
      size_(std::exchange(other.size_, 0)) {}

journal_file& journal_file::operator=(journal_file&& other) noexcept {
    if (this != &other) {
        close();
        fd_ = std::exchange(other.fd_, -1);
        path_ = std::move(other.path_);
        size_ = std::exchange(other.size_, 0);
    }
    return *this;
}

journal_file::~journal_file() { close(); }

void journal_file::close() noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
}

result<void> journal_file::append(std::string_view bytes) {
    if (fd_ < 0) return storage_failure();
    std::size_t done = 0;
    while (done < bytes.size()) {
        const ssize_t n = ::write(fd_, bytes.data() + done, bytes.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        done += static_cast<std::size_t>(n);
    }
    if (done == bytes.size()) {
        size_ += done;
        return {};
    }
    // Part of a record would hide every later one from the reader: cut it off again.
    if (done > 0 && ::ftruncate(fd_, static_cast<off_t>(size_)) != 0) {
        // The file now ends in a torn record; a reader stops there. Start a new one instead
        // of writing behind it.
        close();
    }
    return storage_failure();
}

void journal_file::remove() noexcept {
    if (fd_ < 0) return;
    // Unlinked while still locked, so no replay can read it in between.
    ::unlink(path_.c_str());
    close();
}

// ---------------------------------------------------------------------------------------------
// replay

result<journal_replay> replay_journals(const std::string& base, store& s) {
    namespace fs = std::filesystem;
    journal_replay out;
    if (base.empty() || base == ":memory:") return out;
    const fs::path base_path(base);
    fs::path dir = base_path.parent_path();
    if (dir.empty()) dir = ".";
    const std::string prefix = base_path.filename().string() + ".journal-";

    std::vector<fs::path> candidates;
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        if (it->path().filename().string().starts_with(prefix)) candidates.push_back(it->path());
    }
    if (ec == std::errc::no_such_file_or_directory) return out;
    if (ec) return storage_failure();
    std::sort(candidates.begin(), candidates.end());

    for (const auto& path : candidates) {
        const fd_guard file{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
        if (file.fd < 0) {
            if (errno == ENOENT) continue;  // replayed and removed by another process meanwhile
            return storage_failure();
        }
        if (::flock(file.fd, LOCK_EX | LOCK_NB) != 0) {
            if (errno != EWOULDBLOCK) return storage_failure();
            ++out.files_in_use;  // a running writer's
            continue;
        }
        struct stat st {};
        if (::fstat(file.fd, &st) != 0) return storage_failure();
        if (st.st_nlink == 0) continue;  // removed between the listing and the lock
        std::string bytes;
        if (!read_all(file.fd, bytes)) return storage_failure();
        journal_records found = read_journal_records(bytes);
        out.ignored_bytes += found.ignored_bytes;
        auto refused = std::remove_if(found.logs.begin(), found.logs.end(),
                                      [](const request_log& l) { return l.quota < 0; });
        out.refused += static_cast<std::size_t>(found.logs.end() - refused);
        found.logs.erase(refused, found.logs.end());
        out.records += found.logs.size();
        auto inserted = s.append_missing_logs(found.logs);
        if (!inserted) return inserted.error();
        out.inserted += *inserted;
        // Removed only once its logs are committed: a kill in between replays them again,
        // which inserts nothing.
        if (::unlink(path.c_str()) != 0 && errno != ENOENT) return storage_failure();
        ++out.files;
    }
    return out;
}

}  // namespace gateway::storage
