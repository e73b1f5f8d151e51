/// The packed layout of ``UserState``: one byte array per user.
///
/// ```
/// header (20 bytes, native-endian; derived from the body, so never written to a checkpoint):
///   0  paymentsStart     UInt32, the payment months' count varint
///   4  lastPayment       UInt32, the last payment month record, 0 when there is none
///   8  obligationsStart  UInt32, the obligations' count varint (the last section runs to the end)
///  12  obligationFilter  UInt64, bit (StableHash(id).low mod 64) set for each obligation id kept:
///                        a clear bit proves an id absent without reading the obligations
/// body (the checkpoint encoding of a user, see ScoringState+Checkpoint.swift):
///   erasure cut         presence byte, zigzag ms
///   enrolments          count, then (zigzag at, varint id length, id bytes, bool byte) sorted by (at, id)
///   credit limits       count, then (zigzag at, varint id length, id bytes, zigzag limit) sorted by (at, id)
///   payment months      count, then (zigzag month, varint approved, varint declined,
///                       zigzag spend >> 64, varint spend low 64 bits) by month
///   obligations         count, then (varint id length, id bytes, opened_at presence byte + zigzag ms,
///                       zigzag due_at, zigzag amount, service byte, cancelled_at presence byte + zigzag ms,
///                       movement count, then (zigzag at, zigzag delta) sorted by time, ties by arrival),
///                       newest first: an obligation's first event inserts it at the front
/// ```
///
/// Obligations are found by id with a linear walk (their fields are varints), so the order and
/// the filter are what keep it short: most events of an obligation come while it is among the
/// newest, and an `obligation.opened` (a new id, about two in five obligation events) usually
/// finds its bit clear and skips the walk. No result depends on the order: features sum, count and
/// take maxima over all obligations.
///
/// The body is the checkpoint format byte for byte, so a checkpoint copies it out and loads it
/// back in. Varints are LEB128 in their shortest form, as `ByteWriter` writes them.
extension UserState {
    @usableFromInline static let headerSize = 20
    @usableFromInline static let paymentsSlot = 0
    @usableFromInline static let lastPaymentSlot = 4
    @usableFromInline static let obligationsSlot = 8
    static let obligationFilterOffset = 12

    /// The obligation filter's bit for an id: one bit of the project's stable hash.
    @inline(__always)
    static func obligationFilterBit(_ id: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var h = ContentHasher()
        if let p = id.baseAddress { h.add(p, count: id.count) }
        return 1 &<< (StableHash(h.finalize()).low & 63)
    }

