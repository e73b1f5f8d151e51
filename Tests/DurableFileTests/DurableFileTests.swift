import CredenceTestSupport
import DurableFile
import Foundation
import Testing

@Suite struct DurableFileTests {
    @Test func appendsAndSyncs() throws {
        let dir = TemporaryDirectory("durable-file")
        let path = dir.path + "/lines.ndjson"
        let file = try DurableFile.Appender(path: path)
        try file.append(Array("one\n".utf8))
        try file.append(Array("two\n".utf8))
        try file.sync()
        #expect(try DurableFile.read(path) == Array("one\ntwo\n".utf8))
        // A second appender continues at the end.
        try DurableFile.Appender(path: path).append(Array("three\n".utf8))
        #expect(try DurableFile.read(path, from: 8) == Array("three\n".utf8))
    }

    @Test func replaceIsAtomicAndLeavesNoTemporaryFile() throws {
        let dir = TemporaryDirectory("durable-file")
        let path = dir.path + "/position"
        try DurableFile.replace(path, with: Array("1\n".utf8))
        try DurableFile.replace(path, with: Array("22\n".utf8))
        #expect(try DurableFile.read(path) == Array("22\n".utf8))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["position"])
    }

    @Test func aMissingFileReadsAsNilAndOtherFailuresSayWhatToDo() throws {
        let dir = TemporaryDirectory("durable-file")
        #expect(try DurableFile.read(dir.path + "/missing") == nil)
        let error = #expect(throws: DurableFileError.self) {
            try DurableFile.replace(dir.path + "/no/such/dir/file", with: [1])
        }
        #expect(error?.code == .io)
        #expect(error?.errno == ENOENT)
        #expect(error?.message.contains("/no/such/dir/file.tmp") == true)
    }

    @Test func makeDirectoryCreatesParentsAndToleratesExisting() throws {
        let dir = TemporaryDirectory("durable-file")
        try DurableFile.makeDirectory(dir.path + "/a/b/c")
        try DurableFile.makeDirectory(dir.path + "/a/b/c")
        #expect(DurableFile.exists(dir.path + "/a/b/c"))
        try DurableFile.syncDirectory(dir.path + "/a/b")
        try DurableFile.remove(dir.path + "/a/b/c/none")
    }

    @Test func largeWritesArriveWhole() throws {
        // Many MiB in one append: the write loop must carry on after a short write.
        let dir = TemporaryDirectory("durable-file")
        var rng = SeededRandom(seed: 7)
        let bytes = (0..<(6 << 20)).map { _ in UInt8.random(in: 0...255, using: &rng) }
        let path = dir.path + "/big"
        try DurableFile.replace(path, with: bytes)
        #expect(try DurableFile.read(path) == bytes)
    }
}
