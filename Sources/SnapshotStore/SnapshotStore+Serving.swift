public import CredenceCore
import Foundation
import GRDB

extension SnapshotStore {
    /// A stored revision to read: a month and its revision (as ``MonthSummary`` gives them).
    public typealias MonthRevision = (month: Month, revision: Int)

    /// The user's score in the newest of `months` that holds one: the query API's hot path.
    ///
    /// Newest month first: the block that would hold the user, from the in-memory index
    /// (``ServingIndex``: no SQLite once a revision was read), then block reads until the user is found.
    public func latestEntry(userID: String, modelVersion: String, in months: [MonthRevision]) throws -> StoredScore? {
        try run("reading a score") {
            let located = try months.sorted { $0.month > $1.month }.compactMap { m -> (SnapshotRow, BlockRow?)? in
                guard
                    let row = try serving.row(
                        m.month, modelVersion, m.revision,
                        load: { try pool.read { db in try Self.snapshotRow(db, m.month, modelVersion, m.revision) } })
                else { return nil }
                let block = try serving.block(
                    snapshot: row.id, containing: userID,
                    load: { try pool.read { db in try Self.blocks(db, snapshot: row.id) } })
                return (row, block)
            }
            return try find(userID, located: located, first: true).first
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
}
