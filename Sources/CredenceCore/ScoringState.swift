/// How events become snapshots: the scoring zone and the allowed lateness.
public struct ScoringConfiguration: Sendable, Hashable {
    /// The fixed UTC offset that defines months. Default: `+08:00`.
    public var offset: UTCOffset = .beijing
    /// How far behind the largest event time seen an event may be and still count in its month.
    /// Default: 48 hours.
    public var allowedLatenessMilliseconds: Int64 = 48 * 3_600_000

    public init(offset: UTCOffset = .beijing, allowedLatenessMilliseconds: Int64 = 48 * 3_600_000) {
        self.offset = offset
        self.allowedLatenessMilliseconds = allowedLatenessMilliseconds
    }
}

/// Every user's state, the watermark and which months have closed: the pure core of scoring.
///
/// Feed accepted events in log order with ``accept(_:)``; when it answers `.rebuildRequired`,
/// call ``rebuild(userID:erasureCut:survivors:)`` with the user's accepted events after the cut.
/// Then close what ``monthsReadyToClose(watermark:)`` lists. The same log order gives the
/// same snapshots, which is what makes replay reproduce the live run byte for byte.
public struct ScoringState: Sendable {
    public let configuration: ScoringConfiguration
    /// Every user's state and last closed score, by slot.
    @usableFromInline var table: UserTable
    /// The erasure cut of every user who has one, by slot: what intake asks per event, kept
    /// beside the states so that it can be answered while a shard is lent.
    @usableFromInline var erasureCuts: [Int32: Instant] = [:]
    /// One bit per slot, set for the slots in `erasureCuts`: most events' users have no cut,
    /// and a bit answers them without hashing.
    @usableFromInline var hasErasureCut: [UInt64] = []
    /// The largest `occurred_at` of any accepted event, erased ones included.
    public internal(set) var maxSeen: Instant?
    /// The smallest `occurred_at` of any accepted event: months run from its month.
    public internal(set) var minSeen: Instant?
    /// Months closed so far, ascending.
    public internal(set) var closedMonths: [Month] = []
    /// The end of the earliest month not closed yet, when months have closed in order from the
    /// first one: no month closes while the watermark is before it. `nil`: scan.
    @usableFromInline private(set) var closeHorizon: Instant? = nil
    /// The end of the latest closed month (`nil` while none is closed): no instant at or after it
    /// falls in a closed month, so ``isClosed(monthOf:)`` answers most events without a scan.
    @usableFromInline private(set) var closedEnd: Instant? = nil

    /// - Parameter shards: how many shards the users' states are kept in (``lendShard(_:)``);
    ///   what the state answers does not depend on it.
    public init(configuration: ScoringConfiguration = ScoringConfiguration(), shards: Int = 1) {
        self.configuration = configuration
        self.table = UserTable(shards: shards)
    }

    /// The watermark of a single ordered input: the largest event time seen minus the allowed lateness.
    @inlinable
    public var watermark: Instant? {
        maxSeen.map { $0.adding(milliseconds: -configuration.allowedLatenessMilliseconds) }
    }

    /// Applies an accepted event.
    public mutating func accept(_ event: Event) -> UserState.ApplyResult {
        accept(event, atSlot: table.slot(for: event.userID))
    }

    /// Applies an accepted event of the user in `slot` (``slot(for:)``), for a caller that has
    /// looked the user up already: the id is not hashed again.
    public mutating func accept(_ event: Event, atSlot slot: Int) -> UserState.ApplyResult {
        assert(table.ids[slot] == event.userID, "slot \(slot) is not user \(event.userID)'s")
        observe(event.occurredAt)
        // The arrays themselves, not the table's subscript: the event's path as it was before
        // shards (the state's `apply` inlined here, no accessor between).
        let (k, l) = table.place(ofSlot: slot)
        return table.shardStates[k][l].apply(event, offset: configuration.offset)
    }

