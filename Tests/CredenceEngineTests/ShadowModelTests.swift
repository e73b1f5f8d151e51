import CredenceCore
import EventLog
import Foundation
import SnapshotStore
import Testing

@testable import CredenceEngine

@Suite struct ShadowModelTests {
    static let candidate = CandidateModels.scorecard(CandidateModels.changed)

    func open(
        _ dir: TempDir, _ name: String, live: Scorecard = .default, shadows: [Scorecard] = [], derived: String? = nil
    )
        throws -> Engine
    {
        var c = EngineConfiguration()
        c.dataDirectory = dir.path + "/" + name
        c.derivedDirectory = derived
        c.model = live
        c.shadowModels = shadows
        c.log.durability = .none
        return try Engine.open(c)
    }

    func exports(_ engine: Engine, _ version: String) throws -> [Month: [UInt8]] {
        var out: [Month: [UInt8]] = [:]
        for m in try engine.store.months(modelVersion: version) {
            out[m.month] = try CredenceExport.bytes(store: engine.store, month: m.month, modelVersion: version)
        }
        return out
    }

    @Test func aShadowsSnapshotsAreWhatASecondEngineWithItLiveWrites() throws {
        let dir = TempDir()
        let events = dir.file("events.ndjson", generated(users: 200, months: 5, seed: 31))
        let withShadow = try open(dir, "a", shadows: [Self.candidate])
        _ = try withShadow.ingest(files: [events])
        try withShadow.close()
        let candidateLive = try open(dir, "b", live: Self.candidate)
        _ = try candidateLive.ingest(files: [events])
        try candidateLive.close()
        let plain = try open(dir, "c")
        _ = try plain.ingest(files: [events])
        try plain.close()

        let shadow = try exports(withShadow, "candidate-2")
        #expect(shadow.count >= 4)
        #expect(shadow == (try exports(candidateLive, "candidate-2")), "byte for byte")
        // The live model's exports and what is published do not change with a shadow beside them.
        #expect((try exports(withShadow, "default-1")) == (try exports(plain, "default-1")))
        let outbox = { (name: String) in Files.read(dir.path + "/\(name)/outbox/score-changes.ndjson") ?? [] }
        #expect(!outbox("a").isEmpty)
        #expect(outbox("a") == outbox("c"))
        #expect(!String(decoding: outbox("a"), as: UTF8.self).contains("candidate-2"))

        // Replay writes the shadow's snapshots again, the same bytes.
        let replayed = try open(dir, "a", shadows: [Self.candidate], derived: dir.path + "/replay")
        try replayed.close()
        #expect((try exports(replayed, "candidate-2")) == shadow)
        // A shadow added later is filled in for every closed month when the engine opens.
        let late = try open(dir, "c", shadows: [Self.candidate])
        try late.close()
        #expect((try exports(late, "candidate-2")) == shadow)
    }

    @Test func replayReproducesAPromotion() throws {
        let dir = TempDir()
        let all = lines(generated(users: 150, months: 6, seed: 41, clean: true))
        let half = all.count / 2
        let first = dir.file("first.ndjson", Array(all[..<half].joined(separator: [10])) + [10])
        let second = dir.file("second.ndjson", Array(all[half...].joined(separator: [10])) + [10])

        let engine = try open(dir, "live")
        _ = try engine.ingest(files: [first])
        let before = try engine.store.months(modelVersion: "default-1").map(\.month)
        #expect(!before.isEmpty)
        try engine.promote(json: CandidateModels.changed)
        #expect(engine.model.modelVersion == "candidate-2")
        #expect(throws: EngineError.self) { try engine.promote(json: CandidateModels.changed) }
        _ = try engine.ingest(files: [second])
        try engine.close()

        // Months closed before the promotion stay under the old model; later ones use the new one.
        let old = try exports(engine, "default-1")
        let new = try exports(engine, "candidate-2")
        #expect(Set(old.keys) == Set(before))
        #expect(!new.isEmpty)
        #expect(new.keys.min()! > before.max()!)
        let published = String(
            decoding: Files.read(dir.path + "/live/outbox/score-changes.ndjson") ?? [], as: UTF8.self)
        #expect(published.contains("/candidate-2\""))

        // A replay from the log alone (configured with the old model) switches at the same point.
        let replayed = try open(dir, "live", derived: dir.path + "/replay")
        try replayed.close()
        #expect(replayed.model.modelVersion == "candidate-2")
        #expect((try exports(replayed, "default-1")) == old)
        #expect((try exports(replayed, "candidate-2")) == new)
        // And a restart serves the promoted model without being told.
        let restarted = try open(dir, "live")
        #expect(restarted.model.modelVersion == "candidate-2")
        try restarted.close()
    }
}
