/// An order-independent checksum of a snapshot's export lines.
///
/// Each line hashes to 64 bits (MurmurHash64A, seed 0, over its UTF-8 bytes) and the
/// snapshot's digest is the wrapping sum of those hashes. A sum, rather than a hash of the
/// whole export, lets an erasure subtract the removed lines without reading the rest of the
/// month back. It detects corruption and accidental differences; it is not a cryptographic
/// commitment. Stored digests depend on this exact function: never change it in place.
struct LineDigest: Hashable, Sendable {
    private(set) var value: UInt64

    init(value: UInt64 = 0) {
        self.value = value
    }

    init(storedValue: Int64) {
        self.value = UInt64(bitPattern: storedValue)
    }

    /// The digest as SQLite stores it (a signed 64-bit integer with the same bits).
    var storedValue: Int64 { Int64(bitPattern: value) }

    mutating func add(_ line: String) {
        value &+= Self.hash(line)
    }

    mutating func add(hash: UInt64) {
        value &+= hash
    }

    mutating func remove(_ line: String) {
        value &-= Self.hash(line)
    }

    /// MurmurHash64A (Austin Appleby) of the line's UTF-8 bytes, seed 0, little-endian words.
    static func hash(_ line: String) -> UInt64 {
        var line = line
        return line.withUTF8 { bytes in
            let m: UInt64 = 0xc6a4_a793_5bd1_e995
            let r: UInt64 = 47
            let count = bytes.count
            var h = UInt64(truncatingIfNeeded: count) &* m
            let raw = UnsafeRawBufferPointer(bytes)
            var offset = 0
            while offset + 8 <= count {
                var k = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
                k = k &* m
                k ^= k >> r
                k = k &* m
                h ^= k
                h = h &* m
                offset += 8
            }
            let tail = count - offset
            if tail > 0 {
                var k: UInt64 = 0
                for i in (0..<tail).reversed() {
                    k = (k << 8) | UInt64(raw[offset + i])
                }
                h ^= k
                h = h &* m
            }
            h ^= h >> r
            h = h &* m
            h ^= h >> r
            return h
        }
    }
}
