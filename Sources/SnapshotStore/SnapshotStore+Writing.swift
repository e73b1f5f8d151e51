public import CredenceCore
import EventLog
import Foundation
import GRDB

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension SnapshotStore {
    /// Stores a month as it closes: revision 0.
    ///
    /// Idempotent: writing the same month again with identical entries does nothing and
    /// returns `false`, so a restart or a replay may write every month it closes.
    ///
    /// - Parameter closedAt: the wall time recorded for the revision. Default: now.
    /// - Returns: `true` when the revision was written, `false` when it was already stored.
    /// - Throws: `.immutable` when revision 0 is stored with different content.
    @discardableResult
    public func writeClosed(_ snapshot: Snapshot, closedAt: Instant? = nil) throws -> Bool {
        try write(snapshot, revision: 0, closedAt: closedAt)
    }

    /// Stores one revision of a month: its month file, written and fsynced, then its catalogue
    /// rows, in one transaction.
    ///
    /// `snapshot.entries` must be sorted by `user_id` in byte order without duplicates, as
    /// `Snapshot` promises. A new revision must be the month's next one (no gaps).
    ///
    /// - Returns: `true` when the revision was written, `false` when it was already stored
    ///   with identical entries.
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
                if try Self.snapshotRow(db, snapshot.month, snapshot.modelVersion, revision) != nil {
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
    /// Idempotent: when the latest revision already holds identical entries, nothing is
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

    private func requireIdentical(_ db: Database, _ snapshot: Snapshot, _ revision: Int) throws {
        guard let difference = try firstDifference(db, snapshot, revision) else { return }
        throw SnapshotStoreError(
            code: .immutable,
            message: "revision \(revision) of \(snapshot.month) for model \(snapshot.modelVersion) is already stored "
                + "and differs from the snapshot being written (\(difference)); closed snapshots never change: "
                + "restate the month to store a new revision")
    }

    /// Where the stored revision differs from `snapshot`, or `nil` when their entries (and so
    /// their export lines) are identical.
    private func firstDifference(_ db: Database, _ snapshot: Snapshot, _ revision: Int) throws -> String? {
        guard let row = try Self.snapshotRow(db, snapshot.month, snapshot.modelVersion, revision) else {
            return "revision \(revision) is not stored"
        }
        if row.userCount != snapshot.entries.count {
            return "\(row.userCount) users stored, \(snapshot.entries.count) written"
        }
        let file = try openMonthFile(row.id)
        var buffer: [UInt8] = []
        var i = 0
        for block in try Self.blocks(db, snapshot: row.id) {
            for stored in try entries(of: block, in: row, file: file, buffer: &buffer) {
                guard i < snapshot.entries.count else { return "more users stored than written" }
                if stored != snapshot.entries[i] { return "line \(i + 1) differs" }
                i += 1
            }
        }
        return i == snapshot.entries.count ? nil : "fewer users stored than written"
    }

    /// Writes the month file of a new revision and its catalogue rows.
    ///
    /// The file is written in 1 MiB pieces as blocks are encoded (so the disk starts early),
    /// fsynced with its directory entry, and only then named by the catalogue, in the caller's
    /// transaction: a crash leaves either the whole revision or a file nobody names (removed at
    /// the next open).
    private func insert(_ db: Database, _ snapshot: Snapshot, _ revision: Int, _ closedAt: Instant) throws {
        try db.execute(
            sql: """
                INSERT INTO snapshot (model_version, month, revision, closed_at, user_count, reasons, file_size)
                VALUES (?, ?, ?, ?, 0, '[]', 0)
                """,
            arguments: [
                snapshot.modelVersion, snapshot.month.index, revision,
                RFC3339.format(closedAt, offsetMinutes: 0, zulu: true),
            ])
        let id = db.lastInsertedRowID
        let file = try SystemFile.open(filePath(id), flags: O_CREAT | O_TRUNC | O_WRONLY, mode: 0o600)
        let entries = snapshot.entries
        var reasons = MonthFile.ReasonDictionary()
        var writer = ByteWriter(bytes: MonthFile.header)
        let piece = 1 << 20
        writer.bytes.reserveCapacity(piece + (64 << 10))
        var written: Int64 = 0
        var blocks: [(first: Int, offset: Int64, length: Int, count: Int, crc: UInt32)] = []
        blocks.reserveCapacity(entries.count / MonthFile.usersPerBlock + 1)
        var scoreCounts: [Int64: Int] = [:]
        var start = 0
        while start < entries.count {
            let end = min(start + MonthFile.usersPerBlock, entries.count)
            let at = writer.bytes.count
            MonthFile.encode(entries[start..<end], reasons: &reasons, into: &writer)
            let crc = writer.bytes.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[at...])) }
            blocks.append((start, written + Int64(at), writer.bytes.count - at, end - start, crc))
            for e in entries[start..<end] { scoreCounts[e.score, default: 0] += 1 }
            if writer.bytes.count >= piece {
                try file.write(writer.bytes, at: written)
                written += Int64(writer.bytes.count)
                writer.bytes.removeAll(keepingCapacity: true)
            }
            start = end
        }
        try file.write(writer.bytes, at: written)
        written += Int64(writer.bytes.count)
        if configuration.syncs {
            try file.sync()
            try FileSystem.syncDirectory(monthsDirectory)
        }

        let insertBlock = try db.makeStatement(
            sql: "INSERT INTO block (snapshot, first_user, offset, length, count, crc) VALUES (?, ?, ?, ?, ?, ?)")
        for b in blocks {
            try insertBlock.execute(arguments: [id, entries[b.first].userID, b.offset, b.length, b.count, Int64(b.crc)])
        }
        let insertCount = try db.makeStatement(
            sql: "INSERT INTO score_count (snapshot, score, count) VALUES (?, ?, ?)")
        for (score, count) in scoreCounts { try insertCount.execute(arguments: [id, score, count]) }
        var json = ""
        JSONText.appendStringArray(reasons.codes, to: &json)
        try db.execute(
            sql: "UPDATE snapshot SET user_count = ?, reasons = ?, file_size = ? WHERE id = ?",
            arguments: [entries.count, json, written, id])
    }

    // MARK: - Helpers

    /// Refuses entries out of `user_id` byte order or repeated: the export's order is the
    /// file's, and lookups rely on it.
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
