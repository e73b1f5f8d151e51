import CredenceTestSupport
import Testing

@testable import EventLog

@Suite struct VerifyTests {
    static let configuration = EventLogConfiguration.small(segmentSize: 1024)

    func makeLog(_ dir: String) throws -> [[UInt8]] {
        let payloads = (0..<200).map { Array("verify me \($0)".utf8) }
        try writeLog(payloads, directory: dir, configuration: Self.configuration)
        return payloads
    }

    @Test func anEmptyLogReadsAsEmptyFromADirectoryReader() throws {
        // A header-only segment ends where it starts: the reader must not take it for the next
        // segment (it once looped for ever here).
        try withTemporaryDirectory { dir in
            let log = try EventLog(directory: dir, configuration: Self.configuration)
            try log.close()
            let reader = try EventLogReader(directory: dir, configuration: Self.configuration)
            var count = 0
            try reader.forEach(from: 0) { _, _ in count += 1 }
            #expect(count == 0)
            #expect(try EventLog.verify(directory: dir, configuration: Self.configuration).isIntact)
        }
    }

    @Test func cleanLogIsIntact() throws {
        try withTemporaryDirectory { dir in
            _ = try makeLog(dir)
            let report = try EventLog.verify(directory: dir, configuration: Self.configuration)
            #expect(report.isIntact)
            #expect(report.indexProblems.isEmpty)
            #expect(report.records == 200)
            #expect(report.endLSN == 200)
            #expect(report.segments == (try SegmentFile.list(dir).count))
            #expect(report.segments > 3)
        }
    }

    @Test func detectsCorruptionInANonTailSegment() throws {
        try withTemporaryDirectory { dir in
            _ = try makeLog(dir)
            let bases = try SegmentFile.list(dir)
            let path = segmentPath(dir, base: bases[1])
            var bytes = try readFile(path)
            let offsets = recordOffsets(bytes)
            bytes[offsets[5] + 12] ^= 0x80
            try writeFile(path, bytes)

            let report = try EventLog.verify(directory: dir, configuration: Self.configuration)
            #expect(!report.isIntact)
            let problem = try #require(report.problems.first)
            #expect(report.problems.count == 1)
            #expect(problem.kind == .badRecord)
            #expect(problem.segment == SegmentFile.name(base: bases[1]))
            #expect(problem.offset == Int64(offsets[5]))
            #expect(problem.lsn == bases[1] + 5)
            #expect(problem.detail.contains("checksumMismatch"))
            #expect(report.description.contains("1 problems"))

            // Readers stop there too, and opening the log does not touch sealed segments.
            do {
                _ = try readAll(dir, configuration: Self.configuration)
                Issue.record("read through a damaged record")
            } catch let error as EventLogError {
                #expect(error.code == .corruptRecord)
            }
            let log = try EventLog(directory: dir, configuration: Self.configuration)
            #expect(log.recovery == nil)
            try log.close()
        }
    }

    @Test func detectsMissingSegmentsAndDamagedHeaders() throws {
        try withTemporaryDirectory { dir in
            _ = try makeLog(dir)
            let bases = try SegmentFile.list(dir)
            try FileManagerShim.remove(segmentPath(dir, base: bases[2]))
            var header = try readFile(segmentPath(dir, base: bases[4]))
            header[0] = UInt8(ascii: "X")
            try writeFile(segmentPath(dir, base: bases[4]), header)

            let report = try EventLog.verify(directory: dir, configuration: Self.configuration)
            #expect(report.problems.map(\.kind) == [.lsnGap, .badHeader])
            #expect(report.problems[0].segment == SegmentFile.name(base: bases[3]))
            #expect(report.problems[1].segment == SegmentFile.name(base: bases[4]))
        }
    }
}
