public import CredenceCore
import Foundation
import GRDB

extension SnapshotStore {
    /// Stores a month as it closes: revision 0.
    ///
    /// Idempotent: writing the same month again with identical lines does nothing and
    /// returns `false`, so a restart or a replay may write every month it closes.
    ///
    /// - Parameter closedAt: the wall time recorded for the revision. Default: now.
    /// - Returns: `true` when the revision was written, `false` when it was already stored.
    /// - Throws: `.immutable` when revision 0 is stored with different content.
    @discardableResult
    public func writeClosed(_ snapshot: Snapshot, closedAt: Instant? = nil) throws -> Bool {
        try write(snapshot, revision: 0, closedAt: closedAt)
    }

    /// Stores one revision of a month, all users in one transaction.
    ///
    /// `snapshot.entries` must be sorted by `user_id` in byte order without duplicates, as
    /// `Snapshot` promises. A new revision must be the month's next one (no gaps).
    ///
    /// - Returns: `true` when the revision was written, `false` when it was already stored
    ///   with identical lines.
    /// - Throws: `.immutable` when the revision is stored with different content,
    ///   `.invalidRevision` for a gap, `.invalidSnapshot` for unsorted or duplicate users.
    @discardableResult
    public func write(_ snapshot: Snapshot, revision: Int, closedAt: Instant? = nil) throws -> Bool {
        guard revision >= 0 else {
            throw SnapshotStoreError(
                code: .invalidRevision, message: "revision \(revision) is negative: revisions count from 0")
        }
        try Self.checkOrder(snapshot)
        let closedAt = closedAt ?? Self.now()
        return try run("writing snapshot \(snapshot.month) of model \(snapshot.modelVersion)") {
            try pool.write { db in
                if try stored(db, snapshot.month, snapshot.modelVersion, revision) != nil {
                    try requireIdentical(db, snapshot, revision)
                    return false
                }
                let next = try Self.nextRevision(db, snapshot.month, snapshot.modelVersion)
                guard revision == next else {
                    throw SnapshotStoreError(
                        code: .invalidRevision,
                        message: "cannot write revision \(revision) of \(snapshot.month) for model "
                            + "\(snapshot.modelVersion): the next revision is \(next); restate the month instead")
                }
                try insert(db, snapshot, revision, closedAt)
                return true
            }
        }
    }

    /// Restates a closed month: stores `snapshot` as the month's next revision, which reads
    /// then return by default. Older revisions stay.
    ///
    /// Idempotent: when the latest revision already holds identical lines, nothing is
    /// written and that revision is returned, so a restatement can be retried safely.
    ///
    /// - Returns: the revision that holds `snapshot`.
    @discardableResult
    public func restate(_ snapshot: Snapshot, closedAt: Instant? = nil) throws -> Int {
        try Self.checkOrder(snapshot)
        let closedAt = closedAt ?? Self.now()
        return try run("restating snapshot \(snapshot.month) of model \(snapshot.modelVersion)") {
            try pool.write { db in
                let next = try Self.nextRevision(db, snapshot.month, snapshot.modelVersion)
                if next > 0, try firstDifference(db, snapshot, next - 1) == nil {
                    return next - 1
                }
                try insert(db, snapshot, next, closedAt)
                return next
            }
        }
    }

    // MARK: - Inside a transaction

    static func nextRevision(_ db: Database, _ month: Month, _ modelVersion: String) throws -> Int {
        let latest = try Int.fetchOne(
            db, sql: "SELECT MAX(revision) FROM snapshot WHERE model_version = ? AND month = ?",
            arguments: [modelVersion, month.index])
        return latest.map { $0 + 1 } ?? 0
    }

    /// The stored user count of a revision, or `nil` when it is not stored.
    func stored(_ db: Database, _ month: Month, _ modelVersion: String, _ revision: Int) throws -> Int? {
        try Int.fetchOne(
            db, sql: "SELECT user_count FROM snapshot WHERE model_version = ? AND month = ? AND revision = ?",
            arguments: [modelVersion, month.index, revision])
    }

    private func requireIdentical(_ db: Database, _ snapshot: Snapshot, _ revision: Int) throws {
        guard let difference = try firstDifference(db, snapshot, revision) else { return }
        throw SnapshotStoreError(
            code: .immutable,
            message: "revision \(revision) of \(snapshot.month) for model \(snapshot.modelVersion) is already stored "
                + "and differs from the snapshot being written (\(difference)); closed snapshots never change: "
                + "restate the month to store a new revision")
    }

    /// Where the stored revision differs from `snapshot`, or `nil` when their lines are identical.
    private func firstDifference(_ db: Database, _ snapshot: Snapshot, _ revision: Int) throws -> String? {
        guard let userCount = try stored(db, snapshot.month, snapshot.modelVersion, revision) else {
            return "revision \(revision) is not stored"
        }
        if userCount != snapshot.entries.count {
            return "\(userCount) users stored, \(snapshot.entries.count) written"
        }
        let lines = try String.fetchCursor(
            db,
            sql: "SELECT line FROM score WHERE model_version = ? AND month = ? AND revision = ? ORDER BY user_id",
            arguments: [snapshot.modelVersion, snapshot.month.index, revision])
        var difference: String?
        try LineRenderer(snapshot: snapshot).forEachChunk { rows, range in
            guard difference == nil else { return }
            for (i, row) in zip(range, rows) {
                guard let line = try lines.next() else {
                    difference = "fewer users stored than written"
                    return
                }
                if line != row.line {
                    difference = "line \(i + 1) differs"
                    return
                }
            }
        }
        if difference == nil, try lines.next() != nil {
            difference = "more users stored than written"
        }
        return difference
    }

    private func insert(_ db: Database, _ snapshot: Snapshot, _ revision: Int, _ closedAt: Instant) throws {
        let statement = try db.makeStatement(
            sql: """
                INSERT INTO score (model_version, month, revision, user_id, score, reasons, line)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """)
        let model = snapshot.modelVersion
        let month = Int64(snapshot.month.index)
        let rev = Int64(revision)
        var digest = LineDigest()
        try LineRenderer(snapshot: snapshot).forEachChunk { rows, range in
            for (entry, row) in zip(snapshot.entries[range], rows) {
                digest.add(hash: row.hash)
                try statement.execute(arguments: [model, month, rev, entry.userID, entry.score, row.reasons, row.line])
            }
        }
        try db.execute(
            sql: """
                INSERT INTO snapshot (model_version, month, revision, closed_at, user_count, content_digest)
                VALUES (?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                model, month, rev, RFC3339.format(closedAt, offsetMinutes: 0, zulu: true), snapshot.entries.count,
                digest.storedValue,
            ])
    }

    // MARK: - Helpers

    /// Refuses entries out of `user_id` byte order or repeated: the export's order is the
    /// table's, and a duplicate would otherwise surface as a SQLite constraint error.
    static func checkOrder(_ snapshot: Snapshot) throws {
        var previous: String?
        for (i, entry) in snapshot.entries.enumerated() {
            if let previous, !previous.utf8.lexicographicallyPrecedes(entry.userID.utf8) {
                throw SnapshotStoreError(
                    code: .invalidSnapshot,
                    message: "snapshot \(snapshot.month) of model \(snapshot.modelVersion): entry \(i + 1) is "
                        + (previous == entry.userID ? "a duplicate user" : "out of user_id byte order")
                        + "; sort the entries by the UTF-8 bytes of user_id and keep one per user")
            }
            previous = entry.userID
        }
    }

    static func now() -> Instant {
        Instant(millisecondsSinceEpoch: Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)))
    }
}
