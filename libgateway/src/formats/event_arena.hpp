#pragma once
// The arena a stream decoder parses one event into (private): an inline buffer first, heap
// blocks for an event that does not fit, everything freed before the next event.

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/storage_ptr.hpp>

#include <array>
#include <cstddef>
#include <optional>

namespace gateway::formats {

/// Storage for one event's JSON tree at a time. Not thread-safe; owned by one decoder.
///
/// The resource is rebuilt for every event instead of `release()`d: Boost 1.81's
/// `monotonic_resource::release()` frees the spilled blocks but keeps the doubled size of the
/// next one, so after about 32 events larger than the inline buffer the next spill asks for
/// ~2^47 bytes and the process aborts. A rebuilt resource starts again from the buffer's size.
template <std::size_t InlineBytes>
class event_arena {
  public:
    event_arena() { reset(); }
    event_arena(const event_arena&) = delete;
    event_arena& operator=(const event_arena&) = delete;

    /// Frees what the previous event allocated and returns storage for the next one. Every value
    /// parsed into the previous storage must be dead by now.
    boost::json::storage_ptr next() {
        reset();
        return boost::json::storage_ptr(&*resource_);
    }

    /// Frees what the last event allocated (a held stream keeps only the inline buffer).
    void reset() { resource_.emplace(buffer_.data(), buffer_.size()); }

  private:
    // Not zeroed: a held stream keeps resident only the part its events used.
    std::array<unsigned char, InlineBytes> buffer_;
    std::optional<boost::json::monotonic_resource> resource_;
};

}  // namespace gateway::formats
