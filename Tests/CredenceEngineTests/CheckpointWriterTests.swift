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
            var f = file(writer, Array(repeating: UInt8(lsn), count: 1 << 20))
            try writer.write(c, lsn: lsn, file: &f)
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

    /// During a file ingest a written file's buffer serves the next checkpoint (its pages stay
    /// mapped); the next file holds only what it was given, and turning it off drops the buffer.
    @Test func aKeptBufferServesTheNextCheckpointUntilTurnedOff() throws {
        let dir = TempDir()
        let c = checkpoints(dir.path + "/checkpoints")
        let writer = CheckpointWriter()
        writer.keepsBuffer(true)
        var first = file(writer, Array(repeating: 1, count: 1 << 20))
        try writer.write(c, lsn: 10, file: &first)
        #expect(first.isEmpty, "the file moves to the writer's thread")
        try writer.wait()
        #expect(writer.keptCapacity >= (1 << 20))
        var second = writer.startFile()
        #expect(second.bytes.capacity >= (1 << 20), "the first file's memory")
        #expect(second.bytes.count == Checkpoints.headerBytes)
        #expect(writer.keptCapacity == 0, "taken, not shared")
        let address = second.bytes.withUnsafeBufferPointer { $0.baseAddress }
        second.bytes.append(contentsOf: [2, 3, 4])
        try writer.writeNow(c, lsn: 20, file: &second.bytes)
        guard case .success(let body) = c.check(c.entries().last!, logEnd: 20) else {
            Issue.record("the checkpoint in a reused buffer does not check")
            return
        }
        #expect(body == [2, 3, 4], "nothing of the first file's body is left")
        var third = writer.startFile()
        #expect(third.bytes.withUnsafeBufferPointer { $0.baseAddress } == address, "the same memory again")
        try writer.writeNow(c, lsn: 30, file: &third.bytes)
        #expect(writer.keptCapacity > 0)
        writer.keepsBuffer(false)
        #expect(writer.keptCapacity == 0)
        var fourth = file(writer, [5])
        try writer.write(c, lsn: 40, file: &fourth)
        try writer.wait()
        #expect(writer.keptCapacity == 0, "off: a written buffer is freed")
    }

    /// The first checkpoint, and one after the state grew past the last file, get room for the
    /// engine's count of its state: a body of that size is written without the buffer growing
    /// (each growth a copy and fresh pages), and a kept buffer with the room is used again.
    @Test func theBufferHasRoomForTheExpectedBodyBeforeAnyFileWasWritten() throws {
        let dir = TempDir()
        let c = checkpoints(dir.path + "/checkpoints")
        let writer = CheckpointWriter()
        writer.keepsBuffer(true)
        let expected = 6 << 20
        var first = writer.startFile(expectedBodyBytes: expected)
        #expect(first.bytes.capacity >= Checkpoints.headerBytes + expected + 4)
        let address = first.bytes.withUnsafeBufferPointer { $0.baseAddress }
        first.bytes.append(contentsOf: Array(repeating: 9, count: expected))
        #expect(
            first.bytes.withUnsafeBufferPointer { $0.baseAddress } == address, "no growth while the body is written")
        try writer.writeNow(c, lsn: 10, file: &first.bytes)
        // Expecting more than the kept buffer holds: a new one; then less: the kept one again.
        var second = writer.startFile(expectedBodyBytes: 4 * expected)
        #expect(second.bytes.capacity >= Checkpoints.headerBytes + 4 * expected + 4)
        let larger = second.bytes.withUnsafeBufferPointer { $0.baseAddress }
        try writer.writeNow(c, lsn: 20, file: &second.bytes)
        let third = writer.startFile(expectedBodyBytes: expected)
        #expect(third.bytes.withUnsafeBufferPointer { $0.baseAddress } == larger)
    }

    @Test func aFailureIsKeptBySettleAndThrownOnceByWait() throws {
        let dir = TempDir()
        // A file where the directory should be: the write cannot make its directory.
        FileManager.default.createFile(atPath: dir.path + "/blocked", contents: Data([1]))
        let writer = CheckpointWriter()
        var blocked = file(writer, [1, 2, 3])
        try writer.write(checkpoints(dir.path + "/blocked"), lsn: 5, file: &blocked)
        writer.settle()
        #expect(throws: EngineError.self) { try writer.wait() }
        try writer.wait()  // reported once
        let c = checkpoints(dir.path + "/checkpoints")
        var six = file(writer, [4])
        try writer.write(c, lsn: 6, file: &six)
        try writer.wait()
        #expect(c.entries().map(\.lsn) == [6])
    }
}
