/// An error of the snapshot store: what went wrong, and what to do about it.
///
/// `message` is a complete sentence meant for an operator; `underlying` keeps the
/// SQLite or file-system error that caused it, when there is one.
public struct SnapshotStoreError: Error, CustomStringConvertible {
    /// The kind of failure. Compare with the static members, e.g. `error.code == .immutable`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String

        private init(_ name: String) { self.name = name }

        /// The database file could not be opened or created.
        public static let cannotOpen = Code("cannot-open")
        /// The database was written by a newer credence, with a schema this one does not know.
        public static let newerSchema = Code("newer-schema")
        /// The database was written by an older credence, in a layout this one no longer reads.
        public static let olderSchema = Code("older-schema")
        /// A stored revision already holds different content; closed snapshots never change.
        public static let immutable = Code("immutable")
        /// The snapshot to write is malformed (entries not in `user_id` byte order, duplicates).
        public static let invalidSnapshot = Code("invalid-snapshot")
        /// The revision to write would leave a gap, or is negative.
        public static let invalidRevision = Code("invalid-revision")
        /// A `SnapshotStore.Configuration` option is out of range.
        public static let invalidConfiguration = Code("invalid-configuration")
        /// An argument is out of range (a non-positive bucket width...).
        public static let invalidArgument = Code("invalid-argument")
        /// The requested month, model version or revision is not stored.
        public static let notFound = Code("not-found")
        /// SQLite failed while reading or writing (disk full, I/O error, corruption...).
        public static let database = Code("database")

        public var description: String { name }
    }

    public var code: Code
    public var message: String
    public var underlying: (any Error)?

    public init(code: Code, message: String, underlying: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.underlying = underlying
    }

    public var description: String {
        if let underlying {
            return "\(message) (\(code): \(underlying))"
        }
        return "\(message) (\(code))"
    }
}
