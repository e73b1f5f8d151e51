import Synchronization
import Testing

@testable import CredenceCore

/// `skipVarints` lands where reading the same varints one by one lands, and refuses to run
/// past the end.
@Suite struct ByteReaderSkipTests {
    @Test func skippingLandsWhereReadingDoes() throws {
        var w = ByteWriter()
        let values: [UInt64] = [0, 1, 127, 128, 300, 16_383, 16_384, 1 << 35, .max, 5, UInt64(Int64.max)]
        for v in values { w.writeVarint(v) }
        w.writeByte(0xAB)
        try w.bytes.withUnsafeBytes { raw in
            for n in 0...values.count {
                var read = ByteReader(raw)
                for _ in 0..<n { _ = try read.readVarint() }
                var skip = ByteReader(raw)
                try skip.skipVarints(n)
                #expect(skip.offset == read.offset, "\(n) varints")
            }
            var all = ByteReader(raw)
            try all.skipVarints(values.count)
            #expect(try all.readByte() == 0xAB)
        }
    }

    @Test func skippingPastTheEndThrows() {
        let bytes: [UInt8] = [0x81, 0x01, 0x80]  // one varint, then a cut one
        bytes.withUnsafeBytes { raw in
            var r = ByteReader(raw)
            #expect(throws: BinaryDecodingError.self) { try r.skipVarints(2) }
        }
    }
}

/// A writer with a spill hands its bytes over once they pass its threshold, only where the
/// encoder asks (`spillIfFull`), and keeps going in what the spill leaves; without one, it
/// keeps everything.
@Suite struct ByteWriterSpillTests {
    final class Pieces: Sendable {
        let taken = Mutex<[[UInt8]]>([])
    }

    @Test func bytesAreHandedOverOncePastTheThresholdAndNowhereElse() {
        let pieces = Pieces()
        var w = ByteWriter()
        w.spillBytes = 10
        w.spill = { bytes in
            pieces.taken.withLock { $0.append(bytes) }
            bytes = []
        }
        for k in 0..<7 as Range<UInt8> {
            w.bytes.append(contentsOf: [k, k, k, k])
            w.spillIfFull()
        }
        let taken = pieces.taken.withLock { $0 }
        #expect(taken == [[0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2], [3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5]])
        #expect(w.bytes == [6, 6, 6, 6])

        var plain = ByteWriter()
        plain.spillBytes = 1
        plain.writeVarint(300)
        plain.spillIfFull()
        #expect(plain.bytes == [0xAC, 0x02])
    }
}
