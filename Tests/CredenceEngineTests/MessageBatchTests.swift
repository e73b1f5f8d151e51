import CredenceCore
import Foundation
import Testing

@testable import CredenceEngine

/// Messages with their bytes back to back in one allocation, as a Kafka poll's are in
/// librdkafka's buffers. `@unchecked Sendable`: the buffer is written once in `init`, only read
/// after, and freed in `deinit`, once nothing refers to the batch.
private final class TestMessages: MessageBatch, @unchecked Sendable {
    private let buffer: UnsafeMutableRawBufferPointer
    private let entries: [(value: Range<Int>, key: Range<Int>?, source: Int, position: UInt64)]

    init(_ messages: [(value: [UInt8], key: [UInt8]?, source: Int, position: UInt64)]) {
        let size = messages.reduce(0) { $0 + $1.value.count + ($1.key?.count ?? 0) }
        buffer = .allocate(byteCount: max(size, 1), alignment: 1)
        var at = 0
        var entries: [(value: Range<Int>, key: Range<Int>?, source: Int, position: UInt64)] = []
        for m in messages {
            let value = at..<(at + m.value.count)
            buffer[value].copyBytes(from: m.value)
            at = value.upperBound
            var key: Range<Int>? = nil
            if let k = m.key {
                key = at..<(at + k.count)
                buffer[key!].copyBytes(from: k)
                at = key!.upperBound
            }
            entries.append((value, key, m.source, m.position))
        }
        self.entries = entries
    }

    deinit { buffer.deallocate() }

    var count: Int { entries.count }

    func message(at index: Int) -> RawMessage {
        let e = entries[index]
        return RawMessage(
            value: UnsafeRawBufferPointer(rebasing: buffer[e.value]),
            key: e.key.map { UnsafeRawBufferPointer(rebasing: buffer[$0]) }, source: e.source, position: e.position)
    }
}

/// ``Engine/submit(_:sources:)`` (a Kafka poll in one call, decoded on another thread) is
/// ``Engine/submit(_:at:key:deadLetterAs:)`` message by message: the same outcomes, log, state,
/// counters, exports and dead letters.
@Suite struct MessageBatchTests {
    static let stream = generated(users: 200, months: 6, seed: 31)
    static let sources = ["kafka:payments/0", "kafka:payments/1", "kafka:payments/2"]

    /// The stream as messages of three partitions, in runs of varying length; some keyed with
    /// their user id, some with a key that does not match it, some not JSON.
    static let messages: [(value: [UInt8], key: [UInt8]?, source: Int, position: UInt64)] = {
        let decoder = EventDecoder(configuration: EngineConfiguration().decoder)
        var out: [(value: [UInt8], key: [UInt8]?, source: Int, position: UInt64)] = []
        var offsets = [UInt64](repeating: 0, count: sources.count)
        var source = 0
        for (i, line) in lines(stream).enumerated() {
            if i % 37 == 0 { source = (source + 1 + i % 2) % sources.count }
            var key: [UInt8]? = nil
            if i % 3 == 0, let event = decoder.decode(line).event { key = Array(event.userID.utf8) }
            if i % 101 == 0 { key = Array("someone-else".utf8) }
            let value = i % 211 == 0 ? Array("{not json".utf8) : line
            out.append((value, key, source, offsets[source]))
            offsets[source] += 1
        }
        return out
    }()

    struct Run {
        var outcomes: [Engine.SubmitOutcome] = []
        var state: [UInt8] = []
        var exports: [Month: [UInt8]] = [:]
        var counters = IngestCounters()
        var records: UInt64 = 0
        var replayed: [UInt8] = []
        var deadLetters: [DeadLetter] = []
    }

    /// Submits the messages in polls of `poll`, committing after each, one at a time or in one call.
    func ingest(batched: Bool, parallel: Bool, poll: Int, salt: String) throws -> Run {
        let dir = TempDir()
        try FileManager.default.createDirectory(atPath: dir.path + "/data", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: salt, toPath: dir.path + "/data/salt")
        var c = configuration(dir)
        c.parallelDecode = parallel
        c.batchSize = 700  // commits inside a poll, too
        c.checkpoints.enabled = false
        let engine = try Engine.open(c)
        engine.watermarkSources = Set(Self.sources)
        var run = Run()
        var start = 0
        while start < Self.messages.count {
            let polled = Array(Self.messages[start..<min(start + poll, Self.messages.count)])
            if batched {
                run.outcomes += try engine.submit(TestMessages(polled), sources: Self.sources)
            } else {
                for m in polled {
                    run.outcomes.append(
                        try engine.submit(
                            m.value, at: SourcePosition(source: Self.sources[m.source], position: m.position),
                            key: m.key
                        ))
                }
            }
            try engine.commit()
            start += poll
        }
        try engine.endOfInput()
        run.state = try engine.stateBytes()
        run.exports = try exports(engine)
        run.counters = engine.counters
        run.records = engine.nextLSN
        try engine.close()
        let reopened = try Engine.open(c)
        run.replayed = try reopened.stateBytes()
        try reopened.close()
        let letters = try String(contentsOfFile: dir.path + "/data/dead-letter/dead-letter.ndjson", encoding: .utf8)
        run.deadLetters = letters.split(separator: "\n").compactMap { DeadLetter.parse(String($0)) }
        return run
    }

    @Test(arguments: [(parallel: true, poll: 1_000), (parallel: false, poll: 1_000), (parallel: true, poll: 100)])
    func aBatchInOneCallIsTheSameAsMessageByMessage(parallel: Bool, poll: Int) throws {
        let setup = TempDir()
        try Engine.open(configuration(setup)).close()
        let salt = setup.path + "/data/salt"
        let one = try ingest(batched: false, parallel: true, poll: poll, salt: salt)
        let batch = try ingest(batched: true, parallel: parallel, poll: poll, salt: salt)
        #expect(one.counters.rejected["key_mismatch"] ?? 0 > 0 && one.counters.rejected["not_json"] ?? 0 > 0)
        #expect(one.counters.duplicates > 0 && one.counters.erasures > 0)
        #expect(batch.outcomes == one.outcomes ? true : false, "the same outcome for every message")
        #expect(batch.counters == one.counters)
        #expect(batch.records == one.records)
        #expect(batch.state == one.state ? true : false, "the same state, byte for byte")
        #expect(batch.replayed == batch.state ? true : false, "the log replays to the live state")
        #expect(!one.exports.isEmpty)
        #expect(batch.exports == one.exports, "the same exports, byte for byte")
        func withoutTime(_ d: [DeadLetter]) -> [DeadLetter] {
            d.map {
                var l = $0
                l.receivedAt = Date(timeIntervalSince1970: 0)
                return l
            }
        }
        #expect(!one.deadLetters.isEmpty)
        #expect(
            withoutTime(batch.deadLetters) == withoutTime(one.deadLetters) ? true : false,
            "the same dead letters, raw bytes and all")
    }
}
