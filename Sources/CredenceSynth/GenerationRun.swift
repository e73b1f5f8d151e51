import CredenceCore

/// The mutable state of one `EventStreamGenerator.write(to:)` call.
///
/// Time is cut into 7-day windows. For each window, every user's activity in it is
/// planned (an obligation's whole lifecycle is planned when it opens, its later events
/// wait in `calendar`), each planned line gets an arrival time, and every line that
/// arrives before the next window starts is written, in arrival order (the window's
/// lines sorted, merged with the few held over in the arrival heap). Nothing planned
/// later can arrive earlier, so the output is in arrival order while memory holds
/// about one window of lines plus the lifecycles still running.
struct GenerationRun: ~Copyable {
    static let second: Int64 = 1_000
    static let minute: Int64 = 60_000
    static let hour: Int64 = 3_600_000
    static let day: Int64 = 86_400_000
    static let windowLength: Int64 = 7 * day
    /// Average month length, to scale monthly rates to a window.
    static let monthLength: Double = 30.44 * 86_400_000

    let configuration: GeneratorConfiguration
    var rng: Xoshiro256StarStar
    let offsetMinutes: Int
    let latenessMs: Int64
    /// Ordinary delivery delays stay below this, itself below the allowed lateness.
    let maxDelayMs: Int64
    let timelineStart: Int64
    let streamStart: Int64
    let streamEnd: Int64
    let currencyBytes: [UInt8]

    var users: [UserState] = []
    var calendar: [[PlannedEvent]]
    var heap = ArrivalHeap()
    var out = OutputBuffer()

    var nextEventNumber: UInt64 = 1
    var nextInvalidNumber: UInt64 = 1
    var nextSequence: UInt64 = 0
    var maxOccurred: Int64 = .min

    var summary = GeneratorSummary()
    var kindCounts = [Int](repeating: 0, count: 9)
    var invalidCounts = [Int](repeating: 0, count: InvalidLineKind.allCases.count)

    init(configuration: GeneratorConfiguration) {
        self.configuration = configuration
        rng = Xoshiro256StarStar(seed: configuration.seed)
        offsetMinutes = configuration.scoringOffset.minutes
        let lateness = configuration.allowedLateness.components
        latenessMs = lateness.seconds * 1000 + lateness.attoseconds / 1_000_000_000_000_000
        maxDelayMs = min(40 * Self.hour, latenessMs * 85 / 100)
        let offset = configuration.scoringOffset
        streamStart = configuration.start.start(offset: offset).millisecondsSinceEpoch
        streamEnd =
            configuration.start.advanced(by: Int32(configuration.months)).start(offset: offset)
            .millisecondsSinceEpoch
        let population = configuration.population
        let hasEarlyUsers = population.enrolledBeforeStartRate > 0 && population.monthsBeforeStart > 0
        timelineStart =
            hasEarlyUsers
            ? configuration.start.advanced(by: -Int32(population.monthsBeforeStart)).start(offset: offset)
                .millisecondsSinceEpoch
            : streamStart
        currencyBytes = Array(configuration.currency.utf8)
        let windows = Int((streamEnd - timelineStart + Self.windowLength - 1) / Self.windowLength)
        calendar = Array(repeating: [], count: windows)
        summary.users = configuration.users
        drawPopulation()
    }

    /// Runs the whole stream through `sink` and returns the summary.
    mutating func run(_ sink: (UnsafeRawBufferPointer) throws -> Void) rethrows -> GeneratorSummary {
        for window in calendar.indices {
            let lo = timelineStart + Int64(window) * Self.windowLength
            let hi = min(lo + Self.windowLength, streamEnd)
            for user in users.indices {
                planWindow(user: user, from: lo, to: hi)
            }
            let batch = calendar[window]
            calendar[window] = []
            try emit(batch, order: arrivalOrder(batch, from: lo), before: hi, sink)
        }
        try emit([], order: [], before: .max, sink)
        try out.flush(sink)
        return finishedSummary()
    }

    private func finishedSummary() -> GeneratorSummary {
        var s = summary
        s.bytes = out.flushedBytes
        for kind in EventKind.allCases where kindCounts[Int(kind.rawValue)] > 0 {
            s.eventsByKind[kind] = kindCounts[Int(kind.rawValue)]
        }
        for (i, kind) in InvalidLineKind.allCases.enumerated() where invalidCounts[i] > 0 {
            s.invalidLines[kind] = invalidCounts[i]
        }
        return s
    }

