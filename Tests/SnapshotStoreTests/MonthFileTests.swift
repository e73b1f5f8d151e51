import CredenceCore
import CredenceTestSupport
import Foundation
import SnapshotStore
import Testing

/// The month files: many blocks, extreme values, erasures that move blocks, and what a
/// crash leaves behind.
@Suite struct MonthFileTests {
    /// Entries with every kind of value the codec must spell: wide sums, negative and null
    /// values, long and non-ASCII ids, no reasons and many.
    static func awkward(_ count: Int) -> Snapshot {
        var entries: [SnapshotEntry] = []
        for i in 0..<count {
            var f = Features()
            f.identityVerified = i % 3 == 0
            f.tenureDays = Int64(i)
            f.payments12m = Int64(i % 7)
            f.spend12mMinor = i % 11 == 0 ? Int128(Int64.max) * 1_000 + Int128(i) : Int128(i) * 1_001
            f.outstandingMinor = i % 13 == 0 ? -Int128(Int64.max) * 3 : Int128(-i)
            f.maxDpd24m = Int64.max - Int64(i)
            f.defaults24m = Int64.min + Int64(i)
            f.creditLimitMinor = i % 5 == 0 ? 0 : 500_000
            f.utilizationBp = i % 5 == 0 ? nil : (i % 17 == 0 ? Int128(Int64.max) + 5 : Int128(i % 10_000))
            let reasons = Array(["R01", "R02", "R03", "R04", "Ré"].prefix(i % 6))
            entries.append(SnapshotEntry(userID: "", score: Int64(i % 900) - 50, reasons: reasons, features: f))
        }
        let ids = (0..<count).map { i in
            i % 97 == 0 ? "é-\(i)-" + String(repeating: "x", count: i % 60) : String(format: "user-%06d", i)
        }.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        for i in entries.indices { entries[i].userID = ids[i] }
        return Snapshot(month: Fixture.november, modelVersion: Fixture.model, entries: entries)
    }

    @Test func manyBlocksAndExtremeValuesExportTheSameBytes() throws {
        let dir = TemporaryDirectory()
        let store = try dir.store()
        let snapshot = Self.awkward(1_000)
        try store.writeClosed(snapshot)
        #expect(try store.exportText(month: Fixture.november) == snapshot.export())
        #expect(try store.verify(month: Fixture.november, modelVersion: Fixture.model))
        for e in snapshot.entries where e.userID.hasPrefix("é") || e.userID.hasSuffix("0") {
            let stored = try #require(
                try store.entry(userID: e.userID, month: Fixture.november, modelVersion: Fixture.model))
            #expect(stored.line == e.exportLine(month: Fixture.november, modelVersion: Fixture.model))
        }
        let d = try store.distribution(month: Fixture.november, modelVersion: Fixture.model)
        #expect(d.count == 1_000)
    }

    @Test func erasuresMoveBlocksAndKeepEveryOtherLine() throws {
        let dir = TemporaryDirectory()
        let store = try dir.store()
        let snapshot = Self.awkward(700)
        try store.writeClosed(snapshot)
        // The first user of a block, one in the middle, the last user, and a whole block.
        var erased = [0, 64, 100, 699]
        erased += Array(128..<192)
        for i in erased { #expect(try store.deleteUser(snapshot.entries[i].userID) == 1) }
        for i in erased { #expect(try store.deleteUser(snapshot.entries[i].userID) == 0) }
        let kept = snapshot.entries.enumerated().filter { !erased.contains($0.offset) }.map(\.element)
        let expected = Snapshot(month: snapshot.month, modelVersion: snapshot.modelVersion, entries: kept)
        #expect(try store.exportText(month: Fixture.november) == expected.export())
        #expect(try store.verify(month: Fixture.november, modelVersion: Fixture.model))
        #expect(try store.months(modelVersion: Fixture.model).map(\.userCount) == [kept.count])
        #expect(try store.distribution(month: Fixture.november, modelVersion: Fixture.model).count == kept.count)
        for i in [1, 63, 65, 127, 192, 698] {
            let id = snapshot.entries[i].userID
            #expect(try store.entry(userID: id, month: Fixture.november, modelVersion: Fixture.model) != nil)
        }
        // Reopened, the store reads the same.
        let reopened = try dir.store()
        #expect(try reopened.exportText(month: Fixture.november) == expected.export())
        #expect(try reopened.writeClosed(expected) == false)
    }

    @Test func aCrashBeforeTheCatalogueCommitsLeavesNoMonth() throws {
        let dir = TemporaryDirectory()
        do {
            let store = try dir.store()
            try store.writeClosed(Fixture.snapshot(["a", "b"]))
        }
        // A month file nobody names: what a crash between the file's fsync and the commit leaves.
        let orphan = dir.path + "/" + SnapshotStore.fileName + ".months/99.scores"
        #expect(FileManager.default.createFile(atPath: orphan, contents: Data("junk".utf8)))
        let store = try dir.store()
        #expect(!FileManager.default.fileExists(atPath: orphan))
        #expect(try store.exportText(month: Fixture.november) == Fixture.snapshot(["a", "b"]).export())
    }
}
