import CredenceCore
import CredenceTestSupport
import Testing

@testable import CredenceEngine

/// Each subject's record LSNs come back as they were noted, through the delta coding.
@Suite struct RecordListsTests {
    /// The word-at-a-time count of varints agrees with a byte loop, whatever the length and
    /// wherever the varints' last bytes fall.
    @Test func varintCountAgreesWithAByteLoop() {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for length in 0..<70 {
            var bytes = [UInt8]()
            for _ in 0..<length {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                bytes.append(UInt8(truncatingIfNeeded: state >> 56))
            }
            #expect(RecordLists.varintCount(bytes) == UInt64(bytes.filter { $0 < 0x80 }.count), "length \(length)")
        }
    }

    @Test func listsComeBackAsNoted() throws {
        var random = SeededRandom(seed: 5)
        var lists = RecordLists()
        var model: [[UInt64]] = Array(repeating: [], count: 40)
        var lsn: UInt64 = 0
        for _ in 0..<5_000 {
            // Mostly small steps, now and then a jump across billions of records.
            lsn += random.next() % 20 == 0 ? random.next() % (1 << 40) : random.next() % 300 + 1
            let subject = Int(random.next() % 40)
            lists.append(lsn, of: subject)
            model[subject].append(lsn)
        }
        lists.append(UInt64.max, of: 3)
        model[3].append(UInt64.max)
        for s in 0..<40 { #expect(lists.lsns(of: s) == model[s]) }
        #expect(lists.take(7) == model[7])
        #expect(lists.lsns(of: 7).isEmpty)
        lists.append(12, of: 7)
        #expect(lists.lsns(of: 7) == [12])
        #expect(lists.lsns(of: 1_000).isEmpty)
        model[7] = [12]
        // A checkpoint's round trip: the same lists, the same bytes again, and appending goes on
        // from each list's last LSN.
        var w = ByteWriter()
        lists.encode(into: &w)
        var restored = try w.bytes.withUnsafeBytes { raw in
            var r = ByteReader(raw)
            let restored = try RecordLists.decode(from: &r)
            try r.expectEnd()
            return restored
        }
        for s in 0..<40 { #expect(restored.lsns(of: s) == model[s]) }
        var again = ByteWriter()
        restored.encode(into: &again)
        #expect(again.bytes == w.bytes)
        restored.append(UInt64.max - 5, of: 9)
        lists.append(UInt64.max - 5, of: 9)
        #expect(restored.lsns(of: 9) == lists.lsns(of: 9))
    }
}
