/// What intake and scoring did, for summaries, metrics and tests.
public struct IngestCounters: Sendable, Hashable {
    /// Input lines or messages looked at (blank lines excluded).
    public var received = 0
    public var accepted = 0
    /// Exact re-deliveries of an accepted event (same id, same content): dropped.
    public var duplicates = 0
    /// Same event id, different content: dropped and dead-lettered.
    public var conflicts = 0
    /// Rejected lines by reason code (including `conflict` and `obligation_conflict`).
    public var rejected: [String: Int] = [:]
    /// Accepted events at or before their user's erasure cut: kept as a tombstone only.
    public var erasedOnArrival = 0
    /// Accepted events whose month had closed already.
    public var late = 0
    public var monthsClosed = 0
    public var erasures = 0
    public var bytes = 0
    /// Lines skipped because an earlier run already took them (a file read again resumes).
    public var resumedPast = 0

    public init() {}

    public var rejectedTotal: Int { rejected.values.reduce(0, +) }
}

/// A position in an input: a file line or a Kafka offset.
public struct SourcePosition: Sendable, Hashable, CustomStringConvertible {
    /// `file:/abs/path` or `kafka:topic/partition`.
    public var source: String
    /// The line (from 1) or the offset.
    public var position: UInt64

    public init(source: String, position: UInt64) {
        self.source = source
        self.position = position
    }

    public var description: String { "\(source):\(position)" }
}
