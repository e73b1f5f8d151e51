import CredenceTestSupport
import Foundation
import Shredding
import Testing

@Suite struct SealingTests {
    static let plaintext = Array("{\"user_id\":\"u1\",\"amount_minor\":1234}".utf8)

    @Test func roundTripAddsATagOnly() throws {
        let key = SubjectKey.random()
        let nonce = RecordNonce(lsn: 42)
        let sealed = key.seal(Self.plaintext, nonce: nonce)
        #expect(sealed.count == Self.plaintext.count + SealedRecord.tagByteCount)
        #expect(!sealed.starts(with: Self.plaintext.prefix(8)))
        #expect(try key.open(sealed, nonce: nonce) == Self.plaintext)
        // Empty messages still carry a tag.
        let empty = key.seal([], nonce: RecordNonce(lsn: 43))
        #expect(empty.count == SealedRecord.tagByteCount)
        #expect(try key.open(empty, nonce: RecordNonce(lsn: 43)) == [])
    }

    @Test(arguments: [0, 5, 35, 36, 51])
    func flippingAnyByteFailsAuthentication(at index: Int) throws {
        let key = SubjectKey.random()
        var sealed = key.seal(Self.plaintext, nonce: RecordNonce(lsn: 7))
        #expect(sealed.count == 52)  // 36 bytes, then the 16-byte tag
        sealed[index] ^= 0x01
        let error = #expect(throws: SealError.self) { try key.open(sealed, nonce: RecordNonce(lsn: 7)) }
        #expect(error?.code == .authenticationFailed)
        #expect(error?.message.contains("fails authentication") == true)
    }

    @Test func wrongKeyNonceOrPurposeIsUnreadable() throws {
        let key = SubjectKey.random()
        let sealed = key.seal(Self.plaintext, nonce: RecordNonce(lsn: 9))
        for (k, n) in [
            (SubjectKey.random(), RecordNonce(lsn: 9)), (key, RecordNonce(lsn: 10)),
            (key, RecordNonce(lsn: 9, purpose: .userID)),
        ] {
            let error = #expect(throws: SealError.self) { try k.open(sealed, nonce: n) }
            #expect(error?.code == .authenticationFailed)
        }
        let short = #expect(throws: SealError.self) { try key.open([1, 2, 3], nonce: RecordNonce(lsn: 9)) }
        #expect(short?.code == .tooShort)
    }

    @Test func aDestroyedKeyLeavesRecordsUnreadable() throws {
        let dir = TemporaryDirectory("shredding")
        defer { dir.remove() }
        let subject: SubjectID
        let sealed: [UInt8]
        do {
            let store = try KeyStore(directory: dir.path)
            subject = try store.createKey()
            try store.sync()
            sealed = try #require(store.key(for: subject)).seal(Self.plaintext, nonce: RecordNonce(lsn: 1))
            try store.destroy(subject)
            #expect(store.key(for: subject) == nil)
        }
        let reopened = try KeyStore(directory: dir.path)
        #expect(reopened.key(for: subject) == nil)
        // No key in the store opens the record, not even a fresh one for a new subject.
        let other = try reopened.createKey()
        #expect(throws: SealError.self) { try reopened.key(for: other)!.open(sealed, nonce: RecordNonce(lsn: 1)) }
    }

    @Test func noncesSpellPurposeThenLSN() {
        #expect(RecordNonce(lsn: 0x0102_0304_0506_0708).bytes == [0, 0, 0, 0, 8, 7, 6, 5, 4, 3, 2, 1])
        #expect(RecordNonce(lsn: 1, purpose: .userID).bytes == [1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0])
        #expect(RecordNonce(lsn: 1) != RecordNonce(lsn: 2))
    }

    @Test func keysRoundTripThroughBytesAndStayRedacted() {
        let bytes = (0..<32).map { UInt8($0) }
        let key = SubjectKey(bytes: bytes)!
        #expect(key.bytes == bytes)
        #expect(SubjectKey(bytes: bytes.dropLast()) == nil)
        #expect("\(key)" == "SubjectKey(redacted)")
        #expect(SubjectKey.random() != SubjectKey.random())
    }

    @Test func identifierTagsAreKeyedHMACSHA256() throws {
        // RFC 4231 test case 2 ("Jefe"), first 128 bits; the key is padded here to 32 bytes,
        // so check against a 32-byte key of "Jefe" and zeros instead: HMAC pads short keys with zeros.
        let key = try #require(IdentifierKey(bytes: Array("Jefe".utf8) + [UInt8](repeating: 0, count: 28)))
        let tag = key.tag(Array("what do ya want for nothing?".utf8))
        #expect(tag.high == 0x5bdc_c146_bf60_754e && tag.low == 0x6a04_2426_0895_75c7)
        let other = IdentifierKey.random()
        #expect(other.tag(Array("u1\u{0}o1".utf8)) != key.tag(Array("u1\u{0}o1".utf8)))
        #expect(IdentifierKey(bytes: [1, 2, 3]) == nil)
        #expect("\(key)" == "IdentifierKey(redacted)")
    }

    /// The prepared key gives the key's own tags, the same again after other messages (each tag
    /// copies the keyed state; none leaks into the next).
    @Test func preparedTagsAreTheKeysTags() throws {
        let key = try #require(IdentifierKey(bytes: Array("Jefe".utf8) + [UInt8](repeating: 0, count: 28)))
        let prepared = IdentifierKey.Prepared(key)
        let jefe = Array("what do ya want for nothing?".utf8)
        let first = jefe.withUnsafeBytes { prepared.tag($0) }
        #expect(first.high == 0x5bdc_c146_bf60_754e && first.low == 0x6a04_2426_0895_75c7)
        for n in 0..<200 {
            let message = Array("u\(n)\u{0}o\(n * 7)".utf8) + [UInt8](repeating: UInt8(n % 256), count: n)
            let a = message.withUnsafeBytes { prepared.tag($0) }
            let b = key.tag(message)
            #expect(a == b, "message \(n)")
        }
        let again = jefe.withUnsafeBytes { prepared.tag($0) }
        #expect(again == first)
    }
}