    /// The filter of the obligation ids kept (see the layout above).
    @inline(__always)
    var obligationFilter: UInt64 {
        get {
            storage.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: Self.obligationFilterOffset, as: UInt64.self) }
        }
        set {
            storage.withUnsafeMutableBytes {
                $0.storeBytes(of: newValue, toByteOffset: Self.obligationFilterOffset, as: UInt64.self)
            }
        }
    }

    /// The offset stored in a header slot.
    @inline(__always)
    func slot(_ s: Int) -> Int {
        storage.withUnsafeBytes { Int($0.loadUnaligned(fromByteOffset: s, as: UInt32.self)) }
    }

    @inline(__always)
    mutating func setSlot(_ s: Int, _ value: Int) {
        precondition(value <= Int(UInt32.max), "a user's state outgrew 4 GiB")
        storage.withUnsafeMutableBytes { $0.storeBytes(of: UInt32(value), toByteOffset: s, as: UInt32.self) }
    }

    /// Runs `body` on the bytes (never empty: the header is always there).
    @inlinable @inline(__always)
    func read<R>(_ body: (UnsafePointer<UInt8>) -> R) -> R {
        storage.withUnsafeBufferPointer { body($0.baseAddress!) }
    }

    /// ``read(_:)`` with where the bytes end.
    @inline(__always)
    func read<R>(_ body: (UnsafePointer<UInt8>, _ end: Int) -> R) -> R {
        storage.withUnsafeBufferPointer { body($0.baseAddress!, $0.count) }
    }

    /// Replaces `lo..<hi` with `new` and moves the header offsets at or after `hi`.
    ///
    /// An insertion (`lo == hi`) at an offset a slot points to moves that slot: what was there
    /// now follows the new bytes.
    mutating func replace(_ lo: Int, _ hi: Int, with new: UnsafeBufferPointer<UInt8>) {
        let delta = new.count - (hi - lo)
        if delta == 0 {
            if new.isEmpty { return }
            storage.withUnsafeMutableBufferPointer { dst in
                UnsafeMutableRawPointer(dst.baseAddress! + lo).copyMemory(from: new.baseAddress!, byteCount: new.count)
            }
            return
        }
        let count = storage.count + delta
        if count > storage.capacity {
            storage = Self.grown(storage, replacing: lo..<hi, with: new, count: count)
        } else {
            storage.replaceSubrange(lo..<hi, with: new)
        }
        shiftSlot(Self.paymentsSlot, from: hi, by: delta)
        shiftSlot(Self.lastPaymentSlot, from: hi, by: delta)
        shiftSlot(Self.obligationsSlot, from: hi, by: delta)
    }

    /// `storage` with `range` replaced by `new` (`count` bytes in all), in a new buffer with
    /// ``room(for:)``, not the array's doubling.
    ///
    /// A state gains about what a month close's compaction drops from it (a year-old month of
    /// payments), so with room of a quarter, kept by the compaction (``compact(keeping:offset:)``
    /// trims only beyond twice that), most states are not reallocated from month to month. With
    /// doubling, each state was trimmed to its size at every close and doubled at its next event:
    /// malloc, free and their copies were a tenth of a replay's applying thread.
    static func grown(
        _ storage: [UInt8], replacing range: Range<Int>, with new: UnsafeBufferPointer<UInt8>, count: Int
    ) -> [UInt8] {
        var grown: [UInt8] = []
        grown.reserveCapacity(room(for: count))
        storage.withUnsafeBufferPointer { old in
            grown.append(contentsOf: UnsafeBufferPointer(rebasing: old[..<range.lowerBound]))
            grown.append(contentsOf: new)
            grown.append(contentsOf: UnsafeBufferPointer(rebasing: old[range.upperBound...]))
        }
        return grown
    }

    /// The capacity a state of `count` bytes is given when it grows or is trimmed: ``growthRoom(_:)`` more.
    static func room(for count: Int) -> Int { count + growthRoom(count) }

    /// The room a state of `count` bytes grows by: a quarter, and at least 32 bytes.
    static func growthRoom(_ count: Int) -> Int { max(count / 4, 32) }

    /// Whether a month close's compaction gives back a state's spare room: once it is more than
    /// twice ``growthRoom(_:)``, which growth alone never leaves (malloc rounds a buffer up by
    /// less than 16 bytes).
    static func hasExcessRoom(count: Int, capacity: Int) -> Bool { capacity - count > 2 * growthRoom(count) }

    @inline(__always)
    mutating func shiftSlot(_ s: Int, from hi: Int, by delta: Int) {
        let v = slot(s)
        if v >= hi { setSlot(s, v + delta) }
    }

    /// Replaces `lo..<hi` with what `encode` writes (at most `capacity` bytes), without a heap allocation.
    mutating func replace(_ lo: Int, _ hi: Int, capacity: Int, _ encode: (inout PackedWriter) -> Void) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: capacity) { buffer in
            var w = PackedWriter(base: buffer.baseAddress!, capacity: capacity)
            encode(&w)
            replace(lo, hi, with: UnsafeBufferPointer(start: buffer.baseAddress!, count: w.count))
        }
    }

    /// Removes `lo..<hi`.
    mutating func remove(_ lo: Int, _ hi: Int) {
        guard lo < hi else { return }
        replace(lo, hi, with: UnsafeBufferPointer(start: nil, count: 0))
    }

    /// Rewrites the varint at `offset` (a section's or a list's count).
    mutating func setVarint(at offset: Int, _ value: UInt64) {
        let end = read { base in
            var r = PackedReader(base: base, offset: offset)
            r.skipVarint()
            return r.offset
        }
        replace(offset, end, capacity: 10) { $0.varint(value) }
    }

    /// The offset of the enrolments' count: right after the erasure cut.
    @inline(__always)
    static func enrolmentsStart(_ base: UnsafePointer<UInt8>) -> Int {
        var r = PackedReader(base: base, offset: headerSize)
        r.skipOptionalInstant()
        return r.offset
    }

    /// Moves `r` from a mark list's count to the end of the list.
    @inline(__always)
    static func skipMarks(_ r: inout PackedReader, limit: Bool) {
        let n = r.varint()
        for _ in 0..<n { skipMark(&r, limit: limit) }
    }

    @inline(__always)
    static func skipMark(_ r: inout PackedReader, limit: Bool) {
        r.skipVarint()
        r.skipBytes()
        if limit { r.skipVarint() } else { r.offset += 1 }
    }

    /// Moves `r` from the end of an obligation's id to the end of the obligation, decoding
    /// only the movement count; `end` is where the state's bytes end.
    @inline(__always)
    static func skipObligationFields(_ r: inout PackedReader, end: Int) {
        r.skipOptionalInstant()
        r.skipVarint()
        r.skipVarint()
        r.offset += 1
        r.skipOptionalInstant()
        let n = r.varint()
        r.skipVarints(2 * n, end: end)
    }

    @inline(__always)
    static func skipPaymentMonth(_ r: inout PackedReader) {
        r.skipVarint()
        r.skipVarint()
        r.skipVarint()
        r.skipVarint()
        r.skipVarint()
    }
}