    /// ``accept(_:atSlot:)`` of an event given as what the scoring reads of it, its spans in
    /// `bytes`: a replay's (``ScoredEvent``).
    public mutating func accept(_ event: ScoredEvent, bytes: UnsafeRawPointer, atSlot slot: Int)
        -> UserState.ApplyResult
    {
        observe(event.occurredAt)
        let (k, l) = table.place(ofSlot: slot)
        return table.shardStates[k][l].apply(event, key: event.key.bytes(in: bytes), offset: configuration.offset)
    }

    // MARK: - Shards

    /// How many shards the users' states are kept in.
    public var shardCount: Int { table.shardCount }

    /// The shard of the user in `slot` and their index in it: what the thread that applies
    /// the shard's events (``lendShard(_:)``) indexes its states by.
    @inlinable
    public func place(ofSlot slot: Int) -> (shard: Int, local: Int) {
        table.place(ofSlot: slot)
    }

    /// Hands shard `k`'s states to a caller that applies its events elsewhere
    /// (``UserState/apply(_:offset:)`` on `states[local]`, adding an empty state for a local
    /// index not met yet); until ``returnShard(_:_:)``, users are still found and added and the
    /// watermark still moves, but no state of the shard is read: the caller takes every shard
    /// back before a close, a checkpoint, an erasure or any read of a state.
    package mutating func lendShard(_ k: Int) -> [UserState] {
        table.lendShard(k)
    }

    /// Takes back what ``lendShard(_:)`` lent, the events applied to it.
    package mutating func returnShard(_ k: Int, _ states: consuming [UserState]) {
        table.returnShard(k, states)
    }

    /// How many users have a state (erased ones included). Inlinable: a replay asks it before
    /// each fetch ahead, and the call copied the whole state struct to the stack first.
    @inlinable
    public var userCount: Int { table.count }

    /// The slot of a user who has a state: a dense index, stable for the state's life, for
    /// callers that keep something per user in an array beside it.
    ///
    /// The per-event reads (this, ``erasureCut(atSlot:)``, ``watermark``, ``monthsReadyToClose(watermark:)``'s
    /// common case) are inlinable: a caller that keeps the state in a class property then reads
    /// it in place, where a call into this module copied the whole struct (a retain and a release
    /// per array it holds) for every read.
    @inlinable
    public func slot(of userID: String) -> Int? {
        table.slot(of: userID)
    }

    /// The slot of a user, created with an empty state (one that scores nothing) for a new one.
    public mutating func slot(for userID: String) -> Int {
        table.slot(for: userID)
    }

    /// ``slot(of:)`` for an id whose ``StableHash`` is `hash` (worked out on another thread).
    @inlinable @inline(__always)
    package func slot(of userID: String, hash: StableHash) -> Int? {
        table.slot(of: userID, hash: hash)
    }

    /// ``slot(for:)`` for an id whose ``StableHash`` is `hash`.
    package mutating func slot(for userID: String, hash: StableHash) -> Int {
        table.slot(for: userID, hash: hash)
    }

    /// The slot of the user whose id's ``StableHash`` is `hash`, not checked against the id: the
    /// look-ahead's guess, for ``holds(_:atSlot:)`` to confirm once the id is at hand.
    @inlinable @inline(__always)
    package func candidateSlot(forHash hash: StableHash) -> Int? {
        table.candidateSlot(forHash: hash)
    }

    /// The address of the user index's home slot for `hash`, for a prefetch hint before
    /// ``candidateSlot(forHash:)``.
    @inlinable @inline(__always)
    package func userIndexAddress(forHash hash: StableHash) -> UnsafeRawPointer {
        table.index.homeAddress(hash)
    }

    /// Whether `slot` is the slot of `userID`. Always inlined, as the engine asks it for every
    /// event: a call copied the whole state struct (201 bytes) to the stack first.
    @inlinable @inline(__always)
    package func holds(_ userID: String, atSlot slot: Int) -> Bool {
        table.holds(userID, atSlot: slot)
    }

