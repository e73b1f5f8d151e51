import CredenceCore
import CredenceTestSupport
import Foundation
import SnapshotStore
import Testing

/// `holdsSameEntries` is the shortcut a replay takes to compare its months with the live
/// ones: `true` only when the two exports are identical, and never for two that differ; and
/// `true` for a month whose blocks were cut differently or whose reason codes are numbered
/// differently, which is how a replay stores a month that an erasure rewrote in the live store.
@Suite struct StoredComparisonTests {
    static func exportBytes(_ store: SnapshotStore, _ month: Month) throws -> [UInt8] {
        var out: [UInt8] = []
        try store.exportBytes(month: month, modelVersion: Fixture.model) { out.append(contentsOf: $0) }
        return out
    }

    @Test func theSameMonthWrittenTwiceIsStoredIdentically() throws {
        let (a, b) = (TemporaryDirectory(), TemporaryDirectory())
        let (left, right) = (try a.store(), try b.store())
        let users = Fixture.userIDs(300)  // several blocks
        for store in [left, right] { try store.writeClosed(Fixture.snapshot(users)) }
        #expect(try left.holdsSameEntries(month: Fixture.november, modelVersion: Fixture.model, as: right))
        #expect(try Self.exportBytes(left, Fixture.november) == Self.exportBytes(right, Fixture.november))
    }

    @Test func aDifferenceAnywhereIsSeen() throws {
        let users = Fixture.userIDs(300)
        var changed = Fixture.snapshot(users)
        changed.entries[200].score += 1  // one score, in a later block
        var reasons = Fixture.snapshot(users)
        reasons.entries[5].reasons = ["R09", "R05"]  // the same codes, another order
        var fewer = Fixture.snapshot(users)
        fewer.entries.removeLast()
        var renamed = Fixture.snapshot(users)
        renamed.entries[42].userID += "x"  // still in order; the same count
        var feature = Fixture.snapshot(users)
        feature.entries[299].features.creditLimitMinor += 1  // the last user's last integer
        for other in [changed, reasons, fewer, renamed, feature] {
            let (a, b) = (TemporaryDirectory(), TemporaryDirectory())
            let (left, right) = (try a.store(), try b.store())
            try left.writeClosed(Fixture.snapshot(users))
            try right.writeClosed(other)
            #expect(try !left.holdsSameEntries(month: Fixture.november, modelVersion: Fixture.model, as: right))
            #expect(try !right.holdsSameEntries(month: Fixture.november, modelVersion: Fixture.model, as: left))
            #expect(try Self.exportBytes(left, Fixture.november) != Self.exportBytes(right, Fixture.november))
        }
    }

    /// After an erasure the month's export is that of the month without the user, as a replay
    /// (which never sees the user) stores it; but the erasure rewrote a block with 63 users
    /// where the replay cut blocks of 64, and the erased user's code stays in the dictionary.
    @Test func anErasedMonthEqualsTheMonthClosedWithoutTheUser() throws {
        var users = Fixture.userIDs(300)
        users.insert("a-first", at: 0)
        var month = Fixture.snapshot(users)
        #expect(month.entries[0].userID == "a-first")
        month.entries[0].reasons = ["R01"]  // the dictionary's first code: R01, R05, R09
        var withoutFirst = month
        withoutFirst.entries.removeFirst()  // R05, R09
        var withoutLater = month
        withoutLater.entries.remove(at: 150)
        for (user, closedWithout) in [("a-first", withoutFirst), (month.entries[150].userID, withoutLater)] {
            let (a, b, c) = (TemporaryDirectory(), TemporaryDirectory(), TemporaryDirectory())
            let (erased, untouched, without) = (try a.store(), try b.store(), try c.store())
            for store in [erased, untouched] { try store.writeClosed(month) }
            try without.writeClosed(closedWithout)
            #expect(try erased.deleteUser(user) == 1)
            #expect(try erased.holdsSameEntries(month: Fixture.november, modelVersion: Fixture.model, as: without))
            #expect(try without.holdsSameEntries(month: Fixture.november, modelVersion: Fixture.model, as: erased))
            #expect(try Self.exportBytes(erased, Fixture.november) == Self.exportBytes(without, Fixture.november))
            #expect(try !erased.holdsSameEntries(month: Fixture.november, modelVersion: Fixture.model, as: untouched))
        }
    }

    @Test func aMonthOneStoreLacksIsNotFound() throws {
        let (a, b) = (TemporaryDirectory(), TemporaryDirectory())
        let (left, right) = (try a.store(), try b.store())
        try left.writeClosed(Fixture.snapshot(["a"]))
        #expect(throws: SnapshotStoreError.self) {
            try left.holdsSameEntries(month: Fixture.november, modelVersion: Fixture.model, as: right)
        }
    }
}
