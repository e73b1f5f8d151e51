/// How a message key picks its partition: the same function the producer used, so that any
/// instance can tell which partition, and so which instance, holds a user.
///
/// The names are librdkafka's `partitioner` property values. `credence produce` sets that
/// property from this setting and `credence run` routes with the same function.
///
/// ```swift
/// let p = Partitioner.consistentRandom.partition(of: Array("u42".utf8), partitionCount: 6)
/// ```
public struct Partitioner: Sendable, Hashable, CustomStringConvertible {
    /// librdkafka's name for it (the `partitioner` property).
    public let name: String
    let hash: @Sendable (UnsafeRawBufferPointer) -> UInt32

    public var description: String { name }

    /// librdkafka's default: CRC-32 (IEEE) of the key modulo the partition count; keyless
    /// messages go to a random partition.
    public static let consistentRandom = Partitioner(name: "consistent_random") { KeyHash.crc32($0) }
    /// The same for keyed messages (keyless ones all go to one partition).
    public static let consistent = Partitioner(name: "consistent") { KeyHash.crc32($0) }
    /// The Java client's default: murmur2 of the key, sign bit cleared, modulo the partition count.
    public static let murmur2Random = Partitioner(name: "murmur2_random") { KeyHash.murmur2($0) & 0x7fff_ffff }
    /// The same for keyed messages.
    public static let murmur2 = Partitioner(name: "murmur2") { KeyHash.murmur2($0) & 0x7fff_ffff }

    /// Every partitioner routing supports.
    public static let all: [Partitioner] = [.consistentRandom, .consistent, .murmur2Random, .murmur2]

    /// The partitioner librdkafka calls `name`; the error names the supported ones.
    public init(named name: String) throws(ClusterError) {
        guard let p = Self.all.first(where: { $0.name == name }) else {
            throw ClusterError(
                .configuration,
                "partitioner \"\(name)\" cannot be used for routing; use one of "
                    + Self.all.map(\.name).joined(separator: ", ")
                    + " (consistent_random is librdkafka's default, murmur2_random the Java client's)")
        }
        self = p
    }

    init(name: String, hash: @escaping @Sendable (UnsafeRawBufferPointer) -> UInt32) {
        self.name = name
        self.hash = hash
    }

    /// The partition of a keyed message.
    public func partition(of key: some Collection<UInt8>, partitionCount: Int) -> Int32 {
        precondition(partitionCount > 0, "a topic has at least one partition")
        let h = Array(key).withUnsafeBytes { hash($0) }
        return Int32(h % UInt32(partitionCount))
    }

    /// The partition of a user (messages are keyed by `user_id`).
    public func partition(ofUser userID: String, partitionCount: Int) -> Int32 {
        partition(of: Array(userID.utf8), partitionCount: partitionCount)
    }

    public static func == (a: Partitioner, b: Partitioner) -> Bool { a.name == b.name }
    public func hash(into hasher: inout Hasher) { hasher.combine(name) }
}

/// The key hashes Kafka's partitioners use (librdkafka `rd_crc32`, `rd_murmur2`).
enum KeyHash {
    static let crcTable: [UInt32] = (0..<256).map { n -> UInt32 in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    /// CRC-32 (IEEE 802.3, reflected, as zlib's `crc32`).
    static func crc32(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in bytes { c = crcTable[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
        return c ^ 0xFFFF_FFFF
    }

    /// MurmurHash2 as the Java client computes it (seed 0x9747b28c, little-endian words).
    static func murmur2(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        let m: UInt32 = 0x5bd1_e995
        let r: UInt32 = 24
        let length = bytes.count
        var h: UInt32 = 0x9747_b28c ^ UInt32(truncatingIfNeeded: length)
        var i = 0
        while i + 4 <= length {
            var k =
                UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2]) << 16 | UInt32(bytes[i + 3]) << 24
            k &*= m
            k ^= k >> r
            k &*= m
            h &*= m
            h ^= k
            i += 4
        }
        switch length - i {
        case 3:
            h ^= UInt32(bytes[i + 2]) << 16
            h ^= UInt32(bytes[i + 1]) << 8
            h ^= UInt32(bytes[i])
            h &*= m
        case 2:
            h ^= UInt32(bytes[i + 1]) << 8
            h ^= UInt32(bytes[i])
            h &*= m
        case 1:
            h ^= UInt32(bytes[i])
            h &*= m
        default: break
        }
        h ^= h >> 13
        h &*= m
        h ^= h >> 15
        return h
    }
}