    /// Whether `slot` is the slot of the user whose id's UTF-8 is `userID`. Inlinable, as
    /// ``userID(atSlot:)`` is: a replay asks it for every event (and a call copied the whole state).
    @inlinable @inline(__always)
    package func holds(_ userID: UnsafeBufferPointer<UInt8>, atSlot slot: Int) -> Bool {
        // The id alone copied out, not the table (a call on it copied the whole table).
        var id = table.ids[slot]
        return id.withUTF8 { bytesEqual($0, userID) }
    }

    /// The address of the id kept for `slot`, for a prefetch hint before ``holds(_:atSlot:)``.
    @inlinable @inline(__always)
    package func userIDAddress(atSlot slot: Int) -> UnsafeRawPointer? {
        table.idAddress(atSlot: slot)
    }

    /// Every slot, in `user_id` byte order as of the last close or checkpoint (users added since
    /// come after, unsorted).
    package var slotsInByteOrder: [Int] {
        table.sorted.map(Int.init) + table.unsortedSlots.map(Int.init)
    }

    /// The id of the user in `slot`. Inlinable: a replay checks it for every event, and the
    /// call copied the state struct to the stack first.
    @inlinable @inline(__always)
    public func userID(atSlot slot: Int) -> String {
        table.ids[slot]
    }

    /// Where the packed state of the user in `slot` is kept, its array's header first
    /// (``UserState/storageAddress``: ask for ``UserState/headPrefetchBytes`` from it), for a
    /// prefetch hint only: it is not to be read through, and it moves when the state grows.
    @inlinable @inline(__always)
    public func stateAddress(atSlot slot: Int) -> UnsafeRawPointer? {
        table.stateAddress(atSlot: slot)
    }

    /// Where applying an event to the user in `slot` reads past their state's first line, for
    /// prefetch hints a step after ``stateAddress(atSlot:)``'s (``UserState/sectionAddresses(obligationBytes:)``).
    @inlinable @inline(__always)
    package func stateSections(atSlot slot: Int, obligationBytes: Int) -> (
        lastPayment: UnsafeRawPointer?, obligations: UnsafeRawBufferPointer
    ) {
        table.stateSections(atSlot: slot, obligationBytes: obligationBytes)
    }

    /// The address where the slot's state is found, for a prefetch hint a step before
    /// ``stateAddress(atSlot:)``'s (which reads it): the arrays by slot are larger than the cache.
    @inlinable @inline(__always)
    public func stateEntryAddress(atSlot slot: Int) -> UnsafeRawPointer? {
        table.stateEntryAddress(atSlot: slot)
    }

    /// The erasure cut of the user in `slot`. Always inlined, for the reason ``holds(_:atSlot:)``
    /// is.
    @inlinable @inline(__always)
    public func erasureCut(atSlot slot: Int) -> Instant? {
        let word = slot >> 6
        guard word < hasErasureCut.count, hasErasureCut[word] & (1 << UInt64(slot & 63)) != 0 else { return nil }
        return erasureCuts[Int32(slot)]
    }

    /// Notes the erasure cut of the user in `slot`.
    mutating func setErasureCut(_ cut: Instant, atSlot slot: Int) {
        erasureCuts[Int32(slot)] = cut
        let word = slot >> 6
        if word >= hasErasureCut.count {
            hasErasureCut.append(contentsOf: repeatElement(0, count: word + 1 - hasErasureCut.count))
        }
        hasErasureCut[word] |= 1 << UInt64(slot & 63)
    }

    /// A user's state, if they have one.
    public func user(_ userID: String) -> UserState? {
        table.slot(of: userID).map { table[state: $0] }
    }

    /// Approximate bytes the users take: their states, ids and last scores (``UserTable``).
    public var approximateUserBytes: Int { table.approximateBytes }

    /// Every user's state, in no particular order.
    public var userStates: [UserState] { table.allStates }

