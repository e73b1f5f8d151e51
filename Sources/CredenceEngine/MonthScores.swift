public import CredenceCore
public import SnapshotStore

/// Every user's score of one stored month, for charts, shares and migrations.
public struct MonthScores: Sendable {
    public var month: Month
    public var modelVersion: String
    /// By user id in byte order, as exported.
    public var scores: [(userID: String, score: Int64)]

    public init(month: Month, modelVersion: String, scores: [(userID: String, score: Int64)]) {
        self.month = month
        self.modelVersion = modelVersion
        self.scores = scores
    }

    /// Reads the month's latest revision from the store.
    public static func load(_ store: SnapshotStore, month: Month, modelVersion: String) throws -> MonthScores {
        var scores = [(userID: String, score: Int64)]()
        try store.export(month: month, modelVersion: modelVersion) { line in
            guard let s = ExportLineFields.parse(line) else {
                throw EngineError(.snapshots, "a stored line of \(month) is not an export line: \(line.prefix(80))")
            }
            scores.append((String(s.userID), s.score))
        }
        return MonthScores(month: month, modelVersion: modelVersion, scores: scores)
    }

    public var distribution: ScoreDistribution {
        var counts: [Int64: Int] = [:]
        for s in scores { counts[s.score, default: 0] += 1 }
        return ScoreDistribution(scoreCounts: counts.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
    }

    /// Users at or above `threshold`.
    public func eligible(_ threshold: Int64) -> Int {
        scores.reduce(0) { $0 + ($1.score >= threshold ? 1 : 0) }
    }

    /// The share (0...1) at or above `threshold`; `nil` for an empty month.
    public func share(_ threshold: Int64) -> Double? {
        scores.isEmpty ? nil : Double(eligible(threshold)) / Double(scores.count)
    }

    /// How users scored in both months moved between score bands: `matrix[from][to]` counts
    /// users in band `from` in `earlier` and band `to` here, bands as in ``PopulationStability/bands(_:)``.
    public func migration(from earlier: MonthScores) -> [[Int]] {
        let bands = PopulationStability.bands(ScoreDistribution(scoreCounts: [])).count
        var matrix = Array(repeating: Array(repeating: 0, count: bands), count: bands)
        var i = earlier.scores.startIndex
        for s in scores {
            while i < earlier.scores.endIndex, ScoringState.byteOrder(earlier.scores[i].userID, s.userID) { i += 1 }
            guard i < earlier.scores.endIndex, earlier.scores[i].userID == s.userID else { continue }
            matrix[Self.band(earlier.scores[i].score)][Self.band(s.score)] += 1
        }
        return matrix
    }

    /// The band index of a score, as ``PopulationStability/bands(_:)`` counts it.
    public static func band(_ score: Int64) -> Int {
        let d = ScoreDistribution(scoreCounts: [(score, 1)])
        return PopulationStability.bands(d).firstIndex { $0 > 0 } ?? 0
    }
}
