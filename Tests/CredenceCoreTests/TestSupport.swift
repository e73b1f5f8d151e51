import CredenceCore
import CredenceTestSupport
import Foundation

/// Paths and helpers shared by the CredenceCore tests.
enum TestSupport {
    /// The package root.
    static let packageRoot: URL = Repository.root

    static let decoder = EventDecoder()

    static func decode(_ text: String, key: String? = nil, decoder: EventDecoder = decoder) -> DecodeResult {
        decoder.decode(Array(text.utf8), key: key.map { Array($0.utf8) })
    }

    static func digest(_ text: String) -> ContentDigest? {
        if case .accepted(_, let d) = decode(text) { return d }
        return nil
    }

    /// A JSON object from raw member texts, with `field` replaced by `value` or removed.
    static func event(_ members: [(String, String)], _ field: String? = nil, _ value: String? = nil) -> String {
        let members = field.map { with(members, $0, value) } ?? members
        return "{" + members.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}"
    }

    /// `members` with `field` set to the raw JSON `value` (appended if absent), or removed when `value` is nil.
    static func with(_ members: [(String, String)], _ field: String, _ value: String?) -> [(String, String)] {
        var out = members.filter { $0.0 != field }
        if let value {
            if let i = members.firstIndex(where: { $0.0 == field }) {
                out.insert((field, value), at: i)
            } else {
                out.append((field, value))
            }
        }
        return out
    }
}
