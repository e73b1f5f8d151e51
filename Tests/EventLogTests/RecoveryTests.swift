import CredenceTestSupport
import Testing

@testable import EventLog

@Suite struct RecoveryTests {
    /// A closed log over several segments, with every file's bytes kept to restore it.
    struct Fixture {
        var configuration: EventLogConfiguration
        var payloads: [[UInt8]]
        var files: [String: [UInt8]]
        var tailBase: UInt64

        init(dir: String, configuration: EventLogConfiguration = .small(), count: Int = 120, seed: UInt64 = 7) throws {
            var rng = SeededGenerator(seed: seed)
            self.configuration = configuration
            payloads = makePayloads((0..<count).map { _ in Int.random(in: 1...120, using: &rng) }, rng: &rng)
            payloads[count - 1] = [UInt8](repeating: 0xAB, count: 100)
            try writeLog(payloads, directory: dir, configuration: configuration)
            files = [:]
            for name in try FileSystem.list(dir) { files[name] = try readFile(dir + "/" + name) }
            tailBase = try SegmentFile.list(dir).last!
            #expect(tailBase > 0, "the fixture should span several segments")
        }

        func restore(_ dir: String) throws {
            for name in try FileSystem.list(dir) where files[name] == nil {
                try FileManagerShim.remove(dir + "/" + name)
            }
            for (name, bytes) in files { try writeFile(dir + "/" + name, bytes) }
        }

        var tail: [UInt8] { files[SegmentFile.name(base: tailBase)]! }
        var tailPath: String { SegmentFile.name(base: tailBase) }
    }

    /// Opens the log, appends one record, and checks that everything reads back.
    func appendAfterRecovery(_ dir: String, _ fixture: Fixture, kept: Int) throws {
        let log = try EventLog(directory: dir, configuration: fixture.configuration)
        #expect(log.nextLSN == UInt64(kept))
        #expect(try log.append([1, 2, 3]) == UInt64(kept))
        try log.close()
        let records = try readAll(dir, configuration: fixture.configuration)
        #expect(records.map(\.payload) == Array(fixture.payloads[..<kept]) + [[1, 2, 3]])
        #expect(try EventLog.verify(directory: dir, configuration: fixture.configuration).isIntact)
    }

    @Test func truncationAtEveryByteOfTheFinalRecordRecovers() throws {
        try withTemporaryDirectory { dir in
            let fixture = try Fixture(dir: dir)
            let tail = fixture.tail
            let last = recordOffsets(tail).last!
            #expect(tail.count - last == 108)
            for cut in last..<tail.count {
                try fixture.restore(dir)
                try writeFile(dir + "/" + fixture.tailPath, Array(tail[..<cut]))
                let log = try EventLog(directory: dir, configuration: fixture.configuration)
                #expect(log.nextLSN == UInt64(fixture.payloads.count - 1))
                if cut == last {
                    #expect(log.recovery == nil)
                } else {
                    let report = try #require(log.recovery)
                    #expect(report.segment.hasSuffix(fixture.tailPath))
                    #expect(report.offset == Int64(last))
                    #expect(report.bytesCut == Int64(cut - last))
                    #expect(report.recordsKept == UInt64(fixture.payloads.count - 1) - fixture.tailBase)
                    #expect(report.reason == (cut - last < 8 ? .tornHeader : .tornPayload))
                }
                try log.close()
                try appendAfterRecovery(dir, fixture, kept: fixture.payloads.count - 1)
            }
        }
    }

    @Test func flippedBitInTheFinalRecordIsCut() throws {
        try withTemporaryDirectory { dir in
            let fixture = try Fixture(dir: dir)
            let last = recordOffsets(fixture.tail).last!
            for position in [last + 4, last + 8, last + 60, fixture.tail.count - 1] {
                try fixture.restore(dir)
                var bytes = fixture.tail
                bytes[position] ^= 0x10
                try writeFile(dir + "/" + fixture.tailPath, bytes)
                let log = try EventLog(directory: dir, configuration: fixture.configuration)
                let report = try #require(log.recovery)
                #expect(report.reason == .checksumMismatch)
                #expect(report.offset == Int64(last))
                #expect(report.bytesCut == Int64(bytes.count - last))
                try log.close()
                try appendAfterRecovery(dir, fixture, kept: fixture.payloads.count - 1)
            }
        }
    }

