public import CredenceCore
import Foundation
import SnapshotStore

extension BacktestReport {
    /// The report as a terminal table: one block per month.
    ///
    /// ```
    /// backtest: candidate default-2 against the live model default-1, 3 months
    ///
    /// 2026-01  1,950 users  PSI live/candidate 0.0000  month-to-month live 0.0123  candidate 0.0125
    ///   p10/p50/p90   live 512/604/688   candidate 520/611/690
    ///   service                      threshold   eligible live   candidate   swap-in  swap-out
    ///   pay_later                    650 / 660   40.1%           38.2%       12       35
    ///   largest movers: u12 640 -> 700 (R05 R09 -> R09), ...
    /// ```
    public func text(baselineModel: Scorecard? = nil, candidateModel: Scorecard? = nil) -> String {
        var out = [String]()
        out.append(
            "backtest: candidate \(candidate) against the live model \(baseline), \(months.count) month"
                + (months.count == 1 ? "" : "s"))
        out.append("PSI: sum over score bands (\(bands.first ?? "")...\(bands.last ?? "")) of (a-e)*ln(a/e)")
        for m in months {
            out.append("")
            var head = "\(m.month)  \(Self.count(m.users)) users  PSI live/candidate \(Self.psi(m.psi))"
            if m.baselinePSIPreviousMonth != nil || m.candidatePSIPreviousMonth != nil {
                head +=
                    "  month-to-month live \(Self.psi(m.baselinePSIPreviousMonth))"
                    + "  candidate \(Self.psi(m.candidatePSIPreviousMonth))"
            }
            out.append(head)
            out.append(
                "  p10/p50/p90   live \(Self.percentiles(m.baselineDistribution))   "
                    + "candidate \(Self.percentiles(m.candidateDistribution))")
            out.append(
                "  " + Self.pad("service", 28) + Self.pad("threshold", 13) + Self.pad("eligible live", 15)
                    + Self.pad("candidate", 11) + Self.pad("swap-in", 9) + "swap-out")
            for s in m.services {
                let thresholds =
                    "\(s.baselineThreshold.map(String.init) ?? "-") / "
                    + "\(s.candidateThreshold.map(String.init) ?? "-")"
                out.append(
                    "  " + Self.pad(s.service, 28) + Self.pad(thresholds, 13)
                        + Self.pad(Self.share(s.baselineEligible, m.users), 15)
                        + Self.pad(Self.share(s.candidateEligible, m.users), 11)
                        + Self.pad(Self.count(s.swapIn), 9) + Self.count(s.swapOut))
            }
            if m.movers.isEmpty {
                out.append("  no score changes")
            } else {
                out.append("  largest movers (reasons: live -> candidate):")
                var codes = [String]()
                for v in m.movers {
                    let sign = v.change > 0 ? "+" : ""
                    out.append(
                        "    " + Self.pad(v.userID, 16)
                            + Self.pad("\(v.baselineScore) -> \(v.candidateScore) (\(sign)\(v.change))", 20)
                            + Self.codes(v.baselineReasons) + " -> " + Self.codes(v.candidateReasons))
                    for c in v.baselineReasons + v.candidateReasons where !codes.contains(c) { codes.append(c) }
                }
                let texts = codes.sorted().compactMap { c in
                    (candidateModel?.text(forReason: c) ?? baselineModel?.text(forReason: c)).map { "\(c) \($0)" }
                }
                if !texts.isEmpty { out.append("    " + texts.joined(separator: "; ")) }
            }
        }
        let t = totalSwaps
        out.append("")
        out.append("in all: \(Self.count(t.swapIn)) swap-ins, \(Self.count(t.swapOut)) swap-outs over every service")
        return out.joined(separator: "\n")
    }

    static func codes(_ codes: [String]) -> String { codes.isEmpty ? "none" : codes.joined(separator: " ") }

    static func psi(_ v: Double?) -> String { v.map { String(format: "%.4f", $0) } ?? "n/a" }

    static func share(_ n: Int, _ of: Int) -> String {
        of == 0 ? "-" : String(format: "%.1f%%", 100 * Double(n) / Double(of))
    }

    static func percentiles(_ d: ScoreDistribution) -> String {
        guard let a = d.p10, let b = d.p50, let c = d.p90 else { return "-" }
        return "\(a)/\(b)/\(c)"
    }

    static func pad(_ s: String, _ n: Int) -> String {
        s.count >= n ? s + " " : s.padding(toLength: n, withPad: " ", startingAt: 0)
    }

    /// 1234567 → "1,234,567" (the command line's counts too).
    public static func count(_ n: Int) -> String {
        let s = String(n.magnitude)
        var out = ""
        for (i, c) in s.enumerated() {
            if i > 0 && (s.count - i) % 3 == 0 { out += "," }
            out.append(c)
        }
        return (n < 0 ? "-" : "") + out
    }
}
