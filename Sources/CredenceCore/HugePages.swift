internal import CCRC32C

/// Huge pages for large memory read at random or filled once: the duplicate window's and the
/// obligation keys' tables, a checkpoint's buffer. With 4 KB pages a table of tens of MB read at
/// random misses the TLB on most reads (each miss a page walk before the cache miss itself), and
/// a fresh buffer of tens of MB takes one fault per 4 KB on its first touch (in this machine's
/// VM, several microseconds each). The kernel gives 2 MB pages to memory marked for them
/// (transparent huge pages in `madvise` mode); this marks it.
@usableFromInline
package enum HugePages {
    /// Below this, no advice: a buffer smaller than two huge pages may hold none whole.
    package static let threshold = 4 << 20

    /// Marks the whole 2 MB pages of `buffer` for huge pages. Call it before the first touch.
    @usableFromInline
    package static func advise(_ buffer: UnsafeMutableRawBufferPointer) {
        guard let base = buffer.baseAddress, buffer.count >= threshold else { return }
        ccrc32c_advise_huge_pages(base, buffer.count)
    }

    /// An empty array with room for `capacity` bytes, marked for huge pages before any is touched.
    package static func bytes(capacity: Int) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: capacity) { buffer, initialized in
            advise(UnsafeMutableRawBufferPointer(buffer))
            initialized = 0
        }
    }
}
