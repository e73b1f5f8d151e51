import SnapshotStore
import Testing

@Suite struct ScoreDistributionTests {
    @Test func emptyMonthHasNoPercentiles() {
        let d = ScoreDistribution(scoreCounts: [])
        #expect(d.count == 0)
        #expect(d.min == nil && d.p50 == nil && d.max == nil)
        #expect(d.buckets.count == 11)
        #expect(d.buckets.allSatisfy { $0.count == 0 })
    }

    @Test func percentilesUseNearestRank() {
        // 1...100, each once: the p-th percentile is p.
        let d = ScoreDistribution(scoreCounts: (1...100).map { (Int64($0), 1) }, range: 1...100, bucketWidth: 10)
        #expect([d.min, d.p10, d.p25, d.p50, d.p75, d.p90, d.max] == [1, 10, 25, 50, 75, 90, 100])
        #expect(d.buckets.map(\.count) == Array(repeating: 10, count: 10))
        #expect(d.buckets.last == ScoreDistribution.Bucket(lower: 91, upper: 100, count: 10))
    }

    @Test func outOfRangeScoresAreCountedApart() {
        let d = ScoreDistribution(scoreCounts: [(250, 2), (300, 1), (851, 3)])
        #expect(d.belowRange == 2)
        #expect(d.aboveRange == 3)
        #expect(d.buckets[0].count == 1)
        #expect(d.count == 6)
        #expect(d.p50 == 300)
    }
}
