import CredenceCore
import CredenceTestSupport
import Foundation
import Testing

@testable import CredenceEngine

/// What the data directory keeps beside the log (docs/privacy.md): delivered outbox lines are
/// compacted away; an erasure removes the user's `score.changed` lines and their dead letters.
@Suite struct OutboxPrivacyTests {
    static let january = [
        #"{"event_id":"k1","type":"user.enrolled","user_id":"kim","occurred_at":"2025-01-03T10:00:00+08:00","identity_verified":true}"#,
        #"{"event_id":"l1","type":"user.enrolled","user_id":"lou","occurred_at":"2025-01-04T10:00:00+08:00","identity_verified":true}"#,
        #"{"event_id":"k2","type":"payment","user_id":"kim","occurred_at":"2025-01-05T10:00:00+08:00","payment_id":"p1","amount_minor":100,"currency":"USD","merchant_category":"x","outcome":"approved"}"#,
        #"{"event_id":"l2","type":"payment","user_id":"lou","occurred_at":"2025-01-06T10:00:00+08:00","payment_id":"p1","amount_minor":100,"currency":"USD","merchant_category":"x","outcome":"approved"}"#,
        #"{"event_id":"z1","type":"user.enrolled","user_id":"zoe","occurred_at":"2025-02-05T10:00:00+08:00","identity_verified":true}"#,
    ]
    static let withdrawal =
        #"{"event_id":"k3","type":"user.withdrawn","user_id":"kim","occurred_at":"2025-02-06T10:00:00+08:00"}"#
    static let february =
        #"{"event_id":"z2","type":"payment","user_id":"zoe","occurred_at":"2025-03-05T10:00:00+08:00","payment_id":"p2","amount_minor":100,"currency":"CNY","merchant_category":"x","outcome":"approved"}"#

    func submit(_ engine: Engine, _ lines: [String], from position: UInt64) throws {
        for (i, line) in lines.enumerated() {
            _ = try engine.submit(Array(line.utf8), at: SourcePosition(source: "test", position: position + UInt64(i)))
        }
        try engine.commit()
    }

    /// The lines of a file that are not blank (an erasure blanks lines in place).
    func lines(_ path: String) throws -> [String] {
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").map(String.init).filter { $0.contains { $0 != " " } }
    }

    @Test func deliveredLinesAreCompactedAndAnErasureLeavesOnlyScoreDeleted() throws {
        let dir = TemporaryDirectory()
        let outboxFile = dir.path + "/data/outbox/score-changes.ndjson"
        let deadLetters = dir.path + "/data/dead-letter/dead-letter.ndjson"
        let engine = try Engine.open(configuration(dir))
        try submit(engine, Self.january, from: 1)
        // January closed: kim's and lou's first scores wait in the outbox.
        #expect(try lines(outboxFile).count == 2)
        #expect(try lines(deadLetters).count == 2)

        // The publisher delivers them: the file is compacted to nothing.
        let batch = try engine.unpublishedScoreChanges(max: 10)
        #expect(batch.lines.count == 2)
        try engine.acknowledgePublished(batch)
        #expect(try lines(outboxFile).isEmpty)
        #expect(try engine.unpublishedScoreChanges(max: 10).lines.isEmpty)

        // February closes, nothing delivered yet; then kim withdraws.
        try submit(engine, [Self.february], from: 10)
        let before = try lines(outboxFile)
        #expect(before.contains { $0.contains(#""event_id":"zoe/2025-02/default-1""#) })
        try submit(engine, [Self.withdrawal], from: 20)
        let left = try lines(outboxFile)
        let deleted =
            #"{"event_id":"kim/erased/2025-02-06T10:00:00+08:00","type":"score.deleted","user_id":"kim","occurred_at":"2025-02-06T10:00:00+08:00"}"#
        #expect(left == before.filter { !$0.contains(#""user_id":"kim""#) } + [deleted])
        // Nothing of kim's scores is left in the file's bytes, nor of the rejected payment.
        let bytes = try String(contentsOfFile: outboxFile, encoding: .utf8)
        #expect(!bytes.contains("kim/2025"))
        let deadBytes = try String(contentsOfFile: deadLetters, encoding: .utf8)
        #expect(
            !deadBytes.contains(
                DeadLetter(
                    receivedAt: Date(), source: "", position: 0, reason: "", message: "",
                    raw: Array(Self.january[2].utf8)
                ).jsonLine().split(separator: "\"raw_base64\":").last!))
        // kim's rejected payment is gone from the dead letters; lou's stays.
        let letters = try lines(deadLetters).compactMap(DeadLetter.parse)
        #expect(letters.map { String(decoding: $0.raw, as: UTF8.self) } == [Self.january[3]])

        // What is left is still delivered in order, once, after a restart.
        try engine.close()
        let reopened = try Engine.open(configuration(dir))
        let rest = try reopened.unpublishedScoreChanges(max: 10)
        #expect(rest.lines.map { String(decoding: $0, as: UTF8.self) } == left)
        try reopened.acknowledgePublished(rest)
        #expect(try lines(outboxFile).isEmpty)
        try reopened.close()
    }

    @Test func aReplayIntoAnotherDirectoryLeavesTheDeadLettersAlone() throws {
        // The replay meets kim's erasure again; the dead letters it would clear are the data
        // directory's, which a replay reads and never changes: kim's rejected line that came
        // after the withdrawal stays, as the live run left it.
        let dir = TemporaryDirectory()
        let deadLetters = dir.path + "/data/dead-letter/dead-letter.ndjson"
        let engine = try Engine.open(configuration(dir))
        try submit(engine, Self.january, from: 1)
        try submit(engine, [Self.withdrawal], from: 20)
        let late =
            #"{"event_id":"k4","type":"payment","user_id":"kim","occurred_at":"2025-02-07T10:00:00+08:00","payment_id":"p4","amount_minor":100,"currency":"USD","merchant_category":"x","outcome":"approved"}"#
        try submit(engine, [late], from: 30)
        try engine.close()
        let live = try Data(contentsOf: URL(fileURLWithPath: deadLetters))
        #expect(try lines(deadLetters).compactMap(DeadLetter.parse).contains { $0.raw == Array(late.utf8) })

        let replayed = try Engine.open(configuration(dir, derived: dir.path + "/replay"))
        try replayed.close()
        // It did meet the erasure: its own outbox announces it.
        #expect(try lines(dir.path + "/replay/outbox/score-changes.ndjson").contains { $0.contains("score.deleted") })
        #expect(try Data(contentsOf: URL(fileURLWithPath: deadLetters)) == live)
    }

    @Test func aDeliveredOffsetNamingAnotherFileCountsAsNothingDelivered() throws {
        // A crash between the compaction's rename and the new position leaves an offset that
        // names the old file: the new file is then read from its start.
        let dir = TemporaryDirectory()
        let engine = try Engine.open(configuration(dir))
        try submit(engine, Self.january, from: 1)
        try Data("99999 0:0\n".utf8).write(to: URL(fileURLWithPath: dir.path + "/data/outbox/published"))
        #expect(try engine.unpublishedScoreChanges(max: 10).lines.count == 2)
        // A bare offset (before identities were recorded) counts for the current file.
        try Data("0\n".utf8).write(to: URL(fileURLWithPath: dir.path + "/data/outbox/published"))
        #expect(try engine.unpublishedScoreChanges(max: 10).lines.count == 2)
        try engine.close()
    }
}