    // MARK: Time helpers

    /// A uniform instant in `[lo, hi)`, whole seconds after `lo` (a few with milliseconds),
    /// nudged away from the small hours of the scoring zone.
    mutating func randomTime(_ lo: Int64, _ hi: Int64) -> Int64 {
        let span = max(1, (hi - lo) / Self.second)
        var t = lo + rng.next(below: span) * Self.second
        let localHour = ((t + Int64(offsetMinutes) * Self.minute) % Self.day + Self.day) % Self.day / Self.hour
        if localHour < 7 && rng.chance(0.75) {
            t = lo + rng.next(below: span) * Self.second
        }
        if rng.chance(0.08) {
            let withMillis = t + 1 + rng.next(below: 999)
            if withMillis < hi { t = withMillis }
        }
        return t
    }

    /// 00:00 in the scoring zone of the day containing `t`.
    func localMidnight(_ t: Int64) -> Int64 {
        let offset = Int64(offsetMinutes) * Self.minute
        let local = t + offset
        var days = local / Self.day
        if local - days * Self.day < 0 { days -= 1 }
        return days * Self.day - offset
    }

    /// The first instant of the month after the one containing `t` (in the scoring zone).
    func monthEnd(containing t: Int64) -> Int64 {
        Month(containing: Instant(millisecondsSinceEpoch: t), offset: configuration.scoringOffset)
            .end(offset: configuration.scoringOffset).millisecondsSinceEpoch
    }

    /// An offset style for `occurred_at`: mostly the scoring zone, then `Z`, `+00:00`, `-05:00`, `+05:30`.
    mutating func randomStyle() -> UInt8 {
        let u = rng.unit()
        if u < 0.82 { return 0 }
        if u < 0.87 { return 1 }
        if u < 0.91 { return 2 }
        if u < 0.955 { return 3 }
        return 4
    }

    /// An ordinary delivery delay: mostly seconds, some minutes to hours, a few up to ~40 h.
    mutating func randomDelay() -> Int64 {
        let u = rng.unit()
        let range: ClosedRange<Int64>
        if u < 0.60 {
            range = 0...(3 * Self.second)
        } else if u < 0.85 {
            range = (3 * Self.second)...(5 * Self.minute)
        } else if u < 0.95 {
            range = (5 * Self.minute)...(2 * Self.hour)
        } else if u < 0.99 {
            range = (2 * Self.hour)...(12 * Self.hour)
        } else {
            range = (12 * Self.hour)...(40 * Self.hour)
        }
        return min(rng.next(in: range), maxDelayMs)
    }

    /// A log-uniform amount in `range`, in whole minor units.
    mutating func logUniform(_ range: ClosedRange<Double>) -> Int64 {
        let lo = range.lowerBound.squareRoot()
        let hi = range.upperBound.squareRoot()
        // A square of a uniform is a cheap stand-in for log-uniform with the same skew towards small amounts.
        let r = lo + (hi - lo) * rng.unit()
        return max(1, Int64(r * r))
    }

    // MARK: Scheduling

    /// Queues `event` unless it falls at or after `limit` (a withdrawal or the stream's end).
    /// Assigns its `event_id` number and its arrival (`arrival`, or now plus a random delay).
    /// Returns the arrival, or `nil` if the event was dropped.
    @discardableResult
    mutating func schedule(_ event: inout PlannedEvent, limit: Int64, arrival: Int64? = nil) -> Int64? {
        guard event.occurred < limit, event.occurred < streamEnd else { return nil }
        event.eventNumber = nextEventNumber
        nextEventNumber += 1
        event.arrival = arrival ?? event.occurred + randomDelay()
        calendar[Int((event.occurred - timelineStart) / Self.windowLength)].append(event)
        return event.arrival
    }

    // MARK: Emission

    /// The positions of `batch` in arrival order, ties in batch order, each packed with its arrival
    /// as `(arrival - from) << 27 | index` so that sorting is a plain integer sort. Also numbers the
    /// batch's `sequence` in batch order.
    mutating func arrivalOrder(_ batch: [PlannedEvent], from: Int64) -> [UInt64] {
        precondition(batch.count < 1 << 27, "a window holds more than 134 million events; use fewer users")
        var keys = [UInt64]()
        keys.reserveCapacity(batch.count)
        for i in batch.indices {
            // Arrivals are at most ~35 days after the window starts (late events), far below 2^36 ms.
            keys.append(UInt64(batch[i].arrival - from) << 27 | UInt64(i))
        }
        keys.sort()
        return keys
    }

