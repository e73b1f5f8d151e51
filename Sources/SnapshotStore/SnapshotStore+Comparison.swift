public import CredenceCore
import EventLog
import Foundation
import GRDB

extension SnapshotStore {
    /// Whether `other` holds the same users with the same values in the latest revision of
    /// `month` as this store, read from the stored records without rendering a line: when it
    /// does, the two exports are identical, since an export is rendered from those values and
    /// the month and model alone.
    ///
    /// The cheap half of comparing two stores' exports (a replay's months with the live ones):
    /// it reads about 40 bytes a user where rendering writes a 480-byte line, and allocates
    /// nothing per user. It reads both months as one stream of records
    /// (``MonthFile/appendCanonical(_:reasonMap:id:to:)``), so months cut into blocks
    /// differently (an erasure's rewritten blocks hold fewer users) or with their reason codes
    /// numbered differently still compare equal. `false` proves nothing (a block moved by an
    /// erasure while this read, a value stored in a longer varint): render both exports and
    /// compare them.
    ///
    /// - Throws: `.notFound` when either store does not hold the month.
    public func holdsSameEntries(month: Month, modelVersion: String, as other: SnapshotStore) throws -> Bool {
        let operation = "comparing \(month) of model \(modelVersion)"
        let mine = try MonthReading(self, month, modelVersion, operation)
        let theirs = try MonthReading(other, month, modelVersion, operation)
        guard mine.row.userCount == theirs.row.userCount else { return false }
        let maps = try run(operation) {
            MonthFile.sharedReasonMaps(try reasons(of: mine.row), try other.reasons(of: theirs.row))
        }
        var (a, b) = (Side(mine, maps.a), Side(theirs, maps.b))
        return try run(operation) {
            while true {
                guard try a.fill(), try b.fill() else { return false }
                let n = min(a.pending.bytes.count, b.pending.bytes.count)
                if n == 0 { return a.pending.bytes.isEmpty && b.pending.bytes.isEmpty }
                let same = a.pending.bytes.withUnsafeBytes { x in
                    b.pending.bytes.withUnsafeBytes { memcmp(x.baseAddress!, $0.baseAddress!, n) }
                }
                guard same == 0 else { return false }
                a.pending.bytes.removeFirst(n)
                b.pending.bytes.removeFirst(n)
            }
        }
    }

    /// A stored revision's catalogue rows and file, as a comparison reads them.
    private struct MonthReading {
        let row: SnapshotRow
        let blocks: [BlockRow]
        let file: SystemFile

        init(_ store: SnapshotStore, _ month: Month, _ modelVersion: String, _ operation: String) throws {
            (row, blocks) = try store.revisionBlocks(month, modelVersion, nil, operation)
            file = try store.run(operation) { [row] in try store.openMonthFile(row.id) }
        }
    }

    /// One side of a comparison: its canonical records not yet compared, filled a few blocks
    /// at a time.
    private struct Side {
        let reading: MonthReading
        let reasonMap: [Int]
        var next = 0
        var pending = ByteWriter()
        var buffer: [UInt8] = []
        var id: [UInt8] = []

        init(_ reading: MonthReading, _ reasonMap: [Int]) {
            self.reading = reading
            self.reasonMap = reasonMap
        }

        /// Adds blocks until 64 KiB wait or none are left; `false` when a block no longer
        /// matches its checksum (an erasure moved it since the catalogue was read).
        mutating func fill() throws -> Bool {
            while pending.bytes.count < 65_536, next < reading.blocks.count {
                let block = reading.blocks[next]
                guard try SnapshotStore.read(block, from: reading.file, into: &buffer) else { return false }
                try buffer.withUnsafeBytes {
                    try MonthFile.appendCanonical(
                        UnsafeRawBufferPointer(rebasing: $0[..<block.length]), reasonMap: reasonMap, id: &id,
                        to: &pending)
                }
                next += 1
            }
            return true
        }
    }
}
