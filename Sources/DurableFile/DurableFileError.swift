#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A file operation that failed, with the path, the system's reason and what to do.
public struct DurableFileError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure: open-ended, so a struct with static members.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let name: String
        public var description: String { name }
        /// Opening, reading or writing failed.
        public static let io = Code(name: "io")
        /// `fsync` failed: what was written may not be on disk, and this file takes no more writes.
        public static let sync = Code(name: "sync")
    }

    public var code: Code
    public var path: String
    /// `errno` of the failed call.
    public var errno: Int32
    public var message: String

    public var description: String { message }

    init(_ code: Code, _ doing: String, path: String, errno e: Int32) {
        self.code = code
        self.path = path
        self.errno = e
        let reason = String(cString: strerror(e))
        let hint: String
        switch e {
        case ENOSPC, EDQUOT: hint = "; free some disk space"
        case EACCES, EPERM, EROFS: hint = "; check the data directory's permissions"
        default: hint = ""
        }
        message = "\(doing) \(path) failed: \(reason)\(hint)"
    }
}
