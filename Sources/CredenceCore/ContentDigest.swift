/// A 128-bit digest of an event's JSON value, for telling a producer's harmless
/// retry from a conflicting duplicate (SCORING.md section 2).
///
/// "Content is compared as JSON values: key order and whitespace do not matter,
/// numbers compare by value, and `true` is not `1`." The digest is therefore
/// taken over a canonical form of the whole object, unknown extra fields
/// included, never over its bytes:
///
/// - strings by their unescaped content (`"\u0041"` equals `"A"`);
/// - numbers by value: sign, significant digits and a decimal exponent, exact for
///   any length and any exponent (no floating point), so `1`, `1.0`, `10e-1` and
///   `1E0` are equal, and `-0` equals `0`;
/// - arrays in order;
/// - objects as the set of their members: each member (key and value) is hashed
///   on its own and the member digests are combined by a lane-wise wrapping sum,
///   which cannot depend on their order. Keys are unique (the decoder rejects
///   duplicates), so this is a function of the member set;
/// - every JSON type carries a distinct tag, so `true`, `1` and `"1"` differ.
///
/// It is not cryptographic: two different values collide with a probability of
/// about 2^-128 unless someone crafts them on purpose.
public struct ContentDigest: Sendable, Hashable, CustomStringConvertible {
    public var high: UInt64
    public var low: UInt64

    @inlinable
    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// 32 lowercase hex digits.
    public var description: String {
        func hex(_ v: UInt64) -> String {
            let s = String(v, radix: 16)
            return String(repeating: "0", count: 16 - s.count) + s
        }
        return hex(high) + hex(low)
    }
}
