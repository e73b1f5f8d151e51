/// A point in time with millisecond precision, counted from 1970-01-01T00:00:00Z.
///
/// Event times carry at most three fraction digits (SCORING.md section 1), so a
/// millisecond count represents every valid timestamp exactly. Compare instants,
/// never the strings they came from.
public struct Instant: Sendable, Hashable, Comparable, CustomStringConvertible, BitwiseCopyable {
    public var millisecondsSinceEpoch: Int64

    @inlinable
    public init(millisecondsSinceEpoch: Int64) {
        self.millisecondsSinceEpoch = millisecondsSinceEpoch
    }

    @inlinable
    public static func < (lhs: Instant, rhs: Instant) -> Bool {
        lhs.millisecondsSinceEpoch < rhs.millisecondsSinceEpoch
    }

    public static let millisecondsPerDay: Int64 = 86_400_000

    /// `days(a, b) = floor((b - a) / 86400 s)` of SCORING.md section 1.
    @inlinable
    public static func days(from a: Instant, to b: Instant) -> Int64 {
        let delta = b.millisecondsSinceEpoch - a.millisecondsSinceEpoch
        let (q, r) = delta.quotientAndRemainder(dividingBy: millisecondsPerDay)
        return r < 0 ? q - 1 : q
    }

    @inlinable
    public func adding(milliseconds: Int64) -> Instant {
        Instant(millisecondsSinceEpoch: millisecondsSinceEpoch &+ milliseconds)
    }

    public var description: String { RFC3339.format(self, offsetMinutes: 0) }
}

/// A fixed UTC offset in minutes, such as `+08:00` (480). China has no DST.
public struct UTCOffset: Sendable, Hashable {
    public var minutes: Int

    public init(minutes: Int) {
        self.minutes = minutes
    }

    /// The default scoring zone, `+08:00`.
    public static let beijing = UTCOffset(minutes: 480)
    public static let utc = UTCOffset(minutes: 0)

    public var milliseconds: Int64 { Int64(minutes) * 60_000 }

    /// Parses `+HH:MM`, `-HH:MM` or `Z`.
    public init?(_ text: String) {
        if text == "Z" || text == "z" {
            self.minutes = 0
            return
        }
        let bytes = Array(text.utf8)
        guard bytes.count == 6, bytes[0] == UInt8(ascii: "+") || bytes[0] == UInt8(ascii: "-"),
            bytes[3] == UInt8(ascii: ":")
        else { return nil }
        func digit(_ b: UInt8) -> Int? { b >= 48 && b <= 57 ? Int(b - 48) : nil }
        guard let h1 = digit(bytes[1]), let h2 = digit(bytes[2]), let m1 = digit(bytes[4]), let m2 = digit(bytes[5])
        else { return nil }
        let h = h1 * 10 + h2
        let m = m1 * 10 + m2
        guard h <= 23, m <= 59 else { return nil }
        self.minutes = (bytes[0] == UInt8(ascii: "-") ? -1 : 1) * (h * 60 + m)
    }

    /// `+08:00`, `-05:30`, `+00:00`.
    public var text: String {
        let sign = minutes < 0 ? "-" : "+"
        let a = abs(minutes)
        return sign + pad2(a / 60) + ":" + pad2(a % 60)
    }
}

@usableFromInline
func pad2(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
