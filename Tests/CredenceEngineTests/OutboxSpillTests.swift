import CredenceCore
import CredenceTestSupport
import Foundation
import SnapshotStore
import Testing

@testable import CredenceEngine

/// A replay's outbox lines go to the writer in pieces while a month close renders them
/// (``Outbox/spillBeyond``): each piece whole lines, nothing reordered or lost, and the same file
/// as when they are handed over at once.
@Suite struct OutboxSpillTests {
    static func changes(_ count: Int) -> [ScoreChange] {
        (0..<count).map { k in
            .changed(
                ScoreChanged(
                    userID: "u\(k)", month: Month(year: 2026, month: 10), score: Int64(300 + k % 500),
                    previous: k % 3 == 0 ? nil : (Month(year: 2026, month: 9), 610), modelVersion: "default-1",
                    reasons: ["R05", "R11"]))
        }
    }

    /// Appends `changes` to a fresh outbox (spilling beyond `spill` bytes, if given) and returns
    /// the file's bytes after a flush, with how many bytes the writer had before the flush.
    static func outboxFile(_ changes: [ScoreChange], spill: Int?) throws -> (file: [UInt8], beforeFlush: Int) {
        let dir = TemporaryDirectory()
        let store = try SnapshotStore(directory: dir.path + "/store")
        let writer = try EffectsWriter(
            store: store, deadLetterPath: dir.path + "/dead.ndjson", outboxPath: Outbox.filePath(directory: dir.path))
        defer { writer.stop() }
        let outbox = Outbox(directory: dir.path, writer: writer)
        outbox.spillBeyond = spill
        for c in changes { outbox.append(c, offset: .utc) }
        try writer.wait()
        let before = (try? Data(contentsOf: URL(fileURLWithPath: outbox.path)).count) ?? 0
        outbox.flush(durable: false)
        try writer.wait()
        return (Array(try Data(contentsOf: URL(fileURLWithPath: outbox.path))), before)
    }

    @Test func aClosesLinesGoToTheWriterInWholePiecesAndMakeTheSameFile() throws {
        let changes = Self.changes(2_000)
        let whole = try Self.outboxFile(changes, spill: nil)
        let pieces = try Self.outboxFile(changes, spill: 4_096)
        // Without a limit nothing is written before the flush; with one, most of it is.
        #expect(whole.beforeFlush == 0)
        #expect(pieces.beforeFlush > whole.file.count / 2)
        #expect(pieces.beforeFlush < whole.file.count)
        #expect(pieces.file == whole.file)
        #expect(pieces.beforeFlush > 0 && pieces.file[pieces.beforeFlush - 1] == 10)  // whole lines
        #expect(whole.file.split(separator: 10).count == 2_000)
    }
}
