import CredenceCore
import EventLog
import Foundation
import Testing

@testable import CredenceEngine

/// Checkpoint files streamed beside the engine: the body handed over in pieces as it is
/// encoded, the file the same bytes as one written whole (header, body, CRC-32C of both), on
/// disk once `wait` or `settle` returns, one at a time in order, a failure reported once by the
/// next `wait` (and kept by `settle`).
@Suite struct CheckpointWriterTests {
    func checkpoints(_ directory: String, keep: Int = 2) -> Checkpoints {
        Checkpoints(directory: directory, fingerprint: 7, keep: keep)
    }

    /// Streams `body` as the engine does: appended in elements of `element` bytes, each followed
    /// by a chance to spill.
    func stream(
        _ writer: CheckpointWriter, _ c: Checkpoints, lsn: UInt64, _ body: [UInt8], element: Int = 1000
    ) throws {
        var w = try writer.startStream(c, lsn: lsn)
        var at = 0
        while at < body.count {
            let end = min(at + element, body.count)
            w.bytes.append(contentsOf: body[at..<end])
            w.spillIfFull()
            at = end
        }
        writer.finish(&w)
        #expect(w.bytes.isEmpty)
    }

    /// The file as written whole: header, body, the CRC-32C of both.
    func wholeFile(_ c: Checkpoints, lsn: UInt64, _ body: [UInt8]) -> [UInt8] {
        var file = c.header(lsn: lsn, bodyBytes: UInt64(body.count)) + body
        Checkpoints.append(CRC32C.checksum(file), to: &file)
        return file
    }

    func body(_ count: Int, seed: UInt64) -> [UInt8] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt8(truncatingIfNeeded: state >> 33)
        }
    }

    @Test func aStreamedFileIsTheFileWrittenWholeAndChecks() throws {
        let dir = TempDir()
        let c = checkpoints(dir.path + "/checkpoints")
        // Pieces of 4 KB: the 100 KB body crosses many, and the last is short.
        let writer = CheckpointWriter(pieceBytes: 4096)
        let body = body(100_003, seed: 1)
        try stream(writer, c, lsn: 42, body)
        try writer.wait()
        let entry = try #require(c.entries().last)
        #expect(entry.lsn == 42)
        #expect(try Data(contentsOf: URL(fileURLWithPath: entry.path)) == Data(wholeFile(c, lsn: 42, body)))
        guard case .success(let read) = c.check(entry, logEnd: 42) else {
            Issue.record("the streamed checkpoint does not check")
            return
        }
        #expect(read == body)
        #expect(!FileManager.default.fileExists(atPath: entry.path + ".tmp"), "no temporary file is left")
    }

    /// The CRC-32C of header and body, worked out from each alone: equal to the whole's for any
    /// split, an empty body included.
    @Test(arguments: [0, 1, 7, 65_536, 65_537, 200_000])
    func theCombinedChecksumIsTheWholeFilesChecksum(bodyBytes: Int) {
        let header = body(Checkpoints.headerBytes, seed: 9)
        let body = body(bodyBytes, seed: UInt64(bodyBytes) + 2)
        var bodyChecksum = UInt32.max
        var at = 0
        while at < body.count {
            let end = min(at + 3001, body.count)
            bodyChecksum = CRC32C.checksum(body[at..<end], continuing: bodyChecksum)
            at = end
        }
        #expect(
            Checkpoints.combinedChecksum(header: header, bodyChecksum: bodyChecksum, bodyBytes: UInt64(body.count))
                == CRC32C.checksum(header + body))
    }

    @Test func writesAreOnDiskOnceWaitedForAndKeepTheNewest() throws {
        let dir = TempDir()
        let c = checkpoints(dir.path + "/checkpoints")
        let writer = CheckpointWriter(pieceBytes: 64 << 10)
        for lsn in [10, 20, 30] as [UInt64] {
            try stream(writer, c, lsn: lsn, Array(repeating: UInt8(lsn), count: 1 << 20))
        }
        try writer.wait()
        #expect(c.entries().map(\.lsn) == [20, 30], "each stream waits for the one before; the oldest is pruned")
        guard case .success(let body) = c.check(c.entries().last!, logEnd: 30) else {
            Issue.record("the newest checkpoint does not check")
            return
        }
        #expect(body == Array(repeating: 30, count: 1 << 20))
    }

    /// During a file ingest or a replay the pieces' buffers serve the next checkpoint (their
    /// pages stay mapped); a server drops them once its checkpoint is written.
    @Test func pieceBuffersAreKeptForTheNextCheckpointUntilTurnedOff() throws {
        let dir = TempDir()
        let c = checkpoints(dir.path + "/checkpoints")
        let writer = CheckpointWriter(pieceBytes: 64 << 10)
        writer.keepsBuffer(true)
        try stream(writer, c, lsn: 10, body(1 << 20, seed: 3))
        try writer.wait()
        #expect(writer.keptCapacity >= 64 << 10)
        #expect(writer.keptCapacity <= CheckpointWriter.pieceCount * (96 << 10), "at most two, of a piece's size")
        writer.keepsBuffer(false)
        #expect(writer.keptCapacity == 0)
        try stream(writer, c, lsn: 20, body(1 << 20, seed: 4))
        try writer.wait()
        #expect(writer.keptCapacity == 0, "off: the pieces' buffers are freed once written")
        #expect(c.entries().map(\.lsn) == [10, 20])
    }

    @Test func aFailureIsKeptBySettleAndThrownOnceByWait() throws {
        let dir = TempDir()
        // A file where the directory should be: the stream cannot make its directory.
        FileManager.default.createFile(atPath: dir.path + "/blocked", contents: Data([1]))
        let writer = CheckpointWriter(pieceBytes: 4096)
        try stream(writer, checkpoints(dir.path + "/blocked"), lsn: 5, body(50_000, seed: 5))
        writer.settle()
        #expect(throws: EngineError.self) { try writer.wait() }
        try writer.wait()  // reported once
        let c = checkpoints(dir.path + "/checkpoints")
        try stream(writer, c, lsn: 6, [4])
        try writer.wait()
        #expect(c.entries().map(\.lsn) == [6])
    }

    /// A checkpoint whose file cannot be created leaves nothing behind and no checkpoint listed;
    /// the one before stays.
    @Test func aFailedStreamLeavesTheCheckpointBeforeAlone() throws {
        let dir = TempDir()
        let c = checkpoints(dir.path + "/checkpoints")
        let writer = CheckpointWriter(pieceBytes: 4096)
        try stream(writer, c, lsn: 10, body(20_000, seed: 6))
        try writer.wait()
        // The next file's name is taken by a directory: it cannot be renamed into place.
        try FileManager.default.createDirectory(
            atPath: c.path(20) + "/occupied", withIntermediateDirectories: true)
        try stream(writer, c, lsn: 20, body(20_000, seed: 7))
        #expect(throws: EngineError.self) { try writer.wait() }
        #expect(c.entries().first?.lsn == 10)
        #expect(!FileManager.default.fileExists(atPath: c.path(20) + ".tmp"), "the unfinished file is removed")
        guard case .success = c.check(c.entries().first!, logEnd: 20) else {
            Issue.record("the checkpoint before does not check")
            return
        }
    }
}
