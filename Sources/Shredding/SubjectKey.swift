internal import CChaChaPoly
import Crypto
import EventLog
import Foundation

/// A subject's 256-bit key: seals (ChaCha20-Poly1305, RFC 8439) the personal part of the
/// subject's log records.
///
/// Held as four words, so copies cost nothing on the heap. Sealing and opening run BoringSSL's
/// vectorised ChaCha20-Poly1305, the code swift-crypto's `ChaChaPoly` runs on Linux: through its
/// EVP_AEAD interface with a context kept per thread (`CChaChaPoly`) when that is linked, else
/// through swift-crypto's `ChaChaPoly` with a `SymmetricKey`. The two give the same bytes
/// (`SealingPathTests`); the first costs about a third of the second per record.
///
/// Its `description` never shows the key bytes, so a key that ends up in a log line leaks
/// nothing. Copies of a key live wherever the value was copied; destroying a subject's key in
/// the ``KeyStore`` does not reach copies the caller kept, nor the last key a thread sealed or
/// opened with, which its BoringSSL context holds until its next record or its end (then wiped).
///
/// ```swift
/// var sealed: [UInt8] = []
/// key.seal(plaintext, nonce: RecordNonce(lsn: lsn), appendingTo: &sealed)      // ciphertext + 16-byte tag
/// let opened = try key.open(sealed, nonce: RecordNonce(lsn: lsn))              // or SealError.authenticationFailed
/// ```
public struct SubjectKey: Hashable, Sendable, CustomStringConvertible {
    /// The key size in bytes.
    public static let byteCount = 32

    @usableFromInline let w0: UInt64, w1: UInt64, w2: UInt64, w3: UInt64

    /// A key from exactly 32 bytes; `nil` for any other length.
    public init?<Bytes: Collection<UInt8>>(bytes: Bytes) {
        guard bytes.count == Self.byteCount else { return nil }
        self = Array(bytes).withUnsafeBytes { SubjectKey(loading: $0.baseAddress!) }
    }

