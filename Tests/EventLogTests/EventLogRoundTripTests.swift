import CredenceTestSupport
import Testing

@testable import EventLog

@Suite struct EventLogRoundTripTests {
    /// Mostly small payloads, with empty ones and some larger than a segment and a read chunk.
    static func randomSizes(count: Int, rng: inout SeededGenerator) -> [Int] {
        (0..<count).map { i in
            switch i % 97 {
            case 0: return 0
            case 50: return Int.random(in: 5000...20_000, using: &rng)
            default: return Int.random(in: 0...300, using: &rng)
            }
        }
    }

    @Test func readerReturnsExactlyWhatWasAppended() throws {
        try withTemporaryDirectory { dir in
            var rng = SeededGenerator(seed: 1)
            let configuration = EventLogConfiguration.small()
            let payloads = makePayloads(Self.randomSizes(count: 1500, rng: &rng), rng: &rng)
            try writeLog(payloads, directory: dir, configuration: configuration)
            #expect(try SegmentFile.list(dir).count > 20)

            var seen = 0
            let end = try EventLogReader(directory: dir, configuration: configuration).forEach { lsn, payload in
                #expect(lsn == UInt64(seen))
                #expect(Array(payload) == payloads[seen])
                seen += 1
            }
            #expect(seen == payloads.count)
            #expect(end == UInt64(payloads.count))

            for _ in 0..<40 {
                let from = Int.random(in: 0...payloads.count, using: &rng)
                let records = try readAll(dir, configuration: configuration, from: UInt64(from))
                #expect(records.map(\.lsn) == (from..<payloads.count).map { UInt64($0) })
                #expect(records.map(\.payload) == Array(payloads[from...]))
            }
        }
    }

    /// The default read chunk (1 MB), refilled a quarter MB at a time (``FrameCursor/readBytes``):
    /// records smaller and larger than a refill, one larger than the chunk itself, at every
    /// position a refill can end.
    @Test func recordsLargerThanARefillOrTheChunkReadBackWhole() throws {
        try withTemporaryDirectory { dir in
            var rng = SeededGenerator(seed: 5)
            var configuration = EventLogConfiguration()
            configuration.durability = .none
            configuration.maxRecordSize = 4 << 20
            let sizes = (0..<150).map { i in
                switch i % 50 {
                case 7: return 300_000
                case 31: return 1_500_000
                default: return Int.random(in: 1...9_000, using: &rng)
                }
            }
            let payloads = makePayloads(sizes, rng: &rng)
            try writeLog(payloads, directory: dir, configuration: configuration)
            var seen = 0
            try EventLogReader(directory: dir, configuration: configuration).forEach { lsn, payload in
                #expect(lsn == UInt64(seen))
                #expect(Array(payload) == payloads[seen])
                seen += 1
            }
            #expect(seen == payloads.count)
        }
    }

    @Test func appendAcceptsAnyCollectionAndRawBuffers() throws {
        try withTemporaryDirectory { dir in
            let configuration = EventLogConfiguration.small()
            let log = try EventLog(directory: dir, configuration: configuration)
            let lazy = (0..<500).lazy.map { UInt8(truncatingIfNeeded: $0 * 7) }
            #expect(try log.append(lazy) == 0)
            #expect(try [UInt8](repeating: 9, count: 3).withUnsafeBytes { try log.append($0) } == 1)
            #expect(try log.append(ArraySlice<UInt8>([1, 2, 3, 4])[1...]) == 2)
            try log.commit()
            let records = try log.makeReader().read()
            #expect(records.map(\.payload) == [Array(lazy), [9, 9, 9], [2, 3, 4]])
            try log.close()
        }
    }

    @Test func readerSeesOnlyCommittedRecordsAndFollowsTheTail() throws {
        try withTemporaryDirectory { dir in
            let configuration = EventLogConfiguration.small(segmentSize: 512)
            let log = try EventLog(directory: dir, configuration: configuration)
            let reader = try log.makeReader()
            let cursor = try reader.records(from: 0)
            for i in 0..<10 { try log.append([UInt8(i)]) }
            #expect(try reader.read().isEmpty)
            #expect(try cursor.next() == nil)
            try log.commit()
            #expect(try reader.read().count == 10)
            var lsns: [UInt64] = []
            while let record = try cursor.next() { lsns.append(record.lsn) }
            #expect(lsns == Array(0..<10))
            // Enough to roll several 512-byte segments while the cursor waits at the end.
            for i in 10..<200 { try log.append([UInt8](repeating: UInt8(i), count: 40)) }
            #expect(try cursor.next() == nil)
            try log.commit()
            while let record = try cursor.next() {
                #expect(record.payload == [UInt8](repeating: UInt8(record.lsn), count: 40))
                lsns.append(record.lsn)
            }
            #expect(lsns == Array(0..<200))
            #expect(try SegmentFile.list(dir).count > 10)
            try log.close()
        }
    }

