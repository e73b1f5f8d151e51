public import CredenceCore
import GRDB

extension SnapshotStore {
    /// Erases a user from every stored snapshot: every month, model and revision
    /// (SCORING.md section 4). User counts and checksums of the touched revisions drop
    /// accordingly; the months themselves stay.
    ///
    /// `secure_delete` overwrites the deleted rows with zeros. When
    /// `Configuration.checkpointAfterErasure` is on (the default), a truncating WAL
    /// checkpoint follows so the old pages leave the write-ahead log too; if readers keep
    /// the log busy the erasure still stands, and `checkpoint()` finishes the job later.
    ///
    /// - Parameter through: when given, only months up to and including it are touched: the
    ///   months that had closed when the erasure happened. A replay that meets the erasure again
    ///   then leaves later months alone, where a re-enrolled user belongs.
    /// - Returns: how many stored scores were deleted (0 when the user was in none).
    @discardableResult
    public func deleteUser(_ userID: String, through: Month? = nil) throws -> Int {
        let last = Int64(through?.index ?? Int32.max)
        let deleted = try run("erasing a user") {
            try pool.write { db in
                struct Key: Hashable {
                    var modelVersion: String
                    var month: Int64
                    var revision: Int64
                }
                var removed: [Key: (count: Int, digest: LineDigest)] = [:]
                let rows = try Row.fetchCursor(
                    db,
                    sql: """
                        SELECT model_version, month, revision, line FROM score INDEXED BY score_by_user
                        WHERE user_id = ? AND month <= ?
                        """,
                    arguments: [userID, last])
                while let row = try rows.next() {
                    let key = Key(modelVersion: row[0], month: row[1], revision: row[2])
                    removed[key, default: (0, LineDigest())].count += 1
                    removed[key, default: (0, LineDigest())].digest.add(row[3])
                }
                guard !removed.isEmpty else { return 0 }
                try db.execute(
                    sql: "DELETE FROM score INDEXED BY score_by_user WHERE user_id = ? AND month <= ?",
                    arguments: [userID, last])
                for (key, change) in removed {
                    let keyArguments: StatementArguments = [key.modelVersion, key.month, key.revision]
                    guard
                        let stored = try Int64.fetchOne(
                            db,
                            sql: """
                                SELECT content_digest FROM snapshot
                                WHERE model_version = ? AND month = ? AND revision = ?
                                """,
                            arguments: keyArguments)
                    else { continue }
                    let digest = LineDigest(value: LineDigest(storedValue: stored).value &- change.digest.value)
                    try db.execute(
                        sql: """
                            UPDATE snapshot SET user_count = user_count - ?, content_digest = ?
                            WHERE model_version = ? AND month = ? AND revision = ?
                            """,
                        arguments: [change.count, digest.storedValue] + keyArguments)
                }
                return removed.values.reduce(0) { $0 + $1.count }
            }
        }
        if deleted > 0, configuration.checkpointAfterErasure {
            // Best effort: the erasure has committed; a busy log is truncated by a later checkpoint.
            try? checkpoint()
        }
        return deleted
    }
}
