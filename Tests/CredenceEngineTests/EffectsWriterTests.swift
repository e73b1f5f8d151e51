import CredenceCore
import CredenceTestSupport
import Foundation
import SnapshotStore
import Testing

@testable import CredenceEngine

/// A batch's effects written beside the engine (the snapshot store, the dead letters, the
/// outbox): in the order handed over, all done once `wait()` returns, and a failure stops the
/// rest and is thrown by every later `wait()`.
@Suite struct EffectsWriterTests {
    static let model = "default-1"
    static let november = Month(year: 2026, month: 11)

    static func snapshot(_ users: [String], month: Month = november) -> Snapshot {
        Snapshot(
            month: month, modelVersion: model,
            entries: users.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }.map {
                SnapshotEntry(userID: $0, score: 600, reasons: ["R05"], features: Features())
            })
    }

    static func users(_ store: SnapshotStore, _ month: Month) throws -> [String] {
        var out: [String] = []
        try store.export(month: month, modelVersion: model) { line in
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            out.append(object?["user_id"] as? String ?? "?")
        }
        return out
    }

    static func writer(_ store: SnapshotStore, _ dir: TemporaryDirectory) throws -> EffectsWriter {
        try EffectsWriter(store: store, deadLetterPath: dir.path + "/dead.ndjson", outboxPath: dir.path + "/out.ndjson")
    }

    static func line(_ user: String, _ n: Int) -> String { #"{"user_id":"\#(user)","n":\#(n)}"# }

    /// The user of a test line.
    @Sendable static func user(_ line: ArraySlice<UInt8>) -> String? {
        JSONScan.stringMember("user_id", in: Array(line))
    }

    static func lines(_ path: String) throws -> [String] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
    }

    @Test func writesAndErasuresHappenInOrderAndAreDoneAfterWait() throws {
        let dir = TemporaryDirectory()
        let store = try SnapshotStore(directory: dir.path)
        let writer = try Self.writer(store, dir)
        defer { writer.stop() }
        let december = Self.november.advanced(by: 1)
        writer.write(Self.snapshot(["a", "b", "c"]), revision: 0)
        writer.deleteUser("b", through: Self.november)
        // After the erasure, through November only: December keeps "b" (a re-enrolled user).
        writer.write(Self.snapshot(["a", "b"], month: december), revision: 0)
        // Written again (a restart replaying the log): already stored, nothing happens.
        writer.write(Self.snapshot(["a", "b", "c"]), revision: 0)
        try writer.wait()
        #expect(try Self.users(store, Self.november) == ["a", "c"])
        #expect(try Self.users(store, december) == ["a", "b"])
        try writer.wait()  // nothing in flight: returns at once
    }

    @Test func aFailureStopsTheRestAndIsThrownByEveryWait() throws {
        let dir = TemporaryDirectory()
        let store = try SnapshotStore(directory: dir.path)
        let writer = try Self.writer(store, dir)
        writer.write(Self.snapshot(["a"]), revision: 2)  // a gap: revision 0 is the next
        writer.write(Self.snapshot(["a"], month: Self.november.advanced(by: 1)), revision: 0)
        for _ in 0..<2 {
            #expect {
                try writer.wait()
            } throws: { error in
                (error as? EngineError)?.code == .snapshots
                    && "\(error)".contains("cannot store the snapshot of \(Self.november)")
            }
        }
        // The write after the failure was dropped.
        #expect(try store.months(modelVersion: Self.model).isEmpty)
        writer.stop()
        writer.stop()  // a close, then the engine's deinit
    }

    @Test func sideFileLinesAreWrittenInOrderAndAnErasureBlanksOnlyWhatCameBefore() throws {
        let dir = TemporaryDirectory()
        let store = try SnapshotStore(directory: dir.path)
        let writer = try Self.writer(store, dir)
        defer { writer.stop() }
        writer.append(
            .deadLetters, lines: Array((Self.line("a", 1) + "\n" + Self.line("b", 2) + "\n").utf8), durable: true)
        writer.append(.outbox, lines: Array((Self.line("a", 3) + "\n").utf8), durable: false)
        writer.removeLines(.deadLetters, of: "a", user: Self.user)
        // After the erasure: written as handed over, not blanked (a re-enrolled user's line).
        writer.append(.deadLetters, lines: Array((Self.line("a", 4) + "\n").utf8), durable: true)
        writer.replace(dir.path + "/position", with: Array("7\n".utf8))
        try writer.wait()
        let blank = String(repeating: " ", count: Self.line("a", 1).utf8.count)
        #expect(try Self.lines(dir.path + "/dead.ndjson") == [blank, Self.line("b", 2), Self.line("a", 4)])
        // The other file is left alone.
        #expect(try Self.lines(dir.path + "/out.ndjson") == [Self.line("a", 3)])
        #expect(try String(contentsOfFile: dir.path + "/position", encoding: .utf8) == "7\n")
        // The outbox's compaction gets the file once everything before is written.
        writer.append(.outbox, lines: Array((Self.line("c", 5) + "\n").utf8), durable: false)
        try writer.withFile(.outbox) { (file) throws(EngineError) in
            try file.replaceContent(with: Array((Self.line("c", 5) + "\n").utf8))
        }
        writer.append(.outbox, lines: Array((Self.line("d", 6) + "\n").utf8), durable: false)
        try writer.wait()
        #expect(try Self.lines(dir.path + "/out.ndjson") == [Self.line("c", 5), Self.line("d", 6)])
    }

    /// Large line buffers come back, written and emptied, for the engine's next lines (their
    /// pages stay mapped); a small one is not kept, and at most two are. A line buffer taken
    /// whole leaves the spare behind to render into.
    @Test func writtenLineBuffersComeBackAsSpares() throws {
        let dir = TemporaryDirectory()
        let store = try SnapshotStore(directory: dir.path)
        let writer = try Self.writer(store, dir)
        defer { writer.stop() }
        let line = Array((Self.line("a", 1) + "\n").utf8)
        var large: [[UInt8]] = []
        for _ in 0..<3 {
            var lines = line
            lines.reserveCapacity(EffectsWriter.spareMinimumCapacity)
            large.append(lines)
        }
        #expect(writer.spareLines() == nil)
        writer.append(.outbox, lines: line, durable: false)
        for lines in large { writer.append(.outbox, lines: lines, durable: false) }
        large = []
        try writer.wait()
        #expect(try Self.lines(dir.path + "/out.ndjson") == Array(repeating: Self.line("a", 1), count: 4))
        let spare = try #require(writer.spareLines())
        #expect(spare.isEmpty && spare.capacity >= EffectsWriter.spareMinimumCapacity)

        // The second spare is left in a line buffer taken whole, for its next lines.
        var buffer = LineBuffer()
        buffer.append(line: Self.line("b", 2))
        #expect(buffer.bytes.capacity < EffectsWriter.spareMinimumCapacity)
        let taken = buffer.take(spare: writer.spareLines())
        #expect(taken == Array((Self.line("b", 2) + "\n").utf8))
        #expect(!buffer.hasPending && buffer.bytes.capacity >= EffectsWriter.spareMinimumCapacity)
        #expect(writer.spareLines() == nil, "two kept: the third and the small one were freed")
        // Without a spare, the buffer keeps its capacity in a new one.
        let capacity = buffer.bytes.capacity
        _ = buffer.take()
        #expect(!buffer.hasPending && buffer.bytes.capacity >= capacity)
    }

    @Test func aSideFileFailureIsThrownAndDropsWhatFollows() throws {
        let dir = TemporaryDirectory()
        let store = try SnapshotStore(directory: dir.path)
        let writer = try Self.writer(store, dir)
        defer { writer.stop() }
        // A position file in a directory that does not exist cannot be written.
        writer.replace(dir.path + "/missing/position", with: Array("1\n".utf8))
        writer.append(.deadLetters, lines: Array((Self.line("a", 1) + "\n").utf8), durable: true)
        for _ in 0..<2 {
            #expect {
                try writer.wait()
            } throws: { error in
                (error as? EngineError)?.code == .io && "\(error)".contains("missing/position")
            }
        }
        #expect(try Self.lines(dir.path + "/dead.ndjson").isEmpty)
    }
}
