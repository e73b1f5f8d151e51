#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An error of the event log: a stable `code` to branch on and a `message` that says what
/// happened and what to do about it.
public struct EventLogError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of failure. A struct with static members so codes can be added.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        public let name: String
        init(_ name: String) { self.name = name }
        public var description: String { name }

        /// A setting of `EventLogConfiguration` is out of range.
        public static let invalidConfiguration = Code("invalidConfiguration")
        /// A system call failed; `errno` says why.
        public static let io = Code("io")
        /// Another appender holds the log directory.
        public static let locked = Code("locked")
        /// A segment header is unreadable or does not match its file name.
        public static let corruptSegment = Code("corruptSegment")
        /// A segment is in another format version (written by an older or newer credence).
        public static let unsupportedFormat = Code("unsupportedFormat")
        /// A record that should be readable is torn or fails its checksum.
        public static let corruptRecord = Code("corruptRecord")
        /// A payload is larger than `maxRecordSize`.
        public static let recordTooLarge = Code("recordTooLarge")
        /// The requested LSN is not in the log (before the oldest segment, or a segment is missing).
        public static let lsnNotFound = Code("lsnNotFound")
        /// The log was closed.
        public static let closed = Code("closed")
    }

    public var code: Code
    public var message: String
    /// The file concerned, if any.
    public var path: String?
    /// The `errno` of a failed system call, if any.
    public var errno: Int32?

    public init(code: Code, message: String, path: String? = nil, errno: Int32? = nil) {
        self.code = code
        self.message = message
        self.path = path
        self.errno = errno
    }

    public var description: String { "EventLogError.\(code): \(message)" }

    /// An `.io` error for a failed system call, with the system's reason in words.
    static func system(_ operation: String, path: String, errno code: Int32) -> EventLogError {
        let reason = String(cString: strerror(code))
        let advice: String
        switch code {
        case ENOSPC, EDQUOT: advice = "Free disk space and retry."
        case EACCES, EPERM, EROFS: advice = "Check the permissions of the log directory and that it is writable."
        case ENOENT: advice = "Check that the path exists and that no one removed log files."
        default: advice = "Check the disk and the log directory, then retry."
        }
        return EventLogError(
            code: .io, message: "\(operation) \(path) failed: \(reason) (errno \(code)). \(advice)", path: path,
            errno: code)
    }
}
