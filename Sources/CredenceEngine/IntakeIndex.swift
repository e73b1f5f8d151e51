import CCRC32C
import CredenceCore
import EventLog

/// What the intake checks remember (SCORING.md section 2): the event ids accepted within the
/// duplicate window, each with its content digest and the week of its event time, and the
/// obligation keys opened. Two flat tables keyed by 128-bit hashes (``HashTable``).
///
/// Invariants: an id stays known for at least the configured window of event time behind the
/// largest event time seen; ids are dropped a whole week of event time at a time, by
/// ``prune(maxSeen:)`` after each batch, so a replay that prunes after the same batches knows
/// exactly the ids the live run knew. Obligation keys are never dropped (they stay taken).
///
/// Memory: an id costs one 24-byte slot (the key, 40 bits of the content digest and the week),
/// and no list beside the table: a sweep walks the table itself, once per week of event time.
struct IntakeIndex: Sendable {
    /// An accepted id's content digest and the week of its event time, in one word: the digest's
    /// top 40 bits above the week's 24 (two's complement, a range of ±8M weeks, past any
    /// RFC 3339 year). Each slot was 32 bytes with 96 bits of the digest, and the window is most
    /// of the engine's memory per user.
    ///
    /// A different-content copy of an id passes for a same-content one with a chance of 2^-40
    /// (about one in a trillion) per copy. Either way the first stands and the copy is not
    /// applied: what such a miss changes is only that the copy is counted as a duplicate instead
    /// of dead-lettered as a conflict, never a score.
    struct Entry: Equatable, Sendable {
        private(set) var bits: UInt64

        static let weekBits = 24
        /// The weeks an entry holds: 24 bits, two's complement.
        static let weekRange: ClosedRange<Int64> = -(1 << (weekBits - 1))...((1 << (weekBits - 1)) - 1)

        init(digest: ContentDigest, at: Instant) {
            self.init(digestBits: Self.keptBits(digest), week: IntakeIndex.week(of: at.millisecondsSinceEpoch))
        }

        /// `digestBits`: the digest's kept 40 bits (``keptBits(_:)``); `week`, clamped to ``weekRange``.
        init(digestBits: UInt64, week: Int64) {
            let week = min(max(week, Self.weekRange.lowerBound), Self.weekRange.upperBound)
            bits = digestBits << Self.weekBits | UInt64(bitPattern: week) & ((1 << Self.weekBits) - 1)
        }

        private init(bits: UInt64) { self.bits = bits }

        /// The digest's bits an entry keeps: the top 40 of its first half.
        static func keptBits(_ digest: ContentDigest) -> UInt64 { digest.high >> weekBits }

        var digestBits: UInt64 { bits >> Self.weekBits }
        var week: Int64 { Int64(bitPattern: bits << (64 - Self.weekBits)) >> (64 - Self.weekBits) }

        func matches(_ digest: ContentDigest) -> Bool { digestBits == Self.keptBits(digest) }

        /// What fills the table's empty slots.
        static let filler = Entry(bits: 0)
    }

    /// The configured duplicate window, in milliseconds of event time.
    let window: Int64
    private(set) var events = HashTable<Entry>(empty: .filler)
    private(set) var obligations = HashTable<Void>()
    /// The window's start at the last sweep; `.min` before the first.
    private(set) var horizon = Instant(millisecondsSinceEpoch: .min)

    init(window: Int64) {
        self.window = window
    }

    static let millisecondsPerWeek = 7 * Instant.millisecondsPerDay

    /// The week an event time falls in (truncating division, as the sweep's own week).
    static func week(of milliseconds: Int64) -> Int64 {
        milliseconds / millisecondsPerWeek
    }

    /// The accepted event with this id's hash, if it is still in the window.
    func accepted(_ id: StableHash) -> Entry? { events[id] }

    func isOpened(_ obligation: StableHash) -> Bool { obligations.contains(obligation) }

