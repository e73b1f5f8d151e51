import CredenceCore
import CredenceTestSupport
import Foundation
import Testing

@testable import CredenceEngine

/// The spec's worked example through the whole engine: intake, the durable log, keys, month
/// close and the snapshot store. Needs ../shared/spec (the CI machine has it); a clone on its
/// own skips this suite, and `OwnWorkedExampleEngineTests` covers the same ground.
@Suite(.enabled(if: SharedSpec.isAvailable, "../shared/spec is not beside this clone"))
struct WorkedExampleEngineTests {
    @Test func ingestGivesTheExpectedExportsAndCounts() throws {
        let dir = TempDir()
        let engine = try Engine.open(configuration(dir))
        _ = try engine.ingest(files: [Paths.exampleEvents])
        let c = engine.counters
        #expect(c.accepted == 31)
        #expect(c.duplicates == 1)
        #expect(c.conflicts == 1)
        #expect(c.rejected == ["conflict": 1, "invalid_value": 1, "not_json": 1, "wrong_currency": 1, "wrong_type": 1])
        #expect(c.late == 1)
        #expect(engine.scoring.closedMonths.map(\.description) == ["2025-12", "2026-01", "2026-02", "2026-03"])
        let out = try exports(engine)
        #expect(out.count == 4)
        for (month, bytes) in out {
            #expect(bytes == (try Paths.expectedExport(month)), "export of \(month)")
        }
        try engine.close()
    }

    @Test func deadLettersKeepTheRawBytesAndTheReason() throws {
        let dir = TempDir()
        let engine = try Engine.open(configuration(dir))
        _ = try engine.ingest(files: [Paths.exampleEvents])
        try engine.close()
        let text = try String(contentsOfFile: dir.path + "/data/dead-letter/dead-letter.ndjson", encoding: .utf8)
        let letters = text.split(separator: "\n").compactMap { DeadLetter.parse(String($0)) }
        let input = try String(contentsOfFile: Paths.exampleEvents, encoding: .utf8).split(
            separator: "\n", omittingEmptySubsequences: false)
        #expect(letters.map(\.position) == [13, 18, 20, 24, 30])
        for letter in letters {
            #expect(letter.raw == Array(input[Int(letter.position) - 1].utf8))
        }
        #expect(letters.map(\.reason) == ["wrong_type", "invalid_value", "conflict", "not_json", "wrong_currency"])
        #expect(letters.last?.message == "currency USD is not the deployment currency CNY")
    }

    @Test func theDedupIndexSurvivesARestart() throws {
        let dir = TempDir()
        // The example spans four months: a window that covers it all, so every id is still known
        // (a restarted engine forgets what a running one forgets: ids older than the window).
        var c = configuration(dir)
        c.dedupWindowMilliseconds = 400 * 86_400_000
        do {
            let engine = try Engine.open(c)
            _ = try engine.ingest(files: [Paths.exampleEvents])
            try engine.close()
        }
        let engine = try Engine.open(c)
        let before = try exports(engine)
        // The same input again, from its first line (a copy is another file, so it is read
        // from the start too): everything is a duplicate, e004's second version a conflict.
        _ = try engine.ingest(files: [Paths.exampleEvents], fromStart: true)
        #expect(engine.counters.accepted == 0)
        #expect(engine.counters.duplicates == 32)
        #expect(engine.counters.conflicts == 1)
        #expect(try exports(engine) == before)
        try engine.close()
    }

