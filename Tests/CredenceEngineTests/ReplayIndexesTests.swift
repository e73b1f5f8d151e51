import CredenceCore
import Foundation
import Testing

@testable import CredenceEngine

/// The intake indexes a parallel replay rebuilds on the stage's thread (``ReplayIndexes``) are
/// the ones the engine's own replay rebuilds: committed records only, in log order, the window
/// swept after each batch.
@Suite struct ReplayIndexesTests {
    static let day: Int64 = Instant.millisecondsPerDay

    static func header(_ n: UInt64, day: Int64, subject: UInt64, source: UInt64 = 1, opens: Bool = false)
        -> EngineRecord.EventHeader
    {
        EngineRecord.EventHeader(
            kind: .payment, isCopy: false, eventIDHash: StableHash(high: n, low: n &* 31),
            occurredAt: Instant(millisecondsSinceEpoch: 1_700_000_000_000 + day * Self.day),
            digest: ContentDigest(high: n, low: n), subject: subject, sourceID: source, position: n,
            obligationKey: opens ? StableHash(high: ~n, low: n) : nil)
    }

    /// The index's canonical bytes: equal indexes, equal bytes, whatever their slots' order.
    static func canonical(_ index: IntakeIndex) -> [UInt8] {
        var w = ByteWriter()
        index.encode(into: &w, canonical: true)
        return w.bytes
    }

    static func fresh() -> ReplayIndexes {
        ReplayIndexes(
            intake: IntakeIndex(window: 7 * Self.day), records: RecordLists(), sources: SourceTable(), maxSeen: nil)
    }

    @Test func recordsBeforeTheBatchsFirstLSNAreOrphansAndLeaveNoTrace() {
        var indexes = Self.fresh()
        // A batch a crash cut short (LSNs 1-3, no commit), then one that committed (4-6).
        indexes.noteSource(id: 1, name: "orphaned-source", lsn: 1)
        indexes.note(Self.header(2, day: 0, subject: 7, opens: true), lsn: 2, hasKey: true)
        indexes.note(Self.header(3, day: 40, subject: 7), lsn: 3, hasKey: true)
        indexes.noteSource(id: 1, name: "file:a", lsn: 4)
        indexes.note(Self.header(5, day: 1, subject: 7), lsn: 5, hasKey: true)
        indexes.note(Self.header(6, day: 2, subject: 8), lsn: 6, hasKey: false)
        indexes.commit(first: 4)
        indexes.finish()

        #expect(indexes.intake.accepted(Self.header(2, day: 0, subject: 7).eventIDHash) == nil)
        #expect(!indexes.intake.isOpened(Self.header(2, day: 0, subject: 7, opens: true).obligationKey!))
        #expect(indexes.intake.accepted(Self.header(5, day: 1, subject: 7).eventIDHash) != nil)
        #expect(indexes.sources.lookup("file:a") == 1)
        #expect(indexes.sources.lookup("orphaned-source") == nil)
        #expect(indexes.sources.lastPosition(of: "file:a") == 6)
        // Only committed records with a live key join their subject's list.
        #expect(indexes.records.lsns(of: 7) == [5])
        #expect(indexes.records.lsns(of: 8).isEmpty)
        // The orphan's later event time did not move the sweep's clock.
        #expect(indexes.maxSeen == Self.header(6, day: 2, subject: 8).occurredAt)
    }

    /// An erasure re-keys the events after its cut, some of them logged long before; the live
    /// run appends the copies without accepting their ids again. A copy whose original's id has
    /// left the window does not bring it back (the replay did, until the next sweep).
    @Test func aCopyOfAnEventWhoseIdLeftTheWindowDoesNotBringItBack() {
        var indexes = Self.fresh()
        let old = Self.header(1, day: 0, subject: 3)
        indexes.note(old, lsn: 1, hasKey: true)
        indexes.commit(first: 1)
        indexes.note(Self.header(2, day: 30, subject: 4), lsn: 2, hasKey: true)
        indexes.commit(first: 2)  // day 30: the window (7 days) has let day 0 go
        var copy = old
        copy.isCopy = true
        copy.subject = 9
        indexes.note(copy, lsn: 3, hasKey: true)
        indexes.note(Self.header(4, day: 31, subject: 4), lsn: 4, hasKey: true)
        indexes.commit(first: 3)  // no sweep: less than a week since the last
        indexes.finish()
        #expect(indexes.intake.accepted(old.eventIDHash) == nil)
        #expect(indexes.intake.accepted(Self.header(4, day: 31, subject: 4).eventIDHash) != nil)
        #expect(indexes.records.lsns(of: 9) == [3])  // the copy is still its subject's record
    }

