import CredenceCore
import CredenceTestSupport
import Foundation
import SnapshotStore
import Testing

@Suite struct SnapshotStoreTests {
    @Test func writtenSnapshotExportsTheSameBytes() throws {
        let dir = TemporaryDirectory()
        let store = try dir.store()
        let snapshot = Fixture.snapshot(Fixture.userIDs(50))
        #expect(try store.writeClosed(snapshot))
        #expect(try store.exportText(month: snapshot.month) == snapshot.export())
        #expect(try store.verify(month: snapshot.month, modelVersion: Fixture.model))

        let e = try #require(try store.entry(userID: "user-7", month: snapshot.month, modelVersion: Fixture.model))
        let original = try #require(snapshot.entries.first { $0.userID == "user-7" })
        #expect(e.score == original.score)
        #expect(e.reasons == original.reasons)
        #expect(e.revision == 0)
        #expect(e.line == original.exportLine(month: snapshot.month, modelVersion: Fixture.model))
        #expect(try store.entry(userID: "nobody", month: snapshot.month, modelVersion: Fixture.model) == nil)
    }

    @Test func exportIsInUserIDByteOrder() throws {
        let dir = TemporaryDirectory()
        let store = try dir.store()
        let ids = ["u2", "a_b", "U1", "u10", "a:b", "a-b", "a.b", "u1", "é", "Z", "\u{1F600}", "a\"q"]
        try store.writeClosed(Fixture.snapshot(ids))
        struct Line: Decodable { var user_id: String }
        var exported: [String] = []
        try store.export(month: Fixture.november, modelVersion: Fixture.model) { line in
            exported.append(try JSONDecoder().decode(Line.self, from: Data(line.utf8)).user_id)
        }
        #expect(exported == ["U1", "Z", "a\"q", "a-b", "a.b", "a:b", "a_b", "u1", "u10", "u2", "é", "\u{1F600}"])
    }

