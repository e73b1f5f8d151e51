import CredenceTestSupport
import Foundation

/// Bytes from a hex string such as `"00ff10"`.
func hex(_ s: String) -> [UInt8] {
    let chars = Array(s.utf8)
    return stride(from: 0, to: chars.count, by: 2).map {
        UInt8(String(decoding: chars[$0..<$0 + 2], as: UTF8.self), radix: 16)!
    }
}

typealias SplitMix64 = SeededRandom
