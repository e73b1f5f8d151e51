#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The xoshiro256** pseudo-random generator, seeded through SplitMix64.
///
/// The generator never touches the system RNG, so a seed names one stream on every
/// platform and every run: `credence generate --seed 42` is byte-identical everywhere.
/// Reference: Blackman and Vigna, "Scrambled Linear Pseudorandom Number Generators" (2018).
public struct Xoshiro256StarStar: RandomNumberGenerator, Sendable {
    @usableFromInline var s0: UInt64
    @usableFromInline var s1: UInt64
    @usableFromInline var s2: UInt64
    @usableFromInline var s3: UInt64

    /// Expands `seed` into the 256-bit state with SplitMix64, as the authors recommend.
    public init(seed: UInt64) {
        var x = seed
        func splitMix() -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s0 = splitMix()
        s1 = splitMix()
        s2 = splitMix()
        s3 = splitMix()
    }

    @inlinable
    public mutating func next() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = s3 << 45 | s3 >> 19
        return result
    }

    /// A uniform integer in `0..<bound` (Lemire's multiply-shift; the bias is below 2^-40 for our bounds).
    @inlinable
    public mutating func next(below bound: Int64) -> Int64 {
        precondition(bound > 0)
        return Int64(truncatingIfNeeded: next().multipliedFullWidth(by: UInt64(bound)).high)
    }

    /// A uniform integer in `range`.
    @inlinable
    public mutating func next(in range: ClosedRange<Int64>) -> Int64 {
        range.lowerBound + next(below: range.upperBound - range.lowerBound + 1)
    }

    /// A uniform `Double` in `[0, 1)`.
    @inlinable
    public mutating func unit() -> Double {
        Double(next() >> 11) * 0x1p-53
    }

    /// `true` with probability `p`.
    @inlinable
    public mutating func chance(_ p: Double) -> Bool {
        p > 0 && unit() < p
    }

    /// A Poisson-distributed count with mean `mean` (Knuth's method; means here are small).
    public mutating func poisson(mean: Double) -> Int {
        guard mean > 0 else { return 0 }
        if mean > 60 {
            // Normal approximation keeps the loop short for unusual configurations.
            let u1 = max(unit(), 0x1p-53)
            let u2 = unit()
            let z = (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
            return max(0, Int((mean + z * mean.squareRoot()).rounded()))
        }
        let limit = exp(-mean)
        var k = 0
        var p = unit()
        while p > limit {
            k += 1
            p *= unit()
        }
        return k
    }
}
