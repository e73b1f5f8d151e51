/// A 128-bit hash that is the same in every process (unlike `Hasher`), for ids kept on disk.
///
/// Not cryptographic: it names event ids in the log header and obligation ids in the
/// conflict check, where a collision among honest inputs is what matters (about 2^-64 for
/// a billion ids).
public struct StableHash: Sendable, Hashable {
    public var high: UInt64
    public var low: UInt64

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    public static func of(_ bytes: some Sequence<UInt8>, seed: UInt64 = 0) -> StableHash {
        var a: UInt64 = 0xcbf2_9ce4_8422_2325 ^ seed
        var b: UInt64 = 0x9e37_79b9_7f4a_7c15 &+ seed
        var n: UInt64 = 0
        for byte in bytes {
            a = (a ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
            b = (b &+ UInt64(byte)) &* 0xff51_afd7_ed55_8ccd
            b ^= b >> 29
            n &+= 1
        }
        return StableHash(high: fmix(a ^ n), low: fmix(b ^ (n &* 0xc4ce_b9fe_1a85_ec53)))
    }

    public static func of(_ string: String, seed: UInt64 = 0) -> StableHash {
        of(string.utf8, seed: seed)
    }

    @inline(__always)
    static func fmix(_ k0: UInt64) -> UInt64 {
        var k = k0
        k ^= k >> 33
        k = k &* 0xff51_afd7_ed55_8ccd
        k ^= k >> 33
        k = k &* 0xc4ce_b9fe_1a85_ec53
        k ^= k >> 33
        return k
    }
}
