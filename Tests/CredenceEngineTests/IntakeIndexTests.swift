import CredenceCore
import Testing

@testable import CredenceEngine

/// The intake index: ids stay known for the whole window and leave a week at a time, the
/// digest tells a conflict from a copy, and a checkpoint round trip keeps everything.
@Suite struct IntakeIndexTests {
    static let day = Instant.millisecondsPerDay
    static let window = 35 * day

    static func id(_ n: Int) -> StableHash { StableHash.of("event-\(n)") }
    static func digest(_ n: Int) -> ContentDigest { ContentDigest(high: UInt64(n) &* 0x9E37_79B9, low: UInt64(n) + 7) }

    /// One event a day for 200 days, pruned after each as batches do: every id within the
    /// window behind the newest event time is known, none older than the window plus a week.
    @Test func idsStayForTheWindowAndLeaveByTheWeek() {
        var index = IntakeIndex(window: Self.window)
        let start: Int64 = 1_700_000_000_000
        for d in 0..<200 {
            let at = Instant(millisecondsSinceEpoch: start + Int64(d) * Self.day)
            index.accept(Self.id(d), digest: Self.digest(d), at: at)
            index.prune(maxSeen: at)
            for back in 0..<d {
                let age = Int64(d - back) * Self.day
                let known = index.accepted(Self.id(back)) != nil
                if age <= Self.window { #expect(known, "day \(back) at day \(d)") }
                if age > Self.window + 14 * Self.day { #expect(!known, "day \(back) at day \(d)") }
            }
        }
        #expect(index.events.count <= 35 + 14 + 1)
    }

    @Test func theDigestTellsAConflictFromACopy() {
        var index = IntakeIndex(window: Self.window)
        index.accept(Self.id(1), digest: Self.digest(1), at: Instant(millisecondsSinceEpoch: 0))
        let entry = index.accepted(Self.id(1))
        #expect(entry?.matches(Self.digest(1)) == true)
        #expect(entry?.matches(Self.digest(2)) == false)
        var other = Self.digest(1)
        other.low ^= 1
        #expect(entry?.matches(other) == false)
        // A second acceptance of a known id keeps the first entry.
        index.accept(Self.id(1), digest: Self.digest(3), at: Instant(millisecondsSinceEpoch: 0))
        #expect(index.accepted(Self.id(1))?.matches(Self.digest(1)) == true)
    }

    @Test func aCheckpointRoundTripKeepsTheIndex() throws {
        var index = IntakeIndex(window: Self.window)
        for n in 0..<500 {
            index.accept(
                Self.id(n), digest: Self.digest(n), at: Instant(millisecondsSinceEpoch: Int64(n) * Self.day / 3))
            if n % 3 == 0 { index.open(StableHash.of("obligation-\(n)")) }
        }
        index.prune(maxSeen: Instant(millisecondsSinceEpoch: 500 * Self.day / 3))
        var w = ByteWriter()
        index.encode(into: &w, canonical: true)
        let restored = try w.bytes.withUnsafeBytes { raw in
            var r = ByteReader(raw)
            let index = try IntakeIndex.decode(from: &r, window: Self.window)
            try r.expectEnd()
            return index
        }
        var again = ByteWriter()
        restored.encode(into: &again, canonical: true)
        #expect(again.bytes == w.bytes)
        #expect(restored.events.count == index.events.count && restored.horizon == index.horizon)
        for n in 0..<500 {
            #expect(restored.accepted(Self.id(n)) == index.accepted(Self.id(n)))
            #expect(restored.isOpened(StableHash.of("obligation-\(n)")) == (n % 3 == 0))
        }
    }
}