    /// Resets a user to the history after `erasureCut` and forgets their closed scores.
    ///
    /// - Returns: the `score.deleted` record to publish.
    public mutating func rebuild(userID: String, erasureCut: Instant, survivors: [Event]) -> ScoreChange {
        let slot = table.slot(for: userID)
        table[state: slot] = rebuiltState(userID: userID, erasureCut: erasureCut, survivors: survivors)
        return noteRebuild(userID: userID, erasureCut: erasureCut, atSlot: slot)
    }

    /// What ``rebuild(userID:erasureCut:survivors:)`` sets the user's state to: for a caller
    /// whose shard of the state is lent, that hands it to the shard's thread and calls
    /// ``noteRebuild(userID:erasureCut:atSlot:)``.
    public func rebuiltState(userID: String, erasureCut: Instant, survivors: [Event]) -> UserState {
        var state = UserState(erasureCut: erasureCut)
        for e in survivors where e.userID == userID {
            if case .rebuildRequired = state.apply(e, offset: configuration.offset) {
                // A survivor is after the cut, so a withdrawal among them would have moved the cut
                // further: the caller passes survivors of the final cut only.
                continue
            }
        }
        return state
    }

    /// The rest of a rebuild, beside the user's state: their erasure cut, and their closed
    /// scores forgotten.
    ///
    /// - Returns: the `score.deleted` record to publish.
    public mutating func noteRebuild(userID: String, erasureCut: Instant, atSlot slot: Int) -> ScoreChange {
        setErasureCut(erasureCut, atSlot: slot)
        table.lastScores[slot] = .none
        return .deleted(userID: userID, cut: erasureCut)
    }

    /// The erasure cut of a user, if any.
    public func erasureCut(of userID: String) -> Instant? {
        table.slot(of: userID).flatMap { erasureCut(atSlot: $0) }
    }

    /// The first month of the range (the month of the earliest accepted event).
    public var firstMonth: Month? {
        minSeen.map { Month(containing: $0, offset: configuration.offset) }
    }

    /// Months not yet closed whose end is at or before `watermark` (SCORING.md section 5;
    /// "passes" read as `watermark >= end(M)`, as a window fires in Flink). Always inlined: the
    /// engine asks it after every event, and a call copied the whole state struct first.
    @inlinable @inline(__always)
    public func monthsReadyToClose(watermark: Instant?) -> [Month] {
        guard let watermark else { return [] }
        // The common case, once per event: the earliest month not closed yet still runs.
        if let horizon = closeHorizon, watermark < horizon { return [] }
        return monthsToClose(through: watermark)
    }

    /// ``monthsReadyToClose(watermark:)`` past its common case: a scan of the range.
    @usableFromInline
    func monthsToClose(through watermark: Instant) -> [Month] {
        guard let first = firstMonth else { return [] }
        var result = [Month]()
        var m = first
        var closedIndex = 0
        while m.end(offset: configuration.offset) <= watermark {
            while closedIndex < closedMonths.count, closedMonths[closedIndex] < m { closedIndex += 1 }
            if closedIndex == closedMonths.count || closedMonths[closedIndex] != m { result.append(m) }
            m = m.advanced(by: 1)
        }
        return result
    }

    /// Recomputes `closeHorizon` after the range or the closed months changed (months close in
    /// order, so the earliest open month is usually the one after the last closed).
    mutating func refreshCloseHorizon() {
        closedEnd = closedMonths.last?.end(offset: configuration.offset)
        guard let first = firstMonth else {
            closeHorizon = nil
            return
        }
        guard let last = closedMonths.last, last >= first else {
            closeHorizon = first.end(offset: configuration.offset)
            return
        }
        let contiguous = closedMonths.count == Int(last.index - first.index) + 1 && closedMonths.first == first
        closeHorizon = contiguous ? last.advanced(by: 1).end(offset: configuration.offset) : nil  // a gap: scan
    }

    /// At the end of a batch input, every month whose end is at or before the largest event time closes.
    public func monthsToCloseAtEndOfInput() -> [Month] {
        monthsReadyToClose(watermark: maxSeen)
    }

    public func isClosed(_ month: Month) -> Bool {
        closedMonths.contains(month)
    }

