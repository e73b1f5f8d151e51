/// Writes a seeded, realistic synthetic event stream as NDJSON, in arrival order.
///
/// The stream follows SCORING.md section 2: users with different habits enrol (some
/// before the start), pay, open obligations of every service and repay them on time,
/// late or never; balances are adjusted, refunded, waived, cancelled; credit limits
/// change; a few users withdraw and some come back. Lines arrive out of event-time
/// order within the allowed lateness, and the configured noise adds duplicates,
/// conflicts, invalid lines and late events. The same configuration always gives the
/// same bytes.
///
/// The stream is produced incrementally: memory holds about a week of lines plus the
/// running obligations, so millions of users and events are fine.
///
/// ```swift
/// let generator = try EventStreamGenerator(configuration: .init(users: 10_000, months: 18, seed: 42))
/// let summary = try generator.write { bytes in try file.write(contentsOf: bytes) }
/// print(summary.report)
/// ```
public struct EventStreamGenerator: Sendable {
    public let configuration: GeneratorConfiguration

    /// Checks `configuration` (see `GeneratorConfiguration.validate()`).
    public init(configuration: GeneratorConfiguration) throws(GeneratorError) {
        try configuration.validate()
        self.configuration = configuration
    }

    /// Generates the whole stream, handing it to `sink` in chunks of whole lines (about 1 MiB each).
    ///
    /// The buffer passed to `sink` is only valid during the call. An error thrown by
    /// `sink` stops generation and is rethrown.
    @discardableResult
    public func write(to sink: (UnsafeRawBufferPointer) throws -> Void) rethrows -> GeneratorSummary {
        var run = GenerationRun(configuration: configuration)
        return try run.run(sink)
    }

    /// Generates the whole stream into memory; for tests and small configurations.
    public func bytes() -> (bytes: [UInt8], summary: GeneratorSummary) {
        var bytes: [UInt8] = []
        let summary = write { bytes.append(contentsOf: $0) }
        return (bytes, summary)
    }
}
