import CredenceCore
import Foundation
import Testing

@testable import CredenceEngine

/// Decoding, sealing and appending on other threads change nothing: the same log, state,
/// counters and exports as doing it all on the engine's own thread.
@Suite struct ParallelIngestTests {
    static let stream = generated(users: 200, months: 6, seed: 23)

    /// What a run leaves beside the log: the outbox, its position, and the dead letters without
    /// their receipt times. The parallel run commits a full batch while the next one is applied
    /// (its effects and dead letters follow one batch later), so these must agree too.
    struct SideFiles: Equatable {
        var outbox: [UInt8]
        var outboxPosition: [UInt8]
        var deadLetters: [String]

        init(_ data: String) throws {
            func read(_ path: String) throws -> [UInt8] {
                Array(try Data(contentsOf: URL(fileURLWithPath: data + path)))
            }
            outbox = try read("/outbox/score-changes.ndjson")
            outboxPosition = try read("/outbox/position")
            deadLetters = String(decoding: try read("/dead-letter/dead-letter.ndjson"), as: UTF8.self)
                .split(separator: "\n").map { line in
                    // An erasure blanks a line in place; its length follows the receipt time's
                    // (a whole second has no fraction), so a blank line counts as empty.
                    line.allSatisfy { $0 == " " } ? "" : String(line.replacing(/"received_at":"[^"]*"/, with: ""))
                }
        }
    }

    func ingest(_ file: String, parallel: Bool, salt: String) throws -> (
        state: [UInt8], exports: [Month: [UInt8]], counters: IngestCounters, records: UInt64, replayed: [UInt8],
        sideFiles: SideFiles
    ) {
        let dir = TempDir()
        // Obligation keys are keyed by the directory's salt: the same salt, or no two states are alike.
        try FileManager.default.createDirectory(atPath: dir.path + "/data", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: salt, toPath: dir.path + "/data/salt")
        var c = configuration(dir)
        c.parallelDecode = parallel
        c.batchSize = 700
        c.decoder.maxEventBytes = 4_096
        c.checkpoints.enabled = false
        let engine = try Engine.open(c)
        _ = try engine.ingest(files: [file])
        let result = (try engine.stateBytes(), try exports(engine), engine.counters, engine.nextLSN)
        try engine.close()
        let sideFiles = try SideFiles(c.dataDirectory)
        // What the log holds: a full replay (every record opened under the nonce it was sealed with).
        c.checkpoints.enabled = false
        let reopened = try Engine.open(c)
        let replayed = try reopened.stateBytes()
        try reopened.close()
        return (result.0, result.1, result.2, result.3, replayed, sideFiles)
    }

    /// The state a one-thread replay of `c`'s directory rebuilds, then a parallel one's; `check`
    /// looks at each engine after its replay.
    func replayedStates(_ c: EngineConfiguration, check: (Engine) -> Void) throws -> [[UInt8]] {
        var states: [[UInt8]] = []
        for parallel in [false, true] {
            var r = c
            r.parallelDecode = parallel
            let engine = try Engine.open(r)
            check(engine)
            states.append(try engine.stateBytes())
            try engine.close()
        }
        return states
    }

