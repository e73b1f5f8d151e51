import CredenceCore
import CredenceTestSupport
import SnapshotStore
import Testing

@Suite struct SnapshotStoreErasureTests {
    /// Unique enough that no other byte sequence in the file contains it.
    static let erased = "erased-zq7x-user"

    @Test func deleteUserRemovesEveryMonthAndRevision() throws {
        let dir = TemporaryDirectory()
        let store = try dir.store()
        let months = (0..<3).map { Fixture.november.advanced(by: Int32($0)) }
        let users = ["a", Self.erased, "z"]
        for m in months {
            try store.writeClosed(Fixture.snapshot(users, month: m))
        }
        try store.restate(Fixture.snapshot(users, month: months[1], bump: 3))
        try store.writeClosed(Fixture.snapshot(users, model: "default-2"))

        #expect(try store.deleteUser(Self.erased) == 5)
        #expect(try store.deleteUser(Self.erased) == 0)

        #expect(try store.months(modelVersion: Fixture.model).map(\.userCount) == [2, 2, 2])
        #expect(try store.months(modelVersion: "default-2").map(\.userCount) == [2])
        #expect(try store.history(userID: Self.erased, modelVersion: Fixture.model).isEmpty)
        #expect(try store.latestMonth(userID: Self.erased) == nil)
        #expect(try store.entry(userID: Self.erased, month: months[1], modelVersion: Fixture.model, revision: 0) == nil)
        for m in months {
            let remaining = Fixture.snapshot(["a", "z"], month: m, bump: m == months[1] ? 3 : 0)
            #expect(try store.exportText(month: m) == remaining.export())
            #expect(try store.verify(month: m, modelVersion: Fixture.model))
        }
        #expect(
            try store.exportText(month: months[1], revision: 0)
                == Fixture.snapshot(["a", "z"], month: months[1]).export())
        #expect(try store.verify(month: months[1], modelVersion: Fixture.model, revision: 0))
        // A replay that no longer sees the erased user reproduces the stored month.
        #expect(try store.writeClosed(Fixture.snapshot(["a", "z"], month: months[0])) == false)
    }

    /// The point lookup's in-memory index (block places, catalogue rows) is filled by reads
    /// before the erasure; afterwards the erased user is gone and every other user of the moved
    /// blocks is still found, with the same score.
    @Test func pointLookupsAfterAnErasureSeeItThoughTheyWereCachedBefore() throws {
        let dir = TemporaryDirectory()
        let store = try dir.store()
        let months = (0..<2).map { Fixture.november.advanced(by: Int32($0)) }
        // Several blocks, the erased user inside one of them.
        var users = Fixture.userIDs(300)
        users.insert(Self.erased, at: 0)
        for m in months { try store.writeClosed(Fixture.snapshot(users, month: m)) }
        let revisions = months.map { (month: $0, revision: 0) }
        var before: [String: Int64] = [:]
        for u in users {
            let found = try #require(try store.latestEntry(userID: u, modelVersion: Fixture.model, in: revisions))
            #expect(found.month == months[1])
            before[u] = found.score
        }
        #expect(try store.deleteUser(Self.erased) == 2)
        #expect(try store.latestEntry(userID: Self.erased, modelVersion: Fixture.model, in: revisions) == nil)
        for u in users where u != Self.erased {
            let found = try store.latestEntry(userID: u, modelVersion: Fixture.model, in: revisions)
            #expect(found?.score == before[u], "\(u)")
        }
    }

    @Test func erasedIDLeavesNoBytesInTheDatabaseFiles() throws {
        let dir = TemporaryDirectory()
        let store = try dir.store()
        let needle = Array(Self.erased.utf8)
        // Enough users for multi-level b-trees, several months and a restatement.
        var users = Fixture.userIDs(3_000)
        users.append(Self.erased)
        let months = (0..<3).map { Fixture.november.advanced(by: Int32($0)) }
        for m in months {
            try store.writeClosed(Fixture.snapshot(users, month: m))
        }
        try store.restate(Fixture.snapshot(users, month: months[2], bump: 1))
        try store.checkpoint()
        let presentBefore = dir.databaseFiles().contains { $0.bytes.contains(subsequence: needle) }
        #expect(presentBefore, "the search must find the user before the erasure")

        // More writes after the checkpoint, so the user's pages are also in the WAL.
        try store.restate(Fixture.snapshot(users, month: months[0], bump: 2))
        #expect(try store.deleteUser(Self.erased) == 5)

        for file in dir.databaseFiles() {
            let leaked = file.bytes.contains(subsequence: needle)
            #expect(!leaked, "\(file.name) still holds the erased user_id")
        }
        #expect(try store.months(modelVersion: Fixture.model).map(\.userCount) == [3_000, 3_000, 3_000])
    }
}
