extension ChaCha20 {
    /// A 256-bit ChaCha20 key, held as the eight little-endian words the cipher works on.
    ///
    /// Its `description` never shows the key bytes, so a key that ends up in a log line leaks
    /// nothing. Copies of a key live wherever the value was copied; destroying a subject's key in
    /// the ``KeyStore`` does not reach copies the caller kept.
    public struct Key: Hashable, Sendable, CustomStringConvertible {
        /// The key size in bytes.
        public static let byteCount = 32

        @usableFromInline let k0: UInt32, k1: UInt32, k2: UInt32, k3: UInt32
        @usableFromInline let k4: UInt32, k5: UInt32, k6: UInt32, k7: UInt32

        /// A key from exactly 32 bytes; `nil` for any other length.
        public init?<Bytes: Collection<UInt8>>(bytes: Bytes) {
            guard bytes.count == Self.byteCount else { return nil }
            let array = Array(bytes)
            self = array.withUnsafeBytes { Key(loading: $0.baseAddress!) }
        }

        /// A key read from 32 bytes at `p` (no alignment needed).
        init(loading p: UnsafeRawPointer) {
            func word(_ i: Int) -> UInt32 {
                UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))
            }
            (k0, k1, k2, k3) = (word(0), word(1), word(2), word(3))
            (k4, k5, k6, k7) = (word(4), word(5), word(6), word(7))
        }

        /// A fresh random key.
        ///
        /// Default generator: `SystemRandomNumberGenerator` (the kernel's CSPRNG, `getrandom` on Linux).
        public static func random() -> Key {
            var generator = SystemRandomNumberGenerator()
            return random(using: &generator)
        }

        /// A random key from `generator`, which must be cryptographically secure outside tests.
        public static func random(using generator: inout some RandomNumberGenerator) -> Key {
            var words = (UInt64(0), UInt64(0), UInt64(0), UInt64(0))
            words.0 = generator.next()
            words.1 = generator.next()
            words.2 = generator.next()
            words.3 = generator.next()
            return withUnsafeBytes(of: &words) { Key(loading: $0.baseAddress!) }
        }

        /// The 32 key bytes.
        public var bytes: [UInt8] {
            var out = [UInt8]()
            out.reserveCapacity(Self.byteCount)
            for w in [k0, k1, k2, k3, k4, k5, k6, k7] {
                withUnsafeBytes(of: w.littleEndian) { out.append(contentsOf: $0) }
            }
            return out
        }

        public var description: String { "ChaCha20.Key(redacted)" }
    }

    /// A 96-bit ChaCha20 nonce.
    public struct Nonce: Hashable, Sendable, CustomStringConvertible {
        /// The nonce size in bytes.
        public static let byteCount = 12

        @usableFromInline let n0: UInt32, n1: UInt32, n2: UInt32

        /// The nonce of the log record at `lsn`: `domain` (4 bytes) then `lsn` (8 bytes), little endian.
        ///
        /// A (key, nonce) pair must never repeat. The event log writes each LSN once and gives a
        /// re-appended record a new LSN, so per-record nonces are unique under each subject key.
        /// Anything else ever encrypted with a subject key (an export, a snapshot) must use its
        /// own `domain`. Default domain 0: event-log records.
        public init(lsn: UInt64, domain: UInt32 = 0) {
            n0 = domain
            n1 = UInt32(truncatingIfNeeded: lsn)
            n2 = UInt32(truncatingIfNeeded: lsn >> 32)
        }

        /// A nonce from exactly 12 bytes (as in RFC 8439's examples); `nil` for any other length.
        public init?<Bytes: Collection<UInt8>>(bytes: Bytes) {
            guard bytes.count == Self.byteCount else { return nil }
            let b = Array(bytes)
            func word(_ i: Int) -> UInt32 {
                UInt32(b[4 * i]) | UInt32(b[4 * i + 1]) << 8 | UInt32(b[4 * i + 2]) << 16 | UInt32(b[4 * i + 3]) << 24
            }
            (n0, n1, n2) = (word(0), word(1), word(2))
        }

        /// The 12 nonce bytes.
        public var bytes: [UInt8] {
            [n0, n1, n2].flatMap { w in (0..<4).map { UInt8(truncatingIfNeeded: w >> (8 * $0)) } }
        }

        public var description: String {
            "ChaCha20.Nonce(" + bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined() + ")"
        }
    }
}
