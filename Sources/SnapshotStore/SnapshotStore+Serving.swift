public import CredenceCore
import EventLog
import Foundation
import GRDB

extension SnapshotStore {
    /// A stored revision to read: a month and its revision (as ``MonthSummary`` gives them).
    public typealias MonthRevision = (month: Month, revision: Int)

    /// The user's score in the newest of `months` that holds one: the query API's hot path.
    ///
    /// Newest month first: the block that would hold the user, from the in-memory index
    /// (``ServingIndex``: no SQLite once a revision was read), the block from the block cache
    /// (a binary search of its ids) or the month file (a scan), an older month only when the
    /// newer does not hold the user.
    public func latestEntry(userID: String, modelVersion: String, in months: [MonthRevision]) throws -> StoredScore? {
        try run("reading a score") {
            for m in months.sorted(by: { $0.month > $1.month }) {
                guard
                    let row = try serving.row(
                        m.month, modelVersion, m.revision,
                        load: { try pool.read { db in try Self.snapshotRow(db, m.month, modelVersion, m.revision) } }),
                    let located = try serving.block(
                        snapshot: row.id, containing: userID,
                        load: { try pool.read { db in try Self.blocks(db, snapshot: row.id) } }),
                    let entry = try lookup(userID, in: located.block, of: row, generation: located.generation)
                else { continue }
                return StoredScore(entry, month: row.month, modelVersion: row.modelVersion, revision: row.revision)
            }
            return nil
        }
    }

    /// The user's scores in `months`, oldest first.
    public func entries(userID: String, modelVersion: String, in months: [MonthRevision]) throws -> [StoredScore] {
        try run("reading a user's history") {
            let rows = try revisions(modelVersion, months.sorted { $0.month < $1.month })
            return try find(userID, in: rows, first: false)
        }
    }

    /// The catalogue rows of `months`, in order; months not stored are left out.
    private func revisions(_ modelVersion: String, _ months: [MonthRevision]) throws -> [SnapshotRow] {
        try pool.read { db in
            try months.compactMap { m in try Self.snapshotRow(db, m.month, modelVersion, m.revision) }
        }
    }

    /// The user's entry in `block` of revision `row`, or `nil`: the block from the cache, else
    /// read, verified and indexed (and kept, unless an erasure came after `generation`),
    /// reading it again from where the catalogue now puts it when an erasure moved it meanwhile.
    func lookup(_ userID: String, in block: BlockRow, of row: SnapshotRow, generation: Int) throws
        -> SnapshotEntry?
    {
        var current = block
        for _ in 0..<3 {
            if let kept = try serving.cached(snapshot: row.id, block: current) ?? read(current, of: row, generation) {
                let reasons = try reasons(of: row)
                return try kept.bytes.withUnsafeBytes {
                    try MonthFile.entry(userID, in: $0, directory: kept.directory, reasons: reasons)
                }
            }
            let first = current.firstUser
            guard let moved = try pool.read({ db in try Self.block(db, snapshot: row.id, from: first) }) else {
                return nil
            }
            if moved.offset == current.offset && moved.crc == current.crc { break }
            current = moved
        }
        throw damaged(row)
    }
}

extension SnapshotStore {
    /// A block read from its month file, with its directory, kept for later lookups
    /// unless an erasure came after `generation`; `nil` when its bytes fail the checksum.
    private func read(_ block: BlockRow, of row: SnapshotRow, _ generation: Int) throws -> BlockCache.Block? {
        let file = try serving.file(row.id) { try openMonthFile(row.id) }
        var buffer = [UInt8](repeating: 0, count: block.length)
        guard try Self.read(block, from: file, into: &buffer) else { return nil }
        // The directory costs a scan of the whole block: worth it only for a block that is kept.
        guard serving.keepsBlocks else { return BlockCache.Block(bytes: buffer, directory: nil) }
        let kept = BlockCache.Block(bytes: buffer, directory: try buffer.withUnsafeBytes { try BlockDirectory($0) })
        serving.keep(kept, of: block, snapshot: row.id, generation: generation)
        return kept
    }
}

extension StoredScore {
    init(_ entry: SnapshotEntry, month: Month, modelVersion: String, revision: Int) {
        self.init(
            userID: entry.userID, modelVersion: modelVersion, month: month, revision: revision, score: entry.score,
            reasons: entry.reasons, features: entry.features)
    }
}