    /// Starts loading the table slots that the checks of an event coming up will read: its
    /// `event_id`'s in the duplicate table, and an `obligation.opened`'s obligation key (see
    /// ``HashTable/prefetch(_:)``).
    ///
    /// `mutating` only so that a call on the engine's class-held index reads it in place: as a
    /// non-mutating call, the struct was copied first (a retain and a release of each table).
    @inline(__always)
    mutating func prefetch(idHash: StableHash, obligationKey: StableHash?) {
        events.prefetch(idHash)
        if let obligationKey { obligations.prefetch(obligationKey) }
    }

    /// Remembers an accepted event's id; a known id keeps its first entry.
    mutating func accept(_ id: StableHash, digest: ContentDigest, at: Instant) {
        events.insertIfAbsent(Entry(digest: digest, at: at), forKey: id)
    }

    mutating func open(_ obligation: StableHash) {
        obligations.insertIfAbsent((), forKey: obligation)
    }

    /// Drops the ids of the weeks wholly before the window, once a week of event time has gone
    /// by since the last sweep: an id lives at most a week past the window.
    mutating func prune(maxSeen: Instant?) {
        if let week = sweepWeek(maxSeen: maxSeen) { removeIDs(before: week) }
    }

    /// The clock of ``prune(maxSeen:)``: when a week of event time has gone by since the last
    /// sweep, moves the horizon and returns the week before which ids go; otherwise `nil`. A
    /// replay drops them in its own way (``ReplayWindow``).
    mutating func sweepWeek(maxSeen: Instant?) -> Int64? {
        guard let maxSeen else { return nil }
        let next = maxSeen.adding(milliseconds: -window)
        guard
            next.millisecondsSinceEpoch &- horizon.millisecondsSinceEpoch >= Self.millisecondsPerWeek
                || horizon.millisecondsSinceEpoch == .min
        else { return nil }
        horizon = next
        return Self.week(of: next.millisecondsSinceEpoch)
    }

    /// Drops the ids of the weeks before `week`: one walk of the whole table.
    mutating func removeIDs(before week: Int64) {
        events.removeAll { $0.week < week }
    }

    /// Makes room for `count` ids without growing on the way.
    mutating func reserveIDs(_ count: Int) {
        events.reserveCapacity(count)
    }

    /// Remembers an id with its entry as made before; a known id keeps its first entry.
    mutating func insert(_ entry: Entry, forID id: StableHash) {
        events.insertIfAbsent(entry, forKey: id)
    }

    /// ``prefetch(idHash:obligationKey:)`` of an obligation key alone.
    @inline(__always)
    mutating func prefetch(obligationKey: StableHash) {
        obligations.prefetch(obligationKey)
    }

    /// ``prefetch(idHash:obligationKey:)`` of an id alone.
    @inline(__always)
    mutating func prefetch(id: StableHash) {
        events.prefetch(id)
    }

    // MARK: - Checkpoints

    /// Bytes of an id's entry in a checkpoint: the key (8 + 8), the digest's bits (8 + 4) and the
    /// week (4), all little-endian. The digest's 40 kept bits go where they were in the digest's
    /// first half, the rest zero: checkpoint format 2 kept 96 bits, and one written then still
    /// loads (an entry keeps the same 40).
    static let entryBytes = 32
    /// Bytes of an obligation key in a checkpoint.
    static let obligationBytes = 16