/// An obligation's fields after its id, with the offsets that updates rewrite.
struct ObligationFields {
    /// The `opened_at` presence byte: opening rewrites from here up to `cancelledStart`.
    var openedStart: Int
    var openedAt: Instant?
    var dueAt: Instant
    var amountMinor: Int64
    var service: UInt8
    var cancelledStart: Int
    var cancelledAt: Instant?
    var movementCountStart: Int
    var movementCount: UInt64

    /// Reads the fields; leaves `r` at the first movement.
    @inline(__always)
    init(_ r: inout PackedReader) {
        openedStart = r.offset
        openedAt = r.optionalInstant()
        dueAt = Instant(millisecondsSinceEpoch: r.zigzag())
        amountMinor = r.zigzag()
        service = r.byte()
        cancelledStart = r.offset
        cancelledAt = r.optionalInstant()
        movementCountStart = r.offset
        movementCount = r.varint()
    }

    /// Moves `r` from the first movement to the end of the obligation; `end` is where the
    /// state's bytes end.
    @inline(__always)
    func skipMovements(_ r: inout PackedReader, end: Int) {
        r.skipVarints(2 * movementCount, end: end)
    }
}

/// Reads the packed encoding without bounds checks: the bytes were written by ``UserState``
/// itself, or checked by `UserState.decode(from:)` before they were kept.
///
/// `@usableFromInline`, with the reads an inlinable accessor uses (``UserState/erasureCut``).
@usableFromInline
struct PackedReader {
    @usableFromInline let base: UnsafePointer<UInt8>
    @usableFromInline var offset: Int

    @inlinable
    init(base: UnsafePointer<UInt8>, offset: Int) {
        self.base = base
        self.offset = offset
    }

    @inlinable @inline(__always)
    mutating func byte() -> UInt8 {
        let b = base[offset]
        offset += 1
        return b
    }

    @inlinable @inline(__always)
    mutating func varint() -> UInt64 {
        var b = base[offset]
        offset += 1
        if b < 0x80 { return UInt64(b) }
        var value = UInt64(b & 0x7F)
        var shift: UInt64 = 7
        while true {
            b = base[offset]
            offset += 1
            value |= UInt64(b & 0x7F) << shift
            if b < 0x80 { return value }
            shift += 7
        }
    }

