import CredenceCore
import Shredding

/// The intake indexes a replay rebuilds, rebuilt by the log's reader (on the replay stage's
/// thread with parallel decoding, while the engine applies events to the state): the duplicate
/// check and obligation keys (``IntakeIndex``), each live subject's record LSNs (``RecordLists``)
/// and the sources (``SourceTable``).
///
/// None of them is read while the log is replayed, and none depends on the state: only on the
/// records, in log order, of committed batches. So they move to the reader when a replay starts
/// and back to the engine when it ends, and in between this type rebuilds them as live intake
/// built them (a replay rebuilds the live state byte for byte: `ParallelIngestTests`):
///
/// - a batch's records wait until its commit record; those before the batch's first LSN
///   (orphans of a batch a crash cut short) are dropped;
/// - each event or tombstone header is noted in its source, the duplicate window (not a re-keyed
///   copy, which the live run does not accept again) and, when it opens one, the obligation
///   keys; its LSN joins its subject's list when the subject's key exists (the stage's key
///   snapshot: see ``ReplayStage``);
/// - after each batch the duplicate window is swept with the largest event time seen so far,
///   which is the state's own `maxSeen`: every header the engine indexes, it also observes. The
///   window's ids wait in week buckets until the log's end (``ReplayWindow``, ``finish()``).
struct ReplayIndexes: Sendable {
    /// The duplicate window and the obligation keys. While the replay reads, the ids it accepts
    /// wait in `window` (``ReplayWindow``): the table holds them only after ``finish()``.
    private(set) var intake: IntakeIndex
    private var window = ReplayWindow()
    var records: RecordLists
    var sources: SourceTable
    /// The largest event time of every header noted so far (and of the state it started from).
    private(set) var maxSeen: Instant?
    /// The open batch's records, in log order.
    private var open: [Pending] = []
    /// The names of the open batch's source records (`Pending.source`'s `nameIndex`), so that a
    /// `Pending` holds no reference: copying one is a plain copy, not an outlined one per record
    /// (2.1% of a replay's samples when it held the `String`).
    private var openNames: [String] = []

    private enum Pending: Sendable {
        case header(lsn: UInt64, EngineRecord.EventHeader, hasKey: Bool)
        case source(lsn: UInt64, id: UInt64, nameIndex: Int)
    }

    init(intake: IntakeIndex, records: RecordLists, sources: SourceTable, maxSeen: Instant?) {
        self.intake = intake
        self.records = records
        self.sources = sources
        self.maxSeen = maxSeen
        open.reserveCapacity(8_192)
    }

    /// An event or tombstone record; `hasKey`: its subject's key exists.
    mutating func note(_ header: EngineRecord.EventHeader, lsn: UInt64, hasKey: Bool) {
        open.append(.header(lsn: lsn, header, hasKey: hasKey))
    }

    /// A record naming a source.
    mutating func noteSource(id: UInt64, name: String, lsn: UInt64) {
        open.append(.source(lsn: lsn, id: id, nameIndex: openNames.count))
        openNames.append(name)
    }

    /// How many records ahead of the one being indexed its tables' lines are asked for: the
    /// duplicate table and the subjects' lists are larger than the cache, and their first touch
    /// was a miss to memory for most records (``commit(first:)`` was 6.6% of a replay's samples,
    /// the lists' `isUniquelyReferenced` another 3%). A subject's entry in the lists, which
    /// finding its list reads, is asked for twice as far ahead.
    static let prefetchDistance = 8

    /// A commit record: indexes the batch's records from `first` on, then sweeps the window.
    mutating func commit(first: UInt64) {
        let batch = open
        for (i, pending) in batch.enumerated() {
            if i + 2 * Self.prefetchDistance < batch.count,
                case .header(_, let ahead, let hasKey) = batch[i + 2 * Self.prefetchDistance],
                ahead.subject != 0, hasKey
            {
                records.prefetchEntry(Int(ahead.subject))
            }
            if i + Self.prefetchDistance < batch.count,
                case .header(_, let ahead, let hasKey) = batch[i + Self.prefetchDistance]
            {
                if let k = ahead.obligationKey { intake.prefetch(obligationKey: k) }
                if ahead.subject != 0, hasKey { records.prefetch(Int(ahead.subject)) }
            }
            // The end of the list, where the append writes, found from the header asked for above.
            if i + Self.prefetchDistance / 2 < batch.count,
                case .header(_, let ahead, let hasKey) = batch[i + Self.prefetchDistance / 2],
                ahead.subject != 0, hasKey
            {
                records.prefetchEnd(Int(ahead.subject))
            }
            switch pending {
            case .header(let lsn, let h, let hasKey):
                guard lsn >= first else { continue }
                if h.sourceID != 0 { sources.note(h.position, at: h.occurredAt, of: h.sourceID) }
                // A re-keyed copy of an erasure is not accepted again: the live run appends it
                // without the check. Its original's id is usually still in the window; when it
                // had left (an event after a withdrawal that arrived weeks late), the replay
                // used to put the copy's id back until the next sweep, where the live run had not.
                if !h.isCopy { window.accept(h.eventIDHash, digest: h.digest, at: h.occurredAt, lsn: lsn) }
                if let k = h.obligationKey { intake.open(k) }
                if h.subject != 0, hasKey { records.append(lsn, of: Int(h.subject)) }
                if maxSeen.map({ h.occurredAt > $0 }) ?? true { maxSeen = h.occurredAt }
            case .source(let lsn, let id, let nameIndex):
                guard lsn >= first else { continue }
                sources.name(id, openNames[nameIndex])
            }
        }
        open.removeAll(keepingCapacity: true)
        openNames.removeAll()
        if let week = intake.sweepWeek(maxSeen: maxSeen) { window.sweep(below: week) }
    }

    /// The end of the log: the ids the replay accepted join the duplicate window's table, which
    /// then holds what the live run's did (``ReplayWindow``). Ids of batches committed after it
    /// wait for the next call.
    mutating func finish() {
        var window = ReplayWindow()
        swap(&window, &self.window)
        window.finish(into: &intake)
    }
}
