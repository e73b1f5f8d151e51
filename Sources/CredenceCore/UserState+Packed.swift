/// The packed layout of ``UserState``: one byte array per user.
///
/// ```
/// header (24 bytes, native-endian; derived from the body, so never written to a checkpoint):
///   0  paymentsStart     UInt32, the payment months' count varint
///   4  lastPayment       UInt32, the last payment month record, 0 when there is none
///   8  obligationsStart  UInt32, the obligations' count varint (the last section runs to the end);
///                        also where the gap ends
///  12  obligationFilter  UInt64, bit (StableHash(id).low mod 64) set for each obligation id kept:
///                        a clear bit proves an id absent without reading the obligations
///  20  gapStart          UInt32, where the payment months end: the state's spare room lies
///                        between here and obligationsStart
/// body (the checkpoint encoding of a user, see ScoringState+Checkpoint.swift), with the gap
/// between the payment months and the obligations:
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
/// The gap: a state's spare room is kept between the payment months and the obligations, not at
/// the end of its bytes (a gap buffer). Nearly every change lands at one of the gap's two sides:
/// a new month of payments at the end of the months, a new obligation at the front of the
/// obligations, a movement or an opening in one of the newest obligations. An insertion before the
/// gap moves only what lies between it and the gap (usually nothing), and one after the gap moves
/// the obligations in front of it (usually a few bytes) down into the gap. With the room at the
/// end, each of those moved every older obligation: the obligations are kept for ever, so the
/// move grew with the user's history, and it was 12% of a replay's applying thread.
///
/// The body without its gap is the checkpoint format byte for byte, so a checkpoint copies its
/// two pieces out and loads it back in with no gap. Varints are LEB128 in their shortest form, as
/// `ByteWriter` writes them.
extension UserState {
    @usableFromInline static let headerSize = 24
    @usableFromInline static let paymentsSlot = 0
    @usableFromInline static let lastPaymentSlot = 4
    @usableFromInline static let obligationsSlot = 8
    static let obligationFilterOffset = 12
    static let gapSlot = 20

    /// The bytes of the state without its gap: what a checkpoint holds, and the header.
    var usedBytes: Int { storage.count - gapBytes }

    /// The state's spare room: its gap and what the array holds beyond its count.
    var spareBytes: Int { gapBytes + storage.capacity - storage.count }

    /// The gap's length.
    @inline(__always)
    var gapBytes: Int { slot(Self.obligationsSlot) - slot(Self.gapSlot) }

    /// Where the obligations' count varint is, read from the header at `base`.
    @inline(__always)
    static func obligationsStart(_ base: UnsafePointer<UInt8>) -> Int {
        Int(UnsafeRawPointer(base).loadUnaligned(fromByteOffset: obligationsSlot, as: UInt32.self))
    }

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

