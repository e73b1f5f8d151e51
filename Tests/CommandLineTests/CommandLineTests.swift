import CredenceTestSupport
import Foundation
import Testing

/// The CLI as a user runs it: whole commands, their output and exit codes.
@Suite(.serialized) struct CommandLineTests {
    func credence(_ args: [String]) throws -> CommandRunner.Result { try CommandRunner.credence(args) }

    @Test func ownExampleIngestExportScoreAndReplay() throws {
        try #require(CommandRunner.isBuilt, "run `swift build` first")
        let dir = TemporaryDirectory()
        let data = dir.path + "/data"
        let example = Repository.workedExample
        let ingest = try credence(["ingest", "--data-dir", data, example.events])
        #expect(ingest.status == 0)
        #expect(ingest.out.contains("accepted           33"))
        #expect(ingest.out.contains("months closed      4 in all, 2025-04 to 2025-07"))
        for month in example.months {
            let export = try credence(["snapshot", "export", "--data-dir", data, "--month", month])
            #expect(Array(export.out.utf8) == (try example.expected(month)), "export of \(month)")
        }
        let score = try credence(["score", "ben", "--data-dir", data, "--as-of", "2025-08-03T00:00:00+08:00"])
        #expect(score.out.contains("score for 2025-07 (model default-1): 420"))
        let erased = try credence(["score", "dee", "--data-dir", data])
        let unknown = try credence(["score", "nobody", "--data-dir", data])
        #expect(erased.status != 0 && unknown.status != 0)
        #expect(
            erased.err.replacingOccurrences(of: "dee", with: "X")
                == unknown.err.replacingOccurrences(of: "nobody", with: "X"))
        let replay = try credence(["replay", "--data-dir", data])
        #expect(replay.status == 0)
        #expect(replay.out.components(separatedBy: "identical to the live export").count == 5)
    }

    /// `bench`'s restart probe (``RestartProbe``), which the benchmark runs as a process of its
    /// own: one line with the resident bytes and the users the restart holds.
    @Test func benchRestartProbeReportsResidentBytesAndUsers() throws {
        try #require(CommandRunner.isBuilt, "run `swift build` first")
        let dir = TemporaryDirectory()
        let data = dir.path + "/data"
        _ = try credence(["ingest", "--data-dir", data, Repository.workedExample.events])
        func probe(_ directory: String) throws -> (resident: Int, users: Int) {
            let run = try credence(["bench", "--probe-restart", directory, "--shards", "1"])
            #expect(run.status == 0, "\(run.err)")
            let fields = Dictionary(
                uniqueKeysWithValues: run.out.split(whereSeparator: \.isWhitespace).map {
                    let kv = $0.split(separator: "=", maxSplits: 1)
                    return (String(kv[0]), Int(kv[1]) ?? -1)
                })
            return (fields["resident"] ?? -1, fields["users"] ?? -1)
        }
        let full = try probe(data)
        // The example's five users (`has space` is not a valid user_id, so it never gets a state).
        #expect(full.users == 5)
        #expect(full.resident > 1 << 20)
        let empty = try probe(dir.path + "/empty")
        #expect(empty.users == 0)
        #expect(empty.resident > 1 << 20)
    }

    // Needs ../shared/spec (the CI machine has it); a clone on its own skips this, and
    // `ownExampleIngestExportScoreAndReplay` covers the same ground.
    @Test(.enabled(if: SharedSpec.isAvailable, "../shared/spec is not beside this clone"))
    func ingestExportScoreReplayAndVerify() throws {
        try #require(CommandRunner.isBuilt, "run `swift build` first")
        let dir = TemporaryDirectory()
        let data = dir.path + "/data"
        let ingest = try credence(["ingest", "--data-dir", data, SharedSpec.workedExample.events])
        #expect(ingest.status == 0)
        #expect(ingest.out.contains("accepted           31"))
        #expect(ingest.out.contains("months closed      4 in all, 2025-12 to 2026-03"))

        let list = try credence(["snapshot", "list", "--data-dir", data])
        #expect(list.out.contains("2026-03  0         4"))

        let export = try credence(["snapshot", "export", "--data-dir", data, "--month", "2026-02"])
        #expect(Array(export.out.utf8) == (try SharedSpec.workedExample.expected("2026-02")))

        let notClosed = try credence(["snapshot", "export", "--data-dir", data, "--month", "2026-04"])
        #expect(notClosed.status != 0)
        #expect(notClosed.err.contains("month 2026-04 is not closed"))

        let score = try credence(["score", "u1", "--data-dir", data, "--as-of", "2026-04-01T00:00:00+08:00"])
        #expect(score.out.contains("score for 2026-03 (model default-1): 646"))
        #expect(score.out.contains("R08  Short time since activation"))
        let json = try credence(["score", "u1", "--json", "--data-dir", data])
        let object = try JSONSerialization.jsonObject(with: Data(json.out.utf8)) as? [String: Any]
        #expect((object?["latest"] as? [String: Any])?["score"] as? Int == 646)
        let erased = try credence(["score", "u4", "--data-dir", data])
        let unknown = try credence(["score", "nobody", "--data-dir", data])
        #expect(erased.status != 0 && unknown.status != 0)
        #expect(
            erased.err.replacingOccurrences(of: "u4", with: "X")
                == unknown.err.replacingOccurrences(of: "nobody", with: "X"))

        let replay = try credence(["replay", "--data-dir", data])
        #expect(replay.status == 0)
        #expect(replay.out.components(separatedBy: "identical to the live export").count == 5)

        let verify = try credence(["log", "verify", "--data-dir", data])
        #expect(verify.status == 0)
        #expect(verify.out.contains("ok: every record is framed, checksummed and readable"))
        // A flipped bit in the log is found.
        let segment = data + "/log/00000000000000000000.seg"
        var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: segment)))
        bytes[bytes.count / 2] ^= 0x10
        try Data(bytes).write(to: URL(fileURLWithPath: segment))
        let broken = try credence(["log", "verify", "--data-dir", data])
        #expect(broken.status == 2)
        #expect(broken.out.contains("problem:"))
    }

    /// `--no-late` keeps the noise but no event later than the lateness; without it there are some.
    @Test func generateNoLateKeepsTheNoiseButNoLateEvents() throws {
        try #require(CommandRunner.isBuilt, "run `swift build` first")
        let dir = TemporaryDirectory()
        func ingest(_ flags: [String]) throws -> String {
            let file = dir.path + "/events\(flags.count).ndjson"
            let generated = try credence(
                ["generate", "--users", "300", "--months", "4", "--seed", "8", "--output", file] + flags)
            #expect(generated.status == 0, "\(generated.err)")
            let run = try credence(["ingest", "--data-dir", dir.path + "/d\(flags.count)", "--no-fsync", file])
            #expect(run.status == 0, "\(run.err)")
            return run.out
        }
        func count(_ name: String, in summary: String) -> Int? {
            guard
                let line = summary.split(separator: "\n").first(where: {
                    $0.split(separator: " ").first == Substring(name)
                })
            else { return nil }
            return Int(line.split(separator: " ").last!.replacingOccurrences(of: ",", with: ""))
        }
        let noLate = try ingest(["--no-late"])
        let noisy = try ingest([])
        #expect(count("late", in: noLate) == 0, "\(noLate)")
        #expect((count("duplicates", in: noLate) ?? 0) > 0 && (count("rejected", in: noLate) ?? 0) > 0, "\(noLate)")
        #expect((count("late", in: noisy) ?? 0) > 0, "\(noisy)")
    }

    @Test func theDuplicateWindowIsAnOptionOfAtLeastSevenDays() throws {
        try #require(CommandRunner.isBuilt, "run `swift build` first")
        let dir = TemporaryDirectory()
        func payment(_ id: String, _ date: String) -> String {
            #"{"event_id":"\#(id)","type":"payment","user_id":"ann","occurred_at":"\#(date)T10:00:00+08:00","payment_id":"\#(id)","amount_minor":100,"currency":"CNY","merchant_category":"x","outcome":"approved"}"#
        }
        // The same event again once event time has moved on 29 days.
        let lines = [payment("p1", "2025-01-02"), payment("p2", "2025-01-31"), payment("p1", "2025-01-02")]
        let file = dir.file("events.ndjson", Array((lines.joined(separator: "\n") + "\n").utf8))
        func duplicates(_ flags: [String], _ name: String) throws -> String? {
            // A batch per event: the window is swept after each batch.
            let run = try credence(
                ["ingest", "--data-dir", dir.path + "/" + name, "--no-fsync", "--batch-size", "1"] + flags + [file])
            #expect(run.status == 0, "\(run.err)")
            return run.out.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
                .first { $0.hasPrefix("duplicates") }
        }
        #expect(try duplicates([], "default")?.hasSuffix(" 1") == true, "35 days: still known")
        #expect(try duplicates(["--dedup-window-days", "7"], "week")?.hasSuffix(" 0") == true, "7 days: forgotten")
        let refused = try credence(["ingest", "--data-dir", dir.path + "/x", "--dedup-window-days", "6", file])
        #expect(refused.status != 0)
        #expect(refused.err.contains("--dedup-window-days must be at least 7"))
    }

    @Test func generateIsDeterministicAndBadModelsAreRefused() throws {
        try #require(CommandRunner.isBuilt, "run `swift build` first")
        let a = try credence(["generate", "--users", "50", "--months", "3", "--seed", "5"])
        let b = try credence(["generate", "--users", "50", "--months", "3", "--seed", "5"])
        let c = try credence(["generate", "--users", "50", "--months", "3", "--seed", "6"])
        #expect(a.status == 0 && !a.out.isEmpty)
        #expect(a.out == b.out)
        #expect(a.out != c.out)

        let dir = TemporaryDirectory()
        let model = dir.file("model.json", Array(#"{"model_version":"x"}"#.utf8))
        let refused = try credence([
            "ingest", "--data-dir", dir.path + "/d", "--model", model, Repository.workedExample.events,
        ])
        #expect(refused.status != 0)
        #expect(refused.err.contains("invalid scorecard model: range: missing"))
    }
}
