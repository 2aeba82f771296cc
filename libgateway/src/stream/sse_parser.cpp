#include "gateway/stream/sse_parser.hpp"

#include <algorithm>
#include <cstring>
#include <limits>

namespace gateway::stream {
namespace {

constexpr std::string_view utf8_bom = "\xEF\xBB\xBF";

// The first occurrence of `c` in [first, last), or `last`.
const char* find_char(const char* first, const char* last, char c) noexcept {
    if (first == last) return last;
    const void* p = std::memchr(first, c, static_cast<std::size_t>(last - first));
    return p != nullptr ? static_cast<const char*>(p) : last;
}

// WHATWG: "If the field value consists of only ASCII digits, then interpret the field value as
// an integer in base ten". An empty value and a value that does not fit 64 bits are ignored.
std::optional<std::uint64_t> parse_retry(std::string_view value) noexcept {
    if (value.empty()) return std::nullopt;
    std::uint64_t n = 0;
    for (char c : value) {
        if (c < '0' || c > '9') return std::nullopt;
        auto digit = static_cast<std::uint64_t>(c - '0');
        if (n > (std::numeric_limits<std::uint64_t>::max() - digit) / 10) return std::nullopt;
        n = n * 10 + digit;
    }
    return n;
}

}  // namespace

sse_parser::sse_parser(std::size_t max_event_bytes) : max_event_bytes_(max_event_bytes) {}

std::size_t sse_parser::buffered_bytes() const noexcept {
    // Outside feed() the data is never a view (it is materialised before feed returns).
    return line_.size() + data_.size() + event_type_.size() + raw_.size();
}

std::size_t sse_parser::event_bytes() const noexcept {
    std::size_t data = has_data_ ? (data_is_view_ ? data_view_.size() : data_.size()) : 0;
    return data + event_type_.size();
}

bool sse_parser::finish() {
    bool partial = failed_ || !line_.empty() || has_data_;
    // Back to the initial state, so one parser (and its buffers) can serve the next stream.
    line_.clear();
    raw_.clear();
    event_type_.clear();
    data_.clear();
    data_view_ = {};
    id_.clear();
    retry_.reset();
    has_data_ = false;
    data_is_view_ = false;
    pending_cr_ = false;
    bom_checked_ = false;
    return partial;
}

result<void> sse_parser::fail() {
    failed_ = true;
    line_.clear();
    raw_.clear();
    data_.clear();
    event_type_.clear();
    has_data_ = false;
    data_is_view_ = false;
    return errc::body_too_large;
}

result<void> sse_parser::feed_impl(std::string_view bytes, callback cb, void* context,
                                   block_callback block_cb) {
    if (failed_) return errc::body_too_large;
    // feed_blocks: where the open block's bytes begin in this chunk (the chunk's start when it
    // began in an earlier one: those bytes are in raw_).
    const char* block_start = bytes.data();

    if (!bom_checked_) {
        // line_ holds the bytes of a BOM prefix seen in earlier feeds (at most two).
        std::size_t need = utf8_bom.size() - line_.size();
        std::size_t n = std::min(need, bytes.size());
        if (utf8_bom.substr(line_.size(), n) == bytes.substr(0, n)) {
            if (n < need) {
                line_.append(bytes);
                if (block_cb != nullptr) raw_.append(bytes);
                return {};
            }
            line_.clear();
            bytes.remove_prefix(n);
        }
        // Otherwise the held bytes were not a BOM but the start of the first line: keep them.
        bom_checked_ = true;
    }

    const char* p = bytes.data();
    const char* const end = p + bytes.size();
    // The next LF and CR at or after p (or end). Each is searched again only once p has passed
    // it, so a chunk is scanned at most once per character kind even for CR-only streams.
    const char* lf = find_char(p, end, '\n');
    const char* cr = find_char(p, end, '\r');

    while (p != end) {
        if (pending_cr_) {
            pending_cr_ = false;
            if (*p == '\n') {  // the LF of a CRLF whose CR ended the previous line
                ++p;
                continue;
            }
        }
        if (lf < p) lf = find_char(p, end, '\n');
        if (cr < p) cr = find_char(p, end, '\r');
        const char* eol = lf < cr ? lf : cr;

        auto piece_size = static_cast<std::size_t>(eol - p);
        // Every line counts against the limit together with the event it belongs to, whether it
        // lies in this chunk or was carried over, so the outcome never depends on chunking.
        if (line_.size() + piece_size + event_bytes() > max_event_bytes_) return fail();

        if (eol == end) {  // an incomplete line: keep it for the next feed
            line_.append(p, piece_size);
            break;
        }

        pending_cr_ = *eol == '\r';
        bool block_ends = false;
        if (line_.empty()) {
            block_ends = process_line({p, piece_size}, true);
        } else {
            line_.append(p, piece_size);
            block_ends = process_line(line_, false);
            line_.clear();
        }
        p = eol + 1;
        if (block_ends) {
            std::string_view raw;
            if (block_cb != nullptr) {
                if (raw_.empty()) {
                    raw = {block_start, static_cast<std::size_t>(p - block_start)};
                } else {
                    raw_.append(block_start, p);
                    raw = raw_;
                }
            }
            struct next_block {
                sse_parser& parser;
                ~next_block() { parser.raw_.clear(); }
            } next{*this};
            dispatch(cb, context, block_cb, raw);
            block_start = p;
        }
    }

    if (block_cb != nullptr && block_start != end) {
        // The open block goes on in the next feed: keep its bytes, within the same bound.
        const auto rest = static_cast<std::size_t>(end - block_start);
        if (raw_.size() + rest > max_event_bytes_) return fail();
        raw_.append(block_start, rest);
    }

    // Views into `bytes` die with this call: copy a pending single data line into data_.
    if (data_is_view_) {
        data_.assign(data_view_);
        data_view_ = {};
        data_is_view_ = false;
    }
    return {};
}

bool sse_parser::process_line(std::string_view line, bool in_input) {
    if (line.empty()) return true;
    if (line.front() == ':') return false;  // a comment

    std::string_view field = line;
    std::string_view value;
    if (auto colon = line.find(':'); colon != std::string_view::npos) {
        field = line.substr(0, colon);
        value = line.substr(colon + 1);
        if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    }

    if (field == "data") {
        if (!has_data_) {
            has_data_ = true;
            if (in_input) {
                // The common case (one data line per event): no copy unless the event is still
                // open when feed() returns.
                data_view_ = value;
                data_is_view_ = true;
            } else {
                data_.assign(value);
            }
        } else {
            if (data_is_view_) {
                data_.assign(data_view_);
                data_is_view_ = false;
            }
            data_.push_back('\n');
            data_.append(value);
        }
    } else if (field == "event") {
        event_type_.assign(value);
    } else if (field == "id") {
        if (value.find('\0') == std::string_view::npos) id_.assign(value);
    } else if (field == "retry") {
        if (auto retry = parse_retry(value)) retry_ = retry;
    }
    // Any other field is ignored.
    return false;
}

void sse_parser::dispatch(callback cb, void* context, block_callback block_cb,
                          std::string_view raw) {
    // Reset for the next event even if the callback throws, so no view into a past chunk
    // survives the call.
    struct reset_event {
        sse_parser& parser;
        ~reset_event() {
            parser.event_type_.clear();
            parser.data_.clear();
            parser.data_view_ = {};
            parser.has_data_ = false;
            parser.data_is_view_ = false;
            parser.retry_.reset();
        }
    } reset{*this};
    // WHATWG: with an empty data buffer, reset the event type and fire nothing. data_ holds the
    // lines joined by '\n', i.e. the data buffer without its final LF, so "has a data line" is
    // exactly "the data buffer is not empty".
    if (has_data_) {
        sse_event event{event_type_, data_is_view_ ? data_view_ : std::string_view(data_), id_,
                        retry_};
        if (block_cb != nullptr) {
            block_cb(context, sse_block{raw, &event});
        } else {
            cb(context, event);
        }
    } else if (block_cb != nullptr) {
        block_cb(context, sse_block{raw, nullptr});
    }
}

}  // namespace gateway::stream
