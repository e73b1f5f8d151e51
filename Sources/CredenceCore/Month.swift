/// A calendar month `YYYY-MM` in the scoring zone, stored as `year * 12 + (month - 1)`.
///
/// Month M is the half-open interval `[start(M), end(M))` in the scoring zone's
/// local time (SCORING.md section 1).
public struct Month: Sendable, Hashable, Comparable, Strideable, CustomStringConvertible {
    public var index: Int32

    @inlinable
    public init(index: Int32) {
        self.index = index
    }

    public init(year: Int, month: Int) {
        self.index = Int32(year * 12 + (month - 1))
    }

    public var year: Int { Int(index.floorDiv(12)) }
    public var month: Int { Int(index - index.floorDiv(12) * 12) + 1 }

    /// Parses `YYYY-MM`.
    public init?(_ text: String) {
        let b = Array(text.utf8)
        guard b.count == 7, b[4] == UInt8(ascii: "-") else { return nil }
        var y = 0
        for i in 0..<4 {
            guard b[i] >= 48, b[i] <= 57 else { return nil }
            y = y * 10 + Int(b[i] - 48)
        }
        guard b[5] >= 48, b[5] <= 57, b[6] >= 48, b[6] <= 57 else { return nil }
        let m = Int(b[5] - 48) * 10 + Int(b[6] - 48)
        guard (1...12).contains(m) else { return nil }
        self.init(year: y, month: m)
    }

    /// The month containing `instant` in the zone `offset`.
    @inlinable
    public init(containing instant: Instant, offset: UTCOffset) {
        let local = instant.millisecondsSinceEpoch + offset.milliseconds
        let (q, r) = local.quotientAndRemainder(dividingBy: Instant.millisecondsPerDay)
        let days = r < 0 ? q - 1 : q
        let c = CivilDate.civilFromDays(days)
        self.index = Int32(c.year * 12 + c.month - 1)
    }

    /// The first instant of the month.
    @inlinable
    public func start(offset: UTCOffset) -> Instant {
        let y = Int64(index.floorDiv(12))
        let m = Int64(index) - y * 12 + 1
        let days = CivilDate.daysFromCivil(year: y, month: m, day: 1)
        return Instant(millisecondsSinceEpoch: days * Instant.millisecondsPerDay - offset.milliseconds)
    }

    /// `end(M)`: the first instant after the month.
    @inlinable
    public func end(offset: UTCOffset) -> Instant {
        Month(index: index + 1).start(offset: offset)
    }

    public var description: String {
        let y = year
        let yText = y < 10 ? "000\(y)" : y < 100 ? "00\(y)" : y < 1000 ? "0\(y)" : "\(y)"
        return yText + "-" + pad2(month)
    }

    /// Appends ``description``'s bytes to `out`, without making a `String` for the months of
    /// years 0 to 9999: a month close renders one for each user's previous score, and the API
    /// one or two for each answer.
    public func appendText(to out: inout [UInt8]) {
        let y = year
        guard (0...9999).contains(y) else {
            out.append(contentsOf: description.utf8)
            return
        }
        let zero = UInt8(ascii: "0")
        out.append(zero + UInt8(y / 1000))
        out.append(zero + UInt8(y / 100 % 10))
        out.append(zero + UInt8(y / 10 % 10))
        out.append(zero + UInt8(y % 10))
        out.append(UInt8(ascii: "-"))
        out.append(zero + UInt8(month / 10))
        out.append(zero + UInt8(month % 10))
    }

    @inlinable public static func < (lhs: Month, rhs: Month) -> Bool { lhs.index < rhs.index }
    @inlinable public func distance(to other: Month) -> Int32 { other.index - index }
    @inlinable public func advanced(by n: Int32) -> Month { Month(index: index + n) }
}

extension Int32 {
    @usableFromInline
    func floorDiv(_ d: Int32) -> Int32 {
        let (q, r) = quotientAndRemainder(dividingBy: d)
        return r < 0 ? q - 1 : q
    }
}