    /// Appends the index: the horizon, the ids (key, digest, week), the obligation keys.
    /// `canonical` sorts them, so equal indexes give equal bytes (for tests).
    ///
    /// Fixed-width entries (checkpoint format 2), each appended whole from four words: appending
    /// each entry's five fields one byte array call at a time was most of a checkpoint's encoding
    /// (323 of 696 samples in the r30k ingest). The writer may spill between entries (a
    /// checkpoint streamed to its file: ``ByteWriter/spillIfFull()``).
    func encode(into w: inout ByteWriter, canonical: Bool) {
        w.writeZigZag(horizon.millisecondsSinceEpoch)
        w.writeVarint(UInt64(events.count))
        func putEntry(_ id: StableHash, _ entry: Entry) {
            // Key (8 + 8), the digest's bits (8), 4 zero bytes, the week (4).
            var words = (
                id.high.littleEndian, id.low.littleEndian, (entry.digestBits << Entry.weekBits).littleEndian,
                (UInt64(UInt32(bitPattern: Int32(entry.week))) << 32).littleEndian
            )
            withUnsafeBytes(of: &words) { w.bytes.append(contentsOf: $0) }
            w.spillIfFull()
        }
        if canonical {
            for id in events.keys.sorted(by: Self.hashOrder) { putEntry(id, events[id]!) }
        } else {
            events.forEach(putEntry)
        }
        w.writeVarint(UInt64(obligations.count))
        func putKey(_ k: StableHash, _: Void) {
            var words = (k.high.littleEndian, k.low.littleEndian)
            withUnsafeBytes(of: &words) { w.bytes.append(contentsOf: $0) }
            w.spillIfFull()
        }
        if canonical {
            for k in obligations.keys.sorted(by: Self.hashOrder) { putKey(k, ()) }
        } else {
            // In table order, without a copy of the keys first (tens of MB, fresh pages each
            // checkpoint: 4k of an r30k ingest's page faults).
            obligations.forEach(putKey)
        }
    }

    /// Reads what ``encode(into:canonical:)`` wrote.
    static func decode(from r: inout ByteReader, window: Int64) throws -> IntakeIndex {
        var index = IntakeIndex(window: window)
        index.horizon = Instant(millisecondsSinceEpoch: try r.readZigZag())
        let count = try r.readCount(atMost: r.remaining / entryBytes)
        index.events = HashTable<Entry>(capacity: count, empty: .filler)
        let entries = try r.readBytes(count: count * entryBytes)
        for k in 0..<count {
            let at = k * entryBytes
            func u64(_ o: Int) -> UInt64 {
                UInt64(littleEndian: entries.loadUnaligned(fromByteOffset: at + o, as: UInt64.self))
            }
            let entry = Entry(
                digestBits: u64(16) >> Entry.weekBits,
                week: Int64(Int32(littleEndian: entries.loadUnaligned(fromByteOffset: at + 28, as: Int32.self))))
            index.events.updateValue(entry, forKey: StableHash(high: u64(0), low: u64(8)))
        }
        let obligationCount = try r.readCount(atMost: r.remaining / obligationBytes)
        index.obligations = HashTable<Void>(capacity: obligationCount)
        let keys = try r.readBytes(count: obligationCount * obligationBytes)
        for k in 0..<obligationCount {
            let at = k * obligationBytes
            index.obligations.insertIfAbsent(
                (),
                forKey: StableHash(
                    high: UInt64(littleEndian: keys.loadUnaligned(fromByteOffset: at, as: UInt64.self)),
                    low: UInt64(littleEndian: keys.loadUnaligned(fromByteOffset: at + 8, as: UInt64.self))))
        }
        return index
    }

    static func hashOrder(_ a: StableHash, _ b: StableHash) -> Bool { (a.high, a.low) < (b.high, b.low) }
}

extension HashTable {
    /// Starts loading the home slot of `key` and the slots after it into the cache, so that a
    /// lookup of it a little later does not wait for memory. The 128 bytes from the home slot
    /// (two or three lines): a lookup of a new key (most are) walks the run of taken slots from
    /// its home, three or four slots at the tables' usual 47–70% load. Four lines (256 bytes)
    /// were asked for until session 33: every event then had some fifteen lines on their way,
    /// and the look-ahead stalled on its own hints (the r30k ingest's engine thread 2–12% and
    /// its wall time 4–8% slower in three alternations; the replay 6%).
    @inline(__always)
    func prefetch(_ key: StableHash) {
        ccrc32c_prefetch_bytes(homeAddress(key), 128)
    }
}
