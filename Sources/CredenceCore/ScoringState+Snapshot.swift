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

    /// How much of a state the close asks for ahead: its first four lines, the header and the
    /// sections a feature reads first; the hardware's own prefetcher follows a walk past them.
    static let statePrefetchBytes = 256

    /// The snapshot of `month` and, for each entry, the user's slot.
    ///
    /// - Parameter parts: how many runs to cut the users into; `nil`: one per active core,
    ///   none smaller than ``usersPerScoringPart``.
    mutating func scored(_ month: Month, model: Scorecard, parts: Int? = nil) -> (snapshot: Snapshot, slots: [Int32]) {
        table.mergeNew()
        let t = month.end(offset: configuration.offset)
        let sorted = table.sorted
        let count = sorted.count
        let n = max(
            1,
            min(
                parts ?? ProcessInfo.processInfo.activeProcessorCount,
                parts == nil ? count / Self.usersPerScoringPart : count))
        let table = self.table
        @Sendable func score(_ range: Range<Int>) -> (entries: [SnapshotEntry], slots: [Int32]) {
            var entries = [SnapshotEntry]()
            var slots = [Int32]()
            entries.reserveCapacity(range.count)
            slots.reserveCapacity(range.count)
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
                entries.append(
                    SnapshotEntry(userID: table.ids[Int(slot)], score: r.score, reasons: r.reasons, features: f))
                slots.append(slot)
            }
            return (entries, slots)
        }
        let snapshot: (entries: [SnapshotEntry], slots: [Int32])
        if n == 1 {
            snapshot = score(0..<count)
        } else {
            let results = Mutex<[(entries: [SnapshotEntry], slots: [Int32])?]>(Array(repeating: nil, count: n))
            DispatchQueue.concurrentPerform(iterations: n) { part in
                let range = (count * part / n)..<(count * (part + 1) / n)
                let result = score(range)
                results.withLock { $0[part] = result }
            }
            let runs = results.withLock { $0 }
            var entries = [SnapshotEntry]()
            var slots = [Int32]()
            entries.reserveCapacity(count)
            slots.reserveCapacity(count)
            for run in runs {
                entries.append(contentsOf: run!.entries)
                slots.append(contentsOf: run!.slots)
            }
            snapshot = (entries, slots)
        }
        return (Snapshot(month: month, modelVersion: model.modelVersion, entries: snapshot.entries), snapshot.slots)
    }
}
