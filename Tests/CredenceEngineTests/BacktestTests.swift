import CredenceCore
import EventLog
import Foundation
import SnapshotStore
import Testing

@testable import CredenceEngine

/// Models for governance tests: the default under another name, and one with changed points and thresholds.
enum CandidateModels {
    static func json(_ edit: (inout [String: Any]) -> Void) -> [UInt8] {
        var o = try! JSONSerialization.jsonObject(with: Data(Scorecard.defaultModelJSON.utf8)) as! [String: Any]
        edit(&o)
        return Array(try! JSONSerialization.data(withJSONObject: o, options: [.sortedKeys]))
    }

    /// The default model, renamed.
    static let renamedDefault = json { $0["model_version"] = "default-copy" }

    /// Changed points (the current-delinquency and tenure characteristics) and thresholds.
    static let changed = json { o in
        o["model_version"] = "candidate-2"
        var chars = o["characteristics"] as! [[String: Any]]
        for i in chars.indices {
            var bins = chars[i]["bins"] as! [[String: Any]]
            switch chars[i]["feature"] as! String {
            case "max_dpd_current":
                bins[0]["points"] = 110  // more weight on being current
                bins[1]["points"] = 30
            case "tenure_days":
                for j in bins.indices { bins[j]["points"] = (bins[j]["points"] as! Int) / 2 }
            default:
                break
            }
            chars[i]["bins"] = bins
        }
        o["characteristics"] = chars
        var services = o["services"] as! [String: Any]
        services["pay_later"] = 630
        services["deposit_free_rental"] = 615
        o["services"] = services
    }

    static func scorecard(_ bytes: [UInt8]) -> Scorecard { try! Scorecard.load(json: bytes) }
}

@Suite struct BacktestTests {
    /// A data directory with a generated stream ingested under `model`.
    func ingested(_ dir: TempDir, _ name: String, events: String, model: Scorecard = .default) throws
        -> EngineConfiguration
    {
        var c = EngineConfiguration()
        c.dataDirectory = dir.path + "/" + name
        c.model = model
        c.log.durability = .none
        let engine = try Engine.open(c)
        _ = try engine.ingest(files: [events])
        try engine.close()
        return c
    }

    @Test func theDefaultAgainstItselfSwapsNobodyAndHasAPSIOfZero() throws {
        let dir = TempDir()
        let events = dir.file("events.ndjson", generated(users: 150, months: 5, seed: 11))
        let live = try ingested(dir, "live", events: events)
        let report = try Backtest.run(
            BacktestConfiguration(engine: live, candidate: CandidateModels.scorecard(CandidateModels.renamedDefault)))
        #expect(report.baseline == "default-1")
        #expect(report.candidate == "default-copy")
        #expect(report.months.count >= 4)
        for m in report.months {
            #expect(m.users > 0)
            #expect(m.psi == 0)
            #expect(m.movers.isEmpty)
            #expect(m.services.map(\.service) == Scorecard.default.services.map(\.name))
            for s in m.services {
                #expect(s.swapIn == 0 && s.swapOut == 0)
                #expect(s.baselineEligible == s.candidateEligible)
            }
            if m.month != report.months[0].month {
                #expect(m.baselinePSIPreviousMonth == m.candidatePSIPreviousMonth)
            }
        }
        // The live store is only read: still one model in it.
        let store = try SnapshotAccess.open(live)
        #expect(try store.months(modelVersion: "default-copy").isEmpty)
    }

