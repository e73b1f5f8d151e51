import CredenceCore
import CredenceTestSupport
import Foundation
import Testing

/// `credence model backtest` and `credence snapshot show` as a user runs them.
@Suite(.serialized) struct ModelCommandTests {
    func credence(_ args: [String]) throws -> CommandRunner.Result {
        try CommandRunner.credence(args)
    }

    @Test func backtestJSONTableAndInvalidCandidates() throws {
        try #require(CommandRunner.isBuilt, "run `swift build` first")
        let dir = TempDir()
        let data = dir.path + "/data"
        let events = dir.file("events.ndjson", generated(users: 120, months: 4, seed: 5))
        #expect(try credence(["ingest", "--no-fsync", "--data-dir", data, events]).status == 0)
        let same = dir.file("same.json", CandidateModels.renamedDefault)
        let changed = dir.file("changed.json", CandidateModels.changed)

        let json = try credence(["model", "backtest", "--data-dir", data, "--model", same, "--json"])
        #expect(json.status == 0, "\(json.err)")
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(json.out.utf8)) as? [String: Any])
        #expect(doc["baseline"] as? String == "default-1")
        #expect(doc["candidate"] as? String == "default-copy")
        let months = try #require(doc["months"] as? [[String: Any]])
        #expect(!months.isEmpty)
        for m in months {
            #expect((m["month"] as? String).flatMap(Month.init) != nil)
            #expect(m["users"] as? Int ?? 0 > 0)
            #expect(m["psi"] as? Double == 0)
            let services = try #require(m["services"] as? [[String: Any]])
            #expect(services.count == 4)
            for s in services {
                #expect(s["swap_in"] as? Int == 0 && s["swap_out"] as? Int == 0)
                #expect(s["baseline_eligible"] as? Int == s["candidate_eligible"] as? Int)
                #expect(s["service"] is String)
            }
        }

        let table = try credence(["model", "backtest", "--data-dir", data, "--model", changed, "--movers", "2"])
        #expect(table.status == 0)
        #expect(table.out.contains("backtest: candidate candidate-2 against the live model default-1"))
        #expect(table.out.contains("pay_later                   650 / 630"))

        // An invalid candidate: the model's path-precise error, a non-zero exit, no report.
        var broken = try JSONSerialization.jsonObject(with: Data(CandidateModels.changed)) as! [String: Any]
        var chars = broken["characteristics"] as! [[String: Any]]
        var bins = chars[2]["bins"] as! [[String: Any]]
        bins[1]["max"] = -5
        chars[2]["bins"] = bins
        broken["characteristics"] = chars
        let bad = dir.file("bad.json", Array(try JSONSerialization.data(withJSONObject: broken)))
        let refused = try credence(["model", "backtest", "--data-dir", data, "--model", bad, "--json"])
        #expect(refused.status != 0)
        #expect(refused.out.isEmpty)
        #expect(refused.err.contains("invalid scorecard model: characteristics[2].bins[1].max"))
        let validate = try credence(["model", "validate", bad])
        #expect(validate.status != 0)
        #expect(try credence(["model", "validate", changed]).out.contains("model candidate-2 is valid"))
        let outside = try credence([
            "model", "backtest", "--data-dir", data, "--model", same, "--months", "2000-01..2000-02",
        ])
        #expect(outside.status != 0)
        #expect(outside.err.contains("no closed month in the range"))
    }

    @Test(.enabled(if: SharedSpec.isAvailable, "the spec's worked example (../shared/spec) is not beside this clone"))
    func snapshotShowPrintsTheHistogramAndWritesTheSVG() throws {
        try #require(CommandRunner.isBuilt, "run `swift build` first")
        let dir = TempDir()
        let data = dir.path + "/data"
        #expect(try credence(["ingest", "--data-dir", data, SharedSpec.workedExample.events]).status == 0)
        let svg = dir.path + "/2026-02.svg"
        let show = try credence(["snapshot", "show", "--data-dir", data, "--month", "2026-02", "--svg", svg])
        #expect(show.status == 0, "\(show.err)")
        #expect(show.out.contains("scores of 2026-02 (model default-1)"))
        #expect(show.out.contains("pay_later                    >= 650:"))
        let text = try String(contentsOfFile: svg, encoding: .utf8)
        #expect(text.hasPrefix("<svg"))
        let counts = text.components(separatedBy: "data-count=\"").dropFirst().map { Int($0.prefix { $0 != "\"" })! }
        #expect(counts.count == 11)
        let export = try credence(["snapshot", "export", "--data-dir", data, "--month", "2026-02"])
        #expect(counts.reduce(0, +) == export.out.split(separator: "\n").count)
        #expect(text.components(separatedBy: "class=\"threshold\"").count - 1 == 4)
        let missing = try credence(["snapshot", "show", "--data-dir", data, "--month", "2030-01"])
        #expect(missing.status != 0)
        #expect(missing.err.contains("month 2030-01 is not closed"))
    }

    @Test func shadowModelsAndAPromotionFromTheCommandLine() throws {
        try #require(CommandRunner.isBuilt, "run `swift build` first")
        let dir = TempDir()
        let data = dir.path + "/data"
        let all = lines(generated(users: 100, months: 6, seed: 9, clean: true))
        let first = dir.file("first.ndjson", Array(all[..<(all.count / 2)].joined(separator: [10])) + [10])
        let second = dir.file("second.ndjson", Array(all[(all.count / 2)...].joined(separator: [10])) + [10])
        let candidate = dir.file("candidate.json", CandidateModels.changed)

        let ingest = try credence(["ingest", "--no-fsync", "--data-dir", data, "--shadow-model", candidate, first])
        #expect(ingest.status == 0, "\(ingest.err)")
        let shadowList = try credence(["snapshot", "list", "--data-dir", data, "--model-version", "candidate-2"])
        let liveList = try credence(["snapshot", "list", "--data-dir", data])
        #expect(shadowList.out == liveList.out, "the shadow has every live month")
        let month = try #require(liveList.out.split(separator: "\n").last.map { String($0.prefix(7)) })
        let shadowExport = try credence(
            ["snapshot", "export", "--data-dir", data, "--month", month, "--model-version", "candidate-2"])
        #expect(shadowExport.out.contains("\"model_version\":\"candidate-2\""))

        let promote = try credence(["model", "promote", "--data-dir", data, candidate])
        #expect(promote.status == 0, "\(promote.err)")
        #expect(promote.out.contains("promoted candidate-2 (was default-1)"))
        #expect(try credence(["ingest", "--no-fsync", "--data-dir", data, second]).status == 0)
        // The log says which model is live: no --model needed, and replay reproduces every export.
        let list = try credence(["snapshot", "list", "--data-dir", data])
        #expect(list.out.split(separator: "\n").count > 1)
        let replay = try credence(["replay", "--data-dir", data])
        #expect(replay.status == 0, "\(replay.out)")
        #expect(!replay.out.contains("DIFFERS"))
        let verify = try credence(["log", "verify", "--data-dir", data])
        #expect(verify.status == 0)
    }
}
