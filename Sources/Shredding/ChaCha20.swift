/// The ChaCha20 stream cipher of RFC 8439 (96-bit nonce, 32-bit block counter).
///
/// Encryption and decryption are the same operation: XOR with the keystream. ChaCha20 alone gives
/// confidentiality, not integrity; the event log's record checksums catch corruption.
///
/// - Important: a (key, nonce) pair must never encrypt two different messages: the XOR of the two
///   ciphertexts would be the XOR of the plaintexts. Derive nonces with ``Nonce/init(lsn:domain:)``:
///   each log sequence number is written once, and a re-appended record gets a new LSN.
///
/// ```swift
/// let nonce = ChaCha20.Nonce(lsn: lsn)
/// ChaCha20.xor(key: key, nonce: nonce, personalBytes, appendingTo: &record)   // encrypt
/// ChaCha20.xor(key: key, nonce: nonce, &decoded)                               // decrypt in place
/// ```
///
/// The functions allocate nothing on the heap (except growing `output` when appending), so they
/// can run per record on the hot path.
public enum ChaCha20 {
    /// The block counter used when none is given.
    ///
    /// 1, as in RFC 8439's AEAD construction (section 2.8), where block 0 is reserved for the
    /// Poly1305 key: ciphertexts stay identical to ChaCha20-Poly1305's, so an authenticator can be
    /// added later without re-encrypting anything.
    public static let defaultCounter: UInt32 = 1

    /// XORs `buffer` in place with the keystream for `key` and `nonce`, starting at block `counter`.
    ///
    /// - Precondition: the message fits in the blocks left before the 32-bit counter wraps
    ///   (up to 256 GiB from counter 0).
    @inlinable
    public static func xor(
        key: Key, nonce: Nonce, counter: UInt32 = defaultCounter, _ buffer: UnsafeMutableRawBufferPointer
    ) {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return }
        xor(key: key, nonce: nonce, counter: counter, base, count: buffer.count)
    }

    /// XORs `data` in place with the keystream for `key` and `nonce`, starting at block `counter`.
    @inlinable
    public static func xor(key: Key, nonce: Nonce, counter: UInt32 = defaultCounter, _ data: inout [UInt8]) {
        data.withUnsafeMutableBytes { xor(key: key, nonce: nonce, counter: counter, $0) }
    }

    /// Appends `input` XORed with the keystream to `output` (encrypts or decrypts into a buffer).
    ///
    /// Reserve capacity in `output` to keep the hot path free of allocations.
    @inlinable
    public static func xor<Bytes: Collection<UInt8>>(
        key: Key, nonce: Nonce, counter: UInt32 = defaultCounter, _ input: Bytes, appendingTo output: inout [UInt8]
    ) {
        let start = output.count
        output.append(contentsOf: input)
        output.withUnsafeMutableBytes { all in
            xor(key: key, nonce: nonce, counter: counter, UnsafeMutableRawBufferPointer(rebasing: all[start...]))
        }
    }

    /// The cipher core: XORs `count` bytes at `p` with the keystream.
    ///
    /// Not inlinable on purpose: it is large, and one call per record costs a few nanoseconds
    /// against the ~100 ns of keystream a record needs.
    @usableFromInline
    static func xor(key: Key, nonce: Nonce, counter: UInt32, _ p: UnsafeMutableRawPointer, count: Int) {
        let blocksLeft = UInt64(UInt32.max) - UInt64(counter) + 1
        precondition(
            UInt64(count) <= blocksLeft * 64, "ChaCha20: message too long for the 32-bit block counter")
        var counter = counter
        var offset = 0
        while offset < count {
            // "expand 32-byte k"
            var x0: UInt32 = 0x6170_7865, x1: UInt32 = 0x3320_646e, x2: UInt32 = 0x7962_2d32, x3: UInt32 = 0x6b20_6574
            var x4 = key.k0, x5 = key.k1, x6 = key.k2, x7 = key.k3
            var x8 = key.k4, x9 = key.k5, x10 = key.k6, x11 = key.k7
            var x12 = counter, x13 = nonce.n0, x14 = nonce.n1, x15 = nonce.n2
            for _ in 0..<10 {
                quarterRound(&x0, &x4, &x8, &x12)
                quarterRound(&x1, &x5, &x9, &x13)
                quarterRound(&x2, &x6, &x10, &x14)
                quarterRound(&x3, &x7, &x11, &x15)
                quarterRound(&x0, &x5, &x10, &x15)
                quarterRound(&x1, &x6, &x11, &x12)
                quarterRound(&x2, &x7, &x8, &x13)
                quarterRound(&x3, &x4, &x9, &x14)
            }
            x0 &+= 0x6170_7865
            x1 &+= 0x3320_646e
            x2 &+= 0x7962_2d32
            x3 &+= 0x6b20_6574
            x4 &+= key.k0
            x5 &+= key.k1
            x6 &+= key.k2
            x7 &+= key.k3
            x8 &+= key.k4
            x9 &+= key.k5
            x10 &+= key.k6
            x11 &+= key.k7
            x12 &+= counter
            x13 &+= nonce.n0
            x14 &+= nonce.n1
            x15 &+= nonce.n2
            let q = p + offset
            if count - offset >= 64 {
                xorWord(q, 0, x0)
                xorWord(q, 4, x1)
                xorWord(q, 8, x2)
                xorWord(q, 12, x3)
                xorWord(q, 16, x4)
                xorWord(q, 20, x5)
                xorWord(q, 24, x6)
                xorWord(q, 28, x7)
                xorWord(q, 32, x8)
                xorWord(q, 36, x9)
                xorWord(q, 40, x10)
                xorWord(q, 44, x11)
                xorWord(q, 48, x12)
                xorWord(q, 52, x13)
                xorWord(q, 56, x14)
                xorWord(q, 60, x15)
                offset += 64
            } else {
                // The last partial block: spill the keystream to the stack and XOR byte by byte.
                var ks = (
                    x0.littleEndian, x1.littleEndian, x2.littleEndian, x3.littleEndian,
                    x4.littleEndian, x5.littleEndian, x6.littleEndian, x7.littleEndian,
                    x8.littleEndian, x9.littleEndian, x10.littleEndian, x11.littleEndian,
                    x12.littleEndian, x13.littleEndian, x14.littleEndian, x15.littleEndian
                )
                let n = count - offset
                withUnsafeBytes(of: &ks) { stream in
                    for i in 0..<n {
                        q.storeBytes(
                            of: q.load(fromByteOffset: i, as: UInt8.self) ^ stream[i], toByteOffset: i, as: UInt8.self)
                    }
                }
                offset = count
            }
            counter &+= 1
        }
    }

    @inline(__always)
    static func quarterRound(_ a: inout UInt32, _ b: inout UInt32, _ c: inout UInt32, _ d: inout UInt32) {
        a &+= b
        d ^= a
        d = (d &<< 16) | (d &>> 16)
        c &+= d
        b ^= c
        b = (b &<< 12) | (b &>> 20)
        a &+= b
        d ^= a
        d = (d &<< 8) | (d &>> 24)
        c &+= d
        b ^= c
        b = (b &<< 7) | (b &>> 25)
    }

    @inline(__always)
    static func xorWord(_ p: UnsafeMutableRawPointer, _ offset: Int, _ word: UInt32) {
        let v = p.loadUnaligned(fromByteOffset: offset, as: UInt32.self)
        p.storeBytes(of: v ^ word.littleEndian, toByteOffset: offset, as: UInt32.self)
    }
}
