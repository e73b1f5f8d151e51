/// Why the generator refused to run.
public struct GeneratorError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of failure, for programs; `message` is for people.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        public var name: String

        /// An option of `GeneratorConfiguration` is out of range.
        public static let invalidConfiguration = Code(name: "invalidConfiguration")

        public var description: String { name }
    }

    public var code: Code
    /// What is wrong and what to change.
    public var message: String

    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}
