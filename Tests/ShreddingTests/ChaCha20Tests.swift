import CredenceTestSupport
import Shredding
import Testing

@Suite struct ChaCha20Tests {
    static let rfcKey = ChaCha20.Key(bytes: (0..<32).map { UInt8($0) })!

    /// RFC 8439 section 2.3.2: the block function.
    @Test func blockFunctionVector() {
        let nonce = ChaCha20.Nonce(bytes: hex("000000090000004a00000000"))!
        var block = [UInt8](repeating: 0, count: 64)
        ChaCha20.xor(key: Self.rfcKey, nonce: nonce, counter: 1, &block)
        #expect(
            block
                == hex(
                    "10f1e7e4d13b5915500fdd1fa32071c4c7d1f4c733c068030422aa9ac3d46c4e"
                        + "d2826446079faa0914c2d705d98b02a2b5129cd1de164eb9cbd083e8a2503c4e"))
    }

    /// RFC 8439 section 2.4.2: encrypting the sunscreen text (114 bytes: one partial block).
    @Test func encryptionVector() {
        let nonce = ChaCha20.Nonce(bytes: hex("000000000000004a00000000"))!
        let plaintext = Array(
            "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it."
                .utf8)
        let expected = hex(
            "6e2e359a2568f98041ba0728dd0d6981e97e7aec1d4360c20a27afccfd9fae0b"
                + "f91b65c5524733ab8f593dabcd62b3571639d624e65152ab8f530c359f0861d8"
                + "07ca0dbf500d6a6156a38e088a22b65e52bc514d16ccf806818ce91ab7793736"
                + "5af90bbf74a35be6b40b8eedf2785e42874d")
        var inPlace = plaintext
        ChaCha20.xor(key: Self.rfcKey, nonce: nonce, counter: 1, &inPlace)
        #expect(inPlace == expected)

        var appended: [UInt8] = [0xAA, 0xBB]
        ChaCha20.xor(key: Self.rfcKey, nonce: nonce, plaintext, appendingTo: &appended)  // default counter is 1
        #expect(appended == [0xAA, 0xBB] + expected)

        ChaCha20.xor(key: Self.rfcKey, nonce: nonce, counter: 1, &inPlace)
        #expect(inPlace == plaintext)
    }

    @Test func xorTwiceIsIdentityForLengthsUpTo300() {
        var rng = SplitMix64(seed: 42)
        for length in 0...300 {
            let key = ChaCha20.Key.random(using: &rng)
            let nonce = ChaCha20.Nonce(lsn: rng.next())
            let original = (0..<length).map { _ in UInt8.random(in: .min ... .max, using: &rng) }
            var data = original
            ChaCha20.xor(key: key, nonce: nonce, &data)
            if length >= 16 { #expect(data != original) }
            ChaCha20.xor(key: key, nonce: nonce, &data)
            #expect(data == original, "length \(length)")
        }
    }

    /// A long message is the concatenation of its blocks, each with the next counter: checks the
    /// full-block and partial-block paths agree.
    @Test(arguments: [1, 63, 64, 65, 128, 200, 300])
    func blocksChainCounters(length: Int) {
        var rng = SplitMix64(seed: UInt64(length))
        let key = ChaCha20.Key.random(using: &rng)
        let nonce = ChaCha20.Nonce(lsn: 7)
        let message = (0..<length).map { _ in UInt8.random(in: .min ... .max, using: &rng) }
        var whole = message
        ChaCha20.xor(key: key, nonce: nonce, counter: 5, &whole)
        var pieces: [UInt8] = []
        for (i, start) in stride(from: 0, to: length, by: 64).enumerated() {
            ChaCha20.xor(
                key: key, nonce: nonce, counter: 5 + UInt32(i), message[start..<min(start + 64, length)],
                appendingTo: &pieces)
        }
        #expect(whole == pieces)
    }

    @Test func nonceFromLSNIsDomainThenLittleEndianLSN() {
        #expect(ChaCha20.Nonce(lsn: 0x0102_0304_0506_0708).bytes == [0, 0, 0, 0, 8, 7, 6, 5, 4, 3, 2, 1])
        #expect(ChaCha20.Nonce(lsn: 1, domain: 2).bytes == [2, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0])
        #expect(ChaCha20.Nonce(lsn: 1) != ChaCha20.Nonce(lsn: 2))
        #expect(ChaCha20.Nonce(bytes: [1, 2, 3]) == nil)
    }

    @Test func keyRoundTripsAndHidesItself() {
        let bytes = (0..<32).map { UInt8(255 - $0) }
        let key = ChaCha20.Key(bytes: bytes)!
        #expect(key.bytes == bytes)
        #expect(ChaCha20.Key(bytes: bytes.dropLast()) == nil)
        #expect(!"\(key)".contains("ff"))
        #expect(ChaCha20.Key.random() != ChaCha20.Key.random())
    }
}