    /// A key read from 32 bytes at `p` (no alignment needed).
    init(loading p: UnsafeRawPointer) {
        func word(_ i: Int) -> UInt64 { p.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self) }
        (w0, w1, w2, w3) = (word(0), word(1), word(2), word(3))
    }

    /// A fresh random key from the kernel's CSPRNG (`getrandom` on Linux).
    public static func random() -> SubjectKey {
        var generator = SystemRandomNumberGenerator()
        return random(using: &generator)
    }

    /// A random key from `generator`, which must be cryptographically secure outside tests.
    public static func random(using generator: inout some RandomNumberGenerator) -> SubjectKey {
        var words = (UInt64(0), UInt64(0), UInt64(0), UInt64(0))
        words.0 = generator.next()
        words.1 = generator.next()
        words.2 = generator.next()
        words.3 = generator.next()
        return withUnsafeBytes(of: &words) { SubjectKey(loading: $0.baseAddress!) }
    }

    /// The 32 key bytes.
    public var bytes: [UInt8] {
        var words = (w0, w1, w2, w3)
        return withUnsafeBytes(of: &words) { Array($0) }
    }

    public var description: String { "SubjectKey(redacted)" }

    var symmetricKey: SymmetricKey {
        var words = (w0, w1, w2, w3)
        return withUnsafeBytes(of: &words) { SymmetricKey(data: $0) }
    }

    /// Appends the sealed form of `plaintext` to `output`: the ChaCha20 ciphertext (as long as
    /// the plaintext), then the 16-byte Poly1305 tag. The nonce is not stored: the reader derives
    /// it again from the record's LSN.
    ///
    /// - Important: a (key, nonce) pair must never seal two different messages; see ``RecordNonce``.
    public func seal(_ plaintext: UnsafeRawBufferPointer, nonce: RecordNonce, appendingTo output: inout [UInt8]) {
        if Self.fastPathAvailable {
            let result = appendThroughFastPath(plaintext.count + SealedRecord.tagByteCount, nonce, to: &output) {
                cchachapoly_seal(
                    $0, $1, plaintext.baseAddress?.assumingMemoryBound(to: UInt8.self), plaintext.count, $2)
            }
            if result == 1 { return }
        }
        sealWithSwiftCrypto(plaintext, nonce: nonce, appendingTo: &output)
    }

    /// ``seal(_:nonce:appendingTo:)`` through swift-crypto's `ChaChaPoly`: the fallback, and the
    /// reference the fast path is tested against.
    func sealWithSwiftCrypto(_ plaintext: UnsafeRawBufferPointer, nonce: RecordNonce, appendingTo output: inout [UInt8])
    {
        // Only fails for a malformed nonce or key size, which the types rule out.
        let box = try! ChaChaPoly.seal(plaintext, using: symmetricKey, nonce: nonce.chaChaPolyNonce)
        // One copy of the combined nonce | ciphertext | tag, through a raw buffer (a Data
        // iterator costs several times more per byte).
        box.combined.withUnsafeBytes { output.append(contentsOf: $0[RecordNonce.byteCount...]) }
    }

    /// Seals `plaintext` into a new array (ciphertext then tag).
    public func seal(_ plaintext: [UInt8], nonce: RecordNonce) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(plaintext.count + SealedRecord.tagByteCount)
        plaintext.withUnsafeBytes { seal($0, nonce: nonce, appendingTo: &out) }
        return out
    }

    /// Checks the tag of `sealed` (ciphertext then tag) and appends the plaintext to `output`.
    ///
    /// - Throws: ``SealError`` `.tooShort` when there is no room for a tag, `.authenticationFailed`
    ///   when the bytes were altered, or sealed under another key or nonce; `output` is then unchanged.
    public func open(_ sealed: UnsafeRawBufferPointer, nonce: RecordNonce, appendingTo output: inout [UInt8])
        throws(SealError)
    {
        let tagAt = sealed.count - SealedRecord.tagByteCount
        guard tagAt >= 0 else {
            throw SealError(
                code: .tooShort,
                message:
                    "a sealed record of \(sealed.count) bytes is shorter than its \(SealedRecord.tagByteCount)-byte tag"
            )
        }
        if Self.fastPathAvailable {
            let result = appendThroughFastPath(tagAt, nonce, to: &output) {
                cchachapoly_open($0, $1, sealed.baseAddress?.assumingMemoryBound(to: UInt8.self), sealed.count, $2)
            }
            if result == 1 { return }
            if result == 0 { throw Self.authenticationFailure }
        }
        try openWithSwiftCrypto(sealed, nonce: nonce, appendingTo: &output)
    }

    /// ``open(_:nonce:appendingTo:)`` through swift-crypto's `ChaChaPoly`: the fallback, and the
    /// reference the fast path is tested against.
    func openWithSwiftCrypto(_ sealed: UnsafeRawBufferPointer, nonce: RecordNonce, appendingTo output: inout [UInt8])
        throws(SealError)
    {
        precondition(sealed.count >= SealedRecord.tagByteCount, "checked by open(_:nonce:appendingTo:)")
        let opened: Data
        do {
            // The combined form (nonce | ciphertext | tag) in one buffer: `SealedBox(nonce:ciphertext:tag:)`
            // concatenates three `Data` values, an allocation each.
            var combined = Data(count: RecordNonce.byteCount + sealed.count)
            combined.withUnsafeMutableBytes { out in
                nonce.chaChaPolyNonce.withUnsafeBytes { out.copyMemory(from: $0) }
                UnsafeMutableRawBufferPointer(rebasing: out[RecordNonce.byteCount...]).copyMemory(from: sealed)
            }
            opened = try ChaChaPoly.open(try ChaChaPoly.SealedBox(combined: combined), using: symmetricKey)
        } catch {
            throw Self.authenticationFailure
        }
        opened.withUnsafeBytes { output.append(contentsOf: $0) }
    }

    static var authenticationFailure: SealError {
        SealError(
            code: .authenticationFailed,
            message: "the sealed record fails authentication (ChaCha20-Poly1305 tag mismatch): it was altered "
                + "or damaged, or it was sealed under another key or LSN")
    }

    /// Whether this binary seals through BoringSSL's EVP_AEAD directly (see `CChaChaPoly`).
    static let fastPathAvailable = cchachapoly_available() == 1

    /// Appends `count` bytes to `output` that `write` fills through `CChaChaPoly`, given the 32 key
    /// bytes and the 12 nonce bytes (both on the stack) and where the bytes go. Returns what
    /// `write` returned; unless that is 1 (written), `output` is left as it was.
    private func appendThroughFastPath(
        _ count: Int, _ nonce: RecordNonce, to output: inout [UInt8],
        _ write: (UnsafePointer<UInt8>, UnsafePointer<UInt8>, UnsafeMutablePointer<UInt8>?) -> Int32
    ) -> Int32 {
        let start = output.count
        output.appendZeros(count)
        var words = (w0, w1, w2, w3)
        var raw = nonce.rawWords
        let result = withUnsafeBytes(of: &words) { key in
            withUnsafeBytes(of: &raw) { nonce in
                output.withUnsafeMutableBufferPointer { out in
                    write(
                        key.baseAddress!.assumingMemoryBound(to: UInt8.self),
                        nonce.baseAddress!.assumingMemoryBound(to: UInt8.self), out.baseAddress.map { $0 + start })
                }
            }
        }
        if result != 1 { output.removeLast(count) }
        return result
    }

    /// Opens `sealed` into a new array; see ``open(_:nonce:appendingTo:)``.
    public func open(_ sealed: [UInt8], nonce: RecordNonce) throws(SealError) -> [UInt8] {
        var out: [UInt8] = []
        var failure: SealError?
        sealed.withUnsafeBytes { buffer in
            do throws(SealError) { try open(buffer, nonce: nonce, appendingTo: &out) } catch { failure = error }
        }
        if let failure { throw failure }
        return out
    }
}

