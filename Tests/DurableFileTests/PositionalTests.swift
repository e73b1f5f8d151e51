import CredenceTestSupport
import DurableFile
import Foundation
import Testing

@Suite struct PositionalTests {
    @Test func writesAndReadsAtOffsets() throws {
        let dir = TemporaryDirectory("durable-file")
        let file = try DurableFile.Positional(path: dir.path + "/slots", create: true, mode: 0o600)
        try file.write([1, 2, 3, 4], at: 0)
        try file.write([9, 9], at: 10)  // past the end: the gap reads as zeros
        try file.write([7], at: 1)
        try file.sync()
        #expect(try file.size() == 12)
        var bytes = [UInt8](repeating: 0xFF, count: 12)
        #expect(try file.read(into: &bytes, 0..<12, at: 0) == 12)
        #expect(bytes == [1, 7, 3, 4, 0, 0, 0, 0, 0, 0, 9, 9])
        var middle = [UInt8](repeating: 0, count: 6)
        #expect(try file.read(into: &middle, 2..<5, at: 2) == 3)
        #expect(middle == [0, 0, 3, 4, 0, 0])
        let attributes = try FileManager.default.attributesOfItem(atPath: dir.path + "/slots")
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
    }

    @Test func aSyncerSyncsFromAnotherThreadAndRefusesOnceTheFileIsClosed() async throws {
        let dir = TemporaryDirectory("durable-file")
        let file = try DurableFile.Positional(path: dir.path + "/slots", create: true)
        try file.write([1, 2, 3], at: 0)
        let syncer = file.syncer
        #expect(syncer.path == dir.path + "/slots")
        try await Task.detached { try syncer.sync() }.value
        #expect(syncer.failure == nil)
        try file.write([4], at: 3)  // the file still takes writes after a sync elsewhere
        file.close()
        let error = #expect(throws: DurableFileError.self) { try syncer.sync() }
        #expect(error?.description.contains("closed") == true)
        var bytes = [UInt8](repeating: 0, count: 4)
        let reopened = try DurableFile.Positional(path: dir.path + "/slots")
        #expect(try reopened.read(into: &bytes, 0..<4, at: 0) == 4)
        #expect(bytes == [1, 2, 3, 4])
    }

    @Test func aReadPastTheEndIsShort() throws {
        let dir = TemporaryDirectory("durable-file")
        let file = try DurableFile.Positional(path: dir.path + "/short", create: true)
        try file.write(Array(repeating: 5, count: 10), at: 0)
        var bytes = [UInt8](repeating: 0, count: 8)
        #expect(try file.read(into: &bytes, 0..<8, at: 6) == 4)
        #expect(bytes[0..<4] == [5, 5, 5, 5])
        #expect(try file.read(into: &bytes, 0..<8, at: 100) == 0)
    }

    @Test func largeWritesAndReadsArriveWhole() throws {
        let dir = TemporaryDirectory("durable-file")
        var rng = SeededRandom(seed: 11)
        let data = (0..<(6 << 20)).map { _ in UInt8.random(in: 0...255, using: &rng) }
        let file = try DurableFile.Positional(path: dir.path + "/big", create: true)
        try file.write(data, at: 3)
        var back = [UInt8](repeating: 0, count: data.count)
        #expect(try file.read(into: &back, 0..<back.count, at: 3) == data.count)
        #expect(back == data)
    }

    @Test func truncateCutsAndExtends() throws {
        let dir = TemporaryDirectory("durable-file")
        let file = try DurableFile.Positional(path: dir.path + "/cut", create: true)
        try file.write(Array(1...20), at: 0)
        try file.truncate(to: 5)
        #expect(try file.size() == 5)
        try file.truncate(to: 8)
        try file.sync()
        #expect(try DurableFile.read(dir.path + "/cut") == [1, 2, 3, 4, 5, 0, 0, 0])
    }

    @Test func aSecondOpenCannotTakeTheLockUntilTheFirstCloses() throws {
        let dir = TemporaryDirectory("durable-file")
        let path = dir.path + "/locked"
        let first = try DurableFile.Positional(path: path, create: true)
        #expect(try first.tryLock())
        let second = try DurableFile.Positional(path: path)
        #expect(try !second.tryLock())
        first.close()
        #expect(try second.tryLock())
    }

    /// A child process holds the parent's descriptors, and so its locks, from its fork to its
    /// exec: a lock released a moment later is waited for, one held on is reported.
    @Test func aLockReleasedWithinThePatienceIsTaken() throws {
        let dir = TemporaryDirectory("durable-file")
        let path = dir.path + "/locked"
        let file = try DurableFile.Positional(path: path, create: true)
        let other = open(path, O_RDONLY)
        try #require(other >= 0 && flock(other, LOCK_EX | LOCK_NB) == 0)
        #expect(try !file.tryLock(patience: .zero))
        let start = ContinuousClock.now
        #expect(try !file.tryLock(patience: .milliseconds(100)))
        #expect(ContinuousClock.now - start >= .milliseconds(100))
        DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(150)) { close(other) }
        #expect(try file.tryLock(patience: .seconds(10)))
    }

    @Test func openingAMissingFileWithoutCreateSaysSo() throws {
        let dir = TemporaryDirectory("durable-file")
        let error = #expect(throws: DurableFileError.self) {
            _ = try DurableFile.Positional(path: dir.path + "/missing")
        }
        #expect(error?.code == .io)
        #expect(error?.errno == ENOENT)
        #expect(error?.message.contains(dir.path + "/missing") == true)
        #expect(!DurableFile.exists(dir.path + "/missing"))
    }

    @Test func aClosedFileRefusesWork() throws {
        let dir = TemporaryDirectory("durable-file")
        let file = try DurableFile.Positional(path: dir.path + "/closed", create: true)
        file.close()
        let error = #expect(throws: DurableFileError.self) { try file.write([1], at: 0) }
        #expect(error?.errno == EBADF)
    }

    @Test func makeDirectoryUsesTheMode() throws {
        let dir = TemporaryDirectory("durable-file")
        try DurableFile.makeDirectory(dir.path + "/keys/inner", mode: 0o700)
        for path in [dir.path + "/keys", dir.path + "/keys/inner"] {
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            #expect((attributes[.posixPermissions] as? Int) == 0o700)
        }
    }
}
