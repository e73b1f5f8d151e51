/// Bytes that are not a valid binary record: what is wrong and where.
public struct BinaryDecodingError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of defect. A struct with static members so codes can be added.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        public let name: String
        public init(_ name: String) { self.name = name }
        public var description: String { name }

        /// The input ends in the middle of a value.
        public static let truncated = Code("truncated")
        /// A varint is longer than 10 bytes, overflows 64 bits, or is not in its shortest form.
        public static let malformedVarint = Code("malformedVarint")
        /// A byte is not one of the values its field allows (kind, enum, bool).
        public static let invalidValue = Code("invalidValue")
        /// A string is not valid UTF-8.
        public static let invalidUTF8 = Code("invalidUTF8")
        /// Bytes are left after the record.
        public static let trailingBytes = Code("trailingBytes")
        /// The record was written by a newer format version.
        public static let unsupportedVersion = Code("unsupportedVersion")
    }

    public var code: Code
    /// Byte offset of the defect in the input.
    public var offset: Int
    public var message: String

    public init(code: Code, offset: Int, message: String) {
        self.code = code
        self.offset = offset
        self.message = message
    }

    public var description: String { "BinaryDecodingError.\(code) at byte \(offset): \(message)" }
}
