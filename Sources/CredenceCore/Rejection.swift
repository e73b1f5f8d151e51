/// Why an input event was refused: a stable reason code for metrics and
/// summaries, and a one-line message for the dead-letter output.
///
/// ```swift
/// case .rejected(let r): deadLetter(raw, reason: r.reason.code, message: r.message)
/// // r.reason.code == "invalid_value", r.message == "amount_minor must be greater than 0, got 0"
/// ```
///
/// Quoted values in messages are the decoded values, cut to 40 characters and
/// with anything unprintable escaped, so a message is always one short line.
public struct Rejection: Error, Sendable, Hashable, CustomStringConvertible {
    /// A class of rejection, with a stable snake_case `code`.
    public struct Reason: Sendable, Hashable, CustomStringConvertible {
        public let code: String

        public init(code: String) {
            self.code = code
        }

        public var description: String { code }

        /// Larger than `maxEventBytes`; not parsed at all.
        public static let tooLarge = Reason(code: "too_large")
        /// Not JSON: syntax, invalid UTF-8, an escaped unpaired surrogate, trailing data, empty input.
        public static let notJSON = Reason(code: "not_json")
        /// Valid JSON nested deeper than the decoder's limit (an implementation limit, not a spec rule).
        public static let tooDeep = Reason(code: "too_deep")
        /// Valid JSON, but not an object.
        public static let notObject = Reason(code: "not_object")
        /// An object with the same key twice, at any level: ambiguous, so refused.
        public static let duplicateField = Reason(code: "duplicate_field")
        /// `type` is a string but not one of the event types.
        public static let unknownType = Reason(code: "unknown_type")
        /// A field the event's type requires is absent.
        public static let missingField = Reason(code: "missing_field")
        /// A field has the wrong JSON type (including `12.0` or `1e3` where an integer is required).
        public static let wrongType = Reason(code: "wrong_type")
        /// A field has the right type but breaks a rule (range, enumeration, format, date order).
        public static let invalidValue = Reason(code: "invalid_value")
        /// A well-formed currency that is not the deployment's.
        public static let wrongCurrency = Reason(code: "wrong_currency")
        /// The Kafka message key is present and differs from `user_id`.
        public static let keyMismatch = Reason(code: "key_mismatch")

        /// Every reason the decoder can give.
        public static let all: [Reason] = [
            .tooLarge, .notJSON, .tooDeep, .notObject, .duplicateField, .unknownType, .missingField, .wrongType,
            .invalidValue, .wrongCurrency, .keyMismatch,
        ]
    }

    public var reason: Reason
    public var message: String

    public init(_ reason: Reason, _ message: String) {
        self.reason = reason
        self.message = message
    }

    public var description: String { "\(reason.code): \(message)" }
}

extension Rejection {
    /// A field name as is when it is a plain identifier, else quoted.
    static func fieldName(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        let plain =
            !bytes.isEmpty && bytes.count <= 40
            && bytes.allSatisfy { b in
                (b >= 0x30 && b <= 0x39) || (b | 0x20 >= 0x61 && b | 0x20 <= 0x7A) || b == 0x5F || b == 0x2E
                    || b == 0x2D
                    || b == 0x3A
            }
        return plain ? String(decoding: bytes, as: UTF8.self) : quoted(bytes)
    }

    /// `bytes` (UTF-8, possibly invalid) between double quotes, escaped and cut to `limit` characters.
    static func quoted(_ bytes: UnsafeBufferPointer<UInt8>, limit: Int = 40) -> String {
        "\"" + printable(bytes, limit: limit, escapingQuotes: true) + "\""
    }

    /// `bytes` made printable: controls, format characters and the like are
    /// escaped as `\u{...}`, invalid UTF-8 becomes U+FFFD, and anything past
    /// `limit` characters becomes `…`.
    static func printable(_ bytes: UnsafeBufferPointer<UInt8>, limit: Int = 40, escapingQuotes: Bool = false) -> String
    {
        let text = String(decoding: bytes, as: UTF8.self)
        var out = ""
        var n = 0
        for scalar in text.unicodeScalars {
            if n == limit {
                out += "…"
                break
            }
            n += 1
            switch scalar {
            case "\"" where escapingQuotes: out += "\\\""
            case "\\" where escapingQuotes: out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case " "..."~": out.unicodeScalars.append(scalar)
            default:
                switch scalar.properties.generalCategory {
                case .control, .format, .surrogate, .privateUse, .unassigned, .lineSeparator, .paragraphSeparator,
                    .spaceSeparator:
                    out += "\\u{" + String(scalar.value, radix: 16) + "}"
                default:
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }
}
