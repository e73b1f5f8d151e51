import CredenceCore

/// One line waiting to be written, in a compact form (no strings) so that a window of
/// millions of events fits in memory; it is serialized when it leaves the arrival queue.
struct PlannedEvent {
    /// When the line is delivered: its position in the output.
    var arrival: Int64
    /// Breaks ties between equal arrivals deterministically; unique per queued line.
    var sequence: UInt64 = 0
    var occurred: Int64
    /// The number in `event_id` (`e<number>`), unique per distinct event.
    var eventNumber: UInt64 = 0
    /// `amount_minor`, `delta_minor` or `limit_minor`.
    var amount: Int64 = 0
    var dueAt: Int64 = 0
    var user: UInt32
    /// `number << 3 | service`: the id is the service's prefix and the per-user number (`pl12`).
    var obligation: UInt32 = 0
    var kind: EventKind
    /// Payment: merchant category, `declinedBit`. Opened: service. Adjusted: reason.
    /// Enrolled: 1 if identity verified, `reEnrolmentBit`.
    var detail: UInt8 = 0
    /// Which offset `occurred_at` is written in (`TimeStyle`).
    var style: UInt8 = 0
    var role: Role = .original
    /// Deliberately delivered after the close of its month.
    var isLate = false

    enum Role: UInt8 {
        case original, exactDuplicate, conflictingDuplicate, conflictingOpen
    }

    static let declinedBit: UInt8 = 0x80
    static let reEnrolmentBit: UInt8 = 0x80

    init(kind: EventKind, user: Int, occurred: Int64) {
        self.kind = kind
        self.user = UInt32(truncatingIfNeeded: user)
        self.occurred = occurred
        self.arrival = occurred
    }

    var service: Service { Service(rawValue: UInt8(obligation & 7))! }
}

/// The offsets `occurred_at` is written in: mostly the scoring zone, some others.
enum TimeStyle {
    /// (offset minutes, `Z` for zero), indexed by style; 0 is the scoring offset.
    static let others: [(minutes: Int, zulu: Bool)] = [(0, true), (0, false), (-300, false), (330, false)]
}

/// A binary min-heap of lines ordered by (arrival, sequence).
struct ArrivalHeap {
    private(set) var items: [PlannedEvent] = []

    var count: Int { items.count }
    var first: PlannedEvent? { items.first }

    @inline(__always)
    private func less(_ a: Int, _ b: Int) -> Bool {
        let x = items[a]
        let y = items[b]
        return x.arrival < y.arrival || (x.arrival == y.arrival && x.sequence < y.sequence)
    }

    mutating func push(_ event: PlannedEvent) {
        items.append(event)
        var i = items.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard less(i, parent) else { break }
            items.swapAt(i, parent)
            i = parent
        }
    }

    mutating func pop() -> PlannedEvent? {
        guard !items.isEmpty else { return nil }
        let top = items[0]
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var i = 0
            let n = items.count
            while true {
                let l = 2 * i + 1
                if l >= n { break }
                var m = l
                if l + 1 < n && less(l + 1, l) { m = l + 1 }
                guard less(m, i) else { break }
                items.swapAt(m, i)
                i = m
            }
        }
        return top
    }
}
