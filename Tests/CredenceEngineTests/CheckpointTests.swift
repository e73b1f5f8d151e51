import CredenceCore
import EventLog
import Foundation
import Testing

@testable import CredenceEngine

/// State checkpoints: a restart from one equals a full replay, byte for byte; a damaged one
/// is detected and survived; an erasure leaves no checkpoint that holds the erased user.
@Suite struct CheckpointTests {
    static let stream = generated(users: 150, months: 6, seed: 11)

    /// Ingests the noisy stream with a checkpoint every `every` events; returns the live state's bytes and exports.
    func ingest(_ dir: TempDir, every: Int) throws -> (state: [UInt8], exports: [Month: [UInt8]]) {
        let input = dir.file("events.ndjson", Self.stream)
        var c = configuration(dir)
        c.batchSize = 300
        c.checkpoints.everyEvents = every
        let engine = try Engine.open(c)
        _ = try engine.ingest(files: [input])
        #expect(engine.counters.erasures > 0, "the stream must exercise erasure")
        let state = try engine.stateBytes()
        let live = try exports(engine)
        try engine.close()
        return (state, live)
    }

    func checkpointFiles(_ dir: TempDir) -> [String] {
        let d = dir.path + "/data/checkpoints"
        return ((try? FileManager.default.contentsOfDirectory(atPath: d)) ?? []).filter { $0.hasSuffix(".ckpt") }
            .sorted().map { d + "/" + $0 }
    }

    func open(_ dir: TempDir, checkpoints: Bool = true) throws -> Engine {
        var c = configuration(dir)
        c.checkpoints.enabled = checkpoints
        c.checkpoints.everyEvents = 0  // opening must not write one of its own
        return try Engine.open(c)
    }

    @Test func restartFromACheckpointEqualsAFullReplay() throws {
        let dir = TempDir()
        let live = try ingest(dir, every: 2_000)
        #expect(!checkpointFiles(dir).isEmpty)

        // Drop the clean-close checkpoint, so the restart loads an earlier one and replays a tail.
        let files = checkpointFiles(dir)
        try FileManager.default.removeItem(atPath: files.last!)
        let fromCheckpoint = try open(dir)
        #expect(fromCheckpoint.lastReplay.checkpoint.path != nil)
        #expect(fromCheckpoint.lastReplay.events > 0, "a tail after the checkpoint is replayed")
        let restored = try fromCheckpoint.stateBytes()
        let restoredExports = try exports(fromCheckpoint)
        try fromCheckpoint.close()

        let full = try open(dir, checkpoints: false)
        #expect(full.lastReplay.checkpoint.path == nil)
        let replayed = try full.stateBytes()
        try full.close()

        #expect(restored == replayed, "checkpoint + tail and a full replay give the same state")
        #expect(restored == live.state, "and the same state as the live run")
        #expect(restoredExports == live.exports)
    }

    @Test func aCleanCloseLeavesNothingToReplay() throws {
        let dir = TempDir()
        let live = try ingest(dir, every: 0)
        let engine = try open(dir)
        #expect(engine.lastReplay.records == 0)
        #expect(try engine.stateBytes() == live.state)
        try engine.close()
    }

