/// The id of a data subject (a user) whose personal data is encrypted under its own key.
///
/// The engine assigns ids through ``KeyStore/createKey()``: 1, 2, 3, ... in creation order. An id
/// is never reused for another subject (see ``KeyStore/retireSubjects(through:)``).
public struct SubjectID: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    public var rawValue: UInt64

    public init(rawValue: UInt64) { self.rawValue = rawValue }

    public init(_ rawValue: UInt64) { self.rawValue = rawValue }

    public static func < (a: SubjectID, b: SubjectID) -> Bool { a.rawValue < b.rawValue }

    public var description: String { "subject \(rawValue)" }
}
