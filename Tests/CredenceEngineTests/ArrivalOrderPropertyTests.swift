import CredenceCore
import CredenceTestSupport
import Testing

/// SCORING.md section 2, "Order": every result is defined on the set of accepted events, so any
/// arrival order within the allowed lateness gives the same exports.
@Suite struct ArrivalOrderPropertyTests {
    @Test(arguments: [1 as UInt64, 2, 3])
    func shufflingWithinTheLatenessLeavesEveryExportUnchanged(seed: UInt64) throws {
        let decoder = EventDecoder()
        let events = lines(generated(users: 150, months: 8, seed: seed, clean: true)).compactMap {
            decoder.decode($0).event
        }
        #expect(events.count > 5000)
        func run(_ order: [Event]) -> [Month: String] {
            var scorer = InMemoryScorer()
            for e in order { scorer.feed(e) }
            scorer.finish()
            return Dictionary(uniqueKeysWithValues: scorer.state.closedMonths.map { ($0, scorer.export($0)) })
        }
        let reference = run(events)
        #expect(reference.count >= 8)  // some users enrol before the first generated month
        var rng = SplitMix(seed: seed)
        let lateness = ScoringConfiguration().allowedLatenessMilliseconds
        for _ in 0..<3 {
            // Arrival = event time + a delay in [0, lateness): no event is ever later than allowed.
            let shuffled = events.map {
                ($0, $0.occurredAt.millisecondsSinceEpoch + Int64(rng.next() % UInt64(lateness)))
            }
            .sorted { $0.1 < $1.1 }.map(\.0)
            #expect(shuffled.map(\.eventID) != events.map(\.eventID))
            let result = run(shuffled)
            for (month, export) in reference {
                #expect(result[month] == export, "export of \(month) changed with the arrival order")
            }
        }
    }
}

typealias SplitMix = SeededRandom
