import Foundation
import Testing

@testable import CredenceEngine

@Suite struct DeadLetterTests {
    static func letter(at seconds: Double) -> DeadLetter {
        DeadLetter(
            receivedAt: Date(timeIntervalSince1970: seconds), source: "file:/x.ndjson", position: 24,
            reason: "not_json", message: "not JSON", raw: Array("{\"a\":".utf8) + [0xFF])
    }

    /// `received_at` keeps its milliseconds when they are zero, so every line's time has the
    /// same width and form (it once dropped them, `...:17Z` beside `...:17.250Z`).
    @Test(arguments: [
        (1_795_794_317.0, "2026-11-27T15:45:17.000Z"),
        (1_795_794_317.25, "2026-11-27T15:45:17.250Z"),
        (1_795_794_317.0071, "2026-11-27T15:45:17.007Z"),
    ])
    func receivedAtAlwaysHasMilliseconds(seconds: Double, text: String) throws {
        let line = Self.letter(at: seconds).jsonLine()
        #expect(line.hasPrefix("{\"received_at\":\"\(text)\",\"source\":\"file:/x.ndjson\",\"position\":24,"))
        let parsed = try #require(DeadLetter.parse(line))
        #expect(parsed.raw == Self.letter(at: seconds).raw)
        #expect(parsed.reason == "not_json" && parsed.position == 24)
    }
}
