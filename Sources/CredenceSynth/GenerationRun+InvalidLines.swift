import CredenceCore

/// Lines a scorer must reject, each breaking exactly one rule of SCORING.md section 2.
///
/// They are rare, so they are built as strings for clarity rather than speed. Their
/// event ids (`x<n>`) never collide with valid ones (`e<n>`).
extension GenerationRun {
    mutating func writeInvalidLine(near event: PlannedEvent) {
        let kinds = InvalidLineKind.allCases
        let index = Int(rng.next(below: Int64(kinds.count)))
        let number = nextInvalidNumber
        nextInvalidNumber += 1
        var bytes = invalidLine(kinds[index], id: "x\(number)", user: userIDString(event.user), at: event.occurred)
        bytes.append(UInt8(ascii: "\n"))
        out.append(bytes)
        invalidCounts[index] += 1
        summary.lines += 1
    }

    private func timestamp(_ t: Int64) -> String {
        RFC3339.format(Instant(millisecondsSinceEpoch: t), offsetMinutes: offsetMinutes)
    }

    private func envelope(_ id: String, _ type: String, _ user: String, _ at: String) -> String {
        "{\"event_id\":\"\(id)\",\"type\":\"\(type)\",\"user_id\":\"\(user)\",\"occurred_at\":\"\(at)\""
    }

    private func payment(
        _ id: String, _ user: String, _ at: String, amount: String = "1200", currency: String? = nil,
        category: String = "grocery", outcome: String = "approved"
    ) -> String {
        envelope(id, "payment", user, at)
            + ",\"payment_id\":\"p\(id)\",\"amount_minor\":\(amount),\"currency\":\"\(currency ?? configuration.currency)\""
            + ",\"merchant_category\":\"\(category)\",\"outcome\":\"\(outcome)\"}"
    }

    private mutating func variant(_ count: Int) -> Int { Int(rng.next(below: Int64(count))) }