    @Test func aChangedCandidateSwapsExactlyWhatASecondDataDirectoryShows() throws {
        let dir = TempDir()
        let events = dir.file("events.ndjson", generated(users: 300, months: 6, seed: 23))
        let candidate = CandidateModels.scorecard(CandidateModels.changed)
        let live = try ingested(dir, "live", events: events)
        let second = try ingested(dir, "second", events: events, model: candidate)
        let report = try Backtest.run(BacktestConfiguration(engine: live, candidate: candidate))

        let a = try SnapshotAccess.open(live)
        let b = try SnapshotAccess.open(second)
        let months = try a.months(modelVersion: "default-1").map(\.month)
        #expect(report.months.map(\.month) == months)
        var anySwap = false
        for m in report.months {
            // The independent count: the two exports, line by line, parsed as JSON.
            let left = try exportScores(a, m.month, "default-1")
            let right = try exportScores(b, m.month, "candidate-2")
            #expect(left.map(\.user) == right.map(\.user))
            #expect(m.users == left.count)
            for s in m.services {
                let t0 = Scorecard.default.services.first { $0.name == s.service }!.threshold
                let t1 = candidate.services.first { $0.name == s.service }!.threshold
                var swapIn = 0
                var swapOut = 0
                for (x, y) in zip(left, right) {
                    if y.score >= t1 && x.score < t0 { swapIn += 1 }
                    if x.score >= t0 && y.score < t1 { swapOut += 1 }
                }
                #expect(s.swapIn == swapIn, "\(m.month) \(s.service)")
                #expect(s.swapOut == swapOut, "\(m.month) \(s.service)")
                #expect(s.baselineEligible == left.filter { $0.score >= t0 }.count)
                #expect(s.candidateEligible == right.filter { $0.score >= t1 }.count)
                if swapIn + swapOut > 0 { anySwap = true }
            }
            let largest = zip(left, right).map { abs($1.score - $0.score) }.max() ?? 0
            #expect(m.movers.first.map { abs($0.change) } ?? 0 == largest)
            if let top = m.movers.first, let i = left.firstIndex(where: { $0.user == top.userID }) {
                #expect(top.baselineReasons == left[i].reasons)
                #expect(top.candidateReasons == right[i].reasons)
            }
        }
        #expect(anySwap, "the candidate should move someone across a threshold")
        #expect(report.months.contains { ($0.psi ?? 0) > 0 })
    }

    @Test func monthsLimitTheComparison() throws {
        let dir = TempDir()
        let events = dir.file("events.ndjson", generated(users: 60, months: 5, seed: 3))
        let live = try ingested(dir, "live", events: events)
        let all = try SnapshotAccess.open(live).months(modelVersion: "default-1").map(\.month)
        var c = BacktestConfiguration(engine: live, candidate: CandidateModels.scorecard(CandidateModels.changed))
        c.months = all[1]...all[2]
        let report = try Backtest.run(c)
        #expect(report.months.map(\.month) == [all[1], all[2]])
        #expect(report.months[0].baselinePSIPreviousMonth == nil)
        #expect(report.months[1].baselinePSIPreviousMonth != nil)
    }

    @Test func psiIsZeroForEqualPopulationsAndUsesEpsilonForEmptyBands() {
        #expect(PopulationStability.index([1, 2, 3], [2, 4, 6]) == 0)
        #expect(PopulationStability.index([0, 0], [0, 0]) == nil)
        // Half the population moves from band 0 to an empty band 1.
        let e = 1e-4
        let expected = (0.5 - 1.0) * log(0.5 / 1.0) + (0.5 - e) * log(0.5 / e)
        let psi = PopulationStability.index([10, 0], [5, 5])!
        #expect(abs(psi - expected) < 1e-12)
        #expect(PopulationStability.index([5, 5], [10, 0])! == psi)
    }

    struct Line {
        var user: String
        var score: Int64
        var reasons: [String]
    }

    func exportScores(_ store: SnapshotStore, _ month: Month, _ version: String) throws -> [Line] {
        var out = [Line]()
        try store.export(month: month, modelVersion: version) { line in
            let o = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            out.append(
                Line(
                    user: o["user_id"] as! String, score: Int64(o["score"] as! Int),
                    reasons: o["reasons"] as! [String]))
        }
        return out
    }
}
