import CredenceCore
import Dispatch
import Foundation
import Synchronization

/// Renders a snapshot's export lines in chunks on background queues, a few chunks ahead of
/// the consumer.
///
/// Formatting a line (`SnapshotEntry.exportLine`) costs more CPU than inserting it, so the
/// writer would otherwise spend most of a month's write formatting. Here chunks render in
/// parallel while SQLite inserts earlier ones; memory stays bounded by the look-ahead.
struct LineRenderer {
    /// One entry, ready to store.
    struct Row: Sendable {
        var line: String
        var reasons: String
        var hash: UInt64
    }

    /// A chunk being rendered: its rows once `done` is signalled.
    private final class Pending: Sendable {
        let rows = Mutex<[Row]>([])
        let done = DispatchSemaphore(value: 0)
    }

    let snapshot: Snapshot
    /// Entries per chunk. Default: 4096.
    var chunkSize = 4096
    /// Chunks rendering at once. Default: one per processor, from 2 to 8 (8 chunks of
    /// ~600-byte rows stay under 32 MiB).
    var lookAhead = min(8, max(2, ProcessInfo.processInfo.activeProcessorCount))

    /// Calls `body` with consecutive chunks of rendered rows, in entry order, and the
    /// range of entries each chunk covers.
    func forEachChunk(_ body: ([Row], Range<Int>) throws -> Void) rethrows {
        let count = snapshot.entries.count
        let ranges = stride(from: 0, to: count, by: chunkSize).map { $0..<min($0 + chunkSize, count) }
        if ranges.count <= 1 {
            if let range = ranges.first { try body(Self.render(snapshot, range), range) }
            return
        }
        let snapshot = self.snapshot
        func start(_ range: Range<Int>) -> Pending {
            let pending = Pending()
            DispatchQueue.global().async {
                let rows = Self.render(snapshot, range)
                pending.rows.withLock { $0 = rows }
                pending.done.signal()
            }
            return pending
        }
        var inFlight = ranges.prefix(lookAhead).map(start)
        var next = inFlight.count
        var consumed = 0
        // A throwing body must not leave renders running against chunks nobody reads.
        defer {
            for pending in inFlight[consumed...] { pending.done.wait() }
        }
        for range in ranges {
            let pending = inFlight[consumed]
            pending.done.wait()
            let rows = pending.rows.withLock { rows in
                defer { rows = [] }
                return rows
            }
            consumed += 1
            if next < ranges.count {
                inFlight.append(start(ranges[next]))
                next += 1
            }
            try body(rows, range)
        }
    }

    static func render(_ snapshot: Snapshot, _ range: Range<Int>) -> [Row] {
        var rows: [Row] = []
        rows.reserveCapacity(range.count)
        for entry in snapshot.entries[range] {
            let line = entry.exportLine(month: snapshot.month, modelVersion: snapshot.modelVersion)
            var reasons = ""
            JSONText.appendStringArray(entry.reasons, to: &reasons)
            rows.append(Row(line: line, reasons: reasons, hash: LineDigest.hash(line)))
        }
        return rows
    }
}
