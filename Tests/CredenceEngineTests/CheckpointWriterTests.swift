import Foundation
import Testing

@testable import CredenceEngine

/// Checkpoint files written beside the engine: on disk once `wait` or `settle` returns, one at
/// a time in order, a failure reported once by the next `wait` (and kept by `settle`).
@Suite struct CheckpointWriterTests {
    func checkpoints(_ directory: String, keep: Int = 2) -> Checkpoints {
        Checkpoints(directory: directory, fingerprint: 7, keep: keep)
    }

    /// A checkpoint file of `body`, built as the engine builds one: the header's room, then the body.
    func file(_ writer: CheckpointWriter, _ body: [UInt8]) -> [UInt8] {
        var file = writer.startFile()
        file.bytes.append(contentsOf: body)
        return file.bytes
    }

    @Test func writesAreOnDiskOnceWaitedForAndKeepTheNewest() throws {
        let dir = TempDir()
        let c = checkpoints(dir.path + "/checkpoints")
        let writer = CheckpointWriter()
        for lsn in [10, 20, 30] as [UInt64] {
            try writer.write(c, lsn: lsn, file: file(writer, Array(repeating: UInt8(lsn), count: 1 << 20)))
        }
        try writer.wait()
        #expect(c.entries().map(\.lsn) == [20, 30], "each write waits for the one before; the oldest is pruned")
        guard case .success(let body) = c.check(c.entries().last!, logEnd: 30) else {
            Issue.record("the newest checkpoint does not check")
            return
        }
        #expect(body == Array(repeating: 30, count: 1 << 20))
        // The next file's buffer is sized for the last one: no growth while the body is encoded.
        #expect(writer.startFile().bytes.capacity >= Checkpoints.headerBytes + (1 << 20) + 4)
    }

    @Test func aFailureIsKeptBySettleAndThrownOnceByWait() throws {
        let dir = TempDir()
        // A file where the directory should be: the write cannot make its directory.
        FileManager.default.createFile(atPath: dir.path + "/blocked", contents: Data([1]))
        let writer = CheckpointWriter()
        try writer.write(checkpoints(dir.path + "/blocked"), lsn: 5, file: file(writer, [1, 2, 3]))
        writer.settle()
        #expect(throws: EngineError.self) { try writer.wait() }
        try writer.wait()  // reported once
        let c = checkpoints(dir.path + "/checkpoints")
        try writer.write(c, lsn: 6, file: file(writer, [4]))
        try writer.wait()
        #expect(c.entries().map(\.lsn) == [6])
    }
}
