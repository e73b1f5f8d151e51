/// A 128-bit hash that is the same in every process (unlike `Hasher`), for ids kept on disk:
/// the project's one stable hash, the same function as the content digest (`ContentHasher`).
///
/// Not cryptographic and not keyed: it names event ids in the log header (duplicates stay
/// duplicates after an erasure), where a collision among honest inputs is what matters
/// (about 2^-64 for a billion ids). Identifiers that must not reveal their input use a keyed
/// HMAC instead (`Shredding.IdentifierKey`).
public struct StableHash: Sendable, Hashable {
    public var high: UInt64
    public var low: UInt64

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// The hash of `bytes`.
    public static func of(_ bytes: some Sequence<UInt8>) -> StableHash {
        var h = ContentHasher()
        let done: Bool? = bytes.withContiguousStorageIfAvailable { buffer in
            if let p = buffer.baseAddress { h.add(p, count: buffer.count) }
            return true
        }
        if done == nil { h.add(Array(bytes)) }
        return StableHash(h.finalize())
    }

    /// The hash of the string's UTF-8 bytes.
    public static func of(_ string: String) -> StableHash {
        var string = string
        return string.withUTF8 { utf8 in
            var h = ContentHasher()
            if let p = utf8.baseAddress { h.add(p, count: utf8.count) }
            return StableHash(h.finalize())
        }
    }

    init(_ digest: ContentDigest) {
        self.init(high: digest.high, low: digest.low)
    }
}
