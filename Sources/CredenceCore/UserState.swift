/// One user's accepted events, folded into the compact form that features need.
///
/// The state answers "features as of T" for any `T`: every part keeps event
/// times, so a snapshot sees exactly the events with `occurred_at < T`, whatever
/// the arrival order (SCORING.md section 2, "Order"). Payments are kept as monthly
/// buckets, which is exact for month-end instants (the snapshots).
///
/// Memory: the whole state is one byte array (`UserState+Packed.swift` documents the layout),
/// so a user costs one allocation, ids included, and copying a state is copy-on-write.
///
/// Erasure: a `user.withdrawn` that moves the user's cut cannot be applied to the
/// buckets in place (a bucket mixes events on both sides of the cut), so `apply`
/// answers `.rebuildRequired` and the owner rebuilds the state from the user's
/// surviving events with ``init(erasureCut:)``.
public struct UserState: Sendable {
    /// The header and the packed sections.
    @usableFromInline var storage: [UInt8]

    public init() {
        self.init(erasureCut: nil)
    }

    /// Where the state is kept, for a prefetch hint only: not to be read through, and it moves
    /// when the state grows. It is the start of the bytes' array, its header first
    /// (``ArrayHeader``): a hint for the first byte alone left the header's line to a miss, the
    /// look-ahead's largest stall in both a replay and an ingest. Ask for ``headPrefetchBytes``
    /// from here.
    @inlinable
    public var storageAddress: UnsafeRawPointer? {
        storage.withUnsafeBytes { $0.baseAddress.map { $0 - ArrayHeader.bytes } }
    }

    /// What a hint at ``storageAddress`` asks for: the array's header and the state's first line.
    public static let headPrefetchBytes = ArrayHeader.bytes + 64

    /// Where an event's apply reads past the state's first line, for prefetch hints only: the
    /// last payment month (`nil` when there is none) and the newest obligations (up to
    /// `obligationBytes` of them). It reads the header, in the first line: ask for that line a
    /// few events before.
    @inlinable @inline(__always)
    public func sectionAddresses(obligationBytes: Int) -> (
        lastPayment: UnsafeRawPointer?, obligations: UnsafeRawBufferPointer
    ) {
        storage.withUnsafeBytes { raw in
            let lastPayment = Int(raw.loadUnaligned(fromByteOffset: UserState.lastPaymentSlot, as: UInt32.self))
            let obligations = Int(raw.loadUnaligned(fromByteOffset: UserState.obligationsSlot, as: UInt32.self))
            let count = min(obligationBytes, raw.count - obligations)
            return (
                lastPayment > 0 ? raw.baseAddress! + lastPayment : nil,
                UnsafeRawBufferPointer(start: raw.baseAddress! + obligations, count: max(count, 0))
            )
        }
    }