    @Test func theWindowIsSweptAfterEachBatchAsTheEngineSweepsIt() {
        var indexes = Self.fresh()
        var engineSide = IntakeIndex(window: 7 * Self.day)
        var maxSeen: Instant? = nil
        var lsn: UInt64 = 0
        for batch in 0..<10 {
            let first = lsn + 1
            for k in 0..<20 {
                lsn += 1
                let h = Self.header(lsn, day: Int64(batch * 3 + k % 4), subject: UInt64(k % 5 + 1))
                indexes.note(h, lsn: lsn, hasKey: true)
                engineSide.accept(h.eventIDHash, digest: h.digest, at: h.occurredAt)
                if maxSeen.map({ h.occurredAt > $0 }) ?? true { maxSeen = h.occurredAt }
            }
            indexes.commit(first: first)
            engineSide.prune(maxSeen: maxSeen)
        }
        indexes.finish()
        #expect(Self.canonical(indexes.intake) == Self.canonical(engineSide))
        // The sweep did drop the early weeks.
        #expect(indexes.intake.accepted(Self.header(1, day: 0, subject: 1).eventIDHash) == nil)
    }

    /// The ids a replay holds back by week (``ReplayWindow``) make the table the live run's own:
    /// ids checked and accepted one by one, swept after each batch. A noisy stream: events late
    /// by up to ten weeks, ids that come back after the window let them go, re-keyed copies of
    /// ids just accepted, a batch cut short, and a start from a window that already holds ids.
    @Test(arguments: [1, 2, 3, 4, 5])
    func heldBackIdsEndAsTheLiveWindow(seed: UInt64) {
        var rng = SplitMix(seed: seed)
        let window = 35 * Self.day
        // The live run: each id looked up, accepted only when absent.
        var live = IntakeIndex(window: window)
        var maxSeen: Instant? = nil
        func liveAccept(_ h: EngineRecord.EventHeader) -> Bool {
            guard live.accepted(h.eventIDHash) == nil else { return false }
            live.accept(h.eventIDHash, digest: h.digest, at: h.occurredAt)
            if maxSeen.map({ h.occurredAt > $0 }) ?? true { maxSeen = h.occurredAt }
            return true
        }
        var lsn: UInt64 = 0
        var day: Int64 = 0
        var used: [UInt64] = []
        func nextHeader() -> EngineRecord.EventHeader {
            day += rng.next() % 8 == 0 ? 1 : 0
            let late = rng.next() % 10 == 0 ? Int64(rng.next() % 70) : 0
            // One id in eight is one used before: a duplicate, or one whose first use has left.
            let n = !used.isEmpty && rng.next() % 8 == 0 ? used[Int(rng.next() % UInt64(used.count))] : rng.next() | 1
            used.append(n)
            return Self.header(n, day: day - late, subject: rng.next() % 7 + 1)
        }
        // What the window held before the replay: a live run's first 30 batches.
        for _ in 0..<30 {
            for _ in 0..<40 { _ = liveAccept(nextHeader()) }
            live.prune(maxSeen: maxSeen)
        }
        var indexes = ReplayIndexes(intake: live, records: RecordLists(), sources: SourceTable(), maxSeen: maxSeen)
        for batch in 0..<120 {
            if batch % 17 == 16 {
                // A batch a crash cut short: its records precede the next batch's first LSN.
                lsn += 1
                indexes.note(Self.header(rng.next() | 1, day: day, subject: 1), lsn: lsn, hasKey: true)
            }
            let first = lsn + 1
            var logged: [EngineRecord.EventHeader] = []
            for _ in 0..<Int(rng.next() % 60) {
                let h = nextHeader()
                guard liveAccept(h) else { continue }  // a duplicate is not logged
                lsn += 1
                indexes.note(h, lsn: lsn, hasKey: true)
                logged.append(h)
                // An erasure's re-keyed copy of an event of this batch: appended unchecked.
                if rng.next() % 20 == 0, var copy = logged.randomElement(using: &rng) {
                    copy.isCopy = true
                    lsn += 1
                    indexes.note(copy, lsn: lsn, hasKey: true)
                }
            }
            indexes.commit(first: first)
            live.prune(maxSeen: maxSeen)
        }
        indexes.finish()
        #expect(indexes.intake.events.count == live.events.count)
        #expect(Self.canonical(indexes.intake) == Self.canonical(live))
        #expect(live.events.count > 100)
    }
}
