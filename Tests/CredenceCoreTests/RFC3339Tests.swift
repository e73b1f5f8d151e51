import CredenceCore
import Testing

@Suite struct RFC3339Tests {
    /// Milliseconds since the epoch of a UTC civil time.
    static func utc(_ y: Int64, _ mo: Int64, _ d: Int64, _ h: Int64 = 0, _ mi: Int64 = 0, _ s: Int64 = 0, ms: Int64 = 0)
        -> Instant
    {
        let days = CivilDate.daysFromCivil(year: y, month: mo, day: d)
        return Instant(millisecondsSinceEpoch: ((days * 24 + h) * 60 + mi) * 60_000 + s * 1000 + ms)
    }

    @Test(arguments: [
        ("2026-11-03T09:15:00.250+08:00", utc(2026, 11, 3, 1, 15, 0, ms: 250)),
        ("2026-01-01T00:00:00Z", utc(2026, 1, 1)),
        ("2026-01-01T00:00:00.5Z", utc(2026, 1, 1, ms: 500)),
        ("2026-01-01T00:00:00.05Z", utc(2026, 1, 1, ms: 50)),
        ("2026-01-01T00:00:00.000-00:00", utc(2026, 1, 1)),
        ("2024-02-29T12:00:00Z", utc(2024, 2, 29, 12)),
        ("2000-02-29T00:00:00Z", utc(2000, 2, 29)),
        ("1969-12-31T23:59:59.999Z", Instant(millisecondsSinceEpoch: -1)),
        ("0000-01-01T00:00:00Z", utc(0, 1, 1)),
        ("9999-12-31T23:59:59.999+23:59", utc(9999, 12, 31, 0, 0, 59, ms: 999)),
        ("2026-02-28T23:59:59.999+08:00", utc(2026, 2, 28, 15, 59, 59, ms: 999)),
    ])
    func accepts(text: String, expected: Instant) {
        #expect(RFC3339.parse(text) == .success(expected))
    }

    @Test func offsetsNameTheSameInstant() {
        let a = RFC3339.parse("2026-01-01T08:00:00+08:00")
        let b = RFC3339.parse("2026-01-01T00:00:00Z")
        let c = RFC3339.parse("2025-12-31T18:30:00-05:30")
        #expect(a == b)
        #expect(b == c)
        #expect(a == .success(Self.utc(2026, 1, 1)))
    }

    @Test(arguments: [
        ("2026-01-01T00:00:00.0000Z", RFC3339.Failure.tooManyFractionDigits),
        ("2026-01-01T00:00:00.1234+08:00", .tooManyFractionDigits),
        ("2026-01-01T00:00:00", .missingOffset),
        ("2026-01-01T00:00:00.250", .missingOffset),
        ("2026-12-31T23:59:60Z", .leapSecond),
        ("2026-02-30T00:00:00Z", .impossibleDate),
        ("2025-02-29T00:00:00Z", .impossibleDate),
        ("1900-02-29T00:00:00Z", .impossibleDate),
        ("2026-04-31T00:00:00Z", .impossibleDate),
        ("2026-13-01T00:00:00Z", .impossibleDate),
        ("2026-00-01T00:00:00Z", .impossibleDate),
        ("2026-01-00T00:00:00Z", .impossibleDate),
        ("2026-01-01T24:00:00Z", .impossibleDate),
        ("2026-01-01T23:60:00Z", .impossibleDate),
        ("2026-01-01T00:00:61Z", .impossibleDate),
        ("2026-01-01T00:00:00+24:00", .impossibleDate),
        ("2026-01-01T00:00:00+08:60", .impossibleDate),
        // Non-ASCII digits: Arabic-Indic, full-width, Devanagari.
        ("٢٠٢٦-01-01T00:00:00Z", .malformed),
        ("２０２６-01-01T00:00:00Z", .malformed),
        ("2026-01-01T0०:00:00Z", .malformed),
        ("2026-01-01T00:00:00+0８:00", .malformed),
        ("2026-01-01t00:00:00Z", .malformed),
        ("2026-01-01T00:00:00z", .malformed),
        ("2026-01-01 00:00:00Z", .malformed),
        ("2026-01-01T00:00:00.Z", .malformed),
        ("2026-01-01T00:00:00+0800", .malformed),
        ("2026-01-01T00:00:00+08", .malformed),
        ("2026-01-01T00:00:00+08:00 ", .malformed),
        ("2026-01-01T00:00:00Z ", .malformed),
        (" 2026-01-01T00:00:00Z", .malformed),
        ("2026-1-01T00:00:00Z", .malformed),
        ("2026-01-01", .malformed),
        ("", .malformed),
        ("+2026-01-01T00:00:00Z", .malformed),
        ("2026-01-01T00:00:00.-1Z", .malformed),
    ])
    func rejects(text: String, failure: RFC3339.Failure) {
        #expect(RFC3339.parse(text) == .failure(failure))
    }

    @Test(arguments: [
        "2026-11-03T09:15:00.250+08:00", "2026-12-01T00:00:00+08:00", "1969-12-31T23:59:59.999+08:00",
        "2024-02-29T23:59:59-05:30",
    ])
    func formatRoundTrips(text: String) throws {
        let instant = try RFC3339.parse(text).get()
        let offset = try #require(UTCOffset(String(text.suffix(6))))
        #expect(RFC3339.format(instant, offsetMinutes: offset.minutes) == text)
    }

    @Test func millisecondsCanBeAlwaysWritten() {
        let whole = Instant(millisecondsSinceEpoch: 1_795_794_317_000)
        #expect(RFC3339.format(whole, offsetMinutes: 0, zulu: true) == "2026-11-27T15:45:17Z")
        #expect(RFC3339.format(whole, offsetMinutes: 0, zulu: true, milliseconds: true) == "2026-11-27T15:45:17.000Z")
        #expect(
            RFC3339.format(Instant(millisecondsSinceEpoch: 1_795_794_317_040), offsetMinutes: 480, milliseconds: true)
                == "2026-11-27T23:45:17.040+08:00")
    }
}
