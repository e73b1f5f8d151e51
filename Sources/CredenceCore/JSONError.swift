/// Why bytes are not acceptable JSON, and where (a byte offset from 0).
struct JSONError: Error, Sendable, Equatable {
    enum Problem: Sendable, Equatable {
        case emptyInput
        case unexpectedEnd
        case unexpectedByte(UInt8)
        case invalidLiteral
        case invalidUTF8
        case controlCharacter(UInt8)
        case invalidEscape(UInt8)
        case invalidUnicodeEscape
        case unpairedSurrogate(UInt16)
        case unterminatedString
        case leadingZero
        case missingDigits
        case trailingComma
        case expected(String)
        case trailingCharacters
        case tooDeep(Int)
    }

    var problem: Problem
    var offset: Int

    init(_ problem: Problem, at offset: Int) {
        self.problem = problem
        self.offset = offset
    }

    /// The reason, without the `not JSON: ` prefix.
    var explanation: String {
        let at = "at byte \(offset)"
        switch problem {
        case .emptyInput: return "empty input"
        case .unexpectedEnd: return "unexpected end of input \(at)"
        case .unexpectedByte(let b): return "unexpected \(Self.describe(b)) \(at)"
        case .invalidLiteral: return "invalid literal \(at) (expected true, false or null)"
        case .invalidUTF8: return "invalid UTF-8 \(at)"
        case .controlCharacter(let b): return "unescaped control character \(Self.hex(b)) in a string \(at)"
        case .invalidEscape(let b): return "invalid escape \\\(Self.printable(b)) \(at)"
        case .invalidUnicodeEscape: return "invalid \\u escape (4 hex digits expected) \(at)"
        case .unpairedSurrogate(let v):
            let s = String(v, radix: 16)
            return "unpaired surrogate \\u\(s) \(at)"
        case .unterminatedString: return "unterminated string starting \(at)"
        case .leadingZero: return "number with a leading zero \(at)"
        case .missingDigits: return "number missing digits \(at)"
        case .trailingComma: return "trailing comma \(at)"
        case .expected(let what): return "expected \(what) \(at)"
        case .trailingCharacters: return "unexpected data after the JSON value \(at)"
        case .tooDeep(let limit): return "nested deeper than \(limit) levels \(at)"
        }
    }

    private static func describe(_ b: UInt8) -> String {
        b >= 0x21 && b <= 0x7E ? "character '\(Character(Unicode.Scalar(b)))'" : "byte \(hex(b))"
    }

    private static func printable(_ b: UInt8) -> String {
        b >= 0x21 && b <= 0x7E ? String(Character(Unicode.Scalar(b))) : hex(b)
    }

    private static func hex(_ b: UInt8) -> String {
        let s = String(b, radix: 16, uppercase: true)
        return "0x" + (s.count == 1 ? "0" + s : s)
    }
}
