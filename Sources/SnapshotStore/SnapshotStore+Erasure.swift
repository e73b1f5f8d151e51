public import CredenceCore
import EventLog
import GRDB

extension SnapshotStore {
    /// Erases a user from every stored snapshot: every month, model and revision
    /// (SCORING.md section 4). User counts and score counts of the touched revisions drop
    /// accordingly; the months themselves stay.
    ///
    /// Per revision that holds the user: the block holding them is decoded, encoded again
    /// without them and appended to the end of the month file (fsynced); one transaction points
    /// the catalogue at the new blocks (and re-keys a block whose first user was the erased
    /// one) and lists the old extents in `wipe`; then the old extents are overwritten with
    /// zeros at once. Those zeros become durable with the next fsync of their file (the next
    /// erasure touching it, ``close()``, or the next open, which also redoes any wipe a crash
    /// interrupted). Blocks never change in place, so a crash at any point leaves every
    /// revision readable.
    ///
    /// Cost: per revision, one indexed lookup, a read of one block (~2 KB) and an append of
    /// one; per month file touched, one fdatasync; one catalogue commit; plus a WAL
    /// checkpoint when `Configuration.checkpointAfterErasure` is on (the default), so a block
    /// key that named the user leaves the write-ahead log too (`secure_delete` zeroes it in
    /// the database file).
    ///
    /// - Parameter through: when given, only months up to and including it are touched: the
    ///   months that had closed when the erasure happened. A replay that meets the erasure again
    ///   then leaves later months alone, where a re-enrolled user belongs.
    /// - Returns: how many stored scores were deleted (0 when the user was in none).
    @discardableResult
    public func deleteUser(_ userID: String, through: Month? = nil) throws -> Int {
        let last = Int64(through?.index ?? Int32.max)
        let deleted = try run("erasing a user") {
            try pool.writeWithoutTransaction { db in
                var deleted = 0
                try db.inTransaction {
                    deleted = try removeFromBlocks(db, userID, through: last)
                    return .commit
                }
                // Before the old extents are zeroed: no lookup keeps a block place from before.
                serving.forgetAll()
                // Zeroed at once (no reader sees the bytes again); durable with the next fsync
                // of the file, which also settles the wipes listed for it.
                try finishWipes(db, durably: false)
                return deleted
            }
        }
        if deleted > 0, configuration.checkpointAfterErasure {
            // Best effort: the erasure has committed; a busy log is truncated by a later checkpoint.
            try? checkpoint()
        }
        return deleted
    }

    /// Rewrites, inside the caller's transaction, every block that holds the user; returns how
    /// many there were. Its statements are prepared once per connection (`cachedStatement`): an
    /// erasure runs five per stored month, and preparing them each time was a fifth of its work.
    private func removeFromBlocks(_ db: Database, _ userID: String, through last: Int64) throws -> Int {
        let rows = try Row.fetchAll(
            db, sql: "SELECT \(SnapshotRow.columns) FROM snapshot WHERE month <= ? ORDER BY id", arguments: [last]
        ).map(SnapshotRow.init)
        var deleted = 0
        var buffer: [UInt8] = []
        var touched: [(Int64, SystemFile)] = []
        // Old extents an earlier erasure zeroed, not yet fsynced.
        let earlier = try Row.fetchAll(db, sql: "SELECT snapshot, offset FROM wipe").map {
            (snapshot: $0[0] as Int64, offset: $0[1] as Int64)
        }
        for row in rows {
            guard let block = try Self.block(db, snapshot: row.id, containing: userID) else { continue }
            let file = try openMonthFile(row.id, writable: true)
            let entries = try entries(of: block, in: row, file: file, buffer: &buffer)
            guard let i = entries.firstIndex(where: { $0.userID == userID }) else { continue }
            let score = entries[i].score
            var remaining = entries
            remaining.remove(at: i)
            try db.cachedStatement(sql: "DELETE FROM block WHERE snapshot = ? AND first_user = ?").execute(
                arguments: [row.id, block.firstUser])
            var fileSize = row.fileSize
            if !remaining.isEmpty {
                // The codes of the remaining users are all in the dictionary already.
                var reasons = MonthFile.ReasonDictionary(codes: try self.reasons(of: row))
                var writer = ByteWriter()
                MonthFile.encode(remaining[...], reasons: &reasons, into: &writer)
                try file.write(writer.bytes, at: fileSize)
                try db.cachedStatement(
                    sql:
                        "INSERT INTO block (snapshot, first_user, offset, length, count, crc) VALUES (?, ?, ?, ?, ?, ?)"
                ).execute(
                    arguments: [
                        row.id, remaining[0].userID, fileSize, writer.bytes.count, remaining.count,
                        Int64(CRC32C.checksum(writer.bytes)),
                    ])
                fileSize += Int64(writer.bytes.count)
                touched.append((row.id, file))
            }
            try db.cachedStatement(sql: "INSERT INTO wipe (snapshot, offset, length) VALUES (?, ?, ?)").execute(
                arguments: [row.id, block.offset, block.length])
            try db.cachedStatement(sql: "UPDATE snapshot SET user_count = user_count - 1, file_size = ? WHERE id = ?")
                .execute(arguments: [fileSize, row.id])
            try db.cachedStatement(sql: "UPDATE score_count SET count = count - 1 WHERE snapshot = ? AND score = ?")
                .execute(arguments: [row.id, score])
            deleted += 1
        }
        // The moved blocks are durable before the catalogue points at them. The same fsyncs make
        // the zeros of earlier erasures in these files durable: those wipes are done.
        if configuration.syncs { for (_, file) in touched { try file.sync() } }
        let synced = Set(touched.map(\.0))
        for wipe in earlier where synced.contains(wipe.snapshot) {
            try db.cachedStatement(sql: "DELETE FROM wipe WHERE snapshot = ? AND offset = ?").execute(
                arguments: [wipe.snapshot, wipe.offset])
        }
        return deleted
    }
}
