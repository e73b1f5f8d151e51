import CredenceCore
import CredenceTestSupport
import EventLog
import Foundation
import Shredding
import Testing

@testable import CredenceEngine

/// The replay's stage on its threads (a reader, two openers) against the same reading on the
/// calling thread: the same records in the same order, and a damaged record stops both at the
/// same place.
@Suite struct ReplayStageTests {
    /// What a stage handed over: each record's LSN and what it decoded to, then how it ended.
    struct Reading: Equatable {
        var records: [String] = []
        var failure: String? = nil
        var indexesReturned = false
        /// Commit records seen, and chunks whose list of commits was not where they are.
        var commits = 0
        var misplacedCommits: [String] = []
        /// Chunks whose subjects are not their items' (an event's subject, else 0), one each.
        var mismatchedSubjects: [String] = []
    }

    static func read(_ dir: TempDir, parallel: Bool, itemsPerChunk: Int) throws -> Reading {
        let c = configuration(dir)
        let data = c.dataDirectory
        let keys = try KeyStore(directory: data + "/keys")
        let log = try EventLog(directory: data + "/log", configuration: c.log)
        defer { try? log.close() }
        let indexes = ReplayIndexes(
            intake: IntakeIndex(window: 0), records: RecordLists(), sources: SourceTable(), maxSeen: nil)
        var reading = Reading()
        func consume(_ output: ReplayStage.Output) -> Bool {
            switch output {
            case .chunk(let chunk):
                // One subject per item: an event's, or 0 for any other record.
                let expected = chunk.items.map { item -> UInt64 in
                    if case .event(_, let replayed) = item { return replayed.subject }
                    return 0
                }
                if chunk.subjects != expected {
                    reading.mismatchedSubjects.append("listed \(chunk.subjects), items \(expected)")
                }
                // The commits the stage lists are exactly the chunk's commit records.
                var found: [Int] = []
                for (i, item) in chunk.items.enumerated() {
                    if case .record(_, let index) = item, case .commit = chunk.records[index].record { found.append(i) }
                }
                reading.commits += found.count
                if found != chunk.commits { reading.misplacedCommits.append("listed \(chunk.commits), found \(found)") }
                chunk.plaintext.withUnsafeBytes { plaintext in
                    for item in chunk.items {
                        switch item {
                        case .event(let lsn, let r):
                            let text = r.event.map { "\(Event($0, in: plaintext.baseAddress!))" } ?? "unreadable"
                            reading.records.append("\(lsn) \(r.subject) \(r.occurredAt) \(r.isCopy) \(text)")
                        case .record(let lsn, let index):
                            let r = chunk.records[index]
                            reading.records.append("\(lsn) \(r.record) \(r.userID ?? "-")")
                        }
                    }
                }
                return true
            case .failure(let error):
                reading.failure = "\(error)"
                return false
            case .indexes:
                reading.indexesReturned = true
                return true
            }
        }
        ReplayStage.run(
            parallel: parallel, directory: log.directory, configuration: log.configuration,
            watermark: log.commitWatermark, from: 0, keys: keys.snapshot(), indexes: indexes,
            itemsPerChunk: itemsPerChunk, depth: 2, consume: consume)
        return reading
    }

    /// The applying thread reads every item from the other core's cache: what the stage's
    /// documentation says of its size holds (``ReplayStage/Replayed``).
    @Test func anItemHoldsNothingToReleaseInEightyEightBytes() {
        #expect(MemoryLayout<ReplayStage.Item>.stride <= 88)
        #expect(_isPOD(ReplayStage.Item.self))
    }

    @Test func theStageOnItsThreadsReadsWhatTheCallingThreadReads() throws {
        let dir = TempDir()
        do {
            let engine = try Engine.open(configuration(dir))
            _ = try engine.ingest(files: [Repository.workedExample.events])
            try engine.close()
        }
        // Small chunks: records and events cross many chunk boundaries.
        let serial = try Self.read(dir, parallel: false, itemsPerChunk: 7)
        let parallel = try Self.read(dir, parallel: true, itemsPerChunk: 7)
        #expect(serial.records.count > 30)
        #expect(serial.failure == nil && serial.indexesReturned)
        #expect(serial.commits > 0 && serial.misplacedCommits.isEmpty)
        #expect(serial.mismatchedSubjects.isEmpty && parallel.mismatchedSubjects.isEmpty)
        #expect(parallel == serial)

        // A damaged event in the middle: both hand over the records before it, then the failure,
        // and no indexes.
        try SealedRecordTests.damageEvent(10, in: dir)
        let damagedSerial = try Self.read(dir, parallel: false, itemsPerChunk: 7)
        let damagedParallel = try Self.read(dir, parallel: true, itemsPerChunk: 7)
        #expect(damagedSerial.failure?.contains("fails authentication") == true)
        #expect(!damagedSerial.indexesReturned)
        #expect(damagedSerial.misplacedCommits.isEmpty && damagedParallel.misplacedCommits.isEmpty)
        #expect(damagedSerial.mismatchedSubjects.isEmpty && damagedParallel.mismatchedSubjects.isEmpty)
        #expect(damagedSerial.records.count > 10 && damagedSerial.records.count < serial.records.count)
        #expect(damagedSerial.records == Array(serial.records.prefix(damagedSerial.records.count)))
        #expect(damagedParallel == damagedSerial)

        // Taken by hand past the failure: nothing follows it, and asking again ends (the failure
        // cancelled the openers' queues; each opener ends its own once its result is refused or
        // the reader, refused too, has finished).
        let c = configuration(dir)
        let keys = try KeyStore(directory: c.dataDirectory + "/keys")
        let log = try EventLog(directory: c.dataDirectory + "/log", configuration: c.log)
        defer { try? log.close() }
        var stage = ReplayStage.start(
            directory: log.directory, configuration: log.configuration, watermark: log.commitWatermark, from: 0,
            keys: keys.snapshot(),
            indexes: ReplayIndexes(
                intake: IntakeIndex(window: 0), records: RecordLists(), sources: SourceTable(), maxSeen: nil),
            itemsPerChunk: 7, depth: 2)
        var chunks = 0
        var failure: EngineError? = nil
        while failure == nil, let output = stage.take() {
            switch output {
            case .chunk: chunks += 1
            case .failure(let error): failure = error
            case .indexes: Issue.record("the indexes came back after a damaged record")
            }
        }
        #expect(failure != nil && chunks > 1)
        #expect(stage.take() == nil && stage.take() == nil)
        stage.cancel()
    }
}
