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
        other.high ^= 1 << 63
        #expect(entry?.matches(other) == false)
        other = Self.digest(1)
        other.high ^= 1 << 24
        #expect(entry?.matches(other) == false, "the lowest kept bit")
        // The 40 kept bits are the top of the digest's first half: the rest is not compared.
        other = Self.digest(1)
        other.high ^= 1 << 23
        other.low ^= .max
        #expect(entry?.matches(other) == true)
        // A second acceptance of a known id keeps the first entry.
        index.accept(Self.id(1), digest: Self.digest(3), at: Instant(millisecondsSinceEpoch: 0))
        #expect(index.accepted(Self.id(1))?.matches(Self.digest(1)) == true)
    }

    /// An entry is one word: 40 bits of digest and a 24-bit week that holds every RFC 3339
    /// year, before 1970 too, and the sweep compares those weeks as numbers.
    @Test func anEntryHoldsTheWeeksOfEveryYearAndTheSweepOrdersThem() {
        #expect(MemoryLayout<IntakeIndex.Entry>.size == 8)
        let year0 = Instant(millisecondsSinceEpoch: -62_167_219_200_000)  // 0000-01-01T00:00:00Z
        let year9999 = Instant(millisecondsSinceEpoch: 253_402_300_799_999)  // 9999-12-31T23:59:59.999Z
        for at in [year0, Instant(millisecondsSinceEpoch: -1), Instant(millisecondsSinceEpoch: 0), year9999] {
            let entry = IntakeIndex.Entry(digest: Self.digest(5), at: at)
            #expect(entry.week == IntakeIndex.week(of: at.millisecondsSinceEpoch))
            #expect(entry.matches(Self.digest(5)))
        }
        var index = IntakeIndex(window: Self.window)
        index.accept(Self.id(1), digest: Self.digest(1), at: year0)
        index.accept(Self.id(2), digest: Self.digest(2), at: Instant(millisecondsSinceEpoch: -Self.window))
        index.accept(Self.id(3), digest: Self.digest(3), at: year9999)
        index.prune(maxSeen: Instant(millisecondsSinceEpoch: 0))
        #expect(index.accepted(Self.id(1)) == nil, "year 0 is long before the window")
        #expect(index.accepted(Self.id(2)) != nil && index.accepted(Self.id(3)) != nil)
        index.prune(maxSeen: year9999)
        #expect(index.accepted(Self.id(2)) == nil && index.accepted(Self.id(3)) != nil)
    }

    /// A checkpoint of format 2 held 96 bits of each digest: it still loads, to the same
    /// entries as one written now.
    @Test func aCheckpointWithWholeDigestsLoadsTheKeptBits() throws {
        var w = ByteWriter()
        w.writeZigZag(Int64.min)  // the horizon
        w.writeVarint(1)
        let id = Self.id(9)
        let digest = Self.digest(9)
        for word in [id.high, id.low, digest.high] { w.bytes += withUnsafeBytes(of: word.littleEndian, Array.init) }
        w.bytes += withUnsafeBytes(of: UInt32(truncatingIfNeeded: digest.low).littleEndian, Array.init)
        w.bytes += withUnsafeBytes(of: Int32(2_900).littleEndian, Array.init)
        w.writeVarint(0)  // no obligation keys
        let restored = try w.bytes.withUnsafeBytes { raw in
            var r = ByteReader(raw)
            return try IntakeIndex.decode(from: &r, window: Self.window)
        }
        let week2900 = Instant(millisecondsSinceEpoch: 2_900 * IntakeIndex.millisecondsPerWeek)
        #expect(restored.accepted(id) == IntakeIndex.Entry(digest: digest, at: week2900))
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
