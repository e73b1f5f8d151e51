import CredenceCore
import CredenceTestSupport
import Foundation
import Testing

@testable import SnapshotStore

/// The point lookup's read path: the scan of a block for one user, the search of a revision's
/// blocks, and the cache of blocks already read.
@Suite struct PointLookupTests {
    /// Ids made of few pieces, so that many share prefixes, some are prefixes of others, some
    /// share more than eight bytes, and some hold non-ASCII bytes or NUL.
    static func id(_ random: inout SeededRandom) -> String {
        let pieces = ["a", "b", "ab", "user-", "0", "9", "é", "\u{0}", "~", "日"]
        return (0..<Int.random(in: 0...9, using: &random)).map { _ in pieces.randomElement(using: &random)! }
            .joined()
    }

    static func sortedIDs(_ count: Int, _ random: inout SeededRandom) -> [String] {
        var seen = Set<[UInt8]>()
        return (0..<count).map { _ in id(&random) }.filter { seen.insert(Array($0.utf8)).inserted }
            .sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    /// The ids to look up in a block of `ids`: each of them, each with a byte more or less,
    /// and random others.
    static func probes(_ ids: [String], _ random: inout SeededRandom) -> [String] {
        var out = ids
        for id in ids {
            out.append(id + "a")
            out.append(id + "\u{0}")
            out.append(String(decoding: Array(id.utf8).dropLast(), as: UTF8.self))
        }
        out += (0..<20).map { _ in id(&random) }
        return out
    }

    /// With and without the block's directory (a block from the cache, a block just read).
    @Test(arguments: [1, 2, 3, 4])
    func theScanFindsWhatTheFullDecodeFinds(seed: UInt64) throws {
        var random = SeededRandom(seed: seed)
        let reasons = ["R01", "R02", "R03"]
        for _ in 0..<60 {
            let ids = Self.sortedIDs(Int.random(in: 1...MonthFile.usersPerBlock, using: &random), &random)
            // Varints of every length in the records passed over.
            func int() -> Int64 { Int64.random(in: -1...1, using: &random) << Int.random(in: 0...62, using: &random) }
            let entries = ids.enumerated().map { i, id in
                var f = Features()
                f.tenureDays = int()
                f.payments12m = int()
                f.maxDpd24m = int()
                f.creditLimitMinor = int()
                f.spend12mMinor = i % 3 == 0 ? Int128(Int64.max) * 7 : Int128(int())
                f.outstandingMinor = i % 5 == 0 ? -Int128(Int64.max) * 3 : Int128(int())
                f.utilizationBp = i % 2 == 0 ? nil : (i % 7 == 0 ? Int128(Int64.max) + 1 : Int128(int()))
                return SnapshotEntry(
                    userID: id, score: int(), reasons: Array(reasons.prefix(i % 4)), features: f)
            }
            var dictionary = MonthFile.ReasonDictionary()
            var writer = ByteWriter()
            MonthFile.encode(entries[...], reasons: &dictionary, into: &writer)
            try writer.bytes.withUnsafeBytes { block in
                let all = try MonthFile.decode(block, reasons: dictionary.codes)
                #expect(all == entries)
                let directory = try BlockDirectory(block)
                #expect(directory.count == entries.count)
                for probe in Self.probes(ids, &random) {
                    let expected = all.first { $0.userID.utf8.elementsEqual(probe.utf8) }
                    let scanned = try MonthFile.entry(probe, in: block, reasons: dictionary.codes)
                    let searched = try MonthFile.entry(
                        probe, in: block, directory: directory, reasons: dictionary.codes)
                    #expect(scanned == expected, "seed \(seed): \(Array(probe.utf8)) in \(ids.map { Array($0.utf8) })")
                    #expect(searched == expected, "seed \(seed): \(Array(probe.utf8)) in \(ids.map { Array($0.utf8) })")
                }
            }
        }
    }

    @Test(arguments: [1, 2, 3])
    func theBlockSearchFindsTheBlockTheCatalogueWould(seed: UInt64) {
        var random = SeededRandom(seed: seed)
        for _ in 0..<40 {
            var firsts = Self.sortedIDs(Int.random(in: 1...80, using: &random), &random)
            // Firsts that share their first eight bytes or more, and one shorter than eight bytes.
            firsts += ["user-000a", "user-000a\u{0}", "user-000ab", "user-000b", "user-00", "user-000"]
            firsts = Array(Set(firsts)).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            let blocks = firsts.enumerated().map { i, first in
                BlockRow(firstUser: first, offset: Int64(i), length: 1, count: 1, crc: 0)
            }
            let index = BlockIndex(blocks)
            for probe in Self.probes(firsts, &random) {
                // The catalogue's `first_user <= ? ORDER BY first_user DESC LIMIT 1`.
                let expected = blocks.last { !probe.utf8.lexicographicallyPrecedes($0.firstUser.utf8) }
                #expect(index.block(containing: probe)?.offset == expected?.offset, "seed \(seed): \(probe)")
            }
        }
    }

    /// Once a block was read, a lookup in it reads no file: zeroing the month file under the
    /// store changes no answer. A restated month's new revision is read on its own.
    @Test func aBlockReadOnceIsNotReadAgainAndRestatementsAreSeen() throws {
        let dir = TemporaryDirectory()
        let store = try dir.store()
        let users = Fixture.userIDs(500)
        let original = Fixture.snapshot(users)
        try store.writeClosed(original)
        let revision0 = [(month: Fixture.november, revision: 0)]
        for e in original.entries {
            let found = try store.latestEntry(userID: e.userID, modelVersion: Fixture.model, in: revision0)
            #expect(found?.line == e.exportLine(month: Fixture.november, modelVersion: Fixture.model))
        }
        #expect(store.serving.cachedBlocks.count == (users.count + 63) / 64)
        // Zeroed in place: the store's open descriptor would read the zeros.
        let files = try FileManager.default.contentsOfDirectory(atPath: store.monthsDirectory)
        let file = store.monthsDirectory + "/" + (try #require(files.first))
        let size = try #require(FileManager.default.attributesOfItem(atPath: file)[.size] as? Int)
        let handle = try #require(FileHandle(forWritingAtPath: file))
        try handle.write(contentsOf: Data(count: size))
        try handle.close()
        for e in original.entries {
            let found = try store.latestEntry(userID: e.userID, modelVersion: Fixture.model, in: revision0)
            #expect(found?.score == e.score)
        }

        let restated = Fixture.snapshot(users.filter { !$0.hasSuffix("7") }, bump: 9)
        #expect(try store.restate(restated) == 1)
        let revision1 = [(month: Fixture.november, revision: 1)]
        for e in original.entries {
            let found = try store.latestEntry(userID: e.userID, modelVersion: Fixture.model, in: revision1)
            #expect(found?.score == (e.userID.hasSuffix("7") ? nil : e.score + 9), "\(e.userID)")
            #expect(found?.revision == (e.userID.hasSuffix("7") ? nil : 1))
        }
    }

    /// The cache stays within its budget, drops what it must, and answers as a store without it.
    @Test(arguments: [0, 1, 12_000, 40_000])
    func theCacheStaysWithinItsBudget(budget: Int) throws {
        let dir = TemporaryDirectory()
        var configuration = SnapshotStore.Configuration()
        configuration.servingCacheBytes = budget
        let store = try dir.store(configuration)
        let snapshot = MonthFileTests.awkward(1_000)
        try store.writeClosed(snapshot)
        let months = [(month: Fixture.november, revision: 0)]
        for _ in 0..<2 {
            for e in snapshot.entries.reversed() {
                let found = try store.latestEntry(userID: e.userID, modelVersion: Fixture.model, in: months)
                #expect(found?.line == e.exportLine(month: Fixture.november, modelVersion: Fixture.model))
                #expect(store.serving.cachedBlocks.bytes <= budget)
            }
        }
        #expect(try store.latestEntry(userID: "nobody", modelVersion: Fixture.model, in: months) == nil)
        #expect((store.serving.cachedBlocks.count > 0) == (budget > 1))
    }

    /// An erasure empties the cache; the erased user is gone from every answer at once, the
    /// users of the rewritten blocks keep theirs.
    @Test func anErasureEmptiesTheCache() throws {
        let dir = TemporaryDirectory()
        let store = try dir.store()
        let users = Fixture.userIDs(300)
        let snapshot = Fixture.snapshot(users)
        try store.writeClosed(snapshot)
        let months = [(month: Fixture.november, revision: 0)]
        for u in users { _ = try store.latestEntry(userID: u, modelVersion: Fixture.model, in: months) }
        #expect(store.serving.cachedBlocks.count == 5)
        let erased = snapshot.entries[70].userID
        #expect(try store.deleteUser(erased) == 1)
        #expect(store.serving.cachedBlocks.count == 0)
        #expect(try store.latestEntry(userID: erased, modelVersion: Fixture.model, in: months) == nil)
        for e in snapshot.entries where e.userID != erased {
            let found = try store.latestEntry(userID: e.userID, modelVersion: Fixture.model, in: months)
            #expect(found?.score == e.score, "\(e.userID)")
        }
        #expect(try store.latestEntry(userID: erased, modelVersion: Fixture.model, in: months) == nil)
    }
}
