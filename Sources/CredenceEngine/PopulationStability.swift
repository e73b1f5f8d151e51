import Foundation
public import SnapshotStore

/// The population stability index (PSI) between two score distributions, over the score bands
/// of the histogram.
///
/// The bands are those of ``ScoreDistribution``: 50-point buckets over 300...850 (the last one
/// takes 850), plus one band below and one above that range, 13 in all. With `e_i` and `a_i`
/// the shares of the two populations in band `i` (count / population):
///
///     PSI = sum over bands of (a_i - e_i) * ln(a_i / e_i)
///
/// where a share of 0 is replaced by ``epsilon`` (0.0001) before the sum, so an empty band
/// does not make the index infinite. A band empty in both contributes exactly 0, and two equal
/// distributions give exactly 0. The index is symmetric in its two arguments. It is `nil` when
/// either population is empty. Reading: below 0.1 stable, 0.1-0.25 a shift worth a look,
/// above 0.25 a population that moved.
public enum PopulationStability {
    /// The share that stands in for an empty band.
    public static let epsilon = 0.0001

    /// Counts per band: below the range, each histogram bucket, above the range.
    public static func bands(_ d: ScoreDistribution) -> [Int] {
        [d.belowRange] + d.buckets.map(\.count) + [d.aboveRange]
    }

    /// The band labels matching ``bands(_:)``: `<300`, `300-349`, ..., `800-850`, `>850`.
    public static func bandLabels(_ d: ScoreDistribution) -> [String] {
        let lower = d.buckets.first?.lower ?? ScoreDistribution.defaultRange.lowerBound
        let upper = d.buckets.last?.upper ?? ScoreDistribution.defaultRange.upperBound
        return ["<\(lower)"] + d.buckets.map { "\($0.lower)-\($0.upper)" } + [">\(upper)"]
    }

    /// The PSI of two populations given as counts per band (same bands, same order).
    public static func index(_ expected: [Int], _ actual: [Int]) -> Double? {
        precondition(expected.count == actual.count, "both populations must use the same bands")
        let e = expected.reduce(0, +)
        let a = actual.reduce(0, +)
        guard e > 0, a > 0 else { return nil }
        var sum = 0.0
        for i in expected.indices {
            let pe = max(Double(expected[i]) / Double(e), epsilon)
            let pa = max(Double(actual[i]) / Double(a), epsilon)
            if pe == pa { continue }
            sum += (pa - pe) * log(pa / pe)
        }
        return sum
    }

    /// The PSI of two score distributions over the histogram's bands.
    public static func index(_ expected: ScoreDistribution, _ actual: ScoreDistribution) -> Double? {
        index(bands(expected), bands(actual))
    }
}
