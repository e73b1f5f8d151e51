import CredenceEngine
import Foundation
import SnapshotStore

/// A backtest report as `credence model backtest --json` writes it, read back for the console.
struct ConsoleBacktest: Decodable {
    var baseline: String
    var candidate: String
    var months: [MonthPart]

    struct MonthPart: Decodable {
        var month: String
        var users: Int
        var psi: Double?
        var baselinePSIPreviousMonth: Double?
        var candidatePSIPreviousMonth: Double?
        var baselineDistribution: Counts
        var candidateDistribution: Counts
        var services: [Service]
        var movers: [Mover]

        enum CodingKeys: String, CodingKey {
            case month, users, psi, services, movers
            case baselinePSIPreviousMonth = "baseline_psi_previous_month"
            case candidatePSIPreviousMonth = "candidate_psi_previous_month"
            case baselineDistribution = "baseline_distribution"
            case candidateDistribution = "candidate_distribution"
        }
    }

    struct Counts: Decodable {
        var counts: [Int]
    }

    struct Service: Decodable {
        var service: String
        var baselineThreshold: Int64?
        var candidateThreshold: Int64?
        var baselineEligible: Int
        var candidateEligible: Int
        var swapIn: Int
        var swapOut: Int

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

    struct Mover: Decodable {
        var userID: String
        var baselineScore: Int64
        var candidateScore: Int64
        var baselineReasons: [String]
        var candidateReasons: [String]

        enum CodingKeys: String, CodingKey {
            case userID = "user_id"
            case baselineScore = "baseline_score"
            case candidateScore = "candidate_score"
            case baselineReasons = "baseline_reasons"
            case candidateReasons = "candidate_reasons"
        }
    }

    /// A distribution with the band counts of the report (one representative score per band).
    static func distribution(_ c: Counts) -> ScoreDistribution {
        let empty = ScoreDistribution(scoreCounts: [])
        var pairs = [(score: Int64, count: Int)]()
        let lower = empty.buckets.first?.lower ?? 300
        let upper = empty.buckets.last?.upper ?? 850
        for (i, n) in c.counts.enumerated() where n > 0 {
            if i == 0 {
                pairs.append((lower - 1, n))
            } else if i - 1 < empty.buckets.count {
                pairs.append((empty.buckets[i - 1].lower, n))
            } else {
                pairs.append((upper + 1, n))
            }
        }
        return ScoreDistribution(scoreCounts: pairs)
    }

    static func psi(_ v: Double?) -> String { v.map { String(format: "%.4f", $0) } ?? "-" }

    static func render(_ r: ConsoleBacktest, anchor: String = "compare") -> String {
        let b = ConsolePage.escape(r.baseline)
        let c = ConsolePage.escape(r.candidate)
        var s = "<p class=\"note\">Live model <b>\(b)</b> beside candidate <b>\(c)</b>, \(r.months.count) months."
        s +=
            " PSI over the score bands: sum of (a-e)&middot;ln(a/e) of the shares, an empty band counted as 0.0001.</p>"
        s += "<div class=\"card\" id=\"\(anchor)-psi\">"
        s += ScoreCharts.lines(
            title: "PSI", months: r.months.map(\.month),
            series: [
                ("\(r.baseline) vs \(r.candidate)", r.months.map(\.psi)),
                ("\(r.baseline) month to month", r.months.map(\.baselinePSIPreviousMonth)),
                ("\(r.candidate) month to month", r.months.map(\.candidatePSIPreviousMonth)),
            ], yRange: 0...max(0.1, r.months.compactMap(\.psi).max() ?? 0),
            yFormat: { String(format: "%.3f", $0) })
        s += "</div>"
        for m in r.months.reversed() {
            s += "<h2 id=\"\(anchor)-\(ConsolePage.escape(m.month))\">\(ConsolePage.escape(m.month)): \(m.users) users,"
            s += " PSI \(psi(m.psi))</h2><div class=\"side\"><div class=\"card\">"
            var thresholds = m.services.compactMap { x in x.baselineThreshold.map { (name: x.service, threshold: $0) } }
            for x in m.services where x.candidateThreshold != x.baselineThreshold {
                if let t = x.candidateThreshold { thresholds.append((name: x.service + " (candidate)", threshold: t)) }
            }
            s += ScoreCharts.histogram(
                title: "\(m.month): live and candidate",
                series: [
                    .init(
                        name: r.baseline, distribution: distribution(m.baselineDistribution),
                        color: ScoreCharts.palette[0]),
                    .init(
                        name: r.candidate, distribution: distribution(m.candidateDistribution),
                        color: ScoreCharts.palette[1]),
                ], thresholds: thresholds, width: 560, height: 320)
            s += "</div><div>"
            s += ConsolePage.table(
                ["service", "threshold \(b) / \(c)", "eligible \(b)", "eligible \(c)", "swap-in", "swap-out"],
                m.services.map { x in
                    [
                        ConsolePage.escape(x.service),
                        "\(x.baselineThreshold.map(String.init) ?? "-") / \(x.candidateThreshold.map(String.init) ?? "-")",
                        "\(x.baselineEligible)", "\(x.candidateEligible)", "\(x.swapIn)", "\(x.swapOut)",
                    ]
                })
            if !m.movers.isEmpty {
                s += ConsolePage.table(
                    ["largest movers", b, c, "reasons \(b)", "reasons \(c)"],
                    m.movers.map { v in
                        [
                            "<a href=\"/console/users/\(ConsolePage.escape(v.userID))\">\(ConsolePage.escape(v.userID))</a>",
                            "\(v.baselineScore)", "\(v.candidateScore)",
                            ConsolePage.escape(v.baselineReasons.joined(separator: " ")),
                            ConsolePage.escape(v.candidateReasons.joined(separator: " ")),
                        ]
                    })
            }
            s += "</div></div>"
        }
        return s
    }
}