    /// Replaces `lo..<hi` with `new`, moving the bytes between the range and the gap, and
    /// returns where the new bytes start.
    ///
    /// A range before the gap (`hi <= gapStart`) keeps its place: the bytes from `hi` to the gap
    /// move by the change in length, and the header offsets among them with them. An insertion
    /// (`lo == hi`) at an offset a slot points to moves that slot: what was there now follows the
    /// new bytes. A range after the gap (`lo >= obligationsStart`) ends where it ended: the bytes
    /// from the gap's end to `lo` move the other way, so an offset the caller holds between them
    /// moves by `returned - lo` too. When the gap is too small, the state moves to a new buffer
    /// with ``growthRoom(_:)`` more, not the array's doubling, and the room goes into the gap.
    @discardableResult
    mutating func replace(_ lo: Int, _ hi: Int, with new: UnsafeBufferPointer<UInt8>) -> Int {
        let delta = new.count - (hi - lo)
        if delta == 0 {
            if new.isEmpty { return lo }
            storage.withUnsafeMutableBufferPointer { dst in
                UnsafeMutableRawPointer(dst.baseAddress! + lo).copyMemory(from: new.baseAddress!, byteCount: new.count)
            }
            return lo
        }
        let gapStart = slot(Self.gapSlot)
        let gapEnd = slot(Self.obligationsSlot)
        let front = hi <= gapStart
        precondition(front || lo >= gapEnd, "a change to a user's state straddles its gap")
        if delta > gapEnd - gapStart {
            let used = storage.count - (gapEnd - gapStart) + delta
            storage = Self.grown(
                storage, replacing: lo..<hi, with: new, gap: (gapStart, gapEnd), newGap: Self.growthRoom(used))
            let gap = storage.count - used
            if front {
                shiftFrontSlots(from: hi, by: delta)
                setSlot(Self.gapSlot, gapStart + delta)
                setSlot(Self.obligationsSlot, gapStart + delta + gap)
                return lo
            }
            setSlot(Self.obligationsSlot, gapStart + gap)
            return gapStart + gap + (lo - gapEnd)
        }
        let start = front ? lo : lo - delta
        storage.withUnsafeMutableBufferPointer { b in
            let p = UnsafeMutableRawPointer(b.baseAddress!)
            if front {
                (p + hi + delta).copyMemory(from: p + hi, byteCount: gapStart - hi)
            } else {
                (p + gapEnd - delta).copyMemory(from: p + gapEnd, byteCount: lo - gapEnd)
            }
            if !new.isEmpty { (p + start).copyMemory(from: new.baseAddress!, byteCount: new.count) }
        }
        if front {
            shiftFrontSlots(from: hi, by: delta)
            setSlot(Self.gapSlot, gapStart + delta)
        } else {
            setSlot(Self.obligationsSlot, gapEnd - delta)
        }
        return start
    }

    /// `storage` with `range` replaced by `new` and a gap of `newGap` bytes between the payment
    /// months and the obligations, in a new buffer; `gap` is where the old one lies.
    ///
    /// A state gains about what a month close's compaction drops from it (a year-old month of
    /// payments), so with room of a quarter, kept by the compaction (``compact(keeping:offset:)``
    /// trims only beyond twice that), most states are not reallocated from month to month. With
    /// doubling, each state was trimmed to its size at every close and doubled at its next event:
    /// malloc, free and their copies were a tenth of a replay's applying thread.
    static func grown(
        _ storage: [UInt8], replacing range: Range<Int>, with new: UnsafeBufferPointer<UInt8>,
        gap: (start: Int, end: Int), newGap: Int
    ) -> [UInt8] {
        let asked = storage.count - (gap.end - gap.start) + new.count - range.count + newGap
        let count = fitted(asked)
        let newGap = newGap + count - asked
        return [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            storage.withUnsafeBufferPointer { old in
                var at = buffer.baseAddress!
                func put(_ piece: UnsafeBufferPointer<UInt8>) {
                    if let base = piece.baseAddress, !piece.isEmpty { at.initialize(from: base, count: piece.count) }
                    at += piece.count
                }
                func putGap() {
                    at.initialize(repeating: 0, count: newGap)
                    at += newGap
                }
                if range.upperBound <= gap.start {
                    put(UnsafeBufferPointer(rebasing: old[..<range.lowerBound]))
                    put(new)
                    put(UnsafeBufferPointer(rebasing: old[range.upperBound..<gap.start]))
                    putGap()
                    put(UnsafeBufferPointer(rebasing: old[gap.end...]))
                } else {
                    put(UnsafeBufferPointer(rebasing: old[..<gap.start]))
                    putGap()
                    put(UnsafeBufferPointer(rebasing: old[gap.end..<range.lowerBound]))
                    put(new)
                    put(UnsafeBufferPointer(rebasing: old[range.upperBound...]))
                }
            }
            initialized = count
        }
    }

