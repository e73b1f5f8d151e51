internal import CCRC32C

/// CRC-32C (Castagnoli, reflected polynomial `0x82F63B78`), as used by iSCSI, ext4 and Kafka:
/// the one CRC of the project (log records, key slots, snapshot blocks).
///
/// On a CPU with a CRC-32C instruction (x86-64 SSE4.2 `crc32`, ARMv8 CRC) the bytes go through
/// it, eight per instruction (`CCRC32C`, a few lines of C behind a runtime check). Elsewhere,
/// slicing-by-8: eight 256-entry tables let the loop consume eight bytes per step with
/// independent table lookups. Both give the same values; this runs on every appended and every
/// read record, so it stays free of bounds checks and allocations.
///
/// Checksums chain: `checksum(b, continuing: checksum(a))` equals the checksum of `a` followed by `b`.
///
/// ```swift
/// let crc = CRC32C.checksum(Array("123456789".utf8))  // 0xE3069283
/// ```
public enum CRC32C {
    /// The checksum of `buffer`, continuing from `crc` (the checksum of the bytes before it; 0 to start).
    @inlinable
    public static func checksum(_ buffer: UnsafeRawBufferPointer, continuing crc: UInt32 = 0) -> UInt32 {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return crc }
        return update(crc, base, buffer.count)
    }

    /// The checksum of `bytes`, continuing from `crc`.
    @inlinable
    public static func checksum(_ bytes: some Sequence<UInt8>, continuing crc: UInt32 = 0) -> UInt32 {
        if let value = bytes.withContiguousStorageIfAvailable({ checksum(UnsafeRawBufferPointer($0), continuing: crc) })
        {
            return value
        }
        return checksum(Array(bytes), continuing: crc)
    }

    /// Whether the CPU's instruction is used. Default: when the CPU has one.
    package static let usesHardware = ccrc32c_hardware_available() != 0

    @usableFromInline
    static func update(_ crc: UInt32, _ start: UnsafeRawPointer, _ count: Int) -> UInt32 {
        if usesHardware { return ccrc32c_hardware(crc, start, count) }
        return portable(crc, start, count)
    }

    /// Slicing-by-8, for CPUs without the instruction (and to check the two agree).
    package static func portable(_ crc: UInt32, _ start: UnsafeRawPointer, _ count: Int) -> UInt32 {
        table.withUnsafeBufferPointer { t in
            let t = t.baseAddress!
            var c = ~crc
            var p = start
            var n = count
            while n >= 8 {
                let lo = p.loadUnaligned(as: UInt32.self).littleEndian ^ c
                let hi = p.loadUnaligned(fromByteOffset: 4, as: UInt32.self).littleEndian
                c =
                    t[7 * 256 + Int(lo & 0xFF)] ^ t[6 * 256 + Int((lo >> 8) & 0xFF)]
                    ^ t[5 * 256 + Int((lo >> 16) & 0xFF)] ^ t[4 * 256 + Int(lo >> 24)]
                    ^ t[3 * 256 + Int(hi & 0xFF)] ^ t[2 * 256 + Int((hi >> 8) & 0xFF)]
                    ^ t[1 * 256 + Int((hi >> 16) & 0xFF)] ^ t[Int(hi >> 24)]
                p += 8
                n -= 8
            }
            while n > 0 {
                c = t[Int((c ^ UInt32(p.load(as: UInt8.self))) & 0xFF)] ^ (c >> 8)
                p += 1
                n -= 1
            }
            return ~c
        }
    }

    /// Table k maps a byte to its CRC contribution k bytes further back; table 0 is the classic table.
    static let table: [UInt32] = {
        var t = [UInt32](repeating: 0, count: 8 * 256)
        for i in 0..<256 {
            var c = UInt32(i)
            for _ in 0..<8 { c = (c & 1) != 0 ? (c >> 1) ^ 0x82F6_3B78 : c >> 1 }
            t[i] = c
        }
        for k in 1..<8 {
            for i in 0..<256 {
                let prev = t[(k - 1) * 256 + i]
                t[k * 256 + i] = (prev >> 8) ^ t[Int(prev & 0xFF)]
            }
        }
        return t
    }()
}