    /// An empty state whose history starts after `erasureCut`: the sections' counts, all zero,
    /// in one buffer of about 64 bytes, the rest of it the gap.
    public init(erasureCut: Instant?) {
        let header = UserState.headerSize
        let count = UserState.fitted(64)
        var front = 0
        storage = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            buffer.initialize(repeating: 0)  // the header, the counts and the gap
            var w = PackedWriter(base: buffer.baseAddress! + header, capacity: count - header)
            w.optionalInstant(erasureCut)
            front = w.count
            initialized = count
        }
        // Enrolments and limits (a zero count each), the payment months' count, the gap, and
        // the obligations' count in the last byte.
        setSlot(UserState.paymentsSlot, header + front + 2)
        setSlot(UserState.gapSlot, header + front + 3)
        setSlot(UserState.obligationsSlot, count - 1)
    }

    init(storage: [UInt8]) {
        self.storage = storage
    }

    /// The largest `occurred_at` of the user's accepted withdrawals; events at or before it never count.
    ///
    /// Inlinable (with the packed reader it uses): the engine asks it of every event, and a call
    /// into this module on `states[slot]` retained and released the user's buffer, an atomic pair
    /// on a line that is usually a cache miss (and a locked instruction lets no other load run
    /// ahead of that miss).
    @inlinable
    public var erasureCut: Instant? {
        read { base in
            var r = PackedReader(base: base, offset: UserState.headerSize)
            return r.optionalInstant()
        }
    }

    /// What applying an event did.
    public enum ApplyResult: Sendable, Equatable {
        case applied
        /// The event is at or before the erasure cut and was dropped.
        case erased
        /// A withdrawal moved the erasure cut: rebuild the state with `init(erasureCut:)` from the
        /// user's events after the new cut.
        case rebuildRequired(erasureCut: Instant)
    }

    /// Applies one accepted event of this user.
    public mutating func apply(_ event: Event, offset: UTCOffset) -> ApplyResult {
        var (scored, key) = ScoredEvent.of(event)
        return key.withUTF8 { apply(scored, key: $0, offset: offset) }
    }

    /// Applies one accepted event of this user, given as what the scoring reads of it, with the
    /// bytes of its key (``ScoredEvent/key``): what a replay applies, and what ``apply(_:offset:)``
    /// comes to.
    public mutating func apply(_ event: ScoredEvent, key: UnsafeBufferPointer<UInt8>, offset: UTCOffset) -> ApplyResult
    {
        let at = event.occurredAt
        if let cut = erasureCut, at <= cut {
            return .erased
        }
        switch event.kind {
        case .userWithdrawn:
            return .rebuildRequired(erasureCut: at)
        case .userEnrolled:
            insertMark(limit: false, at: at, eventID: key, value: Int64(event.code))
        case .creditLimitSet:
            insertMark(limit: true, at: at, eventID: key, value: event.amount)
        case .payment:
            addPayment(
                month: Month(containing: at, offset: offset).index, amount: event.amount,
                approved: event.code == PaymentOutcome.approved.rawValue)
        case .obligationOpened:
            let start = obligationStart(key)
            let fields = read { base in
                var r = PackedReader(base: base, offset: start)
                r.skipBytes()
                return ObligationFields(&r)
            }
            // A second opening of the same id is refused at intake; keep the first if one slips through.
            if fields.openedAt == nil {
                replace(fields.openedStart, fields.cancelledStart, capacity: 32) { w in
                    w.optionalInstant(at)
                    w.zigzag(event.dueAt.millisecondsSinceEpoch)
                    w.zigzag(event.amount)
                    w.byte(event.code)
                }
            }
        case .obligationAdjusted:
            addMovement(obligation: obligationStart(key), at: at, delta: event.amount)
        case .repayment:
            addMovement(obligation: obligationStart(key), at: at, delta: -event.amount)
        case .obligationCancelled:
            let start = obligationStart(key)
            let fields = read { base in
                var r = PackedReader(base: base, offset: start)
                r.skipBytes()
                return ObligationFields(&r)
            }
            if fields.cancelledAt.map({ at < $0 }) ?? true {
                replace(fields.cancelledStart, fields.movementCountStart, capacity: 11) { $0.optionalInstant(at) }
            }
        }
        return .applied
    }

    /// Whether the user is scored as of `t` (SCORING.md section 4): their latest consent event
    /// before `t` is an enrolment, and `t` is after the erasure cut.
    ///
    /// Enrolments at or before the cut are erased and every withdrawal is at or before the cut,
    /// so this is "some enrolment lies in `(cut, t)`".
    public func isScored(asOf t: Instant) -> Bool {
        read { base in
            var r = PackedReader(base: base, offset: UserState.headerSize)
            if let cut = r.optionalInstant(), t <= cut { return false }
            guard r.varint() > 0 else { return false }
            return r.zigzag() < t.millisecondsSinceEpoch
        }
    }

    /// The features of section 3 as of `t`, with `W12` the twelve months ending with `month`.
    ///
    /// For snapshots, `t` is `end(month)`.
    public func features(asOf t: Instant, month: Month) -> Features {
        read { base, end in features(base, end: end, asOf: t, month: month) }
    }

    private func features(_ base: UnsafePointer<UInt8>, end: Int, asOf t: Instant, month: Month) -> Features {
        var f = Features()
        let tms = t.millisecondsSinceEpoch
        var r = PackedReader(base: base, offset: UserState.enrolmentsStart(base))

        // Consent: earliest enrolment gives tenure; the latest (ties: larger event_id) gives identity.
        let enrolments = r.varint()
        var firstEnrolment: Int64? = nil
        var identity = false
        for _ in 0..<enrolments {
            let at = r.zigzag()
            r.skipBytes()
            let value = r.byte() != 0
            if firstEnrolment == nil { firstEnrolment = at }
            if at < tms { identity = value }
        }
        if let first = firstEnrolment, first < tms {
            f.tenureDays = Instant.days(from: Instant(millisecondsSinceEpoch: first), to: t)
            f.identityVerified = identity
        }
        let limits = r.varint()
        for _ in 0..<limits {
            let at = r.zigzag()
            r.skipBytes()
            let value = r.zigzag()
            if at < tms { f.creditLimitMinor = value }
        }

        let firstMonth = Int64(month.advanced(by: -11).index)
        let lastMonth = Int64(month.index)
        let months = r.varint()
        for _ in 0..<months {
            let m = r.zigzag()
            guard m >= firstMonth, m <= lastMonth else {
                r.skipVarint()
                r.skipVarint()
                r.skipVarint()
                r.skipVarint()
                continue
            }
            let approved = r.varint()
            let declined = r.varint()
            f.payments12m += Int64(approved)
            f.declined12m += Int64(declined)
            f.spend12mMinor += r.int128()
            if approved > 0 { f.activeMonths12m += 1 }
        }
        r.offset = UserState.obligationsStart(base)  // past the gap

        let horizon = tms - 730 * Instant.millisecondsPerDay
        var payLaterBalance: Int128 = 0
        let obligations = r.varint()
        for _ in 0..<obligations {
            r.skipBytes()
            let o = ObligationFields(&r)
            guard let openedAt = o.openedAt, openedAt < t, o.cancelledAt.map({ $0 >= t }) ?? true else {
                o.skipMovements(&r, end: end)
                continue
            }
            f.obligationsTotal += 1
            let dueAt = o.dueAt
            let in24m = dueAt.millisecondsSinceEpoch >= horizon
            let dpd: Int64
            switch UserState.status(&r, o, openedAt: openedAt, asOf: t) {
            case .open(let balance):
                dpd = t > dueAt ? Instant.days(from: dueAt, to: t) : 0
                f.openObligations += 1
                f.outstandingMinor += balance
                if dueAt < t { f.overdueObligations += 1 }
                f.maxDpdCurrent = max(f.maxDpdCurrent, dpd)
                if o.service == Service.payLater.rawValue { payLaterBalance += balance }
            case .settled(let settledAt):
                if settledAt <= dueAt {
                    dpd = 0
                    f.onTimeSettled += 1
                } else {
                    dpd = Instant.days(from: dueAt, to: settledAt)
                    if in24m { f.lateSettled24m += 1 }
                }
            }
            if in24m {
                f.maxDpd24m = max(f.maxDpd24m, dpd)
                if dpd >= 90 { f.defaults24m += 1 }
            }
        }
        if f.creditLimitMinor != 0 {
            // floor division; the balance is positive and the limit is positive, so truncation is floor.
            f.utilizationBp = (10_000 * payLaterBalance) / Int128(f.creditLimitMinor)
        }
        return f
    }

    enum ObligationStatus {
        case open(balance: Int128)
        case settled(at: Instant)
    }

    /// Status as of `t` of an obligation opened before `t`, reading its movements from `r` (left
    /// at the end of the obligation).
    ///
    /// `balance(o, t)` changes only at its movements' times. `settled_at` is the earliest own
    /// event time `s` (opening or movement) from which every balance after `s` up to `t` is
    /// `<= 0`: the instant just after the last distinct time whose running balance was positive.
    @inline(__always)
    static func status(
        _ r: inout PackedReader, _ o: ObligationFields, openedAt: Instant, asOf t: Instant
    ) -> ObligationStatus {
        let opened = openedAt.millisecondsSinceEpoch
        let tms = t.millisecondsSinceEpoch
        let n = o.movementCount
        var balance = Int128(o.amountMinor)
        // Candidate times in ascending order: the opening merged into the movements before `t`.
        var openingPending = true
        var settledCandidate: Int64? = nil
        // One movement read ahead.
        var consumed: UInt64 = 0
        var hasNext = false
        var nextAt: Int64 = 0
        var nextDelta: Int64 = 0
        if n > 0 {
            nextAt = r.zigzag()
            nextDelta = r.zigzag()
            consumed = 1
            hasNext = true
        }
        while true {
            let movement = hasNext && nextAt < tms
            let time: Int64
            if openingPending, !movement || opened <= nextAt {
                time = opened
                openingPending = false
            } else if movement {
                time = nextAt
            } else {
                break
            }
            while hasNext, nextAt == time {
                balance += Int128(nextDelta)
                if consumed < n {
                    nextAt = r.zigzag()
                    nextDelta = r.zigzag()
                    consumed += 1
                } else {
                    hasNext = false
                }
            }
            if balance > 0 {
                settledCandidate = nil
            } else if settledCandidate == nil {
                settledCandidate = time
            }
        }
        while consumed < n {
            r.skipVarint()
            r.skipVarint()
            consumed += 1
        }
        if balance > 0 { return .open(balance: balance) }
        return .settled(at: Instant(millisecondsSinceEpoch: settledCandidate!))
    }

    // MARK: - Compaction

    /// Drops what no snapshot at or after `end(month)` can see any more: payment months before
    /// `month - 11`, and credit limits superseded before `end(month - 1)`. Then gives back the
    /// spare room beyond twice what growth gives it, keeping that much in its gap
    /// (``growthRoom(_:)``).
    public mutating func compact(keeping month: Month, offset: UTCOffset) {
        let first = Int64(month.advanced(by: -11).index)
        let paymentsStart = slot(UserState.paymentsSlot)
        let (months, recordsStart, cut, dropped) = read { base in
            var r = PackedReader(base: base, offset: paymentsStart)
            let n = r.varint()
            let recordsStart = r.offset
            var k: UInt64 = 0
            while k < n {
                var peek = r
                if peek.zigzag() >= first { break }
                UserState.skipPaymentMonth(&r)
                k += 1
            }
            return (n, recordsStart, r.offset, k)
        }
        if dropped > 0 {
            remove(recordsStart, cut)
            if dropped == months { setSlot(UserState.lastPaymentSlot, 0) }
            setVarint(at: paymentsStart, months - dropped)
        }

        let horizon = month.start(offset: offset).millisecondsSinceEpoch
        // Credit limits: keep the latest before the horizon and everything after it.
        let limits = read { base in
            var r = PackedReader(base: base, offset: UserState.enrolmentsStart(base))
            UserState.skipMarks(&r, limit: false)
            return UserState.markCut(&r, limit: true, horizon: horizon)
        }
        if limits.last > 0 {
            remove(limits.recordsStart, limits.lastStart)
            setVarint(at: limits.countStart, limits.count - UInt64(limits.last))
        }
        // Enrolments: keep the earliest (tenure) and the latest before the horizon (identity).
        let enrolments = read { base in
            var r = PackedReader(base: base, offset: UserState.enrolmentsStart(base))
            return UserState.markCut(&r, limit: false, horizon: horizon)
        }
        if enrolments.count > 2, enrolments.last > 1 {
            remove(enrolments.secondStart, enrolments.lastStart)
            setVarint(at: enrolments.countStart, enrolments.count - UInt64(enrolments.last - 1))
        }

        let used = usedBytes
        if UserState.hasExcessRoom(count: used, spare: spareBytes) {
            withGap(UserState.growthRoom(used))
        }
    }

    /// Where a mark list starts, and its last mark before `horizon` (index `last`, -1 if none).
    struct MarkCut {
        var countStart: Int
        var count: UInt64
        var recordsStart: Int
        var secondStart: Int
        var last: Int
        var lastStart: Int
    }

    static func markCut(_ r: inout PackedReader, limit: Bool, horizon: Int64) -> MarkCut {
        let countStart = r.offset
        let n = r.varint()
        var cut = MarkCut(
            countStart: countStart, count: n, recordsStart: r.offset, secondStart: r.offset, last: -1,
            lastStart: r.offset)
        for i in 0..<Int(n) {
            if i == 1 { cut.secondStart = r.offset }
            let start = r.offset
            var peek = r
            if peek.zigzag() < horizon {
                cut.last = i
                cut.lastStart = start
            }
            skipMark(&r, limit: limit)
        }
        return cut
    }

    /// Approximate heap and inline bytes held, for capacity reports: the struct, the array's
    /// header and its capacity (the gap included).
    public var approximateBytes: Int {
        MemoryLayout<UserState>.size + 32 + storage.capacity
    }

    // MARK: - Internals

    /// Inserts a consent or credit-limit mark in `(at, event_id)` order.
    private mutating func insertMark(limit: Bool, at: Instant, eventID id: UnsafeBufferPointer<UInt8>, value: Int64) {
        let ms = at.millisecondsSinceEpoch
        let (countStart, count, position) = read { base in
            var r = PackedReader(base: base, offset: UserState.enrolmentsStart(base))
            if limit { UserState.skipMarks(&r, limit: false) }
            let countStart = r.offset
            let n = r.varint()
            for _ in 0..<n {
                let start = r.offset
                let other = r.zigzag()
                let otherID = r.bytes()
                if ms < other || (ms == other && bytesPrecede(id, otherID)) { return (countStart, n, start) }
                if limit { r.skipVarint() } else { r.offset += 1 }
            }
            return (countStart, n, r.offset)
        }
        replace(position, position, capacity: id.count + 32) { w in
            w.zigzag(ms)
            w.bytes(id)
            if limit { w.zigzag(value) } else { w.byte(UInt8(value)) }
        }
        setVarint(at: countStart, count + 1)
    }

    private mutating func addPayment(month: Int32, amount: Int64, approved: Bool) {
        let m = Int64(month)
        let paymentsStart = slot(UserState.paymentsSlot)
        let last = slot(UserState.lastPaymentSlot)
        if last != 0 {
            let lastMonth = read { base in
                var r = PackedReader(base: base, offset: last)
                return r.zigzag()
            }
            if lastMonth == m {
                // The common case: another payment in the newest month.
                updatePayment(at: last, end: slot(UserState.gapSlot), amount: amount, approved: approved)
                return
            }
        }
        let (count, position, end, found) = read { base in
            var r = PackedReader(base: base, offset: paymentsStart)
            let n = r.varint()
            if last != 0 {
                var tail = PackedReader(base: base, offset: last)
                if tail.zigzag() < m {
                    return (n, slot(UserState.gapSlot), 0, false)  // a new newest month
                }
            }
            for _ in 0..<n {
                let start = r.offset
                var peek = r
                let other = peek.zigzag()
                UserState.skipPaymentMonth(&r)
                if other >= m { return (n, start, r.offset, other == m) }
            }
            return (n, r.offset, 0, false)
        }
        if found {
            updatePayment(at: position, end: end, amount: amount, approved: approved)
            return
        }
        replace(position, position, capacity: 50) { w in
            w.zigzag(m)
            w.varint(approved ? 1 : 0)
            w.varint(approved ? 0 : 1)
            w.int128(approved ? Int128(amount) : 0)
        }
        // A record after the last one is the new last; one before it moved the last along.
        if last == 0 || position > last { setSlot(UserState.lastPaymentSlot, position) }
        setVarint(at: paymentsStart, count + 1)
    }

    private mutating func updatePayment(at start: Int, end: Int, amount: Int64, approved: Bool) {
        let (m, approvedCount, declinedCount, spendMinor) = read { base in
            var r = PackedReader(base: base, offset: start)
            return (r.zigzag(), r.varint(), r.varint(), r.int128())
        }
        var a = approvedCount
        var d = declinedCount
        var spend = spendMinor
        if approved {
            a += 1
            spend += Int128(amount)
        } else {
            d += 1
        }
        replace(start, end, capacity: 50) { w in
            w.zigzag(m)
            w.varint(a)
            w.varint(d)
            w.int128(spend)
        }
    }

    /// The offset of the obligation `id` (its id's length), inserted at the front when new.
    ///
    /// The filter answers most new ids without the walk; a kept id is usually among the first
    /// few, the obligations being newest first.
    private mutating func obligationStart(_ id: UnsafeBufferPointer<UInt8>) -> Int {
        let obligationsStart = slot(UserState.obligationsSlot)
        let bit = UserState.obligationFilterBit(id)
        let filter = obligationFilter
        let (found, count) = read { base, end -> (Int?, UInt64) in
            var r = PackedReader(base: base, offset: obligationsStart)
            let n = r.varint()
            guard filter & bit != 0 else { return (nil, n) }
            for _ in 0..<n {
                let start = r.offset
                if bytesEqual(r.bytes(), id) { return (start, n) }
                UserState.skipObligationFields(&r, end: end)
            }
            return (nil, n)
        }
        if let found { return found }
        // The count first: a longer varint moves where the obligations start.
        let countStart = setVarint(at: obligationsStart, count + 1)
        let position = read { base in
            var r = PackedReader(base: base, offset: countStart)
            r.skipVarint()
            return r.offset
        }
        let start = replace(position, position, capacity: id.count + 24) { w in
            w.bytes(id)
            w.optionalInstant(nil)
            w.zigzag(0)  // due_at
            w.zigzag(0)  // amount
            w.byte(Service.shopping.rawValue)
            w.optionalInstant(nil)  // cancelled_at
            w.varint(0)  // movements
        }
        obligationFilter = filter | bit
        return start
    }

    /// Inserts a balance movement after those at or before `at`.
    private mutating func addMovement(obligation start: Int, at: Instant, delta: Int64) {
        let ms = at.millisecondsSinceEpoch
        let (countStart, count, position) = read { base in
            var r = PackedReader(base: base, offset: start)
            r.skipBytes()
            let o = ObligationFields(&r)
            for _ in 0..<o.movementCount {
                let s = r.offset
                if r.zigzag() > ms { return (o.movementCountStart, o.movementCount, s) }
                r.skipVarint()
            }
            return (o.movementCountStart, o.movementCount, r.offset)
        }
        // After the gap, the bytes before the insertion move: the count with them.
        let inserted = replace(position, position, capacity: 20) { w in
            w.zigzag(ms)
            w.zigzag(delta)
        }
        setVarint(at: countStart + (inserted - position), count + 1)
    }
}
