#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A revision's blocks in user order, searchable by user id without touching a `String` on
/// most steps: each block's first user is also kept as its leading eight bytes in one
/// big-endian integer (zero-padded), and integers that differ order the ids the same way. Only
/// when the two integers are equal are the ids compared in full.
struct BlockIndex: Sendable {
    let blocks: [BlockRow]
    private let keys: [UInt64]

    /// - Parameter blocks: ordered by first user in byte order (the catalogue's `ORDER BY first_user`).
    init(_ blocks: [BlockRow]) {
        self.blocks = blocks
        keys = blocks.map { block in
            var id = block.firstUser
            return id.withUTF8(Self.key)
        }
    }

    /// The block that would hold `userID`: the last whose first user is at most `userID` in
    /// byte order; `nil` when `userID` is before every block.
    func block(containing userID: String) -> BlockRow? {
        var id = userID
        return id.withUTF8 { wanted -> BlockRow? in
            let key = Self.key(wanted)
            // The first block whose first user is after `userID`, then one back.
            var low = 0
            var high = blocks.count
            while low < high {
                let mid = (low + high) / 2
                let k = keys[mid]
                let before = k == key ? Self.precedes(wanted, blocks[mid].firstUser) : key < k
                if before { high = mid } else { low = mid + 1 }
            }
            return low == 0 ? nil : blocks[low - 1]
        }
    }

    /// The first eight bytes of an id, big-endian, zero-padded. If `key(a) < key(b)` then `a`
    /// is before `b` in byte order: they differ within eight bytes, or `a` ends there first.
    static func key(_ utf8: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var k: UInt64 = 0
        for i in 0..<8 {
            k <<= 8
            if i < utf8.count { k |= UInt64(utf8[i]) }
        }
        return k
    }

    /// Whether `a` is before `b` in byte order.
    static func precedes(_ a: UnsafeBufferPointer<UInt8>, _ b: String) -> Bool {
        var b = b
        return b.withUTF8 { b in compare(a, b) < 0 }
    }

    /// Negative, zero or positive as `a` is before, equal to or after `b` in byte order.
    static func compare(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Int {
        let common = min(a.count, b.count)
        if common > 0, let pa = a.baseAddress, let pb = b.baseAddress {
            let c = memcmp(pa, pb, common)
            if c != 0 { return Int(c) }
        }
        return a.count - b.count
    }
}
