import CredenceTestSupport
import Testing

@testable import EventLog

@Suite struct CRC32CTests {
    /// Published vectors: the CRC catalogue's check value and RFC 3720 (iSCSI) appendix B.4.
    static let vectors: [([UInt8], UInt32)] = [
        (Array("123456789".utf8), 0xE306_9283),
        ([], 0),
        ([UInt8](repeating: 0, count: 32), 0x8A91_36AA),
        ([UInt8](repeating: 0xFF, count: 32), 0x62A8_AB43),
        ((0..<32).map { UInt8($0) }, 0x46DD_794E),
        ((0..<32).reversed().map { UInt8($0) }, 0x113F_DB5C),
        (Array("The quick brown fox jumps over the lazy dog".utf8), 0x2262_0404),
    ]

    @Test(arguments: vectors)
    func knownVectors(input: [UInt8], expected: UInt32) {
        #expect(CRC32C.checksum(input) == expected)
    }

    /// Bit-at-a-time reference: slow, obviously right.
    static func reference(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
        }
        return ~crc
    }

    @Test func matchesReferenceAtEveryLengthAndAlignment() {
        var rng = SeededGenerator(seed: 42)
        let data = (0..<300).map { _ in UInt8.random(in: 0...255, using: &rng) }
        for start in 0..<9 {
            for length in 0..<(data.count - start) where length < 40 || length % 17 == 0 {
                let slice = Array(data[start..<start + length])
                #expect(CRC32C.checksum(data[start..<start + length]) == Self.reference(slice))
            }
        }
    }

    @Test func chainsAcrossSplits() {
        let data = Array("Credence event log, checksummed in pieces".utf8)
        let whole = CRC32C.checksum(data)
        for split in 0...data.count {
            #expect(CRC32C.checksum(data[split...], continuing: CRC32C.checksum(data[..<split])) == whole)
        }
    }
}
