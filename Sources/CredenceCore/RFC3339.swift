/// Parsing and formatting of RFC 3339 timestamps as SCORING.md section 1 restricts them.
///
/// Accepted: `YYYY-MM-DDTHH:MM:SS[.f{1,3}](Z|±HH:MM)` with ASCII digits, a real
/// calendar date and no leap second. `T`/`Z` must be upper case (RFC 3339 allows
/// lower case; the spec's examples and every producer we know use upper case, and
/// a strict reading keeps the contract small).
public enum RFC3339 {
    /// Why a timestamp was refused, in words for a dead-letter reason.
    public enum Failure: Error, Sendable, Equatable {
        case malformed
        case missingOffset
        case tooManyFractionDigits
        case impossibleDate
        case leapSecond

        public var explanation: String {
            switch self {
            case .malformed: return "is not an RFC 3339 timestamp (YYYY-MM-DDTHH:MM:SS[.sss]±HH:MM)"
            case .missingOffset: return "has no UTC offset (Z or ±HH:MM)"
            case .tooManyFractionDigits: return "has more than 3 fraction digits"
            case .impossibleDate: return "is not a real date or time"
            case .leapSecond: return "is a leap second (:60), which is not accepted"
            }
        }
    }

    /// Parses `bytes` into an instant.
    public static func parse<C: Collection<UInt8>>(_ bytes: C) -> Result<Instant, Failure> where C.Index == Int {
        let s = bytes.startIndex
        let n = bytes.count
        guard n >= 19 else { return .failure(n >= 10 && n < 19 ? .malformed : .malformed) }
        @inline(__always) func digit(_ i: Int) -> Int64? {
            let b = bytes[s + i]
            return b >= 48 && b <= 57 ? Int64(b - 48) : nil
        }
        @inline(__always) func two(_ i: Int) -> Int64? {
            guard let a = digit(i), let b = digit(i + 1) else { return nil }
            return a * 10 + b
        }
        guard let y1 = two(0), let y2 = two(2), bytes[s + 4] == UInt8(ascii: "-"), let mo = two(5),
            bytes[s + 7] == UInt8(ascii: "-"), let d = two(8), bytes[s + 10] == UInt8(ascii: "T"),
            let h = two(11), bytes[s + 13] == UInt8(ascii: ":"), let mi = two(14),
            bytes[s + 16] == UInt8(ascii: ":"), let se = two(17)
        else { return .failure(.malformed) }
        let year = y1 * 100 + y2
        var i = 19
        var millis: Int64 = 0
        if i < n, bytes[s + i] == UInt8(ascii: ".") {
            i += 1
            var digits = 0
            while i < n, let v = digit(i) {
                digits += 1
                if digits <= 3 { millis = millis * 10 + v }
                i += 1
            }
            if digits == 0 { return .failure(.malformed) }
            if digits > 3 { return .failure(.tooManyFractionDigits) }
            for _ in digits..<3 { millis *= 10 }
        }
        guard i < n else { return .failure(.missingOffset) }
        var offsetMillis: Int64 = 0
        let c = bytes[s + i]
        if c == UInt8(ascii: "Z") {
            i += 1
        } else if c == UInt8(ascii: "+") || c == UInt8(ascii: "-") {
            guard n - i == 6, let oh = two(i + 1), bytes[s + i + 3] == UInt8(ascii: ":"), let om = two(i + 4)
            else { return .failure(.malformed) }
            guard oh <= 23, om <= 59 else { return .failure(.impossibleDate) }
            offsetMillis = (oh * 60 + om) * 60_000 * (c == UInt8(ascii: "-") ? -1 : 1)
            i += 6
        } else {
            return .failure(.malformed)
        }
        guard i == n else { return .failure(.malformed) }
        if se == 60 { return .failure(.leapSecond) }
        guard mo >= 1, mo <= 12, d >= 1, d <= CivilDate.daysInMonth(year: year, month: mo), h <= 23, mi <= 59,
            se <= 59
        else { return .failure(.impossibleDate) }
        let days = CivilDate.daysFromCivil(year: year, month: mo, day: d)
        let local = ((days * 24 + h) * 60 + mi) * 60_000 + se * 1000 + millis
        return .success(Instant(millisecondsSinceEpoch: local - offsetMillis))
    }

    public static func parse(_ text: String) -> Result<Instant, Failure> {
        parse(Array(text.utf8))
    }

    /// Formats `instant` at the given offset: `2026-12-01T00:00:00+08:00`; milliseconds
    /// appear (`.250`) only when they are not zero, or always (`.000`) if `milliseconds`;
    /// offset zero is written `Z` only if `zulu`.
    public static func format(
        _ instant: Instant, offsetMinutes: Int, zulu: Bool = false, milliseconds: Bool = false
    ) -> String {
        let offset = UTCOffset(minutes: offsetMinutes)
        let local = instant.millisecondsSinceEpoch + offset.milliseconds
        let (q, r) = local.quotientAndRemainder(dividingBy: Instant.millisecondsPerDay)
        let days = r < 0 ? q - 1 : q
        let msOfDay = local - days * Instant.millisecondsPerDay
        let c = CivilDate.civilFromDays(days)
        let h = Int(msOfDay / 3_600_000)
        let mi = Int(msOfDay / 60_000 % 60)
        let se = Int(msOfDay / 1000 % 60)
        let ms = Int(msOfDay % 1000)
        var out = ""
        out.reserveCapacity(29)
        let y = Int(c.year)
        out += y < 10 ? "000\(y)" : y < 100 ? "00\(y)" : y < 1000 ? "0\(y)" : "\(y)"
        out += "-" + pad2(Int(c.month)) + "-" + pad2(Int(c.day)) + "T" + pad2(h) + ":" + pad2(mi) + ":" + pad2(se)
        if ms != 0 || milliseconds { out += "." + (ms < 10 ? "00\(ms)" : ms < 100 ? "0\(ms)" : "\(ms)") }
        out += (zulu && offsetMinutes == 0) ? "Z" : offset.text
        return out
    }
}