    @Test func readingTheSameFileAgainResumesAfterItsLastLine() throws {
        let dir = TempDir()
        let lines = try String(contentsOfFile: Paths.exampleEvents, encoding: .utf8).split(
            separator: "\n", omittingEmptySubsequences: false)
        let path = dir.file("growing.ndjson", Array((lines[0..<20].joined(separator: "\n") + "\n").utf8))
        do {
            let engine = try Engine.open(configuration(dir))
            _ = try engine.ingest(files: [path])
            #expect(engine.counters.accepted == 16)
            try engine.close()
        }
        // The file grows in place (same inode); a second run takes only the new lines.
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data((lines[20...].joined(separator: "\n")).utf8))
        try handle.close()
        let engine = try Engine.open(configuration(dir))
        _ = try engine.ingest(files: [path])
        #expect(engine.counters.resumedPast == 19)  // line 20 is e004's conflicting copy: not in the log
        #expect(engine.counters.accepted == 15)
        #expect(engine.counters.duplicates == 0)
        #expect(engine.counters.conflicts == 1)
        for (month, bytes) in try exports(engine) {
            #expect(bytes == (try Paths.expectedExport(month)), "export of \(month)")
        }
        try engine.close()
    }

    @Test func restartsLeaveTheStoredSnapshotsAlone() throws {
        // A restart replays the log, erasures included: u3 withdrew, then re-enrolled and is in
        // March; meeting the erasure again must not take u3 out of March.
        let dir = TempDir()
        do {
            let engine = try Engine.open(configuration(dir))
            _ = try engine.ingest(files: [Paths.exampleEvents])
            try engine.close()
        }
        for _ in 0..<2 {
            let engine = try Engine.open(configuration(dir))
            for (month, bytes) in try exports(engine) {
                #expect(bytes == (try Paths.expectedExport(month)), "export of \(month) after a restart")
            }
            try engine.close()
        }
    }

    @Test func replayReproducesTheLiveExportsByteForByte() throws {
        let dir = TempDir()
        let live: [Month: [UInt8]]
        do {
            let engine = try Engine.open(configuration(dir))
            _ = try engine.ingest(files: [Paths.exampleEvents])
            live = try exports(engine)
            try engine.close()
        }
        let replayed = try Engine.open(configuration(dir, derived: dir.path + "/replay"))
        #expect(try exports(replayed) == live)
        #expect(replayed.lastReplay.unreadable > 0)  // u3's and u4's erased events
        try replayed.close()
    }

    @Test func erasureShredsTheLogAndEmitsScoreDeleted() throws {
        let dir = TempDir()
        let engine = try Engine.open(configuration(dir))
        _ = try engine.ingest(files: [Paths.exampleEvents])
        try engine.close()
        // u4 withdrew: gone from every snapshot, a score.deleted went out, and its records no
        // longer decrypt; no user id is ever in the log in clear.
        let outbox = try String(contentsOfFile: dir.path + "/data/outbox/score-changes.ndjson", encoding: .utf8)
        #expect(
            outbox.contains(
                #"{"event_id":"u4/erased/2026-03-20T10:00:00+08:00","type":"score.deleted","user_id":"u4","occurred_at":"2026-03-20T10:00:00+08:00"}"#
            ))
        #expect(outbox.contains(#""type":"score.changed","user_id":"u1","month":"2025-12""#) == false)
        #expect(
            outbox.contains(
                #"{"event_id":"u2/2025-12/default-1","type":"score.changed","user_id":"u2","month":"2025-12","score":565,"previous_score":null,"previous_month":null,"model_version":"default-1","reasons":["R05","R08","R09","R06"],"occurred_at":"2026-01-01T00:00:00+08:00"}"#
            ))
        let logFiles = try FileManager.default.contentsOfDirectory(atPath: dir.path + "/data/log")
        for name in logFiles {
            let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: dir.path + "/data/log/" + name)))
            for needle in ["user.5:a-x_5", "grocery", "retail", "\"u4\""] {
                #expect(!contains(bytes, Array(needle.utf8)), "\(needle) in clear in \(name)")
            }
        }
        let reopened = try Engine.open(configuration(dir))
        #expect(try reopened.store.history(userID: "u4", modelVersion: "default-1").isEmpty)
        #expect(
            reopened.scoring.provisional(userID: "u4", asOf: E.t("2026-04-01T00:00:00+08:00"), model: .default) == nil)
        try reopened.close()
    }
}

func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
    haystack.contains(subsequence: needle)
}

enum E {
    static func t(_ s: String) -> Instant {
        guard case .success(let i) = RFC3339.parse(s) else { fatalError(s) }
        return i
    }
}
