import CredenceTestSupport
import Testing

@testable import CredenceCore

/// The byte renderer of `score.changed` lines (the outbox's hot path at a month close) against
/// the `String` renderer it replaced, kept here as it was: the same bytes for odd user ids and
/// model versions, with and without a previous score, in any zone, through one kept context.
@Suite struct ScoreChangedLineTests {
    /// A month's text written as bytes (a line's previous month, the API's months) is its
    /// `description`: every month of years around each width the year can take, and the years
    /// a digit loop cannot write.
    @Test func aMonthsBytesAreItsDescription() {
        var months = (Int32(-40)...Int32(400)).map { Month(index: $0) }
        for year in [-12, -1, 99, 100, 999, 1_000, 2_026, 9_999, 10_000, 123_456] {
            months += (1...12).map { Month(year: year, month: $0) }
        }
        for m in months {
            var bytes: [UInt8] = [7]
            m.appendText(to: &bytes)
            #expect(bytes == [7] + Array(m.description.utf8), "\(m.index)")
        }
    }

    /// The renderer before the byte one, verbatim.
    static func legacyJSONLine(_ c: ScoreChanged, offset: UTCOffset) -> String {
        var out = "{\"event_id\":"
        JSONText.appendString("\(c.userID)/\(c.month)/\(c.modelVersion)", to: &out)
        out += ",\"type\":\"score.changed\",\"user_id\":"
        JSONText.appendString(c.userID, to: &out)
        out += ",\"month\":\"\(c.month)\",\"score\":\(c.score),\"previous_score\":"
        if let p = c.previous {
            out += "\(p.score),\"previous_month\":\"\(p.month)\""
        } else {
            out += "null,\"previous_month\":null"
        }
        out += ",\"model_version\":"
        JSONText.appendString(c.modelVersion, to: &out)
        out += ",\"reasons\":"
        JSONText.appendStringArray(c.reasons, to: &out)
        out +=
            ",\"occurred_at\":\"" + RFC3339.format(c.month.end(offset: offset), offsetMinutes: offset.minutes) + "\"}"
        return out
    }

    static func oddString(_ random: inout SeededRandom) -> String {
        let pieces = [
            "alice", "u27414", "\"", "\\", "\n", "\r", "\t", "\u{08}", "\u{0C}", "\u{01}", "\u{1F}", "\u{7F}",
            "é", "日本", "🙂", "/", "<", " ", "0", "-", "\u{0}",
        ]
        let count = Int.random(in: 0...6, using: &random)
        return (0..<count).map { _ in pieces.randomElement(using: &random)! }.joined()
    }

    @Test(arguments: [1, 2, 3] as [UInt64])
    func theBytesAreTheOldRenderersOnRandomRecords(seed: UInt64) {
        var random = SeededRandom(seed: seed)
        for round in 0..<30 {
            let offset = UTCOffset(minutes: Int.random(in: -720...840, using: &random))
            let month = Month(index: Int32.random(in: -30...400, using: &random))
            let modelVersion = round == 0 ? "default-1" : "v" + Self.oddString(&random)
            let context = ScoreChangedLineContext(month: month, modelVersion: modelVersion, offset: offset)
            for _ in 0..<40 {
                let previous: (month: Month, score: Int64)? =
                    Bool.random(using: &random)
                    ? nil
                    : (
                        month.advanced(by: -Int32.random(in: 1...30, using: &random)),
                        Int64.random(in: -1_000...100_000, using: &random)
                    )
                let change = ScoreChanged(
                    userID: Self.oddString(&random), month: month, score: Int64.random(in: -5...1_000, using: &random),
                    previous: previous, modelVersion: modelVersion,
                    reasons: (0..<Int.random(in: 0...4, using: &random)).map { _ in Self.oddString(&random) })
                let old = Self.legacyJSONLine(change, offset: offset)
                var bytes: [UInt8] = Array("kept".utf8)
                change.appendJSONLine(context, to: &bytes)
                #expect(bytes == Array("kept".utf8) + Array(old.utf8), "seed \(seed) round \(round): \(old)")
                #expect(change.jsonLine(offset: offset) == old)
            }
        }
    }

    @Test func aContextRendersOnlyItsOwnMonthModelAndZone() {
        let m = Month(year: 2026, month: 11)
        let c = ScoreChangedLineContext(month: m, modelVersion: "default-1", offset: .beijing)
        #expect(c.renders(month: m, modelVersion: "default-1", offset: .beijing))
        #expect(!c.renders(month: m.advanced(by: 1), modelVersion: "default-1", offset: .beijing))
        #expect(!c.renders(month: m, modelVersion: "default-2", offset: .beijing))
        #expect(!c.renders(month: m, modelVersion: "default-1", offset: UTCOffset(minutes: 0)))
    }
}