    @Test(arguments: ["flip", "truncate", "garbage"])
    func aDamagedCheckpointIsDetectedAndSurvived(damage: String) throws {
        let dir = TempDir()
        let live = try ingest(dir, every: 2_000)
        let newest = checkpointFiles(dir).last!
        var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: newest)))
        switch damage {
        case "flip": bytes[bytes.count / 2] ^= 0x10
        case "truncate": bytes.removeLast(bytes.count / 3)
        default: bytes = Array("not a checkpoint".utf8)
        }
        try Data(bytes).write(to: URL(fileURLWithPath: newest))

        let engine = try open(dir)
        #expect(engine.recoveryNotes.contains { $0.contains(newest) }, "the damaged file is reported")
        #expect(engine.lastReplay.checkpoint.path != newest)
        #expect(try engine.stateBytes() == live.state)
        #expect(try exports(engine) == live.exports)
        try engine.close()
    }

    @Test func everyCheckpointDamagedFallsBackToAFullReplay() throws {
        let dir = TempDir()
        let live = try ingest(dir, every: 2_000)
        for f in checkpointFiles(dir) {
            var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: f)))
            bytes[40] ^= 1
            try Data(bytes).write(to: URL(fileURLWithPath: f))
        }
        let engine = try open(dir)
        #expect(engine.lastReplay.checkpoint.path == nil)
        #expect(engine.recoveryNotes.contains { $0.contains("whole event log") })
        #expect(try engine.stateBytes() == live.state)
        try engine.close()
    }

    /// A checkpoint of an earlier format (version 1 kept a user's obligations oldest first) is
    /// skipped with a note, however sound its bytes, and the log is replayed instead.
    @Test func aCheckpointOfAnEarlierFormatIsSkippedAndTheLogReplayed() throws {
        let dir = TempDir()
        let live = try ingest(dir, every: 0)
        let files = checkpointFiles(dir)
        #expect(!files.isEmpty)
        for f in files {
            var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: f)))
            bytes.replaceSubrange(8..<12, with: [1, 0, 0, 0])
            let crc = CRC32C.checksum(bytes[0..<(bytes.count - 4)])
            bytes.replaceSubrange((bytes.count - 4)..., with: withUnsafeBytes(of: crc.littleEndian, Array.init))
            try Data(bytes).write(to: URL(fileURLWithPath: f))
        }
        let engine = try open(dir)
        #expect(engine.lastReplay.checkpoint.path == nil)
        #expect(engine.recoveryNotes.contains { $0.contains("format version 1, not \(Checkpoints.version)") })
        #expect(try engine.stateBytes() == live.state)
        #expect(try exports(engine) == live.exports)
        try engine.close()
    }

    @Test func aCheckpointWrittenUnderOtherSettingsIsNotLoaded() throws {
        let dir = TempDir()
        _ = try ingest(dir, every: 0)
        var c = configuration(dir)
        c.scoring.allowedLatenessMilliseconds = 24 * 3_600_000
        c.checkpoints.everyEvents = 0
        let engine = try Engine.open(c)
        #expect(engine.lastReplay.checkpoint.path == nil)
        #expect(engine.recoveryNotes.contains { $0.contains("other settings") })
        try engine.close()
    }

    /// The user id itself outlives an erasure (it carries the cut, as the log's erasure record
    /// does under the new key); what the erasure removed, the events before the cut, must not.
    @Test func anErasureLeavesNoCheckpointHoldingWhatItRemoved() throws {
        let dir = TempDir()
        var c = configuration(dir)
        c.checkpoints.everyEvents = 0
        let engine = try Engine.open(c)
        let secret = "pre-cut-enrolment-of-user-42"
        let events = [
            #"{"event_id":"\#(secret)","type":"user.enrolled","user_id":"u42","occurred_at":"2025-01-03T10:00:00+08:00","identity_verified":true}"#,
            #"{"event_id":"other-enrolment","type":"user.enrolled","user_id":"u43","occurred_at":"2025-01-03T11:00:00+08:00","identity_verified":true}"#,
        ]
        for (i, e) in events.enumerated() {
            _ = try engine.submit(Array(e.utf8), at: SourcePosition(source: "test", position: UInt64(i + 1)))
        }
        try engine.writeCheckpoint()
        let before = checkpointFiles(dir)
        #expect(before.count == 1)
        #expect(try Data(contentsOf: URL(fileURLWithPath: before[0])).range(of: Data(secret.utf8)) != nil)

        let withdrawal =
            #"{"event_id":"w1","type":"user.withdrawn","user_id":"u42","occurred_at":"2025-01-04T10:00:00+08:00"}"#
        _ = try engine.submit(Array(withdrawal.utf8), at: SourcePosition(source: "test", position: 3))
        try engine.commit()
        #expect(checkpointFiles(dir).isEmpty, "the checkpoint from before the erasure is gone")
        try engine.close()
        let after = checkpointFiles(dir)
        #expect(after.count == 1, "a clean close writes a new one")
        for f in after {
            #expect(
                try Data(contentsOf: URL(fileURLWithPath: f)).range(of: Data(secret.utf8)) == nil,
                "a checkpoint written after the erasure holds nothing from before the cut")
        }
    }

    @Test func aPromotionSurvivesARestartFromACheckpoint() throws {
        let dir = TempDir()
        let input = dir.file("events.ndjson", Self.stream)
        var c = configuration(dir)
        c.checkpoints.everyEvents = 0
        let engine = try Engine.open(c)
        _ = try engine.ingest(files: [input])
        try engine.promote(json: CandidateModels.changed)
        try engine.close()

        let restarted = try open(dir)
        #expect(restarted.lastReplay.records == 0, "the clean close left a checkpoint at the end of the log")
        #expect(restarted.model.modelVersion == "candidate-2")
        let restored = try restarted.stateBytes()
        try restarted.close()
        let full = try open(dir, checkpoints: false)
        #expect(full.model.modelVersion == "candidate-2")
        #expect(try full.stateBytes() == restored)
        try full.close()
    }
}
