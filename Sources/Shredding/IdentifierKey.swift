import Crypto
import Foundation

/// The secret of a data directory's keyed identifiers: HMAC-SHA256 under a 256-bit key.
///
/// Identifiers that must stay comparable after an erasure but must not reveal what they
/// identify (the per-user obligation key of the conflict check, kept in clear in the log) are
/// `HMAC-SHA256(key, input)` truncated to 128 bits: without the key nobody can test a guess
/// of the user and obligation id against them, which an unkeyed or seeded hash allows.
///
/// ```swift
/// let key = IdentifierKey.random()
/// let (high, low) = key.tag(Array("u1\u{0}o-17".utf8))
/// ```
public struct IdentifierKey: Sendable, CustomStringConvertible {
    /// The key size in bytes.
    public static let byteCount = 32

    /// The key bytes (a `SubjectKey` holds 32 bytes as plain words, which keeps this `Sendable`:
    /// swift-crypto's `SymmetricKey` is not).
    let words: SubjectKey

    /// A key from exactly 32 bytes; `nil` for any other length.
    public init?(bytes: [UInt8]) {
        guard let words = SubjectKey(bytes: bytes) else { return nil }
        self.words = words
    }

    /// A fresh random key from the system's CSPRNG.
    public static func random() -> IdentifierKey {
        IdentifierKey(bytes: SubjectKey.random().bytes)!
    }

    /// The 32 key bytes, to keep the key in the data directory.
    public var bytes: [UInt8] { words.bytes }

    /// The first 128 bits of `HMAC-SHA256(key, message)`, as two big-endian words.
    public func tag(_ message: UnsafeRawBufferPointer) -> (high: UInt64, low: UInt64) {
        Self.truncated(HMAC<SHA256>.authenticationCode(for: message, using: words.symmetricKey))
    }

    static func truncated(_ mac: HMAC<SHA256>.MAC) -> (high: UInt64, low: UInt64) {
        mac.withUnsafeBytes { truncated($0) }
    }

    /// A MAC's first 128 bits, as two big-endian words.
    static func truncated(_ mac: UnsafeRawBufferPointer) -> (high: UInt64, low: UInt64) {
        (
            UInt64(bigEndian: mac.loadUnaligned(fromByteOffset: 0, as: UInt64.self)),
            UInt64(bigEndian: mac.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        )
    }

    /// The tag of `message`'s bytes.
    public func tag(_ message: [UInt8]) -> (high: UInt64, low: UInt64) {
        message.withUnsafeBytes { tag($0) }
    }

    public var description: String { "IdentifierKey(redacted)" }

    /// The key with HMAC's key schedule done once, for a caller that tags on every event: a tag
    /// copies the keyed states (swift-crypto's hash states are copy-on-write) instead of making a
    /// `SymmetricKey` and hashing the padded key each time. The same tags as ``tag(_:)``.
    ///
    /// HMAC (RFC 2104) is `H((K ^ opad) || H((K ^ ipad) || m))`: the two keyed states are
    /// SHA-256 after each padded key block, and a tag hashes on from copies of them through
    /// `SHA256.update(bufferPointer:)`. swift-crypto's `HMAC.update(data:)` takes any
    /// `DataProtocol` and ran its generic path on every call, most of a tag's cost.
    ///
    /// Not `Sendable` (swift-crypto's hash states are not): one per thread.
    public struct Prepared {
        private let inner: SHA256
        private let outer: SHA256

        public init(_ key: IdentifierKey) {
            // The 32-byte key, zero-padded to SHA-256's 64-byte block (a key no longer than the
            // block is not hashed first).
            var block = key.words.bytes + [UInt8](repeating: 0, count: 32)
            var inner = SHA256()
            for i in block.indices { block[i] ^= 0x36 }
            block.withUnsafeBytes { inner.update(bufferPointer: $0) }
            var outer = SHA256()
            for i in block.indices { block[i] ^= 0x36 ^ 0x5C }
            block.withUnsafeBytes { outer.update(bufferPointer: $0) }
            self.inner = inner
            self.outer = outer
        }

        public func tag(_ message: UnsafeRawBufferPointer) -> (high: UInt64, low: UInt64) {
            var inner = self.inner
            inner.update(bufferPointer: message)
            var outer = self.outer
            inner.finalize().withUnsafeBytes { outer.update(bufferPointer: $0) }
            return outer.finalize().withUnsafeBytes { IdentifierKey.truncated($0) }
        }
    }
}
