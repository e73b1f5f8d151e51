import CredenceCore
import Synchronization

/// Each live subject's record LSNs (``RecordLists``) where two threads reach them.
///
/// With the log writer's thread running (``LogWriterStage``), the writer notes every sealed
/// event record (an event, or a copy an erasure re-keys) once it has appended it, under the LSN
/// the log gave it and the subject it is sealed for: one lock per chunk of records, and no work
/// on the engine's thread per event. A checkpoint reads the lists only when the writer has
/// answered a `sync`, so it sees every record handed over before. An erasure reads its user's
/// list while the writer may still be noting the records of the open batch: it keeps only the
/// committed LSNs (the batch before has answered its `sync`), finds the open batch's records in
/// the batch itself, and the list is dropped once the batch is durable (``drop(_:)``). Without
/// the writer (a one-thread engine, or a replay before the writer starts) the engine notes them
/// itself, in the same LSN order, so the lists are the same either way (`ParallelIngestTests`
/// compares the states byte for byte).
final class SharedRecordLists: Sendable {
    private let lists = Mutex(RecordLists())

    init() {}

    /// Notes one record of `subject`.
    func append(_ lsn: UInt64, of subject: UInt64) {
        lists.withLock { $0.append(lsn, of: Int(subject)) }
    }

    /// Notes records, in the order given. Each subject's entry in the lists is asked for sixteen
    /// records ahead, the list it points at eight, and the list's end four: their first touches
    /// were misses to memory for most records (a third of the log writer's samples in the r30k
    /// ingest).
    func append(_ records: [(lsn: UInt64, subject: UInt64)]) {
        guard !records.isEmpty else { return }
        let distance = 8  // as in the engine's look-ahead (16 did no better)
        lists.withLock { lists in
            for i in records.indices {
                if i + 2 * distance < records.count { lists.prefetchEntry(Int(records[i + 2 * distance].subject)) }
                if i + distance < records.count { lists.prefetch(Int(records[i + distance].subject)) }
                if i + distance / 2 < records.count { lists.prefetchEnd(Int(records[i + distance / 2].subject)) }
                lists.append(records[i].lsn, of: Int(records[i].subject))
            }
        }
    }

    /// A subject's LSNs, in the order noted so far.
    func lsns(of subject: UInt64) -> [UInt64] {
        lists.withLock { $0.lsns(of: Int(subject)) }
    }

    /// Forgets the lists of `subjects` (erased subjects, once their batch is durable).
    func drop(_ subjects: [UInt64]) {
        guard !subjects.isEmpty else { return }
        lists.withLock { lists in
            for s in subjects { lists.forget(Int(s)) }
        }
    }

    /// Hands over every list, leaving none: for a replay stage to rebuild and give back.
    func takeAll() -> RecordLists {
        lists.withLock { lists in
            let all = lists
            lists = RecordLists()
            return all
        }
    }

    /// Replaces every list (a checkpoint read, a replay's result, a reset).
    func replace(with new: consuming RecordLists) {
        let value = new
        lists.withLock { $0 = value }
    }

    func encode(into w: inout ByteWriter) {
        lists.withLock { $0.encode(into: &w) }
    }

    var approximateBytes: Int {
        lists.withLock { $0.approximateBytes }
    }
}
