import CredenceCore

/// The ids a replay accepts into the duplicate window, held in week buckets of event time until
/// the replay ends and only then put into the window's table (``ReplayIndexes``).
///
/// A live run checks every event against the table, so it must keep it current. A replay reads
/// it nowhere: it only has to end with the table the live run ended with. Yet it inserted every
/// logged id into the table, a miss to memory each, and swept the table once a week of event
/// time, a walk of all of it: about 40% of the replay's reader, for ids almost all of which the
/// sweeps then dropped (at r30k, 33 months of ids for the last 6 weeks' worth).
///
/// Here an id goes to the bucket of its entry's week (an append), a sweep drops whole buckets,
/// and ``finish(into:)`` sweeps the ids the table held before once, with the last sweep's week,
/// then inserts the surviving buckets' ids in log order. The result is the live run's contents:
///
/// - An id is dropped by the first sweep after its acceptance whose week is past its own, here as
///   in the table: the bucket is dropped by that same sweep. The sweeps' weeks never go back, so
///   an id the table held before the replay survives exactly when the last sweep's week is not
///   past its own.
/// - Every logged id was absent from the window when it was logged: the live run accepts an
///   event only after looking its id up (a re-keyed copy of an erasure is not accepted again:
///   see ``ReplayIndexes``). So no id is held twice, and the order of the inserts changes only
///   where each lands in the table (its slot order), never what the table holds. They are still
///   inserted in log order, the first one standing, as the table's own `insertIfAbsent` would.
///
/// The table's slots may lie in another order than the live run's (its inserts interleaved with
/// sweeps and growth): a checkpoint's bytes for the window are then a permutation of the live
/// run's, and its canonical form (``IntakeIndex/encode(into:canonical:)``) is the same.
struct ReplayWindow: Sendable {
    /// An accepted id, its entry and its record's LSN (the log order the inserts keep).
    struct Accepted: Sendable {
        var high: UInt64
        var low: UInt64
        var entry: IntakeIndex.Entry
        var lsn: UInt64
    }

    private struct Bucket: Sendable {
        let week: Int64
        var ids: [Accepted]
    }

    /// A handful of buckets: the window's weeks (six at 35 days) and one more, plus any week a
    /// late event opened below the sweep's week until the next sweep.
    private var buckets: [Bucket] = []
    /// The bucket the last id went to: events come mostly in time order.
    private var last = 0
    /// The largest week a sweep dropped ids below, if any sweep ran.
    private(set) var sweptBelow: Int64? = nil
    /// A dropped bucket's array, emptied, for the next week's ids: a week of a million users'
    /// ids is tens of MB, and a new array for each took a page fault for each of its pages.
    private var spare: [Accepted] = []

    init() {}

    /// How many ids are held.
    var count: Int { buckets.reduce(0) { $0 + $1.ids.count } }

    /// Holds an accepted id until ``finish(into:)``.
    mutating func accept(_ id: StableHash, digest: ContentDigest, at: Instant, lsn: UInt64) {
        let entry = IntakeIndex.Entry(digest: digest, at: at)
        let item = Accepted(high: id.high, low: id.low, entry: entry, lsn: lsn)
        let week = entry.week
        if last < buckets.count, buckets[last].week == week {
            buckets[last].ids.append(item)
            return
        }
        if let b = buckets.firstIndex(where: { $0.week == week }) {
            last = b
        } else {
            // A dropped bucket's pages, or sized as the bucket before, so that a week's appends
            // do not copy it several times over.
            var ids: [Accepted] = []
            swap(&ids, &spare)
            ids.reserveCapacity(buckets.last.map { $0.ids.count } ?? 0)
            buckets.append(Bucket(week: week, ids: ids))
            last = buckets.count - 1
        }
        buckets[last].ids.append(item)
    }

    /// A sweep of the window: the ids of the weeks before `week` are dropped (see
    /// ``IntakeIndex/sweepWeek(maxSeen:)``).
    mutating func sweep(below week: Int64) {
        for b in buckets.indices where buckets[b].week < week && buckets[b].ids.capacity > spare.capacity {
            swap(&spare, &buckets[b].ids)
            spare.removeAll(keepingCapacity: true)
        }
        buckets.removeAll { $0.week < week }
        last = 0
        sweptBelow = max(sweptBelow ?? week, week)
    }

    /// Puts the held ids into `index`: sweeps what it held before with the last sweep's week, then
    /// inserts the ids still held, in log order.
    consuming func finish(into index: inout IntakeIndex) {
        spare = []
        if let sweptBelow { index.removeIDs(before: sweptBelow) }
        index.reserveIDs(index.events.count + count)
        // A merge of the buckets by LSN: each is in log order already.
        var heads = [Int](repeating: 0, count: buckets.count)
        while true {
            // The bucket whose next id comes first, and where the next of any other bucket is:
            // runs of one bucket are long (a week's events come together), taken whole.
            var next = -1
            var nextLSN = UInt64.max
            var bound = UInt64.max
            for b in buckets.indices where heads[b] < buckets[b].ids.count {
                let lsn = buckets[b].ids[heads[b]].lsn
                if lsn < nextLSN {
                    bound = nextLSN
                    nextLSN = lsn
                    next = b
                } else if lsn < bound {
                    bound = lsn
                }
            }
            guard next >= 0 else { break }
            var end = heads[next] + 1
            let ids = buckets[next].ids
            while end < ids.count, ids[end].lsn < bound { end += 1 }
            for k in heads[next]..<end {
                // Random slots of a table larger than the cache: asked for a few ids ahead.
                if k + 8 < end { index.prefetch(id: StableHash(high: ids[k + 8].high, low: ids[k + 8].low)) }
                let a = ids[k]
                index.insert(a.entry, forID: StableHash(high: a.high, low: a.low))
            }
            heads[next] = end
            if end == ids.count { buckets[next].ids = [] }
        }
    }
}
