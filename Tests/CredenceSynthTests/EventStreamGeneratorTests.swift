import CredenceCore
import CredenceSynth
import Testing

/// Small streams shared by the tests (generated once).
enum Fixture {
    /// A few hundred users with every kind of noise turned up so each shows up several times.
    static let noisyConfiguration: GeneratorConfiguration = {
        var configuration = GeneratorConfiguration(users: 300, months: 8, seed: 7)
        configuration.noise.duplicateRate = 0.01
        configuration.noise.conflictingDuplicateRate = 0.005
        configuration.noise.invalidLineRate = 0.02
        configuration.noise.lateEventRate = 0.01
        configuration.noise.conflictingOpenRate = 0.02
        configuration.population.withdrawalRate = 0.05
        configuration.population.reEnrolmentRate = 0.6
        return configuration
    }()

    static let noisy: (bytes: [UInt8], summary: GeneratorSummary) =
        try! EventStreamGenerator(configuration: noisyConfiguration).bytes()

    static let analysis = StreamAnalysis(noisy.bytes)
}

@Suite struct EventStreamGeneratorTests {
    func generate(_ configuration: GeneratorConfiguration) throws -> (bytes: [UInt8], summary: GeneratorSummary) {
        try EventStreamGenerator(configuration: configuration).bytes()
    }

    @Test func sameSeedGivesIdenticalBytes() throws {
        let configuration = GeneratorConfiguration(users: 120, months: 4, seed: 42)
        let first = try generate(configuration)
        let second = try generate(configuration)
        #expect(first.bytes == second.bytes)
        #expect(first.summary == second.summary)
        #expect(first.summary.bytes == first.bytes.count)
    }

    @Test func differentSeedGivesDifferentBytes() throws {
        let a = try generate(GeneratorConfiguration(users: 120, months: 4, seed: 42))
        let b = try generate(GeneratorConfiguration(users: 120, months: 4, seed: 43))
        #expect(a.bytes != b.bytes)
    }

    @Test func chunkedWritesMatchTheWholeStream() throws {
        // Enough lines to span several 1 MiB chunks; the chunks concatenate to the same bytes.
        let generator = try EventStreamGenerator(configuration: .init(users: 600, months: 6, seed: 3))
        var chunks = 0
        var bytes: [UInt8] = []
        generator.write { chunk in
            chunks += 1
            bytes.append(contentsOf: chunk)
        }
        #expect(chunks > 1)
        #expect(bytes == generator.bytes().bytes)
        #expect(bytes.last == UInt8(ascii: "\n"))
    }