    @Test func flippedBitInAMiddleRecordCutsEverythingAfterIt() throws {
        try withTemporaryDirectory { dir in
            // Segments of 2 KiB indexed every 1 KiB: the damaged record lies after the last index entry.
            let fixture = try Fixture(dir: dir, configuration: .small(segmentSize: 2048, indexInterval: 1024))
            let offsets = recordOffsets(fixture.tail)
            #expect(offsets.count >= 6)
            let index = try SparseIndex.load(
                path: segmentPath(dir, base: fixture.tailBase, extension: ".idx"), base: fixture.tailBase,
                segmentSize: 1 << 20)
            let lastIndexed = index.index.entries.last?.offset ?? Int64(FileHeader.size)
            let victim = try #require(offsets.firstIndex { Int64($0) > lastIndexed && $0 != offsets.last })
            let kept = Int(fixture.tailBase) + victim

            var bytes = fixture.tail
            bytes[offsets[victim] + 9] ^= 0x01
            try writeFile(dir + "/" + fixture.tailPath, bytes)
            let log = try EventLog(directory: dir, configuration: fixture.configuration)
            let report = try #require(log.recovery)
            #expect(report.reason == .checksumMismatch)
            #expect(report.offset == Int64(offsets[victim]))
            #expect(report.bytesCut == Int64(bytes.count - offsets[victim]))
            #expect(report.recordsKept == UInt64(victim))
            try log.close()
            try appendAfterRecovery(dir, fixture, kept: kept)

            // A damaged length field reads as a huge length: cut too.
            try fixture.restore(dir)
            bytes = fixture.tail
            bytes[offsets[victim] + 3] ^= 0x40
            try writeFile(dir + "/" + fixture.tailPath, bytes)
            let again = try EventLog(directory: dir, configuration: fixture.configuration)
            #expect(again.recovery?.reason == .lengthOverMaximum)
            #expect(again.recovery?.offset == Int64(offsets[victim]))
            try again.close()
            try appendAfterRecovery(dir, fixture, kept: kept)
        }
    }

    /// Damage before the last index entry is not a torn write: opening keeps the records
    /// (they may be restored from a backup), and readers and verify report it.
    @Test func damageBeforeTheLastIndexEntryIsReportedNotCut() throws {
        try withTemporaryDirectory { dir in
            let fixture = try Fixture(dir: dir, configuration: .small(segmentSize: 4096, indexInterval: 256))
            let offsets = recordOffsets(fixture.tail)
            var bytes = fixture.tail
            bytes[offsets[1] + 8] ^= 0x01
            try writeFile(dir + "/" + fixture.tailPath, bytes)
            let log = try EventLog(directory: dir, configuration: fixture.configuration)
            #expect(log.recovery == nil)
            #expect(log.nextLSN == UInt64(fixture.payloads.count))
            do {
                _ = try log.makeReader().read()
                Issue.record("read through a damaged record")
            } catch let error as EventLogError {
                #expect(error.code == .corruptRecord)
            }
            try log.close()
            let report = try EventLog.verify(directory: dir, configuration: fixture.configuration)
            #expect(report.problems.map(\.offset) == [Int64(offsets[1])])
        }
    }

    @Test func tornHeaderOfANewSegmentIsRewritten() throws {
        try withTemporaryDirectory { dir in
            let fixture = try Fixture(dir: dir)
            let next = UInt64(fixture.payloads.count)
            let header = FileHeader(magic: FileHeader.segmentMagic, baseLSN: next).encoded()
            for torn in [[], Array(header[..<10]), [UInt8](repeating: 0, count: 24)] {
                try fixture.restore(dir)
                try writeFile(segmentPath(dir, base: next), torn)
                let log = try EventLog(directory: dir, configuration: fixture.configuration)
                #expect(log.recovery?.reason == .tornSegmentHeader)
                #expect(log.recovery?.bytesCut == Int64(torn.count))
                try log.close()
                try appendAfterRecovery(dir, fixture, kept: fixture.payloads.count)
            }
        }
    }

    @Test func damagedHeaderOfTheLastSegmentRefusesToOpen() throws {
        try withTemporaryDirectory { dir in
            let fixture = try Fixture(dir: dir)
            var bytes = fixture.tail
            bytes[9] ^= 1  // base LSN; the header checksum no longer matches
            try writeFile(dir + "/" + fixture.tailPath, bytes)
            do {
                _ = try EventLog(directory: dir, configuration: fixture.configuration)
                Issue.record("opened a log with a damaged segment header")
            } catch let error as EventLogError {
                #expect(error.code == .corruptSegment)
                #expect(error.message.contains("verify"))
            }
        }
    }
}
