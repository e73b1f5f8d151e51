public import CredenceCore
import Foundation
import GRDB

extension SnapshotStore {
    /// The revision a restatement of the month would write: 0 when the month is not stored.
    public func nextRevision(month: Month, modelVersion: String) throws -> Int {
        try run("reading revisions") {
            try pool.read { db in try Self.nextRevision(db, month, modelVersion) }
        }
    }

    /// Every stored month of a model, oldest first, each as of its latest revision.
    public func months(modelVersion: String) throws -> [MonthSummary] {
        try run("listing months") {
            try pool.read { db in
                let rows = try Row.fetchAll(
                    db,
                    sql: """
                        SELECT month, MAX(revision) AS revision, user_count, closed_at FROM snapshot
                        WHERE model_version = ? GROUP BY month ORDER BY month
                        """,
                    arguments: [modelVersion])
                // SQLite takes the bare columns of a MAX() aggregate from the row holding the maximum.
                return try rows.map { row in
                    MonthSummary(
                        month: Month(index: row["month"]), modelVersion: modelVersion,
                        latestRevision: row["revision"], userCount: row["user_count"],
                        closedAt: try Self.instant(row["closed_at"]))
                }
            }
        }
    }

    /// Streams a month's export lines to `sink`, in `user_id` byte order, each exactly as
    /// stored and without its newline.
    ///
    /// ```swift
    /// var out = ""
    /// try store.export(month: m, modelVersion: "default-1") { out += $0 + "\n" }
    /// ```
    ///
    /// The lines come from one consistent read: a concurrent restatement or erasure is
    /// either wholly visible or not at all. Errors thrown by `sink` stop the export and are
    /// rethrown unchanged.
    ///
    /// - Parameter revision: the revision to export. Default: the latest.
    /// - Returns: the number of lines exported.
    /// - Throws: `.notFound` when the month (or the revision) is not stored.
    @discardableResult
    public func export(
        month: Month, modelVersion: String, revision: Int? = nil, into sink: (String) throws -> Void
    ) throws -> Int {
        do {
            return try run("exporting \(month) of model \(modelVersion)") {
                try pool.read { db in
                    let revision = try resolve(db, month, modelVersion, revision)
                    let lines = try String.fetchCursor(
                        db,
                        sql: """
                            SELECT line FROM score WHERE model_version = ? AND month = ? AND revision = ?
                            ORDER BY user_id
                            """,
                        arguments: [modelVersion, month.index, revision])
                    var count = 0
                    while let line = try lines.next() {
                        do {
                            try sink(line)
                        } catch {
                            throw SinkError(error: error)
                        }
                        count += 1
                    }
                    return count
                }
            }
        } catch let error as SnapshotStoreError {
            if let sinkError = error.underlying as? SinkError { throw sinkError.error }
            throw error
        }
    }

    /// A user's score in a month (latest revision by default), or `nil` when the user is
    /// not in that revision.
    ///
    /// - Throws: `.notFound` when the month (or the revision) is not stored.
    public func entry(userID: String, month: Month, modelVersion: String, revision: Int? = nil) throws
        -> StoredScore?
    {
        try run("reading a score") {
            try pool.read { db in
                let revision = try resolve(db, month, modelVersion, revision)
                let row = try Row.fetchOne(
                    db,
                    sql: """
                        SELECT month, revision, score, reasons, line FROM score
                        WHERE model_version = ? AND month = ? AND revision = ? AND user_id = ?
                        """,
                    arguments: [modelVersion, month.index, revision, userID])
                return try row.map { try Self.storedScore($0, userID: userID, modelVersion: modelVersion) }
            }
        }
    }

    /// A user's scores under a model, oldest month first, from the latest revision of each
    /// month. A month whose latest revision leaves the user out is not in the history.
    public func history(userID: String, modelVersion: String) throws -> [StoredScore] {
        // Primary-key lookups per month: a join on the latest revisions makes SQLite scan the
        // month's scores (27 ms per call at 100k users).
        let latest = try months(modelVersion: modelVersion).map { (month: $0.month, revision: $0.latestRevision) }
        return try entries(userID: userID, modelVersion: modelVersion, in: latest)
    }

    /// The latest month in which the user has a score (in that month's latest revision),
    /// under `modelVersion` or, when it is `nil`, under any model.
    public func latestMonth(userID: String, modelVersion: String? = nil) throws -> Month? {
        try run("reading a user's latest month") {
            try pool.read { db in
                let index = try Int32.fetchOne(
                    db,
                    sql: """
                        SELECT MAX(s.month) FROM score s INDEXED BY score_by_user
                        JOIN (SELECT model_version, month, MAX(revision) AS revision FROM snapshot
                              GROUP BY model_version, month) latest
                          ON s.model_version = latest.model_version AND s.month = latest.month
                         AND s.revision = latest.revision
                        WHERE s.user_id = ? AND (?2 IS NULL OR s.model_version = ?2)
                        """,
                    arguments: [userID, modelVersion])
                return index.map(Month.init(index:))
            }
        }
    }

