@testable import CredenceCore

// The list-of-structs UserState as it was before the packed layout (commit 3c4a20d), kept as the
// reference that the packed state is checked against, together with its checkpoint encoding.
struct ReferenceUserState: Sendable {
    /// The largest `occurred_at` of the user's accepted withdrawals; events at or before it never count.
    private(set) var erasureCut: Instant?
    var enrolments: [RefMark<Bool>] = []
    var limits: [RefMark<Int64>] = []
    var paymentMonths: [RefPaymentMonth] = []
    /// Newest first, as the packed state keeps them since session 22: an obligation's first event
    /// puts it at the front.
    var obligations: [RefObligation] = []

    init() {}

    /// An empty state whose history starts after `erasureCut`.
    init(erasureCut: Instant?) {
        self.erasureCut = erasureCut
    }

    /// What applying an event did.
    enum ApplyResult: Sendable, Equatable {
        case applied
        /// The event is at or before the erasure cut and was dropped.
        case erased
        /// A withdrawal moved the erasure cut: rebuild the state with `init(erasureCut:)` from the
        /// user's events after the new cut.
        case rebuildRequired(erasureCut: Instant)
    }

    /// Applies one accepted event of this user.
    mutating func apply(_ event: Event, offset: UTCOffset) -> ApplyResult {
        let at = event.occurredAt
        if let cut = erasureCut, at <= cut {
            return .erased
        }
        switch event.payload {
        case .userWithdrawn:
            return .rebuildRequired(erasureCut: at)
        case .userEnrolled(let verified):
            RefMark.insert(RefMark(at: at, eventID: event.eventID, value: verified), into: &enrolments)
        case .creditLimitSet(let limit):
            RefMark.insert(RefMark(at: at, eventID: event.eventID, value: limit), into: &limits)
        case .payment(let p):
            addPayment(
                month: Month(containing: at, offset: offset), amount: p.amountMinor, approved: p.outcome == .approved)
        case .obligationOpened(let o):
            let i = obligationIndex(o.obligationID)
            // A second opening of the same id is refused at intake; keep the first if one slips through.
            if obligations[i].openedAt == nil {
                obligations[i].openedAt = at
                obligations[i].dueAt = o.dueAt
                obligations[i].amountMinor = o.amountMinor
                obligations[i].service = o.service
            }
        case .obligationAdjusted(let a):
            obligations[obligationIndex(a.obligationID)].addMovement(at: at, delta: a.deltaMinor)
        case .repayment(let id, let amount):
            obligations[obligationIndex(id)].addMovement(at: at, delta: -amount)
        case .obligationCancelled(let id):
            let i = obligationIndex(id)
            if obligations[i].cancelledAt.map({ at < $0 }) ?? true { obligations[i].cancelledAt = at }
        }
        return .applied
    }

    /// Whether the user is scored as of `t` (SCORING.md section 4): their latest consent event
    /// before `t` is an enrolment, and `t` is after the erasure cut.
    ///
    /// Enrolments at or before the cut are erased and every withdrawal is at or before the cut,
    /// so this is "some enrolment lies in `(cut, t)`".
    func isScored(asOf t: Instant) -> Bool {
        if let cut = erasureCut, t <= cut { return false }
        return enrolments.first.map { $0.at < t } ?? false
    }