    @Test func parallelAndOneThreadIngestAgreeByteForByte() throws {
        // One input file for both runs: its path is part of the state (the source name).
        let input = TempDir()
        // Blank lines and an over-long line go through the stage's own paths too.
        var bytes = Self.stream
        bytes += Array(repeating: UInt8(ascii: " "), count: 3) + [10]
        bytes += [UInt8](repeating: UInt8(ascii: "x"), count: 5_000) + [10]
        let file = input.file("events.ndjson", bytes)
        try Engine.open(configuration(input)).close()
        let salt = input.path + "/data/salt"
        let serial = try ingest(file, parallel: false, salt: salt)
        let parallel = try ingest(file, parallel: true, salt: salt)
        #expect(serial.counters.rejectedTotal > 0 && serial.counters.duplicates > 0)
        #expect(serial.counters.rejected["too_large"] == 1)
        #expect(serial.counters.erasures > 0, "an erasure reads the log while the writer holds it")
        #expect(parallel.replayed == parallel.state ? true : false, "the writer's log replays to the live state")
        #expect(serial.replayed == serial.state ? true : false)
        #expect(parallel.counters == serial.counters)
        #expect(parallel.records == serial.records)
        let firstDifference = parallel.state.indices.first {
            $0 < serial.state.count && parallel.state[$0] != serial.state[$0]
        }
        #expect(
            parallel.state == serial.state ? true : false,
            "the same state, byte for byte (sizes \(parallel.state.count), \(serial.state.count), first difference at \(String(describing: firstDifference)))"
        )
        #expect(!serial.exports.isEmpty)
        #expect(parallel.exports == serial.exports, "the same exports, byte for byte")
        #expect(!serial.sideFiles.outbox.isEmpty && serial.sideFiles.deadLetters.count > 1)
        #expect(parallel.sideFiles == serial.sideFiles, "the same outbox and dead letters")
    }

    @Test func parallelAndOneThreadReplayAgreeOverRecordsNoBatchCommitted() throws {
        // Records before a batch's first LSN (a batch cut short) are orphans: both replays skip
        // them and index the rest alike.
        let dir = TempDir()
        var c = configuration(dir)
        c.checkpoints.enabled = false
        let lines = Self.stream.split(separator: 10).map { Array($0) }
        let live = try Engine.open(c)
        for (i, line) in lines[0..<400].enumerated() {
            _ = try live.submit(line, at: SourcePosition(source: "s", position: UInt64(i + 1)))
        }
        try live.commit()
        // Outside any batch: an event header no commit covers, with an id and an obligation.
        let orphan = EngineRecord.EventHeader(
            kind: .obligationOpened, isCopy: false, eventIDHash: StableHash(high: 1, low: 2),
            occurredAt: Instant(millisecondsSinceEpoch: 4_000_000_000_000), digest: ContentDigest(high: 3, low: 4),
            subject: 0, sourceID: 1, position: 999_999, obligationKey: StableHash(high: 5, low: 6))
        try live.append(.tombstone(orphan))
        for (i, line) in lines[400..<900].enumerated() {
            _ = try live.submit(line, at: SourcePosition(source: "s", position: UInt64(i + 401)))
        }
        try live.close()

        let states = try replayedStates(c) { engine in
            #expect(engine.lastReplay.orphans == 1)
            #expect(engine.intake.accepted(orphan.eventIDHash) == nil)
            #expect(!engine.intake.isOpened(orphan.obligationKey!))
            #expect(engine.lastPosition(of: "s") == 900)
        }
        #expect(states[0] == states[1] ? true : false, "the same state, byte for byte")
    }

    @Test func aMissingFileIsAClearErrorFromTheStage() throws {
        let dir = TempDir()
        let engine = try Engine.open(configuration(dir))
        #expect(throws: EngineError.self) { try engine.ingest(files: [dir.path + "/no-such-file.ndjson"]) }
        try engine.close()
    }

    @Test func parallelAndOneThreadReplayAgreeByteForByte() throws {
        let dir = TempDir()
        let input = dir.file("events.ndjson", Self.stream)
        var c = configuration(dir)
        c.batchSize = 700
        c.checkpoints.enabled = false
        let live = try Engine.open(c)
        _ = try live.ingest(files: [input])
        #expect(live.counters.erasures > 0)
        let liveState = try live.stateBytes()
        try live.close()

        let states = try replayedStates(c) { #expect($0.lastReplay.events > 0) }
        #expect(states[0] == liveState ? true : false, "a one-thread replay rebuilds the live state")
        #expect(states[1] == liveState ? true : false, "a parallel replay rebuilds the live state")
    }
}
