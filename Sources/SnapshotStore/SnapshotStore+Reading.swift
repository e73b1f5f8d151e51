public import CredenceCore
import Dispatch
import EventLog
import Foundation
import GRDB
import Synchronization

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

    /// Streams a month's export lines to `sink`, in `user_id` byte order, each without its
    /// newline: exactly the lines of the export the month closed with (minus erased users).
    ///
    /// ```swift
    /// var out = ""
    /// try store.export(month: m, modelVersion: "default-1") { out += $0 + "\n" }
    /// ```
    ///
    /// ``exportBytes(month:modelVersion:revision:into:)`` is the faster form for whole
    /// exports. Errors thrown by `sink` stop the export and are rethrown unchanged.
    ///
    /// - Parameter revision: the revision to export. Default: the latest.
    /// - Returns: the number of lines exported.
    /// - Throws: `.notFound` when the month (or the revision) is not stored.
    @discardableResult
    public func export(
        month: Month, modelVersion: String, revision: Int? = nil, into sink: (String) throws -> Void
    ) throws -> Int {
        try exportEntries(month: month, modelVersion: modelVersion, revision: revision) { entries, context in
            var line: [UInt8] = []
            line.reserveCapacity(512)
            for entry in entries {
                line.removeAll(keepingCapacity: true)
                entry.appendExportLine(context, to: &line)
                try sink(String(decoding: line, as: UTF8.self))
            }
        }
    }

    /// Streams a month's export as bytes: whole lines, each ending in a newline, in `user_id`
    /// byte order, handed to `sink` in pieces of up to about 1 MiB (valid only during the call).
    ///
    /// Blocks are decoded and rendered on every core, a few groups of blocks ahead of `sink`,
    /// which is called on the caller's thread, in order. An erasure that commits during the
    /// export is either wholly visible in it or not at all: it rewrites one block per revision.
    /// Errors thrown by `sink` stop the export and are rethrown unchanged.
    ///
    /// - Returns: the number of lines exported.
    /// - Throws: `.notFound` when the month (or the revision) is not stored.
    @discardableResult
    public func exportBytes(
        month: Month, modelVersion: String, revision: Int? = nil, into sink: (UnsafeRawBufferPointer) throws -> Void
    ) throws -> Int {
        let operation = "exporting \(month) of model \(modelVersion)"
        let (row, blocks) = try revisionBlocks(month, modelVersion, revision, operation)
        let context = ExportLineContext(month: row.month, modelVersion: row.modelVersion)
        let workers = max(1, min(8, ProcessInfo.processInfo.activeProcessorCount))
        let blocksPerGroup = 32
        var count = 0
        var next = 0
        while next < blocks.count {
            let groups = (0..<workers).map { w in
                let start = min(next + w * blocksPerGroup, blocks.count)
                return start..<min(start + blocksPerGroup, blocks.count)
            }.filter { !$0.isEmpty }
            next = groups.last!.upperBound
            let rendered = try run(operation) { try render(blocks, groups, of: row, context) }
            for piece in rendered {
                try piece.bytes.withUnsafeBytes(sink)
                count += piece.lines
            }
        }
        return count
    }

    /// A stored revision's catalogue row and its blocks in `user_id` order, read together
    /// (latest revision when `revision` is `nil`).
    func revisionBlocks(_ month: Month, _ modelVersion: String, _ revision: Int?, _ operation: String) throws
        -> (SnapshotRow, [BlockRow])
    {
        try run(operation) {
            try pool.read { db in
                let row = try resolve(db, month, modelVersion, revision)
                return (row, try Self.blocks(db, snapshot: row.id))
            }
        }
    }

    /// Decodes and renders each group of blocks on its own thread; the results in group order.
    private func render(
        _ blocks: [BlockRow], _ groups: [Range<Int>], of row: SnapshotRow, _ context: ExportLineContext
    ) throws -> [(bytes: [UInt8], lines: Int)] {
        let results = Mutex([(bytes: [UInt8], lines: Int)](repeating: ([], 0), count: groups.count))
        let failure = Mutex<(any Error)?>(nil)
        DispatchQueue.concurrentPerform(iterations: groups.count) { g in
            do {
                let file = try openMonthFile(row.id)
                var buffer: [UInt8] = []
                var out: [UInt8] = []
                out.reserveCapacity(groups[g].count * MonthFile.usersPerBlock * 512)
                var lines = 0
                for block in blocks[groups[g]] {
                    for entry in try entries(of: block, in: row, file: file, buffer: &buffer) {
                        entry.appendExportLine(context, to: &out)
                        out.append(10)
                        lines += 1
                    }
                }
                results.withLock { [out] in $0[g] = (out, lines) }
            } catch {
                failure.withLock { $0 = $0 ?? error }
            }
        }
        if let error = failure.withLock({ $0 }) { throw error }
        return results.withLock { $0 }
    }

    /// Calls `body` with the entries of each block of the revision, in order, and the month's
    /// line context; returns how many entries there were.
    private func exportEntries(
        month: Month, modelVersion: String, revision: Int?,
        _ body: ([SnapshotEntry], ExportLineContext) throws -> Void
    ) throws -> Int {
        let operation = "exporting \(month) of model \(modelVersion)"
        let (row, blocks) = try revisionBlocks(month, modelVersion, revision, operation)
        let context = ExportLineContext(month: row.month, modelVersion: row.modelVersion)
        let file = try run(operation) { try openMonthFile(row.id) }
        var buffer: [UInt8] = []
        var count = 0
        for block in blocks {
            let entries = try run(operation) { try self.entries(of: block, in: row, file: file, buffer: &buffer) }
            try body(entries, context)
            count += entries.count
        }
        return count
    }

    /// A user's score in a month (latest revision by default), or `nil` when the user is
    /// not in that revision.
    ///
    /// - Throws: `.notFound` when the month (or the revision) is not stored.
    public func entry(userID: String, month: Month, modelVersion: String, revision: Int? = nil) throws
        -> StoredScore?
    {
        try run("reading a score") {
            let generation = serving.generation
            let located = try pool.read { db in
                let row = try resolve(db, month, modelVersion, revision)
                return [(row, try Self.block(db, snapshot: row.id, containing: userID))]
            }
            return try find(userID, located: located, generation: generation, first: true).first
        }
    }

    /// A user's scores under a model, oldest month first, from the latest revision of each
    /// month. A month whose latest revision leaves the user out is not in the history.
    public func history(userID: String, modelVersion: String) throws -> [StoredScore] {
        let latest = try months(modelVersion: modelVersion).map { (month: $0.month, revision: $0.latestRevision) }
        return try entries(userID: userID, modelVersion: modelVersion, in: latest)
    }

    /// The latest month in which the user has a score (in that month's latest revision),
    /// under `modelVersion` or, when it is `nil`, under any model.
    public func latestMonth(userID: String, modelVersion: String? = nil) throws -> Month? {
        try run("reading a user's latest month") {
            let rows = try pool.read { db in
                try Row.fetchAll(
                    db,
                    sql: """
                        SELECT \(SnapshotRow.columns), MAX(revision) FROM snapshot
                        WHERE ?1 IS NULL OR model_version = ?1
                        GROUP BY model_version, month ORDER BY month DESC
                        """,
                    arguments: [modelVersion]
                ).map(SnapshotRow.init)
            }
            return try find(userID, in: rows, first: true).first?.month
        }
    }

    /// The score distribution of a month (latest revision by default), from the catalogue's
    /// counts per score.
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
                let row = try resolve(db, month, modelVersion, revision)
                let rows = try Row.fetchAll(
                    db,
                    sql: "SELECT score, count FROM score_count WHERE snapshot = ? AND count > 0 ORDER BY score",
                    arguments: [row.id])
                return rows.map { (score: $0[0] as Int64, count: $0[1] as Int) }
            }
        }
        return ScoreDistribution(scoreCounts: counts, range: range, bucketWidth: bucketWidth)
    }

    /// Whether a stored revision still matches its checksums and counts (latest revision by
    /// default): every block's CRC-32C, every record decodes, users in order, and the user
    /// count and score counts agree. `false` means the files were damaged or edited outside
    /// credence.
    ///
    /// - Throws: `.notFound` when the month (or the revision) is not stored.
    public func verify(month: Month, modelVersion: String, revision: Int? = nil) throws -> Bool {
        let (row, blocks, scoreCounts) = try run("verifying \(month) of model \(modelVersion)") {
            try pool.read { db in
                let row = try resolve(db, month, modelVersion, revision)
                let counts = try Row.fetchAll(
                    db, sql: "SELECT score, count FROM score_count WHERE snapshot = ? AND count > 0",
                    arguments: [row.id])
                return (
                    row, try Self.blocks(db, snapshot: row.id),
                    Dictionary(uniqueKeysWithValues: counts.map { ($0[0] as Int64, $0[1] as Int) })
                )
            }
        }
        do {
            let file = try openMonthFile(row.id)
            var buffer: [UInt8] = []
            var seen: [Int64: Int] = [:]
            var previous: String?
            var count = 0
            for block in blocks {
                let entries = try entries(of: block, in: row, file: file, buffer: &buffer)
                for e in entries {
                    if let p = previous, !p.utf8.lexicographicallyPrecedes(e.userID.utf8) { return false }
                    previous = e.userID
                    seen[e.score, default: 0] += 1
                    count += 1
                }
            }
            return count == row.userCount && seen == scoreCounts
        } catch {
            return false
        }
    }

    // MARK: - Helpers

    /// The revision to read: `revision` if stored, else the latest; throws `.notFound`.
    func resolve(_ db: Database, _ month: Month, _ modelVersion: String, _ revision: Int?) throws -> SnapshotRow {
        if let revision {
            guard let row = try Self.snapshotRow(db, month, modelVersion, revision) else {
                throw SnapshotStoreError(
                    code: .notFound,
                    message: "revision \(revision) of \(month) for model \(modelVersion) is not stored: list the "
                        + "stored months and revisions and pick one of those")
            }
            return row
        }
        let next = try Self.nextRevision(db, month, modelVersion)
        guard next > 0, let row = try Self.snapshotRow(db, month, modelVersion, next - 1) else {
            throw SnapshotStoreError(
                code: .notFound,
                message: "no snapshot of \(month) for model \(modelVersion) is stored: check the month and the model "
                    + "version, or close the month first")
        }
        return row
    }

    /// The user's scores in `rows`, in their order; only the first one found when `first`.
    /// One indexed catalogue query and one block read (or cache hit) per revision.
    func find(_ userID: String, in rows: [SnapshotRow], first: Bool) throws -> [StoredScore] {
        guard !rows.isEmpty else { return [] }
        // Before the catalogue read: blocks read after an erasure that commits meanwhile are not kept.
        let generation = serving.generation
        let located = try pool.read { db in
            try rows.map { row in (row, try Self.block(db, snapshot: row.id, containing: userID)) }
        }
        return try find(userID, located: located, generation: generation, first: first)
    }

    /// The user's scores in the blocks that would hold them, located under `generation`.
    func find(_ userID: String, located: [(SnapshotRow, BlockRow?)], generation: Int, first: Bool) throws
        -> [StoredScore]
    {
        var out: [StoredScore] = []
        for (row, block) in located {
            guard let block, let entry = try lookup(userID, in: block, of: row, generation: generation) else {
                continue
            }
            out.append(StoredScore(entry, month: row.month, modelVersion: row.modelVersion, revision: row.revision))
            if first { break }
        }
        return out
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