    /// Writes every line arriving before `limit`, from `batch` (taken in `order`) merged with the
    /// lines held over from earlier windows, adding duplicates and invalid lines on the way; the rest
    /// of `batch` is held over. Sorting a window's batch is much cheaper than a heap push and pop
    /// per line; the heap only holds the few lines that cross a window boundary.
    mutating func emit(
        _ batch: [PlannedEvent], order: [UInt64], before limit: Int64,
        _ sink: (UnsafeRawBufferPointer) throws -> Void
    ) rethrows {
        let noise = configuration.noise
        let sequenceBase = nextSequence
        nextSequence += UInt64(batch.count)
        var i = 0
        @inline(__always) func batchEvent(_ i: Int) -> PlannedEvent {
            let index = Int(order[i] & (1 << 27 - 1))
            var event = batch[index]
            event.sequence = sequenceBase + UInt64(index)
            return event
        }
        while true {
            let event: PlannedEvent
            if i < order.count, heap.first.map({ !Self.precedes($0, batchEvent(i)) }) ?? true {
                let next = batchEvent(i)
                guard next.arrival < limit else { break }
                event = next
                i += 1
            } else if let held = heap.first, held.arrival < limit {
                event = heap.pop()!
            } else {
                break
            }
            account(event)
            writeEvent(event)
            if event.role == .original && !event.isLate {
                let u = rng.unit()
                if u < noise.duplicateRate {
                    requeue(event, as: .exactDuplicate)
                } else if u < noise.duplicateRate + noise.conflictingDuplicateRate && event.kind.hasAmount {
                    requeue(event, as: .conflictingDuplicate)
                }
                if rng.chance(noise.invalidLineRate) {
                    writeInvalidLine(near: event)
                }
            }
            if out.count >= out.capacity - 8192 {
                try out.flush(sink)
            }
        }
        while i < order.count {
            heap.push(batchEvent(i))
            i += 1
        }
    }

    @inline(__always)
    static func precedes(_ a: PlannedEvent, _ b: PlannedEvent) -> Bool {
        a.arrival < b.arrival || (a.arrival == b.arrival && a.sequence < b.sequence)
    }

    private mutating func requeue(_ event: PlannedEvent, as role: PlannedEvent.Role) {
        var copy = event
        copy.role = role
        copy.arrival = event.arrival + rng.next(in: Self.second...min(2 * Self.hour, latenessMs / 10))
        copy.sequence = nextSequence
        nextSequence += 1
        heap.push(copy)
    }

    private mutating func account(_ event: PlannedEvent) {
        switch event.role {
        case .exactDuplicate: summary.exactDuplicates += 1
        case .conflictingDuplicate: summary.conflictingDuplicates += 1
        case .conflictingOpen: summary.conflictingOpens += 1
        case .original:
            summary.events += 1
            kindCounts[Int(event.kind.rawValue)] += 1
            if event.isLate, maxOccurred != .min, maxOccurred - latenessMs > monthEnd(containing: event.occurred) {
                summary.lateEvents += 1
            }
            if event.occurred > maxOccurred { maxOccurred = event.occurred }
            let at = Instant(millisecondsSinceEpoch: event.occurred)
            if summary.earliestOccurredAt.map({ at < $0 }) ?? true { summary.earliestOccurredAt = at }
            if summary.latestOccurredAt.map({ at > $0 }) ?? true { summary.latestOccurredAt = at }
            if event.kind == .userWithdrawn { summary.withdrawals += 1 }
            if event.kind == .userEnrolled && event.detail & PlannedEvent.reEnrolmentBit != 0 {
                summary.reEnrolments += 1
            }
        }
    }
}

extension EventKind {
    /// Whether the event carries an amount a conflicting duplicate can change.
    var hasAmount: Bool {
        switch self {
        case .payment, .obligationOpened, .obligationAdjusted, .repayment, .creditLimitSet: return true
        case .userEnrolled, .userWithdrawn, .obligationCancelled: return false
        }
    }
}
