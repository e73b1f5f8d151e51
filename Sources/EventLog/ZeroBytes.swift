extension Array where Element == UInt8 {
    /// Appends `count` zero bytes.
    ///
    /// They are copied from a zeroed block, which is a `memcpy`: `append(contentsOf:
    /// repeatElement(0, count:))` stores them one byte at a time, and was 6% of a replay's
    /// decrypting thread (the room a record is opened into) and 2–3% of an ingest's sealing and
    /// engine threads.
    public mutating func appendZeros(_ count: Int) {
        precondition(count >= 0, "a negative count of zero bytes")
        // Room for all of them at once, as one `append(contentsOf:)` would make (at least
        // double the capacity), so that the pieces below never reallocate.
        if capacity < self.count + count { reserveCapacity(Swift.max(self.count + count, 2 * capacity)) }
        var left = count
        ZeroBlock.bytes.withUnsafeBufferPointer { zeros in
            while left > 0 {
                let n = Swift.min(left, zeros.count)
                append(contentsOf: UnsafeBufferPointer(rebasing: zeros[..<n]))
                left -= n
            }
        }
    }
}

private enum ZeroBlock {
    static let bytes = [UInt8](repeating: 0, count: 16 << 10)
}
