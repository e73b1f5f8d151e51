import CredenceCore
import Testing

@testable import CredenceEngine

/// The source table: ids in naming order, positions and times that only grow, a generation
/// that moves only when a source is named, and a checkpoint round trip that keeps it all.
@Suite struct SourceTableTests {
    static func at(_ ms: Int64) -> Instant { Instant(millisecondsSinceEpoch: ms) }

    @Test func namesPositionsAndTimes() {
        var t = SourceTable()
        #expect(t.nextID == 1 && t.lookup("a") == nil && t.generation == 0)
        t.name(1, "kafka:p/0")
        t.name(2, "kafka:p/1")
        t.name(2, "kafka:p/1")  // a replay applies the record the live run already applied
        #expect(t.generation == 2 && t.nextID == 3)
        #expect(t.id(of: "kafka:p/1") == 2 && t.id(of: "kafka:p/1") == 2 && t.lookup("kafka:p/0") == 1)
        #expect(t.lastPosition(of: "kafka:p/0") == nil && t.maxSeen(of: "kafka:p/0") == nil)
        t.note(7, at: Self.at(500), of: 1)
        t.note(3, at: Self.at(900), of: 1)  // an older position, a newer time
        t.note(9, at: Self.at(100), of: 2)
        #expect(t.lastPosition(of: "kafka:p/0") == 7 && t.maxSeen(of: "kafka:p/0") == Self.at(900))
        #expect(t.maxSeen(id: 2) == 100 && t.maxSeen(id: 3) == nil)
        #expect(Set(t.allNames) == ["kafka:p/0", "kafka:p/1"])
    }

    @Test func aCheckpointRoundTripKeepsTheTable() throws {
        var t = SourceTable()
        for i in 1...40 {
            t.name(UInt64(i), "file:/data/\(i).ndjson")
            if i % 3 != 0 { t.note(UInt64(i * 11), at: Self.at(Int64(i) * 1_000 - 77), of: UInt64(i)) }
        }
        var w = ByteWriter()
        t.encode(into: &w)
        var restored = try w.bytes.withUnsafeBytes { raw in
            var r = ByteReader(raw)
            let table = try SourceTable.decode(from: &r)
            try r.expectEnd()
            return table
        }
        var again = ByteWriter()
        restored.encode(into: &again)
        #expect(again.bytes == w.bytes)
        for i in 1...40 {
            let name = "file:/data/\(i).ndjson"
            #expect(restored.id(of: name) == UInt64(i))
            #expect(restored.lastPosition(of: name) == t.lastPosition(of: name))
            #expect(restored.maxSeen(of: name) == t.maxSeen(of: name))
        }
        #expect(restored.nextID == 41)
    }
}