    @inlinable @inline(__always)
    mutating func zigzag() -> Int64 { ByteWriter.unZigZag(varint()) }

    @inline(__always)
    mutating func skipVarint() {
        while base[offset] >= 0x80 { offset += 1 }
        offset += 1
    }

    @inlinable @inline(__always)
    mutating func optionalInstant() -> Instant? {
        byte() == 0 ? nil : Instant(millisecondsSinceEpoch: zigzag())
    }

    /// Moves past `n` varints. A varint ends at each byte below 0x80, so while a whole word is
    /// left before `end` (where the bytes end) they are counted eight at a time: a walk past an
    /// obligation's movements was a byte loop with a branch per byte.
    @inline(__always)
    mutating func skipVarints(_ n: UInt64, end: Int) {
        var left = n
        while left > 0, offset + 8 <= end {
            let word = UInt64(littleEndian: UnsafeRawPointer(base + offset).loadUnaligned(as: UInt64.self))
            var ends = ~word & 0x8080_8080_8080_8080
            let count = UInt64(ends.nonzeroBitCount)
            if count < left {
                left -= count
                offset += 8
                continue
            }
            // The `left`-th end in this word: clear the ends before it.
            while left > 1 {
                ends &= ends &- 1
                left -= 1
            }
            offset += ends.trailingZeroBitCount / 8 + 1
            return
        }
        while left > 0 {
            skipVarint()
            left -= 1
        }
    }

    @inline(__always)
    mutating func skipOptionalInstant() {
        if byte() != 0 { skipVarint() }
    }

    @inline(__always)
    mutating func int128() -> Int128 {
        let high = zigzag()
        let low = varint()
        return Int128(high) << 64 | Int128(low)
    }

    /// A length-prefixed byte string, as a view into the buffer.
    @inline(__always)
    mutating func bytes() -> UnsafeBufferPointer<UInt8> {
        let n = Int(varint())
        let p = UnsafeBufferPointer(start: base + offset, count: n)
        offset += n
        return p
    }

    @inline(__always)
    mutating func skipBytes() {
        let n = Int(varint())
        offset += n
    }
}

/// Writes pieces of the packed encoding into a scratch buffer, as `ByteWriter` spells them.
struct PackedWriter {
    let base: UnsafeMutablePointer<UInt8>
    let capacity: Int
    var count = 0

    @inline(__always)
    mutating func byte(_ b: UInt8) {
        precondition(count < capacity)
        base[count] = b
        count += 1
    }

    @inline(__always)
    mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            byte(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        byte(UInt8(v))
    }

    @inline(__always)
    mutating func zigzag(_ v: Int64) { varint(ByteWriter.zigZag(v)) }

    @inline(__always)
    mutating func optionalInstant(_ v: Instant?) {
        if let v {
            byte(1)
            zigzag(v.millisecondsSinceEpoch)
        } else {
            byte(0)
        }
    }

    @inline(__always)
    mutating func int128(_ v: Int128) {
        zigzag(Int64(truncatingIfNeeded: v >> 64))
        varint(UInt64(truncatingIfNeeded: v))
    }

    /// A varint length, then the bytes.
    @inline(__always)
    mutating func bytes(_ b: UnsafeBufferPointer<UInt8>) {
        varint(UInt64(b.count))
        precondition(count + b.count <= capacity)
        if !b.isEmpty { (base + count).update(from: b.baseAddress!, count: b.count) }
        count += b.count
    }
}

/// Byte order of two byte strings (`memcmp`, then the shorter first).
@inline(__always)
func bytesPrecede(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
    let n = min(a.count, b.count)
    var i = 0
    while i < n {
        if a[i] != b[i] { return a[i] < b[i] }
        i += 1
    }
    return a.count < b.count
}

@inlinable @inline(__always)
func bytesEqual(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
    guard a.count == b.count else { return false }
    var i = 0
    while i < a.count {
        if a[i] != b[i] { return false }
        i += 1
    }
    return true
}
