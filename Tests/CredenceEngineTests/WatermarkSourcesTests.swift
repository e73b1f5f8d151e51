import CredenceCore
import Foundation
import Testing

@testable import CredenceEngine

/// The watermark over several sources (Kafka partitions): the smallest of their largest event
/// times minus the lateness; a source with nothing yet, or one that never has events, holds it
/// back; it follows the set of sources as it changes.
@Suite struct WatermarkSourcesTests {
    static func enrolment(_ id: String, _ user: String, _ at: String) -> [UInt8] {
        Array(
            #"{"event_id":"\#(id)","type":"user.enrolled","user_id":"\#(user)","occurred_at":"\#(at)","identity_verified":true}"#
                .utf8)
    }

    static func instant(_ text: String) -> Instant {
        guard case .success(let i) = RFC3339.parse(text) else { fatalError(text) }
        return i
    }

    @Test func theSmallestOfTheSourcesHoldsTheWatermark() throws {
        let dir = TempDir()
        var c = configuration(dir)
        c.checkpoints.enabled = false
        let engine = try Engine.open(c)
        let lateness = c.scoring.allowedLatenessMilliseconds
        engine.watermarkSources = ["a", "b"]
        try engine.submit(
            Self.enrolment("e1", "u1", "2026-03-10T00:00:00Z"), at: SourcePosition(source: "a", position: 1))
        #expect(engine.effectiveWatermark == nil, "b has nothing yet")
        try engine.submit(
            Self.enrolment("e2", "u2", "2026-03-05T00:00:00Z"), at: SourcePosition(source: "b", position: 1))
        #expect(engine.effectiveWatermark == Self.instant("2026-03-05T00:00:00Z").adding(milliseconds: -lateness))
        try engine.submit(
            Self.enrolment("e3", "u3", "2026-03-20T00:00:00Z"), at: SourcePosition(source: "b", position: 2))
        #expect(engine.effectiveWatermark == Self.instant("2026-03-10T00:00:00Z").adding(milliseconds: -lateness))
        // A source that never has events holds everything back; dropping it frees the watermark.
        engine.watermarkSources = ["a", "b", Engine.externalWatermarkSource]
        #expect(engine.effectiveWatermark == nil)
        engine.watermarkSources = ["b"]
        #expect(engine.effectiveWatermark == Self.instant("2026-03-20T00:00:00Z").adding(milliseconds: -lateness))
        engine.watermarkSources = nil
        #expect(engine.effectiveWatermark == engine.scoring.watermark)
        try engine.close()
    }
}
