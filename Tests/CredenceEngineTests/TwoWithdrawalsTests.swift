import CredenceCore
import Foundation
import Testing

@testable import CredenceEngine

/// Two withdrawals of one user in one open batch, the user's events after both cuts logged
/// before them. The first erasure re-keys the events after its cut as copies under a new
/// subject; the second must find those copies in the batch, not only in the committed log, or
/// the events after both cuts are lost (SCORING.md section 4: in later months only events with
/// `occurred_at` after the cut count).
@Suite struct TwoWithdrawalsTests {
    /// ann: enrolled on the 1st; approved payment on the 10th and 20th, declined on the 21st;
    /// withdrawals on the 5th, then the 15th; enrolled again on the 16th. bob keeps the months
    /// going into March.
    static let events: [String] = [
        #"{"event_id":"e1","type":"user.enrolled","user_id":"ann","occurred_at":"2025-01-01T10:00:00+08:00","identity_verified":true}"#,
        #"{"event_id":"p10","type":"payment","user_id":"ann","occurred_at":"2025-01-10T10:00:00+08:00","payment_id":"p10","amount_minor":100,"currency":"CNY","merchant_category":"x","outcome":"approved"}"#,
        #"{"event_id":"p20","type":"payment","user_id":"ann","occurred_at":"2025-01-20T10:00:00+08:00","payment_id":"p20","amount_minor":300,"currency":"CNY","merchant_category":"x","outcome":"approved"}"#,
        #"{"event_id":"p21","type":"payment","user_id":"ann","occurred_at":"2025-01-21T10:00:00+08:00","payment_id":"p21","amount_minor":100,"currency":"CNY","merchant_category":"x","outcome":"declined"}"#,
        #"{"event_id":"w5","type":"user.withdrawn","user_id":"ann","occurred_at":"2025-01-05T10:00:00+08:00"}"#,
        #"{"event_id":"w15","type":"user.withdrawn","user_id":"ann","occurred_at":"2025-01-15T10:00:00+08:00"}"#,
        #"{"event_id":"e16","type":"user.enrolled","user_id":"ann","occurred_at":"2025-01-16T10:00:00+08:00","identity_verified":true}"#,
        #"{"event_id":"b1","type":"user.enrolled","user_id":"bob","occurred_at":"2025-01-02T10:00:00+08:00","identity_verified":true}"#,
        #"{"event_id":"b2","type":"payment","user_id":"bob","occurred_at":"2025-03-02T10:00:00+08:00","payment_id":"b2","amount_minor":100,"currency":"CNY","merchant_category":"x","outcome":"approved"}"#,
    ]

    /// When the engine commits: once at the end (one batch), after each event, or after each
    /// event overlapped (the batch's fsync beside the next event's, as a bulk ingest does): each
    /// withdrawal then meets the event or the copies before it in the batch in flight.
    enum Commits {
        case once, each, eachOverlapped
    }

    /// Ingests the events, closes the input's months, and returns the exports, live and then as
    /// a replay of the log rebuilds them.
    func run(_ commits: Commits) throws -> (live: [Month: [UInt8]], replayed: [Month: [UInt8]]) {
        let dir = TempDir()
        var c = configuration(dir)
        c.checkpoints.enabled = false
        let live: [Month: [UInt8]]
        do {
            let engine = try Engine.open(c)
            #expect(engine.logWriter != nil, "an overlapped commit needs the writer thread")
            for (i, line) in Self.events.enumerated() {
                _ = try engine.submit(Array(line.utf8), at: SourcePosition(source: "f", position: UInt64(i + 1)))
                switch commits {
                case .once: break
                case .each: try engine.commit()
                case .eachOverlapped:
                    try engine.commitBatch(overlapping: true)
                    #expect(engine.inflight != nil, "event \(i + 1)'s batch is in flight")
                }
            }
            try engine.endOfInput()
            live = try exports(engine)
            try engine.close()
        }
        var r = configuration(dir, derived: dir.path + "/replay")
        r.checkpoints.enabled = false
        let replayed = try Engine.open(r)
        defer { try? replayed.close() }
        return (live, try exports(replayed))
    }

    func annLine(_ export: [UInt8]?) -> String {
        let text = String(decoding: export ?? [], as: UTF8.self)
        return text.split(separator: "\n").first { $0.contains(#""user_id":"ann""#) }.map(String.init) ?? ""
    }

    @Test func theSecondErasureKeepsTheEventsAfterBothCuts() throws {
        let one = try run(.once)
        let each = try run(.each)
        let overlapped = try run(.eachOverlapped)
        let january = Month(year: 2025, month: 1)
        // Only the payments after the 15th count: 300 approved, one declined.
        for (name, exports) in [
            ("one batch", one.live), ("a batch per event", each.live),
            ("a batch per event, overlapped", overlapped.live),
        ] {
            let ann = annLine(exports[january])
            #expect(ann.contains(#""payments_12m":1,"spend_12m_minor":300"#), "\(name): \(ann)")
            #expect(ann.contains(#""declined_12m":1"#), "\(name): \(ann)")
        }
        #expect(one.live.keys.sorted() == each.live.keys.sorted())
        #expect(one.live.keys.sorted() == overlapped.live.keys.sorted())
        for m in one.live.keys.sorted() {
            #expect(one.live[m] == each.live[m], "month \(m): one batch and a batch per event")
            #expect(one.live[m] == overlapped.live[m], "month \(m): one batch and a batch per event, overlapped")
            #expect(overlapped.replayed[m] == one.live[m], "month \(m): the overlapped batches' replay")
            #expect(one.replayed[m] == one.live[m], "month \(m): the one batch's replay")
        }
    }
}
