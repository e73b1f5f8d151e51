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
        var a = ByteWriter()
        var b = ByteWriter()
        indexes.intake.encode(into: &a, canonical: true)
        engineSide.encode(into: &b, canonical: true)
        #expect(a.bytes == b.bytes)
        // The sweep did drop the early weeks.
        #expect(indexes.intake.accepted(Self.header(1, day: 0, subject: 1).eventIDHash) == nil)
    }
}