    /// The length of a buffer of at least `count` bytes that fills its heap block. glibc's malloc
    /// rounds a block (an array's 32-byte header and its bytes, and 8 bytes of its own) up to
    /// 16 bytes: the gap takes what the rounding adds, which the array would otherwise hold
    /// unused beyond its count. Only the room depends on this, never the bytes.
    static func fitted(_ count: Int) -> Int { (count + 40 + 15) & ~15 - 40 }

    /// The state's bytes with a gap of `gap` bytes: a new buffer, or this one when its gap is that
    /// long already: what a compaction trims to.
    mutating func withGap(_ gap: Int) {
        let gapStart = slot(Self.gapSlot)
        let gapEnd = slot(Self.obligationsSlot)
        if gapEnd - gapStart == gap { return }
        let body = storage.count - (gapEnd - gapStart)
        storage = Self.grown(
            storage, replacing: gapStart..<gapStart, with: UnsafeBufferPointer(start: nil, count: 0),
            gap: (gapStart, gapEnd), newGap: gap)
        setSlot(Self.obligationsSlot, gapStart + storage.count - body)
    }

    /// The room a state of `count` bytes grows by: a quarter, and at least 32 bytes.
    static func growthRoom(_ count: Int) -> Int { max(count / 4, 32) }

    /// Whether a month close's compaction gives back a state's spare room (``spareBytes``): once
    /// it is more than twice ``growthRoom(_:)`` of the `count` bytes used, which growth alone
    /// never leaves (malloc rounds a buffer up by less than 16 bytes).
    static func hasExcessRoom(count: Int, spare: Int) -> Bool { spare > 2 * growthRoom(count) }

    /// Moves the header offsets before the gap that are at or after `hi` by `delta`.
    @inline(__always)
    mutating func shiftFrontSlots(from hi: Int, by delta: Int) {
        let payments = slot(Self.paymentsSlot)
        if payments >= hi { setSlot(Self.paymentsSlot, payments + delta) }
        let last = slot(Self.lastPaymentSlot)
        if last >= hi { setSlot(Self.lastPaymentSlot, last + delta) }
    }

    /// Replaces `lo..<hi` with what `encode` writes (at most `capacity` bytes), without a heap
    /// allocation, and returns where the new bytes start (see ``replace(_:_:with:)``).
    @discardableResult
    mutating func replace(_ lo: Int, _ hi: Int, capacity: Int, _ encode: (inout PackedWriter) -> Void) -> Int {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: capacity) { buffer in
            var w = PackedWriter(base: buffer.baseAddress!, capacity: capacity)
            encode(&w)
            return replace(lo, hi, with: UnsafeBufferPointer(start: buffer.baseAddress!, count: w.count))
        }
    }

    /// Removes `lo..<hi`.
    mutating func remove(_ lo: Int, _ hi: Int) {
        guard lo < hi else { return }
        replace(lo, hi, with: UnsafeBufferPointer(start: nil, count: 0))
    }

    /// Rewrites the varint at `offset` (a section's or a list's count) and returns where it now
    /// starts (see ``replace(_:_:with:)``).
    @discardableResult
    mutating func setVarint(at offset: Int, _ value: UInt64) -> Int {
        let end = read { base in
            var r = PackedReader(base: base, offset: offset)
            r.skipVarint()
            return r.offset
        }
        return replace(offset, end, capacity: 10) { $0.varint(value) }
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

/// Whether two byte strings are equal: their lengths, then their last bytes, then the rest from
/// the front. Ids of one length usually differ at their ends (sequence numbers, counters), so an
/// obligation's walk past the newer ones of a user (``UserState``) tells most of them apart at
/// the first byte compared instead of after their shared prefix.
@inlinable @inline(__always)
func bytesEqual(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
    guard a.count == b.count else { return false }
    let last = a.count - 1
    guard last >= 0 else { return true }
    if a[last] != b[last] { return false }
    var i = 0
    while i < last {
        if a[i] != b[i] { return false }
        i += 1
    }
    return true
}
