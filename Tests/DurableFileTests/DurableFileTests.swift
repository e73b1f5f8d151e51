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

    @Test func aReadFromAnOffsetIsTheFilesTailWhateverItsSize() throws {
        let dir = TemporaryDirectory("durable-file")
        var rng = SeededRandom(seed: 11)
        let bytes = (0..<300_001).map { _ in UInt8.random(in: 0...255, using: &rng) }
        let path = dir.path + "/tail"
        try DurableFile.replace(path, with: bytes)
        for offset in [0, 1, 65_536, 299_999, 300_001, 400_000] {
            #expect(try DurableFile.read(path, from: UInt64(offset)) == Array(bytes[min(offset, bytes.count)...]))
        }
    }
}

/// A file replaced piece by piece: nothing at its path until finished, then all of it; a
/// replacement abandoned or dropped leaves the old file and no temporary one.
@Suite struct ReplacementTests {
    @Test func aFinishedReplacementIsTheWholeFileAndAnAbandonedOneLeavesTheOld() throws {
        let dir = TemporaryDirectory("replacement")
        let path = dir.path + "/file"
        try DurableFile.replace(path, with: Array("old".utf8))

        let file = try DurableFile.Replacement(path)
        try file.append(Array("....".utf8))
        try file.append(Array("body".utf8))
        try file.write(Array("head".utf8), at: 0)
        #expect(file.size == 8)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "old", "nothing replaced before the finish")
        try file.finish()
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "headbody")
        #expect(!FileManager.default.fileExists(atPath: path + ".tmp"))

        let abandoned = try DurableFile.Replacement(path)
        try abandoned.append(Array("new".utf8))
        abandoned.abandon()
        do {
            let dropped = try DurableFile.Replacement(path)
            try dropped.append(Array("newer".utf8))
        }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "headbody")
        #expect(!FileManager.default.fileExists(atPath: path + ".tmp"))
    }
}
