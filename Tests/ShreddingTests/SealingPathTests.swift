import CredenceTestSupport
import Dispatch
import Synchronization
import Testing

@testable import Shredding

/// `SubjectKey` seals through BoringSSL's EVP_AEAD with a context per thread (`CChaChaPoly`) and
/// falls back to swift-crypto's `ChaChaPoly`. The two must give the same bytes, and each must open
/// what the other sealed: a log written by one build is read by the other.
@Suite struct SealingPathTests {
    /// The fast path is what this build runs. If a swift-crypto upgrade renamed BoringSSL's
    /// symbols, sealing still works (through the fallback) but costs about three times as much per
    /// record: this test says so, and `Sources/CChaChaPoly/cchachapoly.c` needs the new names.
    @Test func thisBuildSealsThroughTheFastPath() {
        #if os(Linux)
            #expect(SubjectKey.fastPathAvailable)
        #else
            // swift-crypto runs on CryptoKit here: no BoringSSL to call.
            #expect(!SubjectKey.fastPathAvailable)
        #endif
    }

    @Test func bothPathsSealTheSameBytesAndOpenEachOther() throws {
        var random = SeededRandom(seed: 20_261_126)
        let lengths = Array(0...70) + [95, 127, 128, 129, 255, 256, 1_000, 4_099]
        for (n, length) in lengths.enumerated() {
            let key = SubjectKey.random(using: &random)
            let nonce = RecordNonce(
                lsn: random.next() >> UInt64(n % 64), purpose: n.isMultiple(of: 3) ? .userID : .event)
            let plaintext = (0..<length).map { _ in UInt8.random(in: 0...255, using: &random) }
            // Appended after bytes already in the output, which both paths must leave alone.
            let prefix: [UInt8] = [0xA5, 0x5A, UInt8(n % 256)]
            var fast = prefix
            var reference = prefix
            plaintext.withUnsafeBytes {
                key.seal($0, nonce: nonce, appendingTo: &fast)
                key.sealWithSwiftCrypto($0, nonce: nonce, appendingTo: &reference)
            }
            #expect(fast == reference, "length \(length)")
            #expect(fast.count == prefix.count + length + SealedRecord.tagByteCount)
            let sealed = Array(fast.dropFirst(prefix.count))
            for path in Path.allCases {
                var opened = prefix
                #expect(path.open(sealed, key, nonce, appendingTo: &opened) == nil, "\(path), length \(length)")
                #expect(opened == prefix + plaintext, "\(path), length \(length)")
            }

            // A flipped bit, anywhere: both paths refuse, and leave the output as it was.
            var damaged = sealed
            damaged[Int.random(in: 0..<damaged.count, using: &random)] ^= 1 << UInt8.random(in: 0...7, using: &random)
            for path in Path.allCases {
                var output = prefix
                let error = path.open(damaged, key, nonce, appendingTo: &output)
                #expect(error?.code == .authenticationFailed, "\(path), length \(length)")
                #expect(output == prefix, "\(path), length \(length)")
            }
        }
    }

    /// Each thread re-keys a context of its own: threads sealing and opening under different keys
    /// at once never see each other's key.
    @Test func threadsSealingAtOnceKeepTheirOwnKeys() {
        let threads = 4
        let rounds = 2_000
        let mismatches = Mismatches()
        DispatchQueue.concurrentPerform(iterations: threads) { thread in
            var random = SeededRandom(seed: UInt64(thread + 1))
            var found = 0
            for round in 0..<rounds {
                let key = SubjectKey.random(using: &random)
                let nonce = RecordNonce(lsn: UInt64(round))
                let plaintext = (0..<(round % 200)).map { _ in UInt8.random(in: 0...255, using: &random) }
                var fast: [UInt8] = []
                var reference: [UInt8] = []
                plaintext.withUnsafeBytes {
                    key.seal($0, nonce: nonce, appendingTo: &fast)
                    key.sealWithSwiftCrypto($0, nonce: nonce, appendingTo: &reference)
                }
                if fast != reference || (try? key.open(fast, nonce: nonce)) != plaintext { found += 1 }
            }
            mismatches.add(found)
        }
        #expect(mismatches.total == 0)
    }
}

/// The two ways to open a sealed record.
private enum Path: CaseIterable {
    case fast, swiftCrypto

    /// Opens `sealed` onto `output` the path's way; the error, if it refused.
    func open(_ sealed: [UInt8], _ key: SubjectKey, _ nonce: RecordNonce, appendingTo output: inout [UInt8])
        -> SealError?
    {
        var failure: SealError?
        sealed.withUnsafeBytes { buffer in
            do throws(SealError) {
                switch self {
                case .fast: try key.open(buffer, nonce: nonce, appendingTo: &output)
                case .swiftCrypto: try key.openWithSwiftCrypto(buffer, nonce: nonce, appendingTo: &output)
                }
            } catch {
                failure = error
            }
        }
        return failure
    }
}

/// A counter the test's threads add to.
private final class Mismatches: Sendable {
    private let lock = Mutex(0)
    func add(_ n: Int) { lock.withLock { $0 += n } }
    var total: Int { lock.withLock { $0 } }
}
