#include "support/alloc_hook.hpp"

#include <atomic>
#include <cstdlib>
#include <new>

#if defined(__SANITIZE_ADDRESS__)
#define GATEWAY_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define GATEWAY_TEST_ASAN 1
#endif
#endif

#if defined(GATEWAY_TEST_ASAN)
extern "C" int __sanitizer_install_malloc_and_free_hooks(void (*malloc_hook)(const volatile void*,
                                                                             std::size_t),
                                                         void (*free_hook)(const volatile void*));
extern "C" std::size_t __sanitizer_get_current_allocated_bytes();
#else
#include <malloc.h>
#endif

namespace {

// Trivially initialised, so reading them from inside an allocation allocates nothing.
thread_local bool counting = false;
std::atomic<std::uint64_t> allocations{0};

void count() noexcept {
    if (counting) allocations.fetch_add(1, std::memory_order_relaxed);
}

#if defined(GATEWAY_TEST_ASAN)
void on_malloc(const volatile void*, std::size_t) { count(); }
void on_free(const volatile void*) {}
const int installed = __sanitizer_install_malloc_and_free_hooks(&on_malloc, &on_free);
#endif

}  // namespace

#if !defined(GATEWAY_TEST_ASAN)
namespace {
void* allocate(std::size_t size) {
    count();
    if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
    throw std::bad_alloc();
}
void* allocate_aligned(std::size_t size, std::align_val_t align) {
    count();
    const auto a = static_cast<std::size_t>(align);
    if (void* p = std::aligned_alloc(a, (size + a - 1) / a * a)) return p;
    throw std::bad_alloc();
}
}  // namespace

void* operator new(std::size_t size) { return allocate(size); }
void* operator new[](std::size_t size) { return allocate(size); }
void* operator new(std::size_t size, std::align_val_t align) {
    return allocate_aligned(size, align);
}
void* operator new[](std::size_t size, std::align_val_t align) {
    return allocate_aligned(size, align);
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
#endif

namespace gateway::test {

void count_allocations_on_this_thread(bool on) noexcept { counting = on; }

std::uint64_t counted_allocations() noexcept { return allocations.load(std::memory_order_relaxed); }

bool counts_every_allocation() noexcept {
#if defined(GATEWAY_TEST_ASAN)
    return installed != 0;
#else
    return false;
#endif
}

std::size_t live_heap_bytes() noexcept {
#if defined(GATEWAY_TEST_ASAN)
    return __sanitizer_get_current_allocated_bytes();
#else
    return mallinfo2().uordblks;
#endif
}

}  // namespace gateway::test