    private mutating func invalidLine(_ kind: InvalidLineKind, id: String, user: String, at t: Int64) -> [UInt8] {
        let at = timestamp(t)
        let due = timestamp(localMidnight(t) + 20 * Self.day)
        switch kind {
        case .notJSON:
            switch variant(3) {
            case 0: return Array(payment(id, user, at).dropLast(9).utf8)  // truncated mid-object
            case 1: return Array("not json at all".utf8)
            default: return Array("{\"event_id\":\"\(id)\" \"type\":\"user.withdrawn\"}".utf8)
            }
        case .invalidUTF8:
            let bad: [[UInt8]] = [[0x63, 0x61, 0x66, 0xC3, 0x28], [0xFF, 0xFE], [0xED, 0xA0, 0x80]]
            let parts = payment(id, user, at, category: "@").split(separator: "@", omittingEmptySubsequences: false)
            return Array(parts[0].utf8) + bad[variant(bad.count)] + Array(parts[1].utf8)
        case .unpairedSurrogate:
            let category = variant(2) == 0 ? "\\ud800" : "caf\\udc00e"
            return Array(payment(id, user, at, category: category).utf8)
        case .notAnObject:
            let texts = ["[\"\(id)\",\"payment\"]", "\"\(id)\"", "42", "null"]
            return Array(texts[variant(texts.count)].utf8)
        case .unknownType:
            let types = ["payment.reversed", "user.deleted", "Payment", "refund"]
            return Array((envelope(id, types[variant(types.count)], user, at) + ",\"amount_minor\":100}").utf8)
        case .missingField:
            let texts = [
                envelope(id, "payment", user, at)
                    + ",\"payment_id\":\"p\(id)\",\"amount_minor\":1200,\"merchant_category\":\"grocery\",\"outcome\":\"approved\"}",
                envelope(id, "repayment", user, at) + ",\"amount_minor\":5000}",
                "{\"event_id\":\"\(id)\",\"type\":\"user.withdrawn\",\"user_id\":\"\(user)\"}",
                envelope(id, "user.enrolled", user, at) + "}",
                envelope(id, "obligation.opened", user, at)
                    + ",\"obligation_id\":\"q\(id)\",\"service\":\"life\",\"amount_minor\":3000}",
                "{\"type\":\"credit_limit.set\",\"user_id\":\"\(user)\",\"occurred_at\":\"\(at)\",\"limit_minor\":100000}",
            ]
            return Array(texts[variant(texts.count)].utf8)
        case .mistypedField:
            let texts = [
                payment(id, user, at, amount: "\"1200\""),
                envelope(id, "user.enrolled", user, at) + ",\"identity_verified\":\"true\"}",
                envelope(id, "user.enrolled", user, at) + ",\"identity_verified\":1}",
                envelope(id, "credit_limit.set", user, at) + ",\"limit_minor\":null}",
                envelope(id, "repayment", user, at) + ",\"obligation_id\":17,\"amount_minor\":5000}",
            ]
            return Array(texts[variant(texts.count)].utf8)
        case .nonIntegerAmount:
            let texts = [
                payment(id, user, at, amount: "12.0"),
                payment(id, user, at, amount: "1.2e3"),
                envelope(id, "repayment", user, at) + ",\"obligation_id\":\"q\(id)\",\"amount_minor\":500.50}",
                envelope(id, "credit_limit.set", user, at) + ",\"limit_minor\":1E6}",
            ]
            return Array(texts[variant(texts.count)].utf8)
        case .nonPositiveAmount:
            let texts = [
                payment(id, user, at, amount: "0"),
                envelope(id, "repayment", user, at) + ",\"obligation_id\":\"q\(id)\",\"amount_minor\":-500}",
                envelope(id, "obligation.opened", user, at)
                    + ",\"obligation_id\":\"q\(id)\",\"service\":\"rental\",\"amount_minor\":0,\"due_at\":\"\(due)\"}",
                envelope(id, "credit_limit.set", user, at) + ",\"limit_minor\":-100}",
            ]
            return Array(texts[variant(texts.count)].utf8)
        case .wrongDeltaSign:
            let pairs = [("refund", "500"), ("interest", "-300"), ("fee", "0"), ("waiver", "100")]
            let (reason, delta) = pairs[variant(pairs.count)]
            return Array(
                (envelope(id, "obligation.adjusted", user, at)
                    + ",\"obligation_id\":\"q\(id)\",\"delta_minor\":\(delta),\"reason\":\"\(reason)\"}").utf8)
        case .badEventID:
            let ids = ["", String(repeating: "x", count: 129)]
            return Array(payment(ids[variant(ids.count)], user, at).utf8)
        case .badUserID:
            let ids = ["bad id", "", String(repeating: "u", count: 65), "user/5", "\u{00FC}5"]
            return Array(payment(id, ids[variant(ids.count)], at).utf8)
        case .wrongCurrency:
            let currencies = ["USD", "EUR", "HKD", configuration.currency.lowercased()]
            return Array(payment(id, user, at, currency: currencies[variant(currencies.count)]).utf8)
        case .badEnumValue:
            let texts = [
                payment(id, user, at, outcome: "pending"),
                envelope(id, "obligation.opened", user, at)
                    + ",\"obligation_id\":\"q\(id)\",\"service\":\"loan\",\"amount_minor\":3000,\"due_at\":\"\(due)\"}",
                envelope(id, "obligation.adjusted", user, at)
                    + ",\"obligation_id\":\"q\(id)\",\"delta_minor\":300,\"reason\":\"penalty\"}",
            ]
            return Array(texts[variant(texts.count)].utf8)
        case .dueNotAfterOccurred:
            let dueAt = variant(2) == 0 ? at : timestamp(t - Self.day)
            return Array(
                (envelope(id, "obligation.opened", user, at)
                    + ",\"obligation_id\":\"q\(id)\",\"service\":\"shopping\",\"amount_minor\":3000,\"due_at\":\"\(dueAt)\"}")
                    .utf8)
        default:
            precondition(kind == .badTimestamp, "no line template for \(kind)")
            let date = String(at.prefix(10))
            let time = String(at.dropFirst(11).prefix(8))
            let year = String(at.prefix(4))
            let stamps = [
                "\(date)T\(time)",  // no offset
                "\(date)T\(time).1234+08:00",  // four fraction digits
                "\(date)T23:59:60+08:00",  // leap second
                "\(year)-02-30T10:00:00+08:00",  // impossible date
                "\(date) \(time)+08:00",  // space instead of T
                "\u{FF12}\u{FF10}\(year.dropFirst(2))-01-15T10:00:00+08:00",  // non-ASCII digits
            ]
            return Array(payment(id, user, stamps[variant(stamps.count)]).utf8)
        }
    }
}
