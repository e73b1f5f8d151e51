#ifndef CCRC32C_H
#define CCRC32C_H

#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>

/// 1 when this CPU has a CRC-32C instruction (x86-64 SSE4.2 `crc32`, ARMv8 `crc32c`), else 0.
int ccrc32c_hardware_available(void);

/// The CRC-32C of `count` bytes at `data`, continuing from `crc` (the checksum of the bytes
/// before them; 0 to start), with the CPU's instruction. Call only when
/// `ccrc32c_hardware_available()` says so.
uint32_t ccrc32c_hardware(uint32_t crc, const void *data, size_t count);

/// Asks the CPU to bring the cache line at `address` closer, without waiting for it.
static inline void ccrc32c_prefetch(const void *address) { __builtin_prefetch(address, 0, 3); }

/// ``ccrc32c_prefetch`` for every cache line (64 bytes) of the `count` bytes at `address`.
static inline void ccrc32c_prefetch_bytes(const void *address, size_t count) {
    uintptr_t line = (uintptr_t)address & ~(uintptr_t)63;
    uintptr_t end = (uintptr_t)address + count;
    for (; line < end; line += 64) __builtin_prefetch((const void *)line, 0, 3);
}

/// Asks the kernel to back the whole 2 MB pages inside the `count` bytes at `address` with
/// huge pages (`madvise(MADV_HUGEPAGE)`; transparent huge pages set to `madvise`, as on this
/// project's machines). For large tables read at random (one TLB entry for 2 MB instead of 512)
/// and large buffers filled once (one fault for 2 MB instead of 512). Call it before the first
/// touch; a hint only: nothing happens where the kernel has no huge pages to give.
static inline void ccrc32c_advise_huge_pages(void *address, size_t count) {
#ifdef MADV_HUGEPAGE
    const uintptr_t huge = (uintptr_t)2 << 20;
    uintptr_t start = ((uintptr_t)address + huge - 1) & ~(huge - 1);
    uintptr_t end = ((uintptr_t)address + count) & ~(huge - 1);
    if (end > start) (void)madvise((void *)start, end - start, MADV_HUGEPAGE);
#endif
}

#endif
