import CredenceCore
import CredenceTestSupport
import Foundation
import Testing

@testable import CredenceEngine

/// The project's own worked example (`Tests/Fixtures/worked-example`, described in its README)
/// through the whole engine: intake, the durable log, keys, month close and the snapshot store.
@Suite struct OwnWorkedExampleEngineTests {
    let example = Repository.workedExample

    func expected(_ month: Month) throws -> [UInt8] { try example.expected(month.description) }

    @Test func ingestGivesTheExpectedExportsAndCounts() throws {
        let dir = TemporaryDirectory()
        let engine = try Engine.open(configuration(dir))
        _ = try engine.ingest(files: [example.events])
        let c = engine.counters
        #expect(c.accepted == 33)
        #expect(c.duplicates == 1)
        #expect(c.conflicts == 1)
        #expect(
            c.rejected == [
                "conflict": 1, "invalid_value": 1, "not_json": 1, "obligation_conflict": 1, "wrong_currency": 1,
                "wrong_type": 1,
            ])
        #expect(c.late == 1)
        #expect(engine.scoring.closedMonths.map(\.description) == ["2025-04", "2025-05", "2025-06", "2025-07"])
        let out = try exports(engine)
        #expect(out.count == 4)
        for (month, bytes) in out {
            #expect(bytes == (try expected(month)), "export of \(month)")
        }
        try engine.close()
    }

    @Test func deadLettersKeepTheRawBytesAndTheReason() throws {
        let dir = TemporaryDirectory()
        let engine = try Engine.open(configuration(dir))
        _ = try engine.ingest(files: [example.events])
        try engine.close()
        let text = try String(contentsOfFile: dir.path + "/data/dead-letter/dead-letter.ndjson", encoding: .utf8)
        let letters = text.split(separator: "\n").compactMap { DeadLetter.parse(String($0)) }
        let input = try example.lines
        #expect(letters.map(\.position) == [10, 20, 25, 26, 31, 33])
        for letter in letters {
            #expect(letter.raw == Array(input[Int(letter.position) - 1].utf8))
        }
        #expect(
            letters.map(\.reason) == [
                "wrong_type", "wrong_currency", "obligation_conflict", "not_json", "invalid_value", "conflict",
            ])
        #expect(letters[1].message == "currency HKD is not the deployment currency CNY")
    }

    @Test func restartsReplayAndReadingAgainChangeNothing() throws {
        let dir = TemporaryDirectory()
        // A duplicate window that covers the whole example, so every id is still known after the
        // restart (a restarted engine forgets what a running one forgets: ids older than the window).
        var c = configuration(dir)
        c.dedupWindowMilliseconds = 400 * 86_400_000
        let live: [Month: [UInt8]]
        do {
            let engine = try Engine.open(c)
            _ = try engine.ingest(files: [example.events])
            live = try exports(engine)
            try engine.close()
        }
        // A restart replays the log, erasures included, and leaves the stored snapshots alone.
        let reopened = try Engine.open(c)
        #expect(try exports(reopened) == live)
        // The same input from its first line: everything is a duplicate; a05's copy a conflict.
        _ = try reopened.ingest(files: [example.events], fromStart: true)
        #expect(reopened.counters.accepted == 0)
        #expect(reopened.counters.duplicates == 34)
        #expect(reopened.counters.conflicts == 1)
        #expect(try exports(reopened) == live)
        try reopened.close()
        // Replay from the log alone, into a fresh directory, gives the same bytes.
        let replayed = try Engine.open(configuration(dir, derived: dir.path + "/replay"))
        #expect(try exports(replayed) == live)
        #expect(replayed.lastReplay.unreadable > 0)  // dee's and eve.x:1's erased events
        try replayed.close()
    }

    @Test func erasureShredsTheLogAndLeavesOnlyScoreDeletedInTheOutbox() throws {
        let dir = TemporaryDirectory()
        let engine = try Engine.open(configuration(dir))
        _ = try engine.ingest(files: [example.events])
        try engine.close()
        let outbox = try String(contentsOfFile: dir.path + "/data/outbox/score-changes.ndjson", encoding: .utf8)
        // dee was scored in April and May before withdrawing: those score.changed lines are gone.
        #expect(
            outbox.contains(
                #"{"event_id":"dee/erased/2025-07-05T09:00:00+08:00","type":"score.deleted","user_id":"dee","occurred_at":"2025-07-05T09:00:00+08:00"}"#
            ))
        #expect(!outbox.contains(#""type":"score.changed","user_id":"dee""#))
        // eve.x:1 withdrew, then enrolled again: only the new history's score is there.
        #expect(outbox.contains(#""event_id":"eve.x:1/2025-06/default-1","type":"score.changed""#))
        #expect(
            outbox.contains(
                #"{"event_id":"ben/2025-04/default-1","type":"score.changed","user_id":"ben","month":"2025-04","score":505,"previous_score":null,"previous_month":null,"model_version":"default-1","reasons":["R05","R08","R09","R01"],"occurred_at":"2025-05-01T00:00:00+08:00"}"#
            ))
        for name in try FileManager.default.contentsOfDirectory(atPath: dir.path + "/data/log") {
            let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: dir.path + "/data/log/" + name)))
            for needle in ["eve.x:1", "pharmacy", "\"dee\""] {
                #expect(!bytes.contains(subsequence: Array(needle.utf8)), "\(needle) in clear in \(name)")
            }
        }
        let reopened = try Engine.open(configuration(dir))
        #expect(try reopened.store.history(userID: "dee", modelVersion: "default-1").isEmpty)
        try reopened.close()
    }
}
