public import DurableFile

/// A failure of the ``KeyStore``, with a message that says what to do about it.
public struct KeyStoreError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is, for code that reacts to it.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public var name: String

        /// The process may not create, read or write the key directory or file.
        public static let permissionDenied = Code(name: "permission_denied")
        /// A ``KeyStore/Configuration`` option has a value it cannot have.
        public static let invalidConfiguration = Code(name: "invalid_configuration")
        /// The key directory or file does not exist, and the configuration says not to create it.
        public static let notFound = Code(name: "not_found")
        /// The file is not a key store: wrong magic bytes, or a size the format cannot produce.
        public static let notAKeyStore = Code(name: "not_a_key_store")
        /// The file's header fails its checksum or names a format version this build cannot read.
        public static let unsupportedFormat = Code(name: "unsupported_format")
        /// Another process holds the store open.
        public static let locked = Code(name: "locked")
        /// The subject id was never created.
        public static let unknownSubject = Code(name: "unknown_subject")
        /// A read, write or fsync failed.
        public static let io = Code(name: "io")
        /// An earlier write or fsync failed, so what is on disk is unknown; the store refuses further writes.
        public static let failed = Code(name: "failed")

        public var description: String { name }
    }

    public var code: Code
    /// What went wrong and what to do about it.
    public var message: String
    /// The key file or directory concerned, if any.
    public var path: String?
    /// The system error behind this one, if any.
    public var underlying: DurableFileError?

    public init(code: Code, message: String, path: String? = nil, underlying: DurableFileError? = nil) {
        self.code = code
        self.message = message
        self.path = path
        self.underlying = underlying
    }

    public var description: String {
        var s = "key store error [\(code)]: \(message)"
        if let underlying { s += " (\(underlying))" }
        return s
    }
}