    @Test func readerInAnotherTaskReadsWhileAppending() async throws {
        let dir = temporaryPath()
        defer { try? FileManagerShim.remove(dir) }
        let configuration = EventLogConfiguration.small(segmentSize: 2048)
        let log = try EventLog(directory: dir, configuration: configuration)
        defer { try? log.close() }
        let watermark = log.commitWatermark
        let total = 3000
        let reading = Task.detached { () throws -> Int in
            let reader = try EventLogReader(directory: dir, configuration: configuration, watermark: watermark)
            let cursor = try reader.records(from: 0)
            var expected: UInt64 = 0
            while expected < UInt64(total) {
                guard let record = try cursor.next() else {
                    await Task.yield()
                    continue
                }
                guard record.lsn == expected, record.payload == Array("record \(expected)".utf8) else { return -1 }
                expected += 1
            }
            return Int(expected)
        }
        for i in 0..<total {
            try log.append(Array("record \(i)".utf8))
            if i % 50 == 49 { try log.commit() }
        }
        try log.commit()
        #expect(try await reading.value == total)
    }

    @Test func reopenContinuesTheLSNsAndTheIndex() throws {
        try withTemporaryDirectory { dir in
            let configuration = EventLogConfiguration.small()
            try writeLog((0..<300).map { Array("first \($0)".utf8) }, directory: dir, configuration: configuration)
            let log = try EventLog(directory: dir, configuration: configuration)
            #expect(log.recovery == nil)
            #expect(log.nextLSN == 300)
            #expect(log.committedEnd == 300)
            for i in 0..<300 { try log.append(Array("second \(i)".utf8)) }
            try log.close()
            let records = try readAll(dir, configuration: configuration)
            #expect(records.count == 600)
            #expect(records[450].payload == Array("second 150".utf8))
            #expect(try EventLog.verify(directory: dir, configuration: configuration).isIntact)
            #expect(try EventLog.verify(directory: dir, configuration: configuration).indexProblems.isEmpty)
        }
    }

    @Test func fsyncEveryCommitAndIntervalWork() throws {
        for durability in [Durability.fsyncEveryCommit, .interval(.milliseconds(5))] {
            try withTemporaryDirectory { dir in
                var configuration = EventLogConfiguration.small(segmentSize: 1024)
                configuration.durability = durability
                let payloads = (0..<100).map { Array("durable \($0)".utf8) }
                try writeLog(payloads, directory: dir, configuration: configuration, commitEvery: 10)
                #expect(try readAll(dir, configuration: configuration).map(\.payload) == payloads)
            }
        }
    }

    @Test func rejectsTooLargeRecordsBadSettingsAndSecondAppenders() throws {
        try withTemporaryDirectory { dir in
            var configuration = EventLogConfiguration.small()
            configuration.maxRecordSize = 100
            let log = try EventLog(directory: dir, configuration: configuration)
            #expect(throws: EventLogError.self) { try log.append([UInt8](repeating: 0, count: 101)) }
            #expect(try log.append([UInt8](repeating: 0, count: 100)) == 0)
            do {
                _ = try EventLog(directory: dir, configuration: configuration)
                Issue.record("a second appender opened the log")
            } catch let error as EventLogError {
                #expect(error.code == .locked)
            }
            try log.close()
            #expect(throws: EventLogError.self) { try log.append([1]) }
            let reopened = try EventLog(directory: dir, configuration: configuration)
            #expect(reopened.nextLSN == 1)
            try reopened.close()

            var bad = EventLogConfiguration()
            bad.segmentSize = 10
            #expect(throws: EventLogError.self) { try bad.validate() }
            #expect(throws: EventLogError.self) { try EventLogReader(directory: dir, configuration: bad) }
        }
    }

    @Test func readingBeforeTheOldestSegmentThrows() throws {
        try withTemporaryDirectory { dir in
            let configuration = EventLogConfiguration.small(segmentSize: 256)
            try writeLog(
                (0..<100).map { _ in [UInt8](repeating: 1, count: 30) }, directory: dir, configuration: configuration)
            try FileManagerShim.remove(segmentPath(dir, base: 0))
            do {
                _ = try readAll(dir, configuration: configuration)
                Issue.record("read from a removed segment")
            } catch let error as EventLogError {
                #expect(error.code == .lsnNotFound)
            }
        }
    }
}
