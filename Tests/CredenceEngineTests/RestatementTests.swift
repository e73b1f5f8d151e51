import CredenceCore
import CredenceTestSupport
import Foundation
import Testing

@testable import CredenceEngine

/// SCORING.md section 5: a late event counts from the next snapshot on; the closed one is not
/// rewritten unless the operator asks for a restatement, which is a new revision.
@Suite struct RestatementTests {
    // Needs ../shared/spec (the CI machine has it); a clone on its own skips this, and
    // `ownExampleRestatement` covers the same ground.
    @Test(.enabled(if: SharedSpec.isAvailable, "../shared/spec is not beside this clone"))
    func aRestatementCountsLateEventsInANewRevisionAndReplayAgrees() throws {
        let dir = TempDir()
        let engine = try Engine.open(configuration(dir))
        _ = try engine.ingest(files: [Paths.exampleEvents])
        #expect(engine.counters.late == 1)  // e026, u2's payment of 28 January
        let january = Month("2026-01")!
        let original = try CredenceExport.bytes(store: engine.store, month: january, modelVersion: "default-1")
        try engine.restate(january)
        let restated = try CredenceExport.bytes(store: engine.store, month: january, modelVersion: "default-1")
        #expect(restated != original)
        #expect(
            try CredenceExport.bytes(store: engine.store, month: january, modelVersion: "default-1", revision: 0)
                == original)
        let text = String(decoding: restated, as: UTF8.self)
        #expect(text.contains(#""user_id":"u2","month":"2026-01","score":505"#))
        #expect(text.contains(#""payments_12m":1,"spend_12m_minor":4000"#))
        #expect(try engine.store.months(modelVersion: "default-1").first { $0.month == january }?.latestRevision == 1)
        #expect(throws: EngineError.self) { try engine.restate(Month("2026-04")!) }  // not closed
        try engine.close()

        let replayed = try Engine.open(configuration(dir, derived: dir.path + "/replay"))
        #expect(try CredenceExport.bytes(store: replayed.store, month: january, modelVersion: "default-1") == restated)
        #expect(
            try CredenceExport.bytes(store: replayed.store, month: january, modelVersion: "default-1", revision: 0)
                == original)
        try replayed.close()

        // Reopening the live directory (a restart replays the log) writes no third revision.
        let reopened = try Engine.open(configuration(dir))
        #expect(try reopened.store.months(modelVersion: "default-1").first { $0.month == january }?.latestRevision == 1)
        try reopened.close()
    }

    @Test func ownExampleRestatement() throws {
        let dir = TempDir()
        let engine = try Engine.open(configuration(dir))
        _ = try engine.ingest(files: [Repository.workedExample.events])
        #expect(engine.counters.late == 1)  // b04, ben's payment of 28 April
        let april = Month("2025-04")!
        let original = try CredenceExport.bytes(store: engine.store, month: april, modelVersion: "default-1")
        #expect(original == (try Repository.workedExample.expected("2025-04")))
        try engine.restate(april)
        let restated = String(
            decoding: try CredenceExport.bytes(store: engine.store, month: april, modelVersion: "default-1"),
            as: UTF8.self)
        #expect(restated.contains(#""user_id":"ben","month":"2025-04""#))
        #expect(restated.contains(#""payments_12m":1,"spend_12m_minor":1500"#))
        #expect(
            try CredenceExport.bytes(store: engine.store, month: april, modelVersion: "default-1", revision: 0)
                == original)
        try engine.close()
        let replayed = try Engine.open(configuration(dir, derived: dir.path + "/replay"))
        #expect(
            String(
                decoding: try CredenceExport.bytes(store: replayed.store, month: april, modelVersion: "default-1"),
                as: UTF8.self) == restated)
        try replayed.close()
    }
}
