/// A streaming 128-bit hash of a byte sequence: two 64-bit lanes with different
/// round functions (an xxHash64-style round and a multiply-fold round), each with
/// its own seed and finalised with the murmur3 mixer.
///
/// The result depends only on the bytes fed, never on how they were split into
/// calls, which lets the JSON parser feed a string's unescaped content piece by
/// piece while it validates it.
struct ContentHasher {
    private var a: UInt64 = 0x243F_6A88_85A3_08D3
    private var b: UInt64 = 0x1319_8A2E_0370_7344
    /// Bytes not yet forming a full word, little-endian, `pendingCount` of them.
    private var pending: UInt64 = 0
    private var pendingCount: Int = 0
    private var total: UInt64 = 0

    /// Tags of the canonical form, one per JSON type, written after the item.
    enum Tag: UInt8 {
        case string = 0x53  // S
        case number = 0x4E  // N
        case bigExponentNumber = 0x42  // B
        case zero = 0x30  // 0
        case `true` = 0x54  // T
        case `false` = 0x46  // F
        case null = 0x5A  // Z
        case object = 0x4F  // O
        case array = 0x41  // A
    }

    init() {}

    @inline(__always)
    private mutating func round(_ w: UInt64) {
        a = (a &+ w &* 0xC2B2_AE3D_27D4_EB4F).rotateLeft(31) &* 0x9E37_79B1_85EB_CA87
        let m = (b ^ w).multipliedFullWidth(by: 0xA076_1D64_78BD_642F)
        b = (m.high ^ m.low) &+ 0xE703_7ED1_A0B4_28DB
    }

    @inline(__always)
    mutating func add(byte: UInt8) {
        pending |= UInt64(byte) &<< UInt64(pendingCount &* 8)
        pendingCount &+= 1
        total &+= 1
        if pendingCount == 8 {
            round(pending)
            pending = 0
            pendingCount = 0
        }
    }

    @inline(__always)
    mutating func add(_ tag: Tag) {
        add(byte: tag.rawValue)
    }

    /// Feeds a 64-bit word as 8 little-endian bytes.
    @inline(__always)
    mutating func add(word w: UInt64) {
        if pendingCount == 0 {
            round(w)
        } else {
            let shift = UInt64(pendingCount &* 8)
            round(pending | (w &<< shift))
            pending = w &>> (64 &- shift)
        }
        total &+= 8
    }

    /// Feeds one word holding `tag` in its last byte and `value` (< 2^56) below it, so
    /// that a variable-length item ends with its length and type.
    @inline(__always)
    mutating func add(_ tag: Tag, _ value: UInt64) {
        add(word: UInt64(tag.rawValue) &<< 56 | value)
    }

    mutating func add(_ digest: ContentDigest) {
        add(word: digest.high)
        add(word: digest.low)
    }

    /// Feeds `count` bytes at `p`; `readable` (at least `count`) bytes there may be
    /// read, which lets a short tail be loaded as one word instead of byte by byte.
    @inline(__always)
    mutating func add(_ p: UnsafePointer<UInt8>, count: Int, readable: Int) {
        var j = 0
        let raw = UnsafeRawPointer(p)
        if pendingCount == 0 {
            while j &+ 8 <= count {
                round(UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: j, as: UInt64.self)))
                j &+= 8
            }
        } else {
            let shift = UInt64(pendingCount &* 8)
            while j &+ 8 <= count {
                let w = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: j, as: UInt64.self))
                round(pending | (w &<< shift))
                pending = w &>> (64 &- shift)
                j &+= 8
            }
        }
        total &+= UInt64(j)
        let n = count &- j
        guard n > 0 else { return }
        if readable &- j >= 8 {
            let w = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: j, as: UInt64.self))
            add(partialWord: w & (UInt64.max &>> UInt64(64 &- n &* 8)), count: n)
        } else {
            while j < count {
                add(byte: p[j])
                j &+= 1
            }
        }
    }

    /// Feeds `count` bytes at `p`.
    @inline(__always)
    mutating func add(_ p: UnsafePointer<UInt8>, count: Int) {
        add(p, count: count, readable: count)
    }

    /// Feeds the low `n` (1...7) bytes of `w`, whose other bytes are zero.
    @inline(__always)
    private mutating func add(partialWord w: UInt64, count n: Int) {
        let shift = UInt64(pendingCount &* 8)
        pending |= w &<< shift
        pendingCount &+= n
        total &+= UInt64(n)
        if pendingCount >= 8 {
            round(pending)
            pending = w &>> (64 &- shift)
            pendingCount &-= 8
        }
    }

    mutating func add(_ bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { buffer in
            if let base = buffer.baseAddress { add(base, count: buffer.count) }
        }
    }

    /// The digest of everything fed so far.
    ///
    /// Inlined: the JSON parser finalises every object member's hasher, and as a call each one
    /// reloaded the hasher from memory and ran its two lanes' mixes in sequence before the parse
    /// went on (13% of a decoding thread's samples).
    @inline(__always)
    func finalize() -> ContentDigest {
        var a = self.a
        var b = self.b
        if pendingCount > 0 {
            a = (a &+ pending &* 0xC2B2_AE3D_27D4_EB4F).rotateLeft(31) &* 0x9E37_79B1_85EB_CA87
            let m = (b ^ pending).multipliedFullWidth(by: 0xA076_1D64_78BD_642F)
            b = (m.high ^ m.low) &+ 0xE703_7ED1_A0B4_28DB
        }
        return ContentDigest(high: Self.fmix(a ^ total), low: Self.fmix(b ^ (total &* 0x9E37_79B9_7F4A_7C15)))
    }

    @inline(__always)
    static func fmix(_ x: UInt64) -> UInt64 {
        var k = x
        k ^= k &>> 33
        k &*= 0xFF51_AFD7_ED55_8CCD
        k ^= k &>> 33
        k &*= 0xC4CE_B9FE_1A85_EC53
        k ^= k &>> 33
        return k
    }
}

extension UInt64 {
    @inline(__always)
    fileprivate func rotateLeft(_ n: UInt64) -> UInt64 { (self &<< n) | (self &>> (64 &- n)) }
}
