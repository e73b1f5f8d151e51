import CredenceCore
import CredenceSynth
import Foundation

/// An independent reading of SCORING.md section 2, to check the generator's lines.
///
/// It knows nothing of how the generator builds lines: it parses each one with
/// `JSONSerialization`, looks at raw number tokens (JSONSerialization cannot tell
/// `12.0` from `12`), and names the first rule a line breaks.
enum LineClassifier {
    /// A valid event line.
    struct Event {
        var raw: [UInt8]
        var eventID: String
        var type: EventKind
        var userID: String
        var occurredAtText: String
        var occurredAt: Instant
        var fields: [String: Any]
        var keys: [String]

        var obligationID: String? { fields["obligation_id"] as? String }
        func integer(_ key: String) -> Int64? { LineClassifier.rawToken(key, in: raw).flatMap { Int64($0) } }
    }

    enum Verdict {
        case valid(Event)
        case invalid(InvalidLineKind)
    }

    enum FieldType { case string, integer, bool, timestamp }

    static let envelope: [(String, FieldType)] = [
        ("event_id", .string), ("type", .string), ("user_id", .string), ("occurred_at", .timestamp),
    ]

    static let fields: [EventKind: [(String, FieldType)]] = [
        .userEnrolled: [("identity_verified", .bool)],
        .userWithdrawn: [],
        .payment: [
            ("payment_id", .string), ("amount_minor", .integer), ("currency", .string),
            ("merchant_category", .string), ("outcome", .string),
        ],
        .obligationOpened: [
            ("obligation_id", .string), ("service", .string), ("amount_minor", .integer), ("due_at", .timestamp),
        ],
        .obligationAdjusted: [("obligation_id", .string), ("delta_minor", .integer), ("reason", .string)],
        .repayment: [("obligation_id", .string), ("amount_minor", .integer)],
        .obligationCancelled: [("obligation_id", .string)],
        .creditLimitSet: [("limit_minor", .integer)],
    ]

    /// The text after `"key":` up to the next `,` or `}`.
    static func rawToken(_ key: String, in line: [UInt8]) -> String? {
        let needle = Array("\"\(key)\":".utf8)
        guard line.count >= needle.count else { return nil }
        for start in 0...(line.count - needle.count) where line[start..<(start + needle.count)].elementsEqual(needle) {
            var end = start + needle.count
            var inString = false
            while end < line.count {
                let b = line[end]
                if b == UInt8(ascii: "\"") { inString.toggle() }
                if !inString && (b == UInt8(ascii: ",") || b == UInt8(ascii: "}")) { break }
                end += 1
            }
            return String(decoding: line[(start + needle.count)..<end], as: UTF8.self)
        }
        return nil
    }

    /// The top-level keys in the order written: every `"name":` outside a string value.
    static func keys(of line: [UInt8]) -> [String] {
        var keys: [String] = []
        var i = 0
        var depth = 0
        while i < line.count {
            switch line[i] {
            case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"): depth -= 1
            case UInt8(ascii: "\""):
                var end = i + 1
                while end < line.count && line[end] != UInt8(ascii: "\"") {
                    end += line[end] == UInt8(ascii: "\\") ? 2 : 1
                }
                if depth == 1 && end + 1 < line.count && line[end + 1] == UInt8(ascii: ":") {
                    keys.append(String(decoding: line[(i + 1)..<end], as: UTF8.self))
                }
                i = end
            default: break
            }
            i += 1
        }
        return keys
    }

    static func classify(_ line: [UInt8], currency: String = "CNY") -> Verdict {
        guard let text = String(validating: line, as: UTF8.self) else { return .invalid(.invalidUTF8) }
        if text.contains("\\u"),
            text.range(of: #"\\u[dD][89a-fA-F][0-9a-fA-F]{2}"#, options: .regularExpression) != nil
        {
            return .invalid(.unpairedSurrogate)
        }
        guard let object = try? JSONSerialization.jsonObject(with: Data(line), options: [.fragmentsAllowed]) else {
            return .invalid(.notJSON)
        }
        guard let dict = object as? [String: Any] else { return .invalid(.notAnObject) }
        for (key, type) in envelope {
            guard dict[key] != nil else { return .invalid(.missingField) }
            guard type == .string || type == .timestamp ? dict[key] is String : true else {
                return .invalid(.mistypedField)
            }
        }
        guard let kind = EventKind(wireName: dict["type"] as! String) else { return .invalid(.unknownType) }
        for (key, type) in fields[kind]! {
            guard let value = dict[key] else { return .invalid(.missingField) }
            let token = rawToken(key, in: line) ?? ""
            switch type {
            case .string, .timestamp:
                guard value is String else { return .invalid(.mistypedField) }
            case .bool:
                guard token == "true" || token == "false" else { return .invalid(.mistypedField) }
            case .integer:
                guard let first = token.first, first == "-" || first.isNumber else { return .invalid(.mistypedField) }
                if token.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }) { return .invalid(.nonIntegerAmount) }
                guard Int64(token) != nil else { return .invalid(.mistypedField) }
            }
        }
        let eventID = dict["event_id"] as! String
        guard (1...128).contains(eventID.utf8.count) else { return .invalid(.badEventID) }
        let userID = dict["user_id"] as! String
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.:-")
        guard (1...64).contains(userID.count), userID.allSatisfy({ allowed.contains($0) }) else {
            return .invalid(.badUserID)
        }
        let occurredText = dict["occurred_at"] as! String
        guard case .success(let occurred) = RFC3339.parse(occurredText) else { return .invalid(.badTimestamp) }
        let int = { (key: String) in Int64(rawToken(key, in: line)!)! }
        switch kind {
        case .payment:
            guard int("amount_minor") > 0 else { return .invalid(.nonPositiveAmount) }
            guard dict["currency"] as! String == currency else { return .invalid(.wrongCurrency) }
            guard PaymentOutcome(wireName: dict["outcome"] as! String) != nil else { return .invalid(.badEnumValue) }
        case .obligationOpened:
            guard Service(wireName: dict["service"] as! String) != nil else { return .invalid(.badEnumValue) }
            guard int("amount_minor") > 0 else { return .invalid(.nonPositiveAmount) }
            guard case .success(let due) = RFC3339.parse(dict["due_at"] as! String) else {
                return .invalid(.badTimestamp)
            }
            guard due > occurred else { return .invalid(.dueNotAfterOccurred) }
        case .obligationAdjusted:
            guard let reason = AdjustmentReason(wireName: dict["reason"] as! String) else {
                return .invalid(.badEnumValue)
            }
            let delta = int("delta_minor")
            guard reason.raisesAmountDue ? delta > 0 : delta < 0 else { return .invalid(.wrongDeltaSign) }
        case .repayment:
            guard int("amount_minor") > 0 else { return .invalid(.nonPositiveAmount) }
        case .creditLimitSet:
            guard int("limit_minor") >= 0 else { return .invalid(.nonPositiveAmount) }
        case .userEnrolled, .userWithdrawn, .obligationCancelled:
            break
        }
        return .valid(
            Event(
                raw: line, eventID: eventID, type: kind, userID: userID, occurredAtText: occurredText,
                occurredAt: occurred, fields: dict, keys: keys(of: line)))
    }

    /// Splits NDJSON into lines (without their `\n`).
    static func lines(_ bytes: [UInt8]) -> [[UInt8]] {
        bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).dropLast().map(Array.init)
    }
}