    /// Whether the month that `instant` falls in (in the configured offset) is closed: a late event.
    ///
    /// Inlinable, asked of every event applied: an event after the latest closed month answers
    /// `false` without working out its month or scanning the closed ones. Always inlined: a call
    /// copied the whole state struct (201 bytes) first.
    @inlinable @inline(__always)
    public func isClosed(monthOf instant: Instant) -> Bool {
        guard let end = closedEnd else { return false }
        if instant >= end { return false }
        return isClosed(Month(containing: instant, offset: configuration.offset))
    }

    /// Computes the snapshot of `month` from the current state and records it as closed.
    ///
    /// Calling it again for a closed month recomputes it from the current state (a restatement).
    /// - Returns: the snapshot and the `score.changed` records of users whose score differs from
    ///   their previous snapshot's (none for a restatement).
    public mutating func close(_ month: Month, model: Scorecard) -> (snapshot: Snapshot, changes: [ScoreChanged]) {
        let restatement = isClosed(month)
        let (snapshot, slots) = scored(month, model: model)
        var changes = [ScoreChanged]()
        if !restatement {
            let i = closedMonths.firstIndex(where: { $0 > month }) ?? closedMonths.endIndex
            closedMonths.insert(month, at: i)
            refreshCloseHorizon()
            changes.reserveCapacity(snapshot.entries.count)
            for (k, e) in snapshot.entries.enumerated() {
                let slot = Int(slots[k])
                let last = table.lastScores[slot].value
                if let last, last.month > month { continue }  // a month closed out of order: newer one stands
                if last?.score != e.score {
                    changes.append(
                        ScoreChanged(
                            userID: e.userID, month: month, score: e.score, previous: last,
                            modelVersion: model.modelVersion, reasons: e.reasons))
                }
                table.lastScores[slot] = UserTable.LastScore(month: month.index, score: e.score)
            }
        }
        return (snapshot, changes)
    }

    /// The snapshot of `month` as of `end(month)` from the current state, without closing it.
    public mutating func computeSnapshot(_ month: Month, model: Scorecard) -> Snapshot {
        scored(month, model: model).snapshot
    }

    /// A user's score as of any instant (the "provisional" score), or `nil` when not scored then.
    public func provisional(userID: String, asOf t: Instant, model: Scorecard) -> (SnapshotEntry, Scorecard.Result)? {
        guard let state = user(userID), state.isScored(asOf: t) else { return nil }
        let month = Month(containing: t.adding(milliseconds: -1), offset: configuration.offset)
        let f = state.features(asOf: t, month: month)
        let r = model.score(f)
        return (SnapshotEntry(userID: userID, score: r.score, reasons: r.reasons, features: f), r)
    }

    /// Drops state no future snapshot, nor a restatement, can see: called after closing months.
    ///
    /// What the last `restatableMonths` closed months need stays, so that restating one of them
    /// (an operator's restatement, a Kafka takeover) sees exactly what a first close would have.
    public mutating func compact(restatableMonths: Int32 = 24) {
        guard let last = closedMonths.last else { return }
        let keep = last.advanced(by: 1 - max(restatableMonths, 0))
        let offset = configuration.offset
        table.forEachState { $0.compact(keeping: keep, offset: offset) }
    }

    /// Byte order of UTF-8, as the export's sort requires.
    @inlinable
    public static func byteOrder(_ a: String, _ b: String) -> Bool {
        a.utf8.lexicographicallyPrecedes(b.utf8)
    }
}

extension ScoringState {
    /// Counts the time of an accepted event that no longer counts (erased): it still decides the
    /// month range and the watermark (SCORING.md section 4, "Erasure does not change which months exist").
    public mutating func observe(_ at: Instant) {
        if maxSeen.map({ at > $0 }) ?? true { maxSeen = at }
        if minSeen.map({ at < $0 }) ?? true {
            minSeen = at
            refreshCloseHorizon()  // the range may start earlier now
        }
    }
}
