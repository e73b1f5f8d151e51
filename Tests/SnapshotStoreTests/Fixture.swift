import CredenceCore
import Foundation
import SnapshotStore

enum Fixture {
    static let model = "default-1"
    static let november = Month(year: 2026, month: 11)

    static func entry(_ userID: String, score: Int64, reasons: [String] = ["R05", "R09"]) -> SnapshotEntry {
        var features = Features()
        features.identityVerified = true
        features.tenureDays = Int64(userID.utf8.count) * 37
        features.payments12m = score / 10
        features.spend12mMinor = Int128(score) * 12_345
        features.creditLimitMinor = 500_000
        features.utilizationBp = Int128(score % 97) * 100
        return SnapshotEntry(userID: userID, score: score, reasons: reasons, features: features)
    }

    /// A snapshot of `userIDs` (sorted here by UTF-8 bytes), scores derived from the ids.
    static func snapshot(
        _ userIDs: [String], month: Month = november, model: String = model, bump: Int64 = 0
    ) -> Snapshot {
        let sorted = userIDs.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        let entries = sorted.map { id in
            entry(id, score: 300 + Int64(id.utf8.reduce(0) { ($0 &* 31 &+ Int($1)) % 551 }) + bump)
        }
        return Snapshot(month: month, modelVersion: model, entries: entries)
    }

    static func userIDs(_ count: Int, prefix: String = "user-") -> [String] {
        (0..<count).map { prefix + String($0) }
    }
}

extension SnapshotStore {
    /// The whole export as one string, newline after each line, as `Snapshot.export()` makes it.
    func exportText(month: Month, modelVersion: String = Fixture.model, revision: Int? = nil) throws -> String {
        var out = ""
        try export(month: month, modelVersion: modelVersion, revision: revision) { line in
            out += line
            out += "\n"
        }
        return out
    }
}
