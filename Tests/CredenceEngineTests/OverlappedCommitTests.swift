import CredenceCore
import Foundation
import Testing

@testable import CredenceEngine

/// A file ingest commits each full batch while the next one is applied: the batch's fsync runs
/// beside it, and what the batch leaves outside the log (dead letters, outbox lines, the outbox
/// position) is written once the log answers, at the next commit. A batch's dead letters must
/// not reach the file before the batch is durable: a crash would leave them for lines that a
/// re-run reads (and dead-letters) again.
@Suite struct OverlappedCommitTests {
    static func line(_ id: String, user: String, day: Int, valid: Bool = true) -> [UInt8] {
        let currency = valid ? "CNY" : "X"
        return Array(
            #"{"event_id":"\#(id)","type":"payment","user_id":"\#(user)","occurred_at":"2025-01-\#(String(format: "%02d", day))T10:00:00+08:00","payment_id":"\#(id)","amount_minor":100,"currency":"\#(currency)","merchant_category":"x","outcome":"approved"}"#
                .utf8)
    }

    /// The dead letters written, once the effects writer has written what it was handed.
    func deadLetterLines(_ dir: TempDir, _ engine: Engine) throws -> [String] {
        try engine.effectsWriter.wait()
        let text =
            (try? String(contentsOfFile: dir.path + "/data/dead-letter/dead-letter.ndjson", encoding: .utf8)) ?? ""
        return text.split(separator: "\n").map(String.init)
    }

    @Test func aBatchWritesItsDeadLettersOnlyOnceItIsDurable() throws {
        let dir = TempDir()
        var c = configuration(dir)
        c.checkpoints.enabled = false
        let engine = try Engine.open(c)
        #expect(engine.logWriter != nil, "the overlap needs the writer thread")

        // Batch 1: two events and a rejected line.
        _ = try engine.submit(Self.line("a1", user: "ann", day: 2), at: SourcePosition(source: "f", position: 1))
        _ = try engine.submit(
            Self.line("a2", user: "ann", day: 3, valid: false), at: SourcePosition(source: "f", position: 2))
        _ = try engine.submit(Self.line("b1", user: "bob", day: 3), at: SourcePosition(source: "f", position: 3))
        try engine.commitBatch(overlapping: true)
        let firstEnd = engine.nextLSN
        #expect(engine.inflight != nil, "the batch's commit is with the writer")
        #expect(try deadLetterLines(dir, engine).isEmpty, "nothing of batch 1 is written before it is durable")

        // Batch 2: its own rejected line. Its commit completes batch 1 first.
        _ = try engine.submit(
            Self.line("b2", user: "bob", day: 4, valid: false), at: SourcePosition(source: "f", position: 4))
        _ = try engine.submit(Self.line("b3", user: "bob", day: 5), at: SourcePosition(source: "f", position: 5))
        try engine.commitBatch(overlapping: true)
        let afterFirst = try deadLetterLines(dir, engine)
        #expect(
            afterFirst.count == 1 && afterFirst[0].contains(#""position":2"#), "batch 1's dead letter, not batch 2's")
        #expect(engine.outbox.nextPosition == firstEnd)

        // A full commit completes everything.
        try engine.commit()
        #expect(engine.inflight == nil)
        #expect(try deadLetterLines(dir, engine).count == 2)
        #expect(engine.outbox.nextPosition == engine.nextLSN)
        try engine.close()
    }

    @Test func aBatchThatErasesAUserOverlapsAndItsErasureSparesTheDeadLettersAfterIt() throws {
        let dir = TempDir()
        var c = configuration(dir)
        c.checkpoints.enabled = false
        let engine = try Engine.open(c)
        _ = try engine.submit(Self.line("a1", user: "ann", day: 2), at: SourcePosition(source: "f", position: 1))
        try engine.commit()
        // The erasing batch: a dead letter that names ann, then her withdrawal.
        _ = try engine.submit(
            Self.line("a2", user: "ann", day: 3, valid: false), at: SourcePosition(source: "f", position: 2))
        let withdrawal =
            #"{"event_id":"a9","type":"user.withdrawn","user_id":"ann","occurred_at":"2025-01-06T10:00:00+08:00"}"#
        _ = try engine.submit(Array(withdrawal.utf8), at: SourcePosition(source: "f", position: 3))
        try engine.commitBatch(overlapping: true)
        #expect(engine.inflight != nil, "an erasing batch overlaps like any other")
        // The next batch: another dead letter naming ann, after her withdrawal, and an event of
        // bob's (a batch with no record has nothing to wait for and writes its dead letters at once).
        _ = try engine.submit(
            Self.line("a3", user: "ann", day: 7, valid: false), at: SourcePosition(source: "f", position: 4))
        _ = try engine.submit(Self.line("b1", user: "bob", day: 7), at: SourcePosition(source: "f", position: 5))
        try engine.commitBatch(overlapping: true)
        #expect(engine.inflight != nil)
        // The erasure removed the dead letter before it, not the one after it: what a commit in
        // full before the next batch would have left.
        #expect(try deadLetterLines(dir, engine).isEmpty)
        try engine.commit()
        let kept = try deadLetterLines(dir, engine)
        #expect(kept.count == 1 && kept[0].contains(#""position":4"#), "\(kept)")
        #expect(engine.outbox.nextPosition == engine.nextLSN)
        try engine.close()
    }
}