    /// The features of section 3 as of `t`, with `W12` the twelve months ending with `month`.
    ///
    /// For snapshots, `t` is `end(month)`.
    func features(asOf t: Instant, month: Month) -> Features {
        var f = Features()
        // Consent: earliest enrolment gives tenure; the latest (ties: larger event_id) gives identity.
        if let first = enrolments.first, first.at < t {
            f.tenureDays = Instant.days(from: first.at, to: t)
            f.identityVerified = RefMark.latest(before: t, in: enrolments)?.value ?? false
        }
        f.creditLimitMinor = RefMark.latest(before: t, in: limits)?.value ?? 0

        let firstMonth = month.advanced(by: -11)
        for bucket in paymentMonths where bucket.month >= firstMonth.index && bucket.month <= month.index {
            f.payments12m += Int64(bucket.approved)
            f.declined12m += Int64(bucket.declined)
            f.spend12mMinor += bucket.spendMinor
            if bucket.approved > 0 { f.activeMonths12m += 1 }
        }

        let horizon = t.millisecondsSinceEpoch - 730 * Instant.millisecondsPerDay
        var payLaterBalance: Int128 = 0
        for o in obligations {
            guard let openedAt = o.openedAt, openedAt < t else { continue }
            if let c = o.cancelledAt, c < t { continue }
            f.obligationsTotal += 1
            let dueAt = o.dueAt
            let in24m = dueAt.millisecondsSinceEpoch >= horizon
            let status = o.status(asOf: t)
            let dpd: Int64
            switch status {
            case .open(let balance):
                dpd = t > dueAt ? Instant.days(from: dueAt, to: t) : 0
                f.openObligations += 1
                f.outstandingMinor += balance
                if dueAt < t { f.overdueObligations += 1 }
                f.maxDpdCurrent = max(f.maxDpdCurrent, dpd)
                if o.service == .payLater { payLaterBalance += balance }
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

    // MARK: - Compaction

    /// Drops what no snapshot at or after `end(month)` can see any more: payment months before
    /// `month - 11`, and credit limits superseded before `end(month - 1)`.
    mutating func compact(keeping month: Month, offset: UTCOffset) {
        let first = month.advanced(by: -11).index
        if let k = paymentMonths.firstIndex(where: { $0.month >= first }) {
            if k > 0 { paymentMonths.removeFirst(k) }
        } else {
            paymentMonths.removeAll()
        }
        let horizon = month.start(offset: offset)
        if let k = limits.lastIndex(where: { $0.at < horizon }), k > 0 {
            limits.removeFirst(k)
        }
        if enrolments.count > 2, let k = enrolments.lastIndex(where: { $0.at < horizon }), k > 1 {
            // Keep the earliest (tenure) and the latest before the horizon (identity).
            enrolments.removeSubrange(1..<k)
        }
    }

    /// Approximate heap and inline bytes held, for capacity reports.
    var approximateBytes: Int {
        var n = MemoryLayout<ReferenceUserState>.size
        n += enrolments.count * (MemoryLayout<RefMark<Bool>>.stride) + (enrolments.isEmpty ? 0 : 32)
        n += limits.count * (MemoryLayout<RefMark<Int64>>.stride) + (limits.isEmpty ? 0 : 32)
        n += paymentMonths.count * MemoryLayout<RefPaymentMonth>.stride + (paymentMonths.isEmpty ? 0 : 32)
        n += obligations.isEmpty ? 0 : 32
        for o in obligations {
            n += MemoryLayout<RefObligation>.stride
            n += o.movements.isEmpty ? 0 : 32 + o.movements.count * MemoryLayout<RefMovement>.stride
            if o.id.utf8.count > 15 { n += 32 + o.id.utf8.count }
        }
        for e in enrolments where e.eventID.utf8.count > 15 { n += 32 + e.eventID.utf8.count }
        for e in limits where e.eventID.utf8.count > 15 { n += 32 + e.eventID.utf8.count }
        return n
    }

    // MARK: - Internals

    private mutating func addPayment(month: Month, amount: Int64, approved: Bool) {
        var lo = 0
        var hi = paymentMonths.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if paymentMonths[mid].month < month.index { lo = mid + 1 } else { hi = mid }
        }
        if lo == paymentMonths.count || paymentMonths[lo].month != month.index {
            paymentMonths.insert(RefPaymentMonth(month: month.index), at: lo)
        }
        if approved {
            paymentMonths[lo].approved += 1
            paymentMonths[lo].spendMinor += Int128(amount)
        } else {
            paymentMonths[lo].declined += 1
        }
    }

    private mutating func obligationIndex(_ id: String) -> Int {
        if let i = obligations.firstIndex(where: { $0.id == id }) { return i }
        obligations.insert(RefObligation(id: id), at: 0)
        return 0
    }
}

/// A time-stamped value whose "latest" is decided by `(occurred_at, event_id)`.

struct RefMark<Value: Sendable>: Sendable {
    var at: Instant
    var eventID: String
    var value: Value

    /// Whether `a` sorts before `b`: earlier, or at the same instant with the smaller event id (byte order).
    static func precedes(_ a: RefMark, _ b: RefMark) -> Bool {
        if a.at != b.at { return a.at < b.at }
        return a.eventID.utf8.lexicographicallyPrecedes(b.eventID.utf8)
    }

    static func insert(_ m: RefMark, into list: inout [RefMark]) {
        var i = list.count
        while i > 0, precedes(m, list[i - 1]) { i -= 1 }
        list.insert(m, at: i)
    }

    static func latest(before t: Instant, in list: [RefMark]) -> RefMark? {
        var i = list.count - 1
        while i >= 0 {
            if list[i].at < t { return list[i] }
            i -= 1
        }
        return nil
    }
}

struct RefPaymentMonth: Sendable {
    var month: Int32
    var approved: Int32 = 0
    var declined: Int32 = 0
    var spendMinor: Int128 = 0

    init(month: Int32) {
        self.month = month
    }
}

/// A change of an obligation's balance: `+delta` for an adjustment, `-amount` for a repayment.

struct RefMovement: Sendable {
    var at: Instant
    var delta: Int64
}

struct RefObligation: Sendable {
    var id: String
    var openedAt: Instant?
    var dueAt = Instant(millisecondsSinceEpoch: 0)
    var amountMinor: Int64 = 0
    var service: Service = .shopping
    var cancelledAt: Instant?
    /// Sorted by time; events at one instant are applied together, so their order does not matter.
    var movements: [RefMovement] = []

    init(id: String) {
        self.id = id
    }

    mutating func addMovement(at: Instant, delta: Int64) {
        var i = movements.count
        while i > 0, movements[i - 1].at > at { i -= 1 }
        movements.insert(RefMovement(at: at, delta: delta), at: i)
    }

    enum Status {
        case open(balance: Int128)
        case settled(at: Instant)
    }

    /// Status as of `t` (the obligation is opened before `t`).
    ///
    /// `balance(o, t)` changes only at its movements' times. `settled_at` is the earliest own
    /// event time `s` (opening or movement) from which every balance after `s` up to `t` is
    /// `<= 0`: the instant just after the last distinct time whose running balance was positive.
    func status(asOf t: Instant) -> Status {
        let openedAt = self.openedAt!
        var balance = Int128(amountMinor)
        // Candidate times in ascending order: the opening merged into the movements before `t`.
        var openingPending = true
        var settledCandidate: Instant? = nil
        var i = 0
        let n = movements.count
        while true {
            let nextMovement: Instant? = i < n && movements[i].at < t ? movements[i].at : nil
            let time: Instant
            if openingPending, nextMovement.map({ openedAt <= $0 }) ?? true {
                time = openedAt
                openingPending = false
            } else if let m = nextMovement {
                time = m
            } else {
                break
            }
            while i < n, movements[i].at == time {
                balance += Int128(movements[i].delta)
                i += 1
            }
            if balance > 0 {
                settledCandidate = nil
            } else if settledCandidate == nil {
                settledCandidate = time
            }
        }
        if balance > 0 { return .open(balance: balance) }
        return .settled(at: settledCandidate!)
    }
}
extension ReferenceUserState {
    /// Appends the user's state: the erasure cut, enrolments, credit limits, payment months and
    /// obligations, each list with its count first.
    func encode(into writer: inout ByteWriter) {
        writer.writeOptionalInstant(erasureCut)
        writer.writeVarint(UInt64(enrolments.count))
        for m in enrolments {
            writer.writeZigZag(m.at.millisecondsSinceEpoch)
            writer.writeString(m.eventID)
            writer.writeBool(m.value)
        }
        writer.writeVarint(UInt64(limits.count))
        for m in limits {
            writer.writeZigZag(m.at.millisecondsSinceEpoch)
            writer.writeString(m.eventID)
            writer.writeZigZag(m.value)
        }
        writer.writeVarint(UInt64(paymentMonths.count))
        for p in paymentMonths {
            writer.writeZigZag(Int64(p.month))
            writer.writeVarint(UInt64(p.approved))
            writer.writeVarint(UInt64(p.declined))
            writer.writeInt128(p.spendMinor)
        }
        writer.writeVarint(UInt64(obligations.count))
        for o in obligations {
            writer.writeString(o.id)
            writer.writeOptionalInstant(o.openedAt)
            writer.writeZigZag(o.dueAt.millisecondsSinceEpoch)
            writer.writeZigZag(o.amountMinor)
            writer.writeByte(o.service.rawValue)
            writer.writeOptionalInstant(o.cancelledAt)
            writer.writeVarint(UInt64(o.movements.count))
            for m in o.movements {
                writer.writeZigZag(m.at.millisecondsSinceEpoch)
                writer.writeZigZag(m.delta)
            }
        }
    }
}
