import CredenceCore
import Foundation
import Testing

@testable import CredenceEngine

/// Users' states kept in shards, each applied on a thread of its own (``ShardAppliers``),
/// change nothing: the same state, exports, outbox and dead letters as one thread, live,
/// replayed and restarted from a checkpoint, whatever the shard count.
@Suite struct ShardTests {
    static let stream = generated(users: 240, months: 6, seed: 31)

    struct Run {
        var state: [UInt8]
        var exports: [Month: [UInt8]]
        var counters: IngestCounters
        var sideFiles: ParallelIngestTests.SideFiles
        var configuration: EngineConfiguration
    }

    /// Ingests `file` with `shards` shards into `dir`, whose salt is a copy of `salt`.
    func ingest(_ file: String, shards: Int, parallel: Bool = true, salt: String, into dir: TempDir) throws -> Run {
        try FileManager.default.createDirectory(atPath: dir.path + "/data", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: salt, toPath: dir.path + "/data/salt")
        var c = configuration(dir)
        c.shards = shards
        c.shardThreadsInReplay = true
        c.parallelDecode = parallel
        c.batchSize = 500
        c.checkpoints.everyEvents = 3_000
        let engine = try Engine.open(c)
        _ = try engine.ingest(files: [file])
        let state = try engine.stateBytes()
        let exports = try exports(engine)
        let counters = engine.counters
        try engine.close()
        return Run(
            state: state, exports: exports, counters: counters, sideFiles: try .init(c.dataDirectory),
            configuration: c)
    }

    @Test func anyShardCountIngestsAndReplaysLikeOneThread() throws {
        let input = TempDir()
        let file = input.file("events.ndjson", Self.stream)
        try Engine.open(configuration(input)).close()
        let salt = input.path + "/data/salt"

        let oneDir = TempDir()
        let one = try ingest(file, shards: 1, salt: salt, into: oneDir)
        #expect(one.counters.erasures > 0, "erasures go to the shards as rebuilt states")
        #expect(one.counters.monthsClosed >= 5 && one.counters.late > 0 && one.counters.duplicates > 0)
        #expect(!one.exports.isEmpty && !one.sideFiles.outbox.isEmpty)
        for (shards, parallel) in [(2, true), (3, true), (5, false)] {
            let run = try ingest(file, shards: shards, parallel: parallel, salt: salt, into: TempDir())
            #expect(run.counters == one.counters, "\(shards) shards")
            #expect(run.state == one.state ? true : false, "\(shards) shards: the same state, byte for byte")
            #expect(run.exports == one.exports ? true : false, "\(shards) shards: the same exports, byte for byte")
            #expect(
                run.sideFiles == one.sideFiles ? true : false, "\(shards) shards: the same outbox and dead letters")
        }

        // The one-shard directory replayed with three shards (no checkpoint: the whole log), and
        // restarted with four from its checkpoints: the live state either way.
        for threads in [true, false] {
            var replay = one.configuration
            replay.shards = 3
            replay.shardThreadsInReplay = threads
            replay.checkpoints.enabled = false
            let replayed = try Engine.open(replay)
            #expect(replayed.lastReplay.events > 0)
            #expect(
                try replayed.stateBytes() == one.state ? true : false,
                "a replay with 3 shards rebuilds the state (on their threads: \(threads))")
            #expect(try exports(replayed) == one.exports ? true : false)
            try replayed.close()
        }

        var restart = one.configuration
        restart.shards = 4
        let restarted = try Engine.open(restart)
        #expect(try restarted.stateBytes() == one.state ? true : false, "a restart with 4 shards, from a checkpoint")
        try restarted.close()
    }

    @Test func aReadInTheMiddleOfABatchSeesEveryEventSubmitted() throws {
        // The score route reads `scoring` between submits, before a commit: the shards' threads
        // must have applied what they were handed.
        let lines = Self.stream.split(separator: 10).map { Array($0) }
        var answers: [[String]] = []
        for shards in [1, 3] {
            let dir = TempDir()
            var c = configuration(dir)
            c.shards = shards
            c.batchSize = 100_000
            let engine = try Engine.open(c)
            var answer: [String] = []
            for (i, line) in lines.prefix(6_000).enumerated() {
                _ = try engine.submit(line, at: SourcePosition(source: "s", position: UInt64(i + 1)))
                if i % 997 == 0, let max = engine.scoring.maxSeen {
                    let scoring = engine.scoring
                    for user in ["u1", "u7", "u42", "u100", "u567"] {
                        let p = scoring.provisional(userID: user, asOf: max, model: .default)
                        answer.append("\(i) \(user) \(p.map { "\($0.0.score) \($0.0.features)" } ?? "-")")
                    }
                }
            }
            try engine.close()
            answers.append(answer)
        }
        #expect(answers[0].contains { !$0.hasSuffix("-") }, "some users are scored")
        #expect(answers[1] == answers[0])
    }

    @Test func aShardCountOutOfRangeIsAClearError() throws {
        let dir = TempDir()
        var c = configuration(dir)
        c.shards = 0
        #expect(throws: EngineError.self) { try Engine.open(c) }
        c.shards = 257
        #expect(throws: EngineError.self) { try Engine.open(c) }
    }
}
