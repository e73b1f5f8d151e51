/// What `EventLog.verify` found: counts, and every problem with its position.
public struct VerificationReport: Sendable, Hashable, CustomStringConvertible {
    /// A damaged spot in the log.
    public struct Problem: Sendable, Hashable, CustomStringConvertible {
        /// The kind of damage. A struct with static members so kinds can be added.
        public struct Kind: Sendable, Hashable, CustomStringConvertible {
            public let name: String
            init(_ name: String) { self.name = name }
            public var description: String { name }

            /// The segment header is damaged, torn, or names another base LSN than the file name.
            public static let badHeader = Kind("badHeader")
            /// A record is torn, too long or fails its checksum (see `detail`); the rest of
            /// the segment cannot be trusted.
            public static let badRecord = Kind("badRecord")
            /// A segment does not start where the previous one ends.
            public static let lsnGap = Kind("lsnGap")
            /// The sparse index is missing or does not match the segment. Derived data:
            /// readers and the appender rebuild it, so this loses nothing.
            public static let badIndex = Kind("badIndex")
        }

        public var kind: Kind
        /// Segment file name.
        public var segment: String
        /// Byte offset in the segment.
        public var offset: Int64
        /// LSN of the record at `offset`, when known.
        public var lsn: UInt64?
        public var detail: String

        public var description: String {
            "\(segment) offset \(offset)" + (lsn.map { " (LSN \($0))" } ?? "") + ": \(kind): \(detail)"
        }
    }

    /// Number of segment files.
    public var segments = 0
    /// Readable records.
    public var records: UInt64 = 0
    /// Bytes of all segment files.
    public var bytes: Int64 = 0
    /// LSN of the first record (the oldest segment's base).
    public var firstLSN: UInt64 = 0
    /// LSN after the last readable record.
    public var endLSN: UInt64 = 0
    /// Damage to records or segments: data that cannot be read.
    public var problems: [Problem] = []
    /// Damage to sparse indexes only (repaired automatically).
    public var indexProblems: [Problem] = []

    /// Whether every record is readable (index problems aside).
    public var isIntact: Bool { problems.isEmpty }

    public var description: String {
        var lines = [
            "\(segments) segments, \(records) records (LSN \(firstLSN)..<\(endLSN)), \(bytes) bytes: "
                + (isIntact ? "intact" : "\(problems.count) problems")
        ]
        lines += problems.map { "  \($0)" }
        lines += indexProblems.map { "  \($0) (rebuilt automatically)" }
        return lines.joined(separator: "\n")
    }
}