/// Sizes of the sealed form.
public enum SealedRecord {
    /// The Poly1305 tag after the ciphertext.
    public static let tagByteCount = 16
}

/// The 96-bit nonce of a sealed log record: `purpose` (4 bytes) then the record's LSN (8 bytes),
/// little endian.
///
/// Why nonces never repeat under one key: every key belongs to one subject, and everything
/// sealed under it is a log record sealed once, at its own LSN. The event log hands out each LSN
/// once and never rewrites a durable record; an erasure re-appends the surviving events under a
/// *new* subject key at *new* LSNs, and destroys the old key. The purposes keep the two kinds
/// of sealed field apart even if they ever met at one LSN. The one case the LSN does not cover:
/// records still in memory when the process dies (not fsynced, or cut from a torn tail by
/// recovery) give their LSNs out again after the restart, so a ciphertext that never became
/// durable may share its nonce with a durable one; nothing reads the lost one back.
public struct RecordNonce: Hashable, Sendable, CustomStringConvertible {
    /// What a sealed field is, so that fields of different kinds never share a nonce.
    public struct Purpose: Hashable, Sendable {
        public var rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }

        /// An accepted event's `EventCodec` bytes.
        public static let event = Purpose(rawValue: 0)
        /// The user id in an erasure marker.
        public static let userID = Purpose(rawValue: 1)
    }

    /// The nonce size in bytes.
    public static let byteCount = 12

    public var lsn: UInt64
    public var purpose: Purpose

    public init(lsn: UInt64, purpose: Purpose = .event) {
        self.lsn = lsn
        self.purpose = purpose
    }

    /// The 12 nonce bytes.
    public var bytes: [UInt8] {
        var out: [UInt8] = []
        withUnsafeBytes(of: purpose.rawValue.littleEndian) { out.append(contentsOf: $0) }
        withUnsafeBytes(of: lsn.littleEndian) { out.append(contentsOf: $0) }
        return out
    }

    /// The 12 nonce bytes as three 32-bit words, to be read as bytes: purpose, then the LSN's low
    /// and high halves (the LSN little endian).
    var rawWords: (UInt32, UInt32, UInt32) {
        (
            purpose.rawValue.littleEndian, UInt32(truncatingIfNeeded: lsn).littleEndian,
            UInt32(truncatingIfNeeded: lsn >> 32).littleEndian
        )
    }

    var chaChaPolyNonce: ChaChaPoly.Nonce {
        // From the stack: 12 bytes (the only length that fails is ruled out), which swift-crypto
        // keeps inline, so a nonce costs no allocation.
        var raw = rawWords
        return withUnsafeBytes(of: &raw) { try! ChaChaPoly.Nonce(data: $0) }
    }

    public var description: String {
        "RecordNonce(" + bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined() + ")"
    }
}

/// A sealed record that cannot be opened.
public struct SealError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public var name: String
        /// The tag does not match: the bytes were altered, or sealed under another key or nonce.
        public static let authenticationFailed = Code(name: "authentication_failed")
        /// Fewer bytes than a tag.
        public static let tooShort = Code(name: "too_short")
        public var description: String { name }
    }

    public var code: Code
    public var message: String

    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "sealed record error [\(code)]: \(message)" }
}