    @Test func everyLineIsValidOrAnIntendedInvalidKind() {
        let (_, summary) = Fixture.noisy
        let analysis = Fixture.analysis
        #expect(analysis.blankLines == 0)
        #expect(analysis.lines == summary.lines)
        #expect(analysis.invalid == summary.invalidLines)
        #expect(analysis.exactDuplicates == summary.exactDuplicates)
        #expect(analysis.conflictingDuplicates == summary.conflictingDuplicates)
        #expect(analysis.conflictingOpens == summary.conflictingOpens)
        #expect(analysis.distinctEvents == summary.events + summary.conflictingOpens)
        #expect(analysis.keyOrderViolations.isEmpty, "\(analysis.keyOrderViolations.prefix(3))")
        #expect(
            summary.lines
                == summary.events + summary.exactDuplicates + summary.conflictingDuplicates
                + summary.conflictingOpens + summary.invalidLineCount)
    }

    @Test func noiseKindsAllOccur() {
        let (_, summary) = Fixture.noisy
        for kind in InvalidLineKind.allCases {
            #expect(summary.invalidLines[kind, default: 0] > 0, "no \(kind) line")
        }
        #expect(summary.exactDuplicates > 0)
        #expect(summary.conflictingDuplicates > 0)
        #expect(summary.conflictingOpens > 0)
        #expect(summary.lateEvents > 0)
        #expect(Fixture.analysis.late == summary.lateEvents)
    }

    @Test func coversEveryEventTypeServiceAndReason() {
        let analysis = Fixture.analysis
        let summary = Fixture.noisy.summary
        #expect(analysis.kinds == Set(EventKind.allCases))
        #expect(Set(summary.eventsByKind.keys) == Set(EventKind.allCases))
        #expect(analysis.services == Set(Service.allCases.map(\.wireName)))
        #expect(analysis.reasons == Set(AdjustmentReason.allCases.map(\.wireName)))
        #expect(analysis.outcomes == ["approved", "declined"])
    }

    @Test func coversTimeEdgeCases() {
        let analysis = Fixture.analysis
        #expect(analysis.offsets == ["+08:00", "Z", "+00:00", "-05:00", "+05:30"])
        #expect(analysis.withMilliseconds > 0)
        #expect(analysis.monthBoundaryEvents > 0)
        #expect(analysis.sameInstantPairs > 0)
        #expect(analysis.sameInstantCreditLimits > 0)
        #expect(analysis.repaymentsBeforeOpening > 0)
        #expect(analysis.disorderWithinLateness > 0)
    }

    @Test func coversLifecycles() {
        let analysis = Fixture.analysis
        let summary = Fixture.noisy.summary
        #expect(analysis.withdrawals > 0)
        #expect(analysis.withdrawals == summary.withdrawals)
        #expect(analysis.reEnrolments > 0)
        #expect(analysis.reEnrolments == summary.reEnrolments)
        #expect(analysis.refundSettlements > 0)
        #expect(analysis.reopenedBySettlementInterest > 0)
        #expect(analysis.eventsOutsideConsent.isEmpty, "\(analysis.eventsOutsideConsent.prefix(3))")
        #expect(analysis.orphanReferences.isEmpty, "\(analysis.orphanReferences.prefix(3))")
    }

    @Test func idsAreUniqueAndObligationsNeverReused() {
        let analysis = Fixture.analysis
        let summary = Fixture.noisy.summary
        // Every repeated event_id is an intended duplicate; the rest are distinct events.
        #expect(analysis.distinctEvents == summary.events + summary.conflictingOpens)
        // The reader counts every second opening of a user's obligation id, before or after a
        // withdrawal; they are exactly the intended conflicts, so no id is ever reused.
        #expect(analysis.conflictingOpens == summary.conflictingOpens)
        #expect(analysis.reEnrolments > 0)
    }

    @Test func withoutNoiseEveryLineIsAUniqueValidEvent() throws {
        var configuration = GeneratorConfiguration(users: 150, months: 5, seed: 11)
        configuration.noise = .none
        let (bytes, summary) = try generate(configuration)
        let analysis = StreamAnalysis(bytes)
        #expect(analysis.invalid.isEmpty)
        #expect(analysis.exactDuplicates + analysis.conflictingDuplicates + analysis.conflictingOpens == 0)
        #expect(analysis.late == 0)
        #expect(summary.lines == summary.events)
        #expect(analysis.distinctEvents == summary.events)
    }

    @Test func startsAtTheStartMonthWhenNoUserEnrolledBefore() throws {
        var configuration = GeneratorConfiguration(users: 80, months: 3, seed: 5, start: Month("2026-03")!)
        configuration.population.enrolledBeforeStartRate = 0
        let summary = try generate(configuration).summary
        let offset = configuration.scoringOffset
        #expect(summary.earliestOccurredAt! >= Month("2026-03")!.start(offset: offset))
        #expect(summary.latestOccurredAt! < Month("2026-06")!.start(offset: offset))
    }

    static let invalidConfigurations: [GeneratorConfiguration] = {
        let changes: [(inout GeneratorConfiguration) -> Void] = [
            { $0.users = -1 },
            { $0.months = 0 },
            { $0.currency = "cny" },
            { $0.noise.duplicateRate = 1.5 },
            { $0.population.withdrawalRate = -0.1 },
            { $0.allowedLateness = .seconds(60) },
        ]
        return changes.map { change in
            var configuration = GeneratorConfiguration()
            change(&configuration)
            return configuration
        }
    }()

    @Test(arguments: invalidConfigurations)
    func invalidConfigurationIsRefused(_ configuration: GeneratorConfiguration) {
        #expect(throws: GeneratorError.self) { try EventStreamGenerator(configuration: configuration) }
    }

    @Test func emptyPopulationWritesNothing() throws {
        let (bytes, summary) = try generate(GeneratorConfiguration(users: 0, months: 2, seed: 1))
        #expect(bytes.isEmpty)
        #expect(summary.lines == 0)
    }
}
