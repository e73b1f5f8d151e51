public import CredenceCore
import Foundation
import GRDB

extension SnapshotStore {
    /// A stored revision to read: a month and its revision (as ``MonthSummary`` gives them).
    public typealias MonthRevision = (month: Month, revision: Int)

    /// The user's score in the newest of `months` that holds one, in one read with cached
    /// statements: the query API's hot path.
    ///
    /// Primary-key lookups, newest month first. (``history(userID:modelVersion:)`` joins a
    /// grouped subquery that SQLite answers by scanning the month's scores.)
    public func latestEntry(userID: String, modelVersion: String, in months: [MonthRevision]) throws -> StoredScore? {
        try run("reading a score") {
            try pool.read { db in
                let statement = try db.cachedStatement(sql: Self.entrySQL)
                for m in months.sorted(by: { $0.month > $1.month }) {
                    if let row = try Row.fetchOne(
                        statement, arguments: [modelVersion, m.month.index, m.revision, userID])
                    {
                        return try Self.servedScore(row, userID: userID, modelVersion: modelVersion, month: m)
                    }
                }
                return nil
            }
        }
    }

    /// The user's scores in `months`, oldest first, in one read (primary-key lookups).
    public func entries(userID: String, modelVersion: String, in months: [MonthRevision]) throws -> [StoredScore] {
        try run("reading a user's history") {
            try pool.read { db in
                let statement = try db.cachedStatement(sql: Self.entrySQL)
                var out: [StoredScore] = []
                for m in months.sorted(by: { $0.month < $1.month }) {
                    if let row = try Row.fetchOne(
                        statement, arguments: [modelVersion, m.month.index, m.revision, userID])
                    {
                        out.append(try Self.servedScore(row, userID: userID, modelVersion: modelVersion, month: m))
                    }
                }
                return out
            }
        }
    }

    static let entrySQL =
        "SELECT score, reasons, line FROM score WHERE model_version = ? AND month = ? AND revision = ? AND user_id = ?"

    static func servedScore(_ row: Row, userID: String, modelVersion: String, month: MonthRevision) throws
        -> StoredScore
    {
        let reasonsText: String = row[1]
        let reasons =
            try Self.reasonCodes(reasonsText)
            ?? JSONDecoder().decode([String].self, from: Data(reasonsText.utf8))
        return StoredScore(
            userID: userID, modelVersion: modelVersion, month: month.month, revision: month.revision, score: row[0],
            reasons: reasons, line: row[2])
    }

    /// `["R01","R05"]` without a JSON decoder, or `nil` when the text holds anything but plain
    /// quoted codes (then the caller decodes it properly).
    static func reasonCodes(_ text: String) throws -> [String]? {
        let bytes = Array(text.utf8)
        guard bytes.first == UInt8(ascii: "["), bytes.last == UInt8(ascii: "]") else { return nil }
        var codes: [String] = []
        var i = 1
        while i < bytes.count - 1 {
            guard bytes[i] == UInt8(ascii: "\"") else { return nil }
            var j = i + 1
            while j < bytes.count, bytes[j] != UInt8(ascii: "\"") {
                if bytes[j] == UInt8(ascii: "\\") { return nil }
                j += 1
            }
            guard j < bytes.count - 1 else { return nil }
            codes.append(String(decoding: bytes[(i + 1)..<j], as: UTF8.self))
            i = j + 1
            if bytes[i] == UInt8(ascii: ",") {
                i += 1
            } else if i != bytes.count - 1 {
                return nil
            }
        }
        return codes
    }
}
