#pragma once
// Heap accounting for the performance guards (docs/performance.md, "Guards in the test
// suite"): allocations counted per thread, and the process's live heap.
//
// Under AddressSanitizer the counts come from its malloc/free hooks, which see every heap
// allocation (operator new, malloc, aligned_alloc: Asio's recycling allocator falls back to
// aligned_alloc). Otherwise alloc_hook.cpp replaces the global operator new, which sees the
// C++ allocations of the code under test but not Asio's aligned_alloc fallbacks; tests that
// compare against a baseline measured the same way are exact in both builds.
//
// alloc_hook.cpp must be compiled into the test binary itself (not a library), once.

#include <cstddef>
#include <cstdint>

namespace gateway::test {

/// Switches counting on or off for the calling thread (off at thread start).
void count_allocations_on_this_thread(bool on) noexcept;

/// Allocations made so far by threads while their counting was on.
std::uint64_t counted_allocations() noexcept;

/// Whether the counts include allocations that bypass operator new (true under ASan).
bool counts_every_allocation() noexcept;

/// Bytes the process has allocated and not freed: ASan's own accounting under ASan,
/// `mallinfo2().uordblks` otherwise.
std::size_t live_heap_bytes() noexcept;

}  // namespace gateway::test
