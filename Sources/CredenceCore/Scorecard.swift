/// A scorecard model (SCORING.md section 6): data, not code.
///
/// `score = clamp(base_points + sum of points, min, max)`. Each characteristic maps one
/// feature to points through ordered bins; reasons are the characteristics with the largest
/// positive shortfall. Build one with ``Scorecard/load(json:)`` or use ``Scorecard/default``.
public struct Scorecard: Sendable, Hashable {
    public var modelVersion: String
    public var minScore: Int64
    public var maxScore: Int64
    public var basePoints: Int64
    public var characteristics: [Characteristic]
    /// Service name to the minimum score that makes a user eligible, in the model's order.
    public var services: [(name: String, threshold: Int64)]

    public struct Characteristic: Sendable, Hashable {
        public var feature: FeatureName
        public var reason: String
        public var text: String
        public var bins: [Bin]
        /// The most points this characteristic can give; shortfalls are measured from it.
        public var maxPoints: Int64

        public init(feature: FeatureName, reason: String, text: String, bins: [Bin]) {
            self.feature = feature
            self.reason = reason
            self.text = text
            self.bins = bins
            self.maxPoints = bins.map(\.points).max() ?? 0
        }

        /// The points for a feature value: the first bin whose inclusive `max` is >= the value; a bin
        /// without `max` takes any remaining value; `nil` only matches a bin marked `null`.
        public func points(for value: Int128?) -> Int64? {
            // Through a pointer: iterating the array retained and released it per call.
            bins.withUnsafeBufferPointer { bins in
                for bin in bins {
                    if bin.matchesNull {
                        if value == nil { return bin.points }
                        continue
                    }
                    guard let v = value else { continue }
                    if let m = bin.max {
                        if v <= m { return bin.points }
                    } else {
                        return bin.points
                    }
                }
                return nil
            }
        }
    }

    public struct Bin: Sendable, Hashable {
        public var max: Int128?
        public var matchesNull: Bool
        public var points: Int64

        public init(max: Int128?, matchesNull: Bool = false, points: Int64) {
            self.max = max
            self.matchesNull = matchesNull
            self.points = points
        }
    }

    public static func == (a: Scorecard, b: Scorecard) -> Bool {
        a.modelVersion == b.modelVersion && a.minScore == b.minScore && a.maxScore == b.maxScore
            && a.basePoints == b.basePoints && a.characteristics == b.characteristics
            && a.services.elementsEqual(b.services, by: { $0.name == $1.name && $0.threshold == $1.threshold })
    }

    public func hash(into h: inout Hasher) {
        h.combine(modelVersion)
        h.combine(characteristics)
    }

    /// The result of scoring one user.
    public struct Result: Sendable, Hashable {
        public var score: Int64
        /// Points earned per characteristic, in model order.
        public var points: [Int64]
        /// Reason codes, largest shortfall first, at most four.
        public var reasons: [String]
    }

    /// Scores a user's features. The model was validated on load, so every value finds a bin.
    public func score(_ features: Features) -> Result {
        var total = basePoints
        var points = [Int64]()
        points.reserveCapacity(characteristics.count)
        var reasons: [String] = []
        // The four largest shortfalls, ties in model order: kept by insertion into four slots
        // while the characteristics go by in model order (a later one never passes an equal one),
        // so no array of every shortfall and no sort per user.
        // The characteristics are read in place: a copy of each (`enumerated()`) retained and
        // released its reason, text and bins, 16% of a month close's scoring.
        characteristics.withUnsafeBufferPointer { characteristics in
            withUnsafeTemporaryAllocation(of: (index: Int, shortfall: Int64).self, capacity: 4) { top in
                var kept = 0
                for i in characteristics.indices {
                    let p = characteristics[i].points(for: features.value(of: characteristics[i].feature)) ?? 0
                    points.append(p)
                    total += p
                    let short = characteristics[i].maxPoints - p
                    guard short > 0 else { continue }
                    var k = kept
                    while k > 0 && top[k - 1].shortfall < short { k -= 1 }
                    guard k < 4 else { continue }
                    var j = Swift.min(kept, 3)
                    while j > k {
                        top[j] = top[j - 1]
                        j -= 1
                    }
                    top[k] = (i, short)
                    kept = Swift.min(kept + 1, 4)
                }
                reasons.reserveCapacity(kept)
                for k in 0..<kept { reasons.append(characteristics[top[k].index].reason) }
            }
        }
        return Result(score: Swift.min(Swift.max(total, minScore), maxScore), points: points, reasons: reasons)
    }

    /// The reason text of a code, for people.
    public func text(forReason code: String) -> String? {
        characteristics.first(where: { $0.reason == code })?.text
    }
}
