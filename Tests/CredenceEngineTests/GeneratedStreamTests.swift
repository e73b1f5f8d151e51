import CredenceCore
import CredenceSynth
import CredenceTestSupport
import Foundation
import Testing

@testable import CredenceEngine

/// A generated stream with every kind of noise, through the engine.
@Suite struct GeneratedStreamTests {
    static let stream = generated(users: 200, months: 7, seed: 7)

    @Test func engineAgreesWithTheInMemoryReferenceAndReplayReproducesIt() throws {
        let dir = TempDir()
        let input = dir.file("events.ndjson", Self.stream)
        var c = configuration(dir)
        c.batchSize = 500  // many batches, so closes and erasures fall inside and across them
        let engine = try Engine.open(c)
        _ = try engine.ingest(files: [input])
        let live = try exports(engine)
        #expect(engine.counters.duplicates > 0)
        #expect(engine.counters.rejectedTotal > 0)
        #expect(engine.counters.erasures > 0)
        try engine.close()

        var reference = InMemoryScorer()
        let decoder = EventDecoder()
        for line in lines(Self.stream) {
            if let e = decoder.decode(line).event { reference.feed(e) }
        }
        reference.finish()
        #expect(live.count == reference.state.closedMonths.count)
        for m in reference.state.closedMonths {
            #expect(live[m] == Array(reference.export(m).utf8), "engine and reference differ in \(m)")
        }

        var fresh = configuration(dir, derived: dir.path + "/replay")
        fresh.batchSize = 500
        let replayed = try Engine.open(fresh)
        #expect(try exports(replayed) == live)
        try replayed.close()
    }

    @Test func badInputNeverStopsTheRunNorLosesGoodEvents() throws {
        let dir = TempDir()
        var rng = SplitMix(seed: 99)
        var noisy: [UInt8] = []
        var good = 0
        for line in lines(generated(users: 30, months: 3, seed: 3, clean: true)) {
            noisy += line + [10]
            good += 1
            switch rng.next() % 6 {
            case 0:
                noisy +=
                    (0..<Int(rng.next() % 300)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }.filter { $0 != 10 }
                    + [10]
            case 1: noisy += line.prefix(Int(rng.next() % UInt64(line.count))) + [10]
            case 2: noisy += Array(repeating: UInt8(ascii: "["), count: 100_000) + [10]
            default: break
            }
        }
        noisy += Array(repeating: UInt8(ascii: "x"), count: 3 << 20) + [10]  // a 3 MiB line
        let input = dir.file("noisy.ndjson", noisy)
        let engine = try Engine.open(configuration(dir))
        _ = try engine.ingest(files: [input])
        #expect(engine.counters.accepted == good)
        #expect(engine.counters.rejected["too_large"] == 1)
        #expect(engine.counters.rejectedTotal > 0)
        try engine.close()

        let clean = TempDir()
        let reference = try Engine.open(configuration(clean))
        _ = try reference.ingest(files: [
            clean.file("clean.ndjson", generated(users: 30, months: 3, seed: 3, clean: true))
        ])
        let reopened = try Engine.open(configuration(dir))
        #expect(try exports(reopened) == (try exports(reference)))
    }
}

/// The generator and the decoder agree: every line the generator means as valid is accepted,
/// and every line it means as invalid is rejected.
@Suite struct GeneratorDecoderAgreementTests {
    @Test func everyIntendedEventDecodesAndEveryIntendedInvalidLineIsRejected() throws {
        var c = GeneratorConfiguration(users: 1500, months: 12, seed: 2024)
        c.noise.conflictingDuplicateRate = 0
        c.noise.duplicateRate = 0
        c.noise.conflictingOpenRate = 0
        let (bytes, summary) = try EventStreamGenerator(configuration: c).bytes()
        let decoder = EventDecoder()
        var accepted = 0
        var rejected: [String] = []
        for line in lines(bytes) {
            switch decoder.decode(line) {
            case .accepted: accepted += 1
            case .rejected(let r): rejected.append(r.message)
            }
        }
        #expect(accepted == summary.events, "valid lines rejected: \(rejected.prefix(5))")
        #expect(rejected.count == summary.invalidLineCount)
    }
}
