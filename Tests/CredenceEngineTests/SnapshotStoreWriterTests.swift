import CredenceCore
import CredenceTestSupport
import Foundation
import SnapshotStore
import Testing

@testable import CredenceEngine

/// The snapshot store's writes beside the engine: in the order handed over, all done once
/// `wait()` returns, and a failure stops the rest and is thrown by every later `wait()`.
@Suite struct SnapshotStoreWriterTests {
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

    @Test func writesAndErasuresHappenInOrderAndAreDoneAfterWait() throws {
        let dir = TemporaryDirectory()
        let store = try SnapshotStore(directory: dir.path)
        let writer = SnapshotStoreWriter(store: store)
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
        let writer = SnapshotStoreWriter(store: store)
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
}
