public import CredenceCore
public import SnapshotStore

/// What a backtest found: every compared month, the live model beside the candidate.
///
/// `Encodable` gives the `--json` document:
/// `{"baseline": VERSION, "candidate": VERSION, "months": [{"month": "YYYY-MM", "users": N, "psi": X,
/// "services": [{"service": NAME, "baseline_eligible": N, "candidate_eligible": N, "swap_in": N,
/// "swap_out": N}], ...}]}`.
public struct BacktestReport: Sendable, Encodable {
    /// The live model's version (the stored snapshots).
    public var baseline: String
    /// The candidate's version.
    public var candidate: String
    /// How the PSI is computed, for a reader of the JSON alone.
    public var psiDefinition = "sum over score bands of (a-e)*ln(a/e), shares, empty band = 0.0001"
    /// The score bands of the histograms and of the PSI.
    public var bands: [String]
    public var months: [MonthComparison]

    enum CodingKeys: String, CodingKey {
        case baseline, candidate, bands, months
        case psiDefinition = "psi_definition"
    }

    /// Swaps over every compared month, per service.
    public var totalSwaps: (swapIn: Int, swapOut: Int) {
        months.reduce((0, 0)) { acc, m in
            m.services.reduce(acc) { ($0.0 + $1.swapIn, $0.1 + $1.swapOut) }
        }
    }
}

/// One closed month scored by both models.
public struct MonthComparison: Sendable, Encodable {
    public var month: Month
    /// Users scored in the month (the same under both models: who is scored does not depend on the model).
    public var users: Int
    /// PSI between the live model's and the candidate's distributions of this month.
    public var psi: Double?
    /// PSI of the live model between the previous compared month and this one.
    public var baselinePSIPreviousMonth: Double?
    /// PSI of the candidate between the previous compared month and this one.
    public var candidatePSIPreviousMonth: Double?
    public var baselineDistribution: ScoreDistribution
    public var candidateDistribution: ScoreDistribution
    public var services: [ServiceComparison]
    /// The users whose score moves most, largest move first (ties by user id).
    public var movers: [Mover]

    enum CodingKeys: String, CodingKey {
        case month, users, psi, services, movers
        case baselinePSIPreviousMonth = "baseline_psi_previous_month"
        case candidatePSIPreviousMonth = "candidate_psi_previous_month"
        case baselineDistribution = "baseline_distribution"
        case candidateDistribution = "candidate_distribution"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(month.description, forKey: .month)
        try c.encode(users, forKey: .users)
        try c.encode(psi, forKey: .psi)
        try c.encode(services, forKey: .services)
        try c.encode(baselinePSIPreviousMonth, forKey: .baselinePSIPreviousMonth)
        try c.encode(candidatePSIPreviousMonth, forKey: .candidatePSIPreviousMonth)
        try c.encode(DistributionJSON(baselineDistribution), forKey: .baselineDistribution)
        try c.encode(DistributionJSON(candidateDistribution), forKey: .candidateDistribution)
        try c.encode(movers, forKey: .movers)
    }
}

/// Eligibility for one service under both models.
public struct ServiceComparison: Sendable, Encodable {
    public var service: String
    /// `nil` when the model does not offer the service (nobody is eligible for it).
    public var baselineThreshold: Int64?
    public var candidateThreshold: Int64?
    public var baselineEligible: Int
    public var candidateEligible: Int
    /// Eligible under the candidate, not under the live model.
    public var swapIn: Int
    /// Eligible under the live model, not under the candidate.
    public var swapOut: Int

    enum CodingKeys: String, CodingKey {
        case service
        case baselineThreshold = "baseline_threshold"
        case candidateThreshold = "candidate_threshold"
        case baselineEligible = "baseline_eligible"
        case candidateEligible = "candidate_eligible"
        case swapIn = "swap_in"
        case swapOut = "swap_out"
    }
}

/// A user whose score differs between the two models, with both models' reasons.
public struct Mover: Sendable, Encodable {
    public var userID: String
    public var baselineScore: Int64
    public var candidateScore: Int64
    public var baselineReasons: [String]
    public var candidateReasons: [String]

    public var change: Int64 { candidateScore - baselineScore }

    enum CodingKeys: String, CodingKey {
        case userID = "user_id"
        case baselineScore = "baseline_score"
        case candidateScore = "candidate_score"
        case change
        case baselineReasons = "baseline_reasons"
        case candidateReasons = "candidate_reasons"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(userID, forKey: .userID)
        try c.encode(baselineScore, forKey: .baselineScore)
        try c.encode(candidateScore, forKey: .candidateScore)
        try c.encode(change, forKey: .change)
        try c.encode(baselineReasons, forKey: .baselineReasons)
        try c.encode(candidateReasons, forKey: .candidateReasons)
    }
}

/// A distribution as JSON: counts per band in ``PopulationStability/bands(_:)`` order, and percentiles.
struct DistributionJSON: Encodable {
    var counts: [Int]
    var p10: Int64?
    var p50: Int64?
    var p90: Int64?

    init(_ d: ScoreDistribution) {
        counts = PopulationStability.bands(d)
        p10 = d.p10
        p50 = d.p50
        p90 = d.p90
    }
}
