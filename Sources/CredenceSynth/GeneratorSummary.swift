public import CredenceCore

/// Counts of what a generator run wrote, for tests, benchmarks and `credence demo`.
///
/// Every line is exactly one of: a distinct valid event, an exact duplicate, a
/// conflicting duplicate, a conflicting `obligation.opened`, or an invalid line, so
/// `lines == events + exactDuplicates + conflictingDuplicates + conflictingOpens + invalidLineCount`.
/// A scorer reading the stream should accept `events` events (erased ones included).
public struct GeneratorSummary: Sendable, Hashable {
    /// Users in the population.
    public var users = 0
    /// Lines written (each ends with `\n`).
    public var lines = 0
    /// Bytes written.
    public var bytes = 0
    /// Distinct valid events, the first copy of each `event_id`; excludes conflicting openings.
    public var events = 0
    /// `events` by type.
    public var eventsByKind: [EventKind: Int] = [:]
    /// Byte-identical repeats of an earlier line.
    public var exactDuplicates = 0
    /// Repeats of an earlier `event_id` with other content (a conflict to dead-letter).
    public var conflictingDuplicates = 0
    /// Second `obligation.opened` lines for an existing obligation id, with a fresh `event_id`;
    /// they always arrive after the first opening.
    public var conflictingOpens = 0
    /// Intentionally invalid lines, by the rule they break.
    public var invalidLines: [InvalidLineKind: Int] = [:]
    /// Events that arrive after the watermark (largest `occurred_at` written so far minus the
    /// allowed lateness) has passed the end of their month: a scorer counts them as late.
    public var lateEvents = 0
    /// `user.withdrawn` events.
    public var withdrawals = 0
    /// `user.enrolled` events that follow a withdrawal of the same user.
    public var reEnrolments = 0
    /// The earliest and latest `occurred_at` among `events`.
    public var earliestOccurredAt: Instant?
    public var latestOccurredAt: Instant?

    public init() {}

    /// All invalid lines.
    public var invalidLineCount: Int { invalidLines.values.reduce(0, +) }

    /// A short human-readable report, one fact per line.
    public var report: String {
        var lines: [String] = []
        lines.append("users: \(users)")
        lines.append("lines: \(self.lines) (\(bytes) bytes)")
        lines.append("events: \(events)")
        for kind in EventKind.allCases {
            lines.append("  \(kind.wireName): \(eventsByKind[kind, default: 0])")
        }
        lines.append("exact duplicates: \(exactDuplicates)")
        lines.append("conflicting duplicates: \(conflictingDuplicates)")
        lines.append("conflicting openings: \(conflictingOpens)")
        lines.append("invalid lines: \(invalidLineCount)")
        for kind in InvalidLineKind.allCases where invalidLines[kind, default: 0] > 0 {
            lines.append("  \(kind.name): \(invalidLines[kind]!)")
        }
        lines.append("late events: \(lateEvents)")
        lines.append("withdrawals: \(withdrawals), re-enrolments: \(reEnrolments)")
        if let first = earliestOccurredAt, let last = latestOccurredAt {
            lines.append("event time: \(first) to \(last)")
        }
        return lines.joined(separator: "\n")
    }
}
