/// How the scores of one stored month spread, for operators.
///
/// Percentiles use the nearest-rank method: the p-th percentile of n sorted scores is the
/// score at rank `ceil(p * n / 100)` (1-based), so every reported value is a real score.
/// They are `nil` for a month with no scored user.
public struct ScoreDistribution: Sendable, Hashable {
    /// A histogram bucket: scores in `lower...upper`.
    public struct Bucket: Sendable, Hashable {
        public var lower: Int64
        public var upper: Int64
        public var count: Int

        public init(lower: Int64, upper: Int64, count: Int) {
            self.lower = lower
            self.upper = upper
            self.count = count
        }
    }

    public var count: Int
    public var min: Int64?
    public var p10: Int64?
    public var p25: Int64?
    public var p50: Int64?
    public var p75: Int64?
    public var p90: Int64?
    public var max: Int64?
    /// Buckets covering the histogram range in steps of the bucket width: with the defaults,
    /// 300...349, 350...399, ..., 800...850 (the last bucket takes the range's upper end).
    public var buckets: [Bucket]
    /// Scores below the histogram range.
    public var belowRange: Int
    /// Scores above the histogram range.
    public var aboveRange: Int

    /// The default histogram range, the scorecard's usual 300...850.
    public static let defaultRange: ClosedRange<Int64> = 300...850
    /// The default bucket width, in points.
    public static let defaultBucketWidth: Int64 = 50

    /// Builds the distribution from `(score, how many users have it)` pairs sorted by score.
    public init(
        scoreCounts: [(score: Int64, count: Int)], range: ClosedRange<Int64> = defaultRange,
        bucketWidth: Int64 = defaultBucketWidth
    ) {
        precondition(bucketWidth > 0, "bucketWidth must be positive")
        let total = scoreCounts.reduce(0) { $0 + $1.count }
        count = total

        func percentile(_ p: Int) -> Int64? {
            guard total > 0 else { return nil }
            let rank = Swift.max(1, (p * total + 99) / 100)
            var seen = 0
            for (score, n) in scoreCounts {
                seen += n
                if seen >= rank { return score }
            }
            return scoreCounts.last?.score
        }
        min = scoreCounts.first { $0.count > 0 }?.score
        p10 = percentile(10)
        p25 = percentile(25)
        p50 = percentile(50)
        p75 = percentile(75)
        p90 = percentile(90)
        max = scoreCounts.last { $0.count > 0 }?.score

        // ceil((upper - lower) / width) buckets; the last one also takes the upper end, so
        // 300...850 gives 11 buckets and 850 falls in 800...850.
        let span = range.upperBound - range.lowerBound
        let bucketCount = Swift.max(1, Int((span + bucketWidth - 1) / bucketWidth))
        var buckets = (0..<bucketCount).map { i in
            let lower = range.lowerBound + Int64(i) * bucketWidth
            let upper = i == bucketCount - 1 ? range.upperBound : lower + bucketWidth - 1
            return Bucket(lower: lower, upper: upper, count: 0)
        }
        var below = 0
        var above = 0
        for (score, n) in scoreCounts {
            if score < range.lowerBound {
                below += n
            } else if score > range.upperBound {
                above += n
            } else {
                let i = Swift.min(Int((score - range.lowerBound) / bucketWidth), buckets.count - 1)
                buckets[i].count += n
            }
        }
        self.buckets = buckets
        belowRange = below
        aboveRange = above
    }
}
