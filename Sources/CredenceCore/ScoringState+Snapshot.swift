internal import CCRC32C
import Foundation
import Synchronization

/// Computing a month's snapshot on every core.
///
/// A user's features and score as of `end(month)` depend on that user's state alone, so the
/// users in byte order are cut into contiguous runs, each run scored on a thread of its own,
/// and the runs' entries joined in order: the same entries, in the same order, as one thread
/// computes (`ScoringStateSnapshotTests` holds every split to the one-thread result).
extension ScoringState {
    /// Below this many users a month is scored on the calling thread: handing work to other
    /// threads costs more than it saves. A user costs about 3 µs to score and a hand-over tens
    /// of µs, so a part of 4,096 users (about 12 ms) is well past even; at 16,384, a month of
    /// 30k users was scored on one thread, 7% of an r30k ingest's engine thread.
    static let usersPerScoringPart = 4096

    /// How many users ahead the close's scoring asks for a user's state (``scored(_:model:parts:)``).
    static let prefetchDistance = 8

    /// How much of a state the close asks for ahead, from ``UserState/storageAddress``: its
    /// array's header (``ArrayHeader``) and its first four lines, with the packed header and the
    /// sections a feature reads first; the hardware's own prefetcher follows a walk past them.
    static let statePrefetchBytes = ArrayHeader.bytes + 256

    /// The snapshot of `month` and, for each entry, the user's slot.
    ///
    /// - Parameter parts: how many runs to cut the users into; `nil`: one per active core,
    ///   none smaller than ``usersPerScoringPart``.
    mutating func scored(_ month: Month, model: Scorecard, parts: Int? = nil) -> (snapshot: Snapshot, slots: [Int32]) {
        table.mergeNew()
        let t = month.end(offset: configuration.offset)
        let sorted = table.sorted
        let count = sorted.count
        if count == 0 { return (Snapshot(month: month, modelVersion: model.modelVersion, entries: []), []) }
        let n = max(
            1,
            min(
                parts ?? ProcessInfo.processInfo.activeProcessorCount,
                parts == nil ? count / Self.usersPerScoringPart : count))
        let table = self.table
        /// Scores `range`'s users into `out` from its start; returns how many were scored.
        @Sendable func score(_ range: Range<Int>, into out: Output) -> Int {
            var k = 0
            // The users go by in id order, so each state is somewhere else in memory: its slot's
            // entry is asked for 16 users ahead and its first lines 8 (``prefetchDistance``), as
            // the engine's look-ahead does for an event.
            let d = Self.prefetchDistance
            for i in range {
                if i + 2 * d < range.upperBound, let address = table.stateEntryAddress(atSlot: Int(sorted[i + 2 * d])) {
                    ccrc32c_prefetch(address)
                }
                if i + d < range.upperBound, let address = table.stateAddress(atSlot: Int(sorted[i + d])) {
                    ccrc32c_prefetch_bytes(address, Self.statePrefetchBytes)
                }
                let slot = sorted[i]
                let state = table[state: Int(slot)]
                guard state.isScored(asOf: t) else { continue }
                let f = state.features(asOf: t, month: month)
                let r = model.score(f)
                (out.entries + k).initialize(
                    to: SnapshotEntry(userID: table.ids[Int(slot)], score: r.score, reasons: r.reasons, features: f))
                (out.slots + k).initialize(to: slot)
                k += 1
            }
            return k
        }
        // Each run writes its entries where its users start in one array of them all, and the
        // runs are then moved together: joined by copying them into a new array, each entry's
        // reasons were retained and released once more and a month of a million users (about
        // 200 MB) took fresh pages twice.
        var slots: [Int32] = []
        let entries = [SnapshotEntry](unsafeUninitializedCapacity: count) { entryBuffer, initialized in
            HugePages.advise(UnsafeMutableRawBufferPointer(entryBuffer))
            slots = [Int32](unsafeUninitializedCapacity: count) { slotBuffer, slotCount in
                let out = Output(entries: entryBuffer.baseAddress!, slots: slotBuffer.baseAddress!)
                let ranges = (0..<n).map { part in (count * part / n)..<(count * (part + 1) / n) }
                let counts = Mutex([Int](repeating: 0, count: n))
                if n == 1 {
                    counts.withLock { $0[0] = score(ranges[0], into: out) }
                } else {
                    DispatchQueue.concurrentPerform(iterations: n) { part in
                        let scored = score(ranges[part], into: out.advanced(by: ranges[part].lowerBound))
                        counts.withLock { $0[part] = scored }
                    }
                }
                var total = 0
                for (part, scored) in counts.withLock({ $0 }).enumerated() {
                    let from = ranges[part].lowerBound
                    if from != total {
                        (out.entries + total).moveInitialize(from: out.entries + from, count: scored)
                        (out.slots + total).moveInitialize(from: out.slots + from, count: scored)
                    }
                    total += scored
                }
                slotCount = total
                initialized = total
            }
        }
        let snapshot = (entries: entries, slots: slots)
        return (Snapshot(month: month, modelVersion: model.modelVersion, entries: snapshot.entries), snapshot.slots)
    }
}

extension ScoringState {
    /// Where a run of the close's scoring writes its entries and their slots: its part of one
    /// array of each (``scored(_:model:parts:)``).
    ///
    /// `@unchecked Sendable`: two raw pointers into buffers that outlive every run, and each run
    /// writes only its own users' range of them (the runs' ranges do not overlap); the caller
    /// reads them only after all runs have returned.
    struct Output: @unchecked Sendable {
        let entries: UnsafeMutablePointer<SnapshotEntry>
        let slots: UnsafeMutablePointer<Int32>

        func advanced(by n: Int) -> Output { Output(entries: entries + n, slots: slots + n) }
    }
}
