import CredenceCore
import Testing

@testable import CredenceEngine

/// The open batch's event records: an erasure gets back its subject's records after its cut, in
/// the order they were logged, each event as it was encoded.
@Suite struct OpenBatchEventsTests {
    static func record(_ i: Int, subject: UInt64, day: Int) -> (EngineRecord.EventHeader, Event) {
        let at = Instant(millisecondsSinceEpoch: Int64(day) * 86_400_000)
        let event = Event(
            eventID: "e\(i)", userID: "user-\(subject)", occurredAt: at,
            payload: .payment(
                Event.Payment(
                    paymentID: "p\(i)", amountMinor: Int64(100 * i), currency: "CNY", merchantCategory: "x",
                    outcome: .approved)))
        let header = EngineRecord.EventHeader(
            kind: event.kind, isCopy: i % 2 == 0, eventIDHash: StableHash.of(event.eventID), occurredAt: at,
            digest: ContentDigest(high: UInt64(i), low: 0), subject: subject, sourceID: 1, position: UInt64(i),
            obligationKey: nil)
        return (header, event)
    }

    @Test func anErasureGetsItsSubjectsRecordsAfterTheCutInLogOrder() throws {
        var batch = OpenBatchEvents()
        let records = [
            Self.record(1, subject: 7, day: 10), Self.record(2, subject: 8, day: 11),
            Self.record(3, subject: 7, day: 3),
            Self.record(4, subject: 7, day: 12), Self.record(5, subject: 8, day: 20),
        ]
        for (h, e) in records {
            let bytes = EventCodec.encode(e)
            bytes.withUnsafeBytes { batch.append(h, plaintext: $0) }
        }
        #expect(batch.count == 5)
        let cut = Instant(millisecondsSinceEpoch: 5 * 86_400_000)
        let found = try batch.records(of: 7, after: cut)
        #expect(found.map(\.1) == [records[0].1, records[3].1], "subject 7 after day 5, in order")
        #expect(found.map(\.0.position) == [1, 4])
        #expect(found.map(\.0.isCopy) == [false, true], "headers as logged")
        #expect(try batch.records(of: 8, after: cut).map(\.1) == [records[1].1, records[4].1])
        #expect(try batch.records(of: 9, after: cut).isEmpty)
        batch.removeAll()
        #expect(batch.count == 0)
        #expect(try batch.records(of: 7, after: cut).isEmpty)
    }
}