    @Test func unsortedOrDuplicateEntriesAreRefused() throws {
        let dir = TemporaryDirectory()
        let store = try dir.store()
        let a = Fixture.entry("a", score: 500)
        let b = Fixture.entry("b", score: 600)
        for entries in [[b, a], [a, a]] {
            let error = #expect(throws: SnapshotStoreError.self) {
                try store.writeClosed(Snapshot(month: Fixture.november, modelVersion: Fixture.model, entries: entries))
            }
            #expect(error?.code == .invalidSnapshot)
        }
        #expect(try store.months(modelVersion: Fixture.model).isEmpty)
    }

    @Test func rewritingIdenticalContentIsANoOp() throws {
        let dir = TemporaryDirectory()
        let store = try dir.store()
        let snapshot = Fixture.snapshot(Fixture.userIDs(20))
        #expect(try store.writeClosed(snapshot, closedAt: Instant(millisecondsSinceEpoch: 1_000)))
        #expect(try store.writeClosed(snapshot, closedAt: Instant(millisecondsSinceEpoch: 2_000)) == false)
        #expect(try store.write(snapshot, revision: 0) == false)
        let months = try store.months(modelVersion: Fixture.model)
        #expect(
            months == [
                MonthSummary(
                    month: Fixture.november, modelVersion: Fixture.model, latestRevision: 0, userCount: 20,
                    closedAt: Instant(millisecondsSinceEpoch: 1_000))
            ])
        #expect(try store.exportText(month: Fixture.november) == snapshot.export())
    }

    @Test func emptyMonthIsStoredWithAnEmptyExport() throws {
        let dir = TemporaryDirectory()
        let store = try dir.store()
        let empty = Snapshot(month: Fixture.november, modelVersion: Fixture.model, entries: [])
        #expect(try store.writeClosed(empty))
        #expect(try store.writeClosed(empty) == false)
        #expect(try store.exportText(month: Fixture.november) == "")
        #expect(try store.months(modelVersion: Fixture.model).map(\.userCount) == [0])
    }

    @Test func differentContentForAStoredRevisionIsRefused() throws {
        let dir = TemporaryDirectory()
        let store = try dir.store()
        let snapshot = Fixture.snapshot(Fixture.userIDs(20))
        try store.writeClosed(snapshot)
        var changed = snapshot
        changed.entries[3].score += 1
        var fewer = snapshot
        fewer.entries.removeLast()
        for other in [changed, fewer] {
            let error = #expect(throws: SnapshotStoreError.self) { try store.writeClosed(other) }
            #expect(error?.code == .immutable)
        }
        #expect(try store.exportText(month: Fixture.november) == snapshot.export())
    }

    @Test func restatementsAddRevisionsAndReadsDefaultToTheLatest() throws {
        let dir = TemporaryDirectory()
        let store = try dir.store()
        let original = Fixture.snapshot(["a", "b", "c"])
        let restated = Fixture.snapshot(["a", "c", "d"], bump: 5)
        let m = Fixture.november
        #expect(try store.nextRevision(month: m, modelVersion: Fixture.model) == 0)
        try store.writeClosed(original)
        #expect(try store.nextRevision(month: m, modelVersion: Fixture.model) == 1)

        #expect(try store.restate(restated) == 1)
        #expect(try store.restate(restated) == 1)  // retried: already the latest revision
        #expect(try store.nextRevision(month: m, modelVersion: Fixture.model) == 2)
        #expect(try store.exportText(month: m) == restated.export())
        #expect(try store.exportText(month: m, revision: 0) == original.export())
        #expect(try store.exportText(month: m, revision: 1) == restated.export())
        #expect(try store.months(modelVersion: Fixture.model).map(\.latestRevision) == [1])
        #expect(try store.months(modelVersion: Fixture.model).map(\.userCount) == [3])
        #expect(try store.entry(userID: "b", month: m, modelVersion: Fixture.model) == nil)
        #expect(try store.entry(userID: "b", month: m, modelVersion: Fixture.model, revision: 0)?.revision == 0)
        #expect(try store.entry(userID: "d", month: m, modelVersion: Fixture.model)?.revision == 1)

        // The close itself stays idempotent after a restatement (a replay rewrites revision 0).
        #expect(try store.writeClosed(original) == false)
        // Revisions are written in order.
        #expect(try store.write(restated, revision: 2))
        let gap = #expect(throws: SnapshotStoreError.self) { try store.write(original, revision: 5) }
        #expect(gap?.code == .invalidRevision)
        let missing = #expect(throws: SnapshotStoreError.self) { try store.exportText(month: m, revision: 9) }
        #expect(missing?.code == .notFound)
    }

    @Test func modelsAreSeparate() throws {
        let dir = TemporaryDirectory()
        let store = try dir.store()
        try store.writeClosed(Fixture.snapshot(["a", "b"], model: "default-1"))
        try store.writeClosed(Fixture.snapshot(["b", "c", "d"], model: "default-2"))
        #expect(try store.months(modelVersion: "default-1").map(\.userCount) == [2])
        #expect(try store.months(modelVersion: "default-2").map(\.userCount) == [3])
        #expect(try store.months(modelVersion: "other").isEmpty)
        #expect(try store.latestMonth(userID: "a", modelVersion: "default-2") == nil)
    }

    @Test func historyFollowsTheLatestRevisionOfEachMonth() throws {
        let dir = TemporaryDirectory()
        let store = try dir.store()
        let months = (0..<4).map { Fixture.november.advanced(by: Int32($0)) }
        for (i, m) in months.enumerated() {
            try store.writeClosed(Fixture.snapshot(["u1", "u2"], month: m, bump: Int64(i)))
        }
        // December is restated without u1, January with a new score.
        try store.restate(Fixture.snapshot(["u2"], month: months[1]))
        try store.restate(Fixture.snapshot(["u1", "u2"], month: months[2], bump: 40))

        let history = try store.history(userID: "u1", modelVersion: Fixture.model)
        #expect(history.map(\.month) == [months[0], months[2], months[3]])
        #expect(history.map(\.revision) == [0, 1, 0])
        let expected = Fixture.snapshot(["u1"], month: months[2], bump: 40).entries[0]
        #expect(history[1].score == expected.score)
        #expect(history[1].reasons == expected.reasons)
        #expect(history[1].line == expected.exportLine(month: months[2], modelVersion: Fixture.model))
        #expect(try store.history(userID: "u2", modelVersion: Fixture.model).count == 4)
        #expect(try store.history(userID: "nobody", modelVersion: Fixture.model).isEmpty)

        #expect(try store.latestMonth(userID: "u1") == months[3])
        #expect(try store.latestMonth(userID: "u1", modelVersion: Fixture.model) == months[3])
        #expect(try store.latestMonth(userID: "nobody") == nil)
        try store.restate(Fixture.snapshot(["u2"], month: months[3]))
        #expect(try store.latestMonth(userID: "u1") == months[2])
    }

    @Test func distributionOfAKnownMonth() throws {
        let dir = TemporaryDirectory()
        let store = try dir.store()
        let scores: [Int64] = [300, 420, 500, 500, 610, 640, 700, 720, 849, 850]
        let entries = scores.enumerated().map { Fixture.entry("u\($0.offset)", score: $0.element) }
        try store.writeClosed(Snapshot(month: Fixture.november, modelVersion: Fixture.model, entries: entries))
        let d = try store.distribution(month: Fixture.november, modelVersion: Fixture.model)
        #expect(d.count == 10)
        #expect(d.min == 300)
        #expect(d.p10 == 300)  // rank ceil(1.0) = 1
        #expect(d.p25 == 500)  // rank ceil(2.5) = 3
        #expect(d.p50 == 610)  // rank 5
        #expect(d.p75 == 720)  // rank ceil(7.5) = 8
        #expect(d.p90 == 849)  // rank 9
        #expect(d.max == 850)
        #expect(d.buckets.count == 11)
        #expect(d.buckets.first == ScoreDistribution.Bucket(lower: 300, upper: 349, count: 1))
        #expect(d.buckets.last == ScoreDistribution.Bucket(lower: 800, upper: 850, count: 2))
        #expect(d.buckets.map(\.count) == [1, 0, 1, 0, 2, 0, 2, 0, 2, 0, 2])
        #expect(d.belowRange == 0 && d.aboveRange == 0)
    }

    @Test func dataSurvivesReopening() throws {
        let dir = TemporaryDirectory()
        let snapshot = Fixture.snapshot(Fixture.userIDs(30))
        do {
            let store = try dir.store()
            try store.writeClosed(snapshot)
            try store.restate(Fixture.snapshot(Fixture.userIDs(31)))
        }
        let store = try dir.store()
        #expect(try store.exportText(month: Fixture.november, revision: 0) == snapshot.export())
        #expect(try store.months(modelVersion: Fixture.model).map(\.latestRevision) == [1])
        #expect(try store.writeClosed(snapshot) == false)
    }

    @Test func aNewerSchemaIsRefusedWithAnUpgradeHint() throws {
        let dir = TemporaryDirectory()
        do {
            let store = try dir.store()
            try store.writeClosed(Fixture.snapshot(["a"]))
        }
        try SQLiteFixture.execute(
            "INSERT INTO grdb_migrations (identifier) VALUES ('v99-from-the-future')",
            in: dir.path + "/" + SnapshotStore.fileName)
        let error = #expect(throws: SnapshotStoreError.self) { try dir.store() }
        #expect(error?.code == .newerSchema)
        #expect(error?.message.contains("upgrade") == true)
    }

    @Test func aFileThatIsNotADatabaseCannotBeOpened() throws {
        let dir = TemporaryDirectory()
        let path = dir.path + "/" + SnapshotStore.fileName
        try Data(repeating: 0x41, count: 8192).write(to: URL(fileURLWithPath: path))
        let error = #expect(throws: SnapshotStoreError.self) { try SnapshotStore(path: path) }
        #expect(error?.code == .cannotOpen)
        #expect(error?.message.contains(path) == true)
        #expect(error?.underlying != nil)
    }

    @Test func sinkErrorsStopTheExportUnchanged() throws {
        struct Stop: Error {}
        let dir = TemporaryDirectory()
        let store = try dir.store()
        try store.writeClosed(Fixture.snapshot(Fixture.userIDs(10)))
        var seen = 0
        #expect(throws: Stop.self) {
            try store.export(month: Fixture.november, modelVersion: Fixture.model) { _ in
                seen += 1
                if seen == 3 { throw Stop() }
            }
        }
        #expect(seen == 3)
    }
}

@Suite struct SnapshotStoreLifecycleTests {
    @Test func closedStoreRefusesWorkAndReopens() throws {
        let dir = TemporaryDirectory()
        let store = try dir.store()
        try store.writeClosed(Fixture.snapshot(["a", "b"]))
        try store.close()
        let error = #expect(throws: SnapshotStoreError.self) { try store.months(modelVersion: Fixture.model) }
        #expect(error?.code == .database)
        let reopened = try dir.store()
        #expect(try reopened.months(modelVersion: Fixture.model).map(\.userCount) == [2])
    }

    @Test func invalidConfigurationIsRefused() throws {
        let dir = TemporaryDirectory()
        var configuration = SnapshotStore.Configuration()
        configuration.pageSize = 3000
        let error = #expect(throws: SnapshotStoreError.self) { try dir.store(configuration) }
        #expect(error?.code == .invalidConfiguration)
    }
}