    /// The score distribution of a month (latest revision by default).
    ///
    /// Counts scores per distinct value in SQL, then derives percentiles and the histogram
    /// from those few hundred counts.
    ///
    /// - Throws: `.notFound` when the month (or the revision) is not stored.
    public func distribution(
        month: Month, modelVersion: String, revision: Int? = nil,
        range: ClosedRange<Int64> = ScoreDistribution.defaultRange,
        bucketWidth: Int64 = ScoreDistribution.defaultBucketWidth
    ) throws -> ScoreDistribution {
        guard bucketWidth > 0 else {
            throw SnapshotStoreError(
                code: .invalidArgument, message: "bucketWidth must be positive, not \(bucketWidth)")
        }
        let counts = try run("computing a score distribution") {
            try pool.read { db in
                let revision = try resolve(db, month, modelVersion, revision)
                let rows = try Row.fetchAll(
                    db,
                    sql: """
                        SELECT score, COUNT(*) FROM score WHERE model_version = ? AND month = ? AND revision = ?
                        GROUP BY score ORDER BY score
                        """,
                    arguments: [modelVersion, month.index, revision])
                return rows.map { (score: $0[0] as Int64, count: $0[1] as Int) }
            }
        }
        return ScoreDistribution(scoreCounts: counts, range: range, bucketWidth: bucketWidth)
    }

    /// Whether a stored revision still matches its checksum and user count (latest revision
    /// by default). `false` means the file was damaged or edited outside credence.
    ///
    /// - Throws: `.notFound` when the month (or the revision) is not stored.
    public func verify(month: Month, modelVersion: String, revision: Int? = nil) throws -> Bool {
        try run("verifying \(month) of model \(modelVersion)") {
            try pool.read { db in
                let revision = try resolve(db, month, modelVersion, revision)
                guard
                    let header = try Row.fetchOne(
                        db,
                        sql: """
                            SELECT user_count, content_digest FROM snapshot
                            WHERE model_version = ? AND month = ? AND revision = ?
                            """,
                        arguments: [modelVersion, month.index, revision])
                else { return false }
                let lines = try String.fetchCursor(
                    db, sql: "SELECT line FROM score WHERE model_version = ? AND month = ? AND revision = ?",
                    arguments: [modelVersion, month.index, revision])
                var digest = LineDigest()
                var count = 0
                while let line = try lines.next() {
                    digest.add(line)
                    count += 1
                }
                return count == header["user_count"] as Int
                    && digest == LineDigest(storedValue: header["content_digest"])
            }
        }
    }

    // MARK: - Helpers

    /// The revision to read: `revision` if stored, else the latest; throws `.notFound`.
    func resolve(_ db: Database, _ month: Month, _ modelVersion: String, _ revision: Int?) throws -> Int {
        if let revision {
            guard try stored(db, month, modelVersion, revision) != nil else {
                throw SnapshotStoreError(
                    code: .notFound,
                    message: "revision \(revision) of \(month) for model \(modelVersion) is not stored: list the "
                        + "stored months and revisions and pick one of those")
            }
            return revision
        }
        let next = try Self.nextRevision(db, month, modelVersion)
        guard next > 0 else {
            throw SnapshotStoreError(
                code: .notFound,
                message: "no snapshot of \(month) for model \(modelVersion) is stored: check the month and the model "
                    + "version, or close the month first")
        }
        return next - 1
    }

    static func storedScore(_ row: Row, userID: String, modelVersion: String) throws -> StoredScore {
        let reasonsText: String = row["reasons"]
        let reasons = try JSONDecoder().decode([String].self, from: Data(reasonsText.utf8))
        return StoredScore(
            userID: userID, modelVersion: modelVersion, month: Month(index: row["month"]),
            revision: row["revision"], score: row["score"], reasons: reasons, line: row["line"])
    }

    static func instant(_ text: String) throws -> Instant {
        switch RFC3339.parse(text) {
        case .success(let instant): return instant
        case .failure:
            throw SnapshotStoreError(
                code: .database,
                message: "a stored closed_at time (\(text)) is not RFC 3339: the snapshot database was edited "
                    + "outside credence; restore it from a backup")
        }
    }
}

/// Carries an error thrown by an export's sink through the database layer unchanged.
private struct SinkError: Error {
    var error: any Error
}
