#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Where a byte string first occurs in a buffer: `memchr` to each place its first byte is, then
/// `memcmp` (glibc's `memmem` is not in the Swift module without `_GNU_SOURCE`).
enum ByteSearch {
    static func firstOffset(of needle: [UInt8], in haystack: UnsafeRawBufferPointer) -> Int? {
        guard let first = needle.first, let base = haystack.baseAddress else { return needle.isEmpty ? 0 : nil }
        return needle.withUnsafeBytes { n -> Int? in
            var at = 0
            while haystack.count - at >= needle.count {
                guard let hit = memchr(base + at, Int32(first), haystack.count - at - needle.count + 1) else {
                    return nil
                }
                let offset = UnsafeRawPointer(hit) - base
                if memcmp(hit, n.baseAddress!, needle.count) == 0 { return offset }
                at = offset + 1
            }
            return nil
        }
    }
}
