/// An order-independent checksum of a snapshot's export lines.
///
/// Each line hashes to 64 bits (FNV-1a over its UTF-8 bytes) and the snapshot's digest is
/// the wrapping sum of those hashes. A sum, rather than a hash of the whole export, lets an
/// erasure subtract the removed lines without reading the rest of the month back. It
/// detects corruption and accidental differences; it is not a cryptographic commitment.
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

    mutating func remove(_ line: String) {
        value &-= Self.hash(line)
    }

    static func hash(_ line: String) -> UInt64 {
        var line = line
        return line.withUTF8 { bytes in
            var h: UInt64 = 0xcbf2_9ce4_8422_2325
            for b in bytes {
                h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01b3
            }
            return h
        }
    }
}
