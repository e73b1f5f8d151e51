import CredenceCore
import CredenceTestSupport
import Foundation
import Testing

/// A broken rule: an event made by replacing (or removing) one field of a valid one.
struct RuleCase: CustomTestStringConvertible, Sendable {
    var json: String
    var reason: Rejection.Reason
    var message: String

    init(_ type: String, _ field: String, _ value: String?, _ reason: Rejection.Reason, _ message: String) {
        self.json = TestSupport.event(DecoderFixtures.valid[type]!, field, value)
        self.reason = reason
        self.message = message
    }

    var testDescription: String { message }
}

/// One valid event of every type, as raw member texts.
enum DecoderFixtures {
    static let envelope: [(String, String)] = [
        ("event_id", #""x-1""#), ("user_id", #""u1""#), ("occurred_at", #""2026-01-05T12:00:00+08:00""#),
    ]

    static let valid: [String: [(String, String)]] = [
        "user.enrolled": envelope + [("type", #""user.enrolled""#), ("identity_verified", "true")],
        "user.withdrawn": envelope + [("type", #""user.withdrawn""#)],
        "payment": envelope + [
            ("type", #""payment""#), ("payment_id", #""p1""#), ("amount_minor", "12000"), ("currency", #""CNY""#),
            ("merchant_category", #""grocery""#), ("outcome", #""approved""#),
        ],
        "obligation.opened": envelope + [
            ("type", #""obligation.opened""#), ("obligation_id", #""o1""#), ("service", #""pay_later""#),
            ("amount_minor", "50000"), ("due_at", #""2026-02-05T00:00:00+08:00""#),
        ],
        "obligation.adjusted": envelope + [
            ("type", #""obligation.adjusted""#), ("obligation_id", #""o1""#), ("delta_minor", "-300"),
            ("reason", #""refund""#),
        ],
        "repayment": envelope + [("type", #""repayment""#), ("obligation_id", #""o1""#), ("amount_minor", "100")],
        "obligation.cancelled": envelope + [("type", #""obligation.cancelled""#), ("obligation_id", #""o1""#)],
        "credit_limit.set": envelope + [("type", #""credit_limit.set""#), ("limit_minor", "500000")],
    ]

    static let occurredAt = RFC3339Tests.utc(2026, 1, 5, 4)

    static let expected: [String: Event.Payload] = [
        "user.enrolled": .userEnrolled(identityVerified: true),
        "user.withdrawn": .userWithdrawn,
        "payment": .payment(
            Event.Payment(
                paymentID: "p1", amountMinor: 12000, currency: "CNY", merchantCategory: "grocery", outcome: .approved)),
        "obligation.opened": .obligationOpened(
            Event.ObligationOpened(
                obligationID: "o1", service: .payLater, amountMinor: 50000, dueAt: RFC3339Tests.utc(2026, 2, 4, 16))),
        "obligation.adjusted": .obligationAdjusted(
            Event.ObligationAdjusted(obligationID: "o1", deltaMinor: -300, reason: .refund)),
        "repayment": .repayment(obligationID: "o1", amountMinor: 100),
        "obligation.cancelled": .obligationCancelled(obligationID: "o1"),
        "credit_limit.set": .creditLimitSet(limitMinor: 500000),
    ]
}

@Suite struct EventDecoderTests {
    @Test(arguments: EventKind.allCases)
    func decodesEveryType(kind: EventKind) throws {
        let json = TestSupport.event(DecoderFixtures.valid[kind.wireName]!)
        let event = try #require(TestSupport.decode(json).event)
        #expect(
            event
                == Event(
                    eventID: "x-1", userID: "u1", occurredAt: DecoderFixtures.occurredAt,
                    payload: DecoderFixtures.expected[kind.wireName]!))
    }

    static let brokenRules: [RuleCase] = [
        // Envelope.
        RuleCase("payment", "event_id", nil, .missingField, "missing field event_id"),
        RuleCase("payment", "event_id", "5", .wrongType, "event_id must be a string, got 5"),
        RuleCase("payment", "event_id", #""""#, .invalidValue, "event_id must be 1-128 bytes of UTF-8, got 0 bytes"),
        RuleCase(
            "payment", "event_id", "\"\(String(repeating: "x", count: 129))\"", .invalidValue,
            "event_id must be 1-128 bytes of UTF-8, got 129 bytes"),
        RuleCase(
            "payment", "event_id", "\"\(String(repeating: "中", count: 43))\"", .invalidValue,
            "event_id must be 1-128 bytes of UTF-8, got 129 bytes"),
        RuleCase("payment", "type", nil, .missingField, "missing field type"),
        RuleCase("payment", "type", "3", .wrongType, "type must be a string, got 3"),
        RuleCase("payment", "type", #""payment.refund""#, .unknownType, #"unknown type "payment.refund""#),
        RuleCase("payment", "type", #""Payment""#, .unknownType, #"unknown type "Payment""#),
        RuleCase("payment", "type", #""""#, .unknownType, #"unknown type """#),
        RuleCase("payment", "user_id", nil, .missingField, "missing field user_id"),
        RuleCase("payment", "user_id", "null", .wrongType, "user_id must be a string, got null"),
        RuleCase(
            "payment", "user_id", #""bad id""#, .invalidValue,
            #"user_id "bad id" has characters outside [A-Za-z0-9_.:-]"#),
        RuleCase(
            "payment", "user_id", #""ü""#, .invalidValue, #"user_id "ü" has characters outside [A-Za-z0-9_.:-]"#),
        RuleCase(
            "payment", "user_id", #""a\nb""#, .invalidValue, #"user_id "a\nb" has characters outside [A-Za-z0-9_.:-]"#),
        RuleCase("payment", "user_id", #""""#, .invalidValue, "user_id must be 1-64 characters, got 0"),
        RuleCase(
            "payment", "user_id", "\"\(String(repeating: "u", count: 65))\"", .invalidValue,
            "user_id must be 1-64 characters, got 65"),
        RuleCase("payment", "occurred_at", nil, .missingField, "missing field occurred_at"),
        RuleCase("payment", "occurred_at", "1767225600", .wrongType, "occurred_at must be a string, got 1767225600"),
        RuleCase(
            "payment", "occurred_at", #""2026-01-01T00:00:00""#, .invalidValue,
            #"occurred_at "2026-01-01T00:00:00" has no UTC offset (Z or ±HH:MM)"#),
        RuleCase(
            "payment", "occurred_at", #""2026-02-30T00:00:00Z""#, .invalidValue,
            #"occurred_at "2026-02-30T00:00:00Z" is not a real date or time"#),
        RuleCase(
            "payment", "occurred_at", #""2026-01-01T00:00:00.0001Z""#, .invalidValue,
            #"occurred_at "2026-01-01T00:00:00.0001Z" has more than 3 fraction digits"#),
        RuleCase(
            "payment", "occurred_at", #""2026-12-31T23:59:60Z""#, .invalidValue,
            #"occurred_at "2026-12-31T23:59:60Z" is a leap second (:60), which is not accepted"#),
        RuleCase(
            "payment", "occurred_at", #""yesterday""#, .invalidValue,
            #"occurred_at "yesterday" is not an RFC 3339 timestamp (YYYY-MM-DDTHH:MM:SS[.sss]±HH:MM)"#),
        // user.enrolled
        RuleCase("user.enrolled", "identity_verified", nil, .missingField, "missing field identity_verified"),
        RuleCase(
            "user.enrolled", "identity_verified", #""true""#, .wrongType,
            #"identity_verified must be true or false, got "true""#),
        RuleCase(
            "user.enrolled", "identity_verified", "1", .wrongType, "identity_verified must be true or false, got 1"),
        // payment
        RuleCase("payment", "payment_id", nil, .missingField, "missing field payment_id"),
        RuleCase("payment", "payment_id", "7", .wrongType, "payment_id must be a string, got 7"),
        RuleCase("payment", "amount_minor", nil, .missingField, "missing field amount_minor"),
        RuleCase("payment", "amount_minor", "12.0", .wrongType, "amount_minor must be an integer, got 12.0"),
        RuleCase("payment", "amount_minor", "1e3", .wrongType, "amount_minor must be an integer, got 1e3"),
        RuleCase("payment", "amount_minor", "1E400", .wrongType, "amount_minor must be an integer, got 1E400"),
        RuleCase("payment", "amount_minor", #""12000""#, .wrongType, #"amount_minor must be an integer, got "12000""#),
        RuleCase("payment", "amount_minor", "[1]", .wrongType, "amount_minor must be an integer, got an array"),
        RuleCase("payment", "amount_minor", #"{"v":1}"#, .wrongType, "amount_minor must be an integer, got an object"),
        RuleCase("payment", "amount_minor", "0", .invalidValue, "amount_minor must be greater than 0, got 0"),
        RuleCase("payment", "amount_minor", "-0", .invalidValue, "amount_minor must be greater than 0, got 0"),
        RuleCase("payment", "amount_minor", "-5", .invalidValue, "amount_minor must be greater than 0, got -5"),
        RuleCase(
            "payment", "amount_minor", "9223372036854775808", .invalidValue,
            "amount_minor 9223372036854775808 does not fit in a signed 64-bit integer"),
        RuleCase(
            "payment", "amount_minor", "123456789012345678901234567890123456789012345678901234567890", .invalidValue,
            "amount_minor 1234567890123456789012345678901234567890… does not fit in a signed 64-bit integer"),
        RuleCase("payment", "currency", nil, .missingField, "missing field currency"),
        RuleCase("payment", "currency", "156", .wrongType, "currency must be a string, got 156"),
        RuleCase(
            "payment", "currency", #""USD""#, .wrongCurrency, "currency USD is not the deployment currency CNY"),
        RuleCase(
            "payment", "currency", #""usd""#, .invalidValue,
            #"currency "usd" must be 3 uppercase ASCII letters (ISO 4217)"#),
        RuleCase(
            "payment", "currency", #""CNYX""#, .invalidValue,
            #"currency "CNYX" must be 3 uppercase ASCII letters (ISO 4217)"#),
        RuleCase("payment", "merchant_category", nil, .missingField, "missing field merchant_category"),
        RuleCase("payment", "merchant_category", "null", .wrongType, "merchant_category must be a string, got null"),
        RuleCase("payment", "outcome", nil, .missingField, "missing field outcome"),
        RuleCase("payment", "outcome", #""ok""#, .invalidValue, #"outcome "ok" must be approved or declined"#),
        RuleCase("payment", "outcome", "true", .wrongType, "outcome must be a string, got true"),
        // obligation.opened
        RuleCase("obligation.opened", "obligation_id", nil, .missingField, "missing field obligation_id"),
        RuleCase("obligation.opened", "obligation_id", "1", .wrongType, "obligation_id must be a string, got 1"),
        RuleCase("obligation.opened", "service", nil, .missingField, "missing field service"),
        RuleCase(
            "obligation.opened", "service", #""bus""#, .invalidValue,
            #"service "bus" must be one of rental, travel, shopping, life, accommodation, pay_later"#),
        RuleCase("obligation.opened", "amount_minor", "0", .invalidValue, "amount_minor must be greater than 0, got 0"),
        RuleCase("obligation.opened", "due_at", nil, .missingField, "missing field due_at"),
        RuleCase(
            "obligation.opened", "due_at", #""2026-02-05""#, .invalidValue,
            #"due_at "2026-02-05" is not an RFC 3339 timestamp (YYYY-MM-DDTHH:MM:SS[.sss]±HH:MM)"#),
        RuleCase(
            "obligation.opened", "due_at", #""2026-01-05T12:00:00+08:00""#, .invalidValue,
            #"due_at "2026-01-05T12:00:00+08:00" is not after occurred_at "2026-01-05T12:00:00+08:00""#),
        RuleCase(
            "obligation.opened", "due_at", #""2026-01-05T04:00:00Z""#, .invalidValue,
            #"due_at "2026-01-05T04:00:00Z" is not after occurred_at "2026-01-05T12:00:00+08:00""#),
        RuleCase(
            "obligation.opened", "due_at", #""2025-01-05T04:00:00Z""#, .invalidValue,
            #"due_at "2025-01-05T04:00:00Z" is not after occurred_at "2026-01-05T12:00:00+08:00""#),
        // obligation.adjusted
        RuleCase("obligation.adjusted", "delta_minor", nil, .missingField, "missing field delta_minor"),
        RuleCase("obligation.adjusted", "delta_minor", "-1.5", .wrongType, "delta_minor must be an integer, got -1.5"),
        RuleCase("obligation.adjusted", "reason", nil, .missingField, "missing field reason"),
        RuleCase(
            "obligation.adjusted", "reason", #""bonus""#, .invalidValue,
            #"reason "bonus" must be one of interest, fee, refund, waiver"#),
        RuleCase(
            "obligation.adjusted", "delta_minor", "0", .invalidValue,
            "delta_minor must be less than 0 for reason refund, got 0"),
        RuleCase(
            "obligation.adjusted", "delta_minor", "10", .invalidValue,
            "delta_minor must be less than 0 for reason refund, got 10"),
        RuleCase(
            "obligation.adjusted", "reason", #""interest""#, .invalidValue,
            "delta_minor must be greater than 0 for reason interest, got -300"),
        RuleCase(
            "obligation.adjusted", "reason", #""fee""#, .invalidValue,
            "delta_minor must be greater than 0 for reason fee, got -300"),
        // repayment, obligation.cancelled, credit_limit.set
        RuleCase("repayment", "obligation_id", nil, .missingField, "missing field obligation_id"),
        RuleCase("repayment", "amount_minor", "-1", .invalidValue, "amount_minor must be greater than 0, got -1"),
        RuleCase(
            "obligation.cancelled", "obligation_id", "[]", .wrongType, "obligation_id must be a string, got an array"),
        RuleCase("credit_limit.set", "limit_minor", nil, .missingField, "missing field limit_minor"),
        RuleCase("credit_limit.set", "limit_minor", "-1", .invalidValue, "limit_minor must be at least 0, got -1"),
        RuleCase("credit_limit.set", "limit_minor", #""5""#, .wrongType, #"limit_minor must be an integer, got "5""#),
        RuleCase("credit_limit.set", "limit_minor", "5.00", .wrongType, "limit_minor must be an integer, got 5.00"),
    ]

    @Test(arguments: brokenRules)
    func rejectsBrokenRule(_ rule: RuleCase) {
        let rejection = TestSupport.decode(rule.json).rejection
        #expect(rejection == Rejection(rule.reason, rule.message), "\(rule.json)")
    }

    @Test(arguments: [
        ("waiver", "-1"), ("refund", "-9223372036854775808"), ("interest", "1"), ("fee", "9223372036854775807"),
    ])
    func acceptsAdjustmentSigns(reason: String, delta: String) {
        let members = TestSupport.with(DecoderFixtures.valid["obligation.adjusted"]!, "reason", "\"\(reason)\"")
        let json = TestSupport.event(members, "delta_minor", delta)
        #expect(TestSupport.decode(json).event != nil, "\(json)")
    }

    @Test(arguments: [
        ("limit_minor", "0"), ("event_id", "\"\(String(repeating: "é", count: 64))\""),
        ("user_id", "\"\(String(repeating: "u", count: 64))\""), ("user_id", #""user.5:a-x_5""#),
        ("occurred_at", #""2024-02-29T23:59:59.999-05:30""#),
    ])
    func acceptsLimits(field: String, value: String) {
        let json = TestSupport.event(DecoderFixtures.valid["credit_limit.set"]!, field, value)
        #expect(TestSupport.decode(json).event != nil, "\(json)")
    }

    @Test func unknownAndOtherTypesFieldsAreIgnoredButValidated() throws {
        let base = DecoderFixtures.valid["user.withdrawn"]!
        let extra = TestSupport.event(
            base + [("amount_minor", #""abc""#), ("note", #"{"a":[1,2.5e-3,null,true,{"b":"\u00e9"}]}"#)])
        #expect(try #require(TestSupport.decode(extra).event).payload == .userWithdrawn)
        let broken = TestSupport.event(base + [("note", "[1,2,]")])
        #expect(TestSupport.decode(broken).rejection?.reason == .notJSON)
    }

    @Test func escapedKeysAndValuesAreDecoded() throws {
        let json =
            #"{"\u0065vent_id":"e\u002F1","type":"pay\u006dent","user_id":"u1","occurred_at":"2026-01-05T12:00:00+08:00","payment_id":"\ud83d\ude00","amount_minor":5,"currency":"\u0043NY","merchant_category":"caf\u00e9\n","outcome":"\u0061pproved"}"#
        let event = try #require(TestSupport.decode(json).event)
        #expect(event.eventID == "e/1")
        guard case .payment(let p) = event.payload else {
            Issue.record("not a payment")
            return
        }
        #expect(p.paymentID == "😀")
        #expect(p.merchantCategory == "café\n")
        #expect(p.outcome == .approved)
    }

    @Test(arguments: [
        (#"{"event_id":"a","event_id":"b"}"#, "duplicate field event_id"),
        (#"{"type":"payment","\u0074ype":"payment"}"#, "duplicate field type"),
        (#"{"x":1,"y":2,"x":3}"#, "duplicate field x"),
        (#"{"n":{"a":1,"b":{"c":[{"d":1,"d":2}]}}}"#, "duplicate field d"),
        (#"{"weird key":1,"weird key":2}"#, #"duplicate field "weird key""#),
    ])
    func rejectsDuplicateKeys(prefix: String, message: String) {
        // The duplicate is reported even though the event is otherwise incomplete: it is found while parsing.
        #expect(TestSupport.decode(prefix).rejection == Rejection(.duplicateField, message))
    }

    @Test func manyDistinctKeysAreNotDuplicates() {
        let members = (0..<500).map { ("k\($0)", "\($0)") }
        let json = TestSupport.event(DecoderFixtures.valid["user.withdrawn"]! + [("n", TestSupport.event(members))])
        #expect(TestSupport.decode(json).event != nil)
        let dup = TestSupport.event(members + [("k250", "0")])
        #expect(TestSupport.decode(dup).rejection == Rejection(.duplicateField, "duplicate field k250"))
    }

    @Test func messageKeyMustMatchUserID() {
        let json = TestSupport.event(DecoderFixtures.valid["payment"]!)
        #expect(TestSupport.decode(json, key: "u1").event != nil)
        #expect(TestSupport.decode(json, key: nil).event != nil)
        #expect(
            TestSupport.decode(json, key: "u2").rejection
                == Rejection(.keyMismatch, #"message key "u2" does not match user_id "u1""#))
        #expect(TestSupport.decode(json, key: "").rejection?.reason == .keyMismatch)
    }

    @Test func deploymentCurrencyIsConfigurable() throws {
        let decoder = EventDecoder(configuration: .init(currency: "USD"))
        let usd = TestSupport.event(DecoderFixtures.valid["payment"]!, "currency", #""USD""#)
        let event = try #require(TestSupport.decode(usd, decoder: decoder).event)
        guard case .payment(let p) = event.payload else { return }
        #expect(p.currency == "USD")
        #expect(
            TestSupport.decode(TestSupport.event(DecoderFixtures.valid["payment"]!), decoder: decoder).rejection
                == Rejection(.wrongCurrency, "currency CNY is not the deployment currency USD"))
    }

    @Test func configurationIsValidated() {
        #expect(throws: Never.self) { try EventDecoder.Configuration().validate() }
        #expect(throws: EventDecoder.ConfigurationError.self) {
            try EventDecoder.Configuration(currency: "cny").validate()
        }
        #expect(throws: EventDecoder.ConfigurationError.self) {
            try EventDecoder.Configuration(maxEventBytes: 0).validate()
        }
        #expect(throws: EventDecoder.ConfigurationError.self) {
            try EventDecoder.Configuration(maxNestingDepth: 1000).validate()
        }
    }

    @Test func reasonCodesAreStableSnakeCase() {
        #expect(
            Rejection.Reason.all.map(\.code) == [
                "too_large", "not_json", "too_deep", "not_object", "duplicate_field", "unknown_type", "missing_field",
                "wrong_type", "invalid_value", "wrong_currency", "key_mismatch",
            ])
    }

    @Test func messagesQuoteShortPrintableValues() {
        let long = String(repeating: "x", count: 200)
        let json = TestSupport.event(DecoderFixtures.valid["payment"]!, "type", "\"\(long)\\u0000\\u202e\"")
        #expect(TestSupport.decode(json).rejection?.message == "unknown type \"\(String(repeating: "x", count: 40))…\"")
        let control = TestSupport.event(DecoderFixtures.valid["payment"]!, "type", #""a\u0000\u202e\"\\ 中""#)
        #expect(TestSupport.decode(control).rejection?.message == #"unknown type "a\u{0}\u{202e}\"\\ 中""#)
    }

    // MARK: - The spec's worked example

    static func specExampleLines() throws -> [String] {
        try SharedSpec.workedExample.lines.filter { !$0.isEmpty }
    }

    /// The lines of the project's worked example, and of the spec's when it is beside the clone.
    static func exampleLines() throws -> [String] {
        try Repository.workedExample.lines.filter { !$0.isEmpty }
            + (SharedSpec.isAvailable ? try specExampleLines() : [])
    }

    // Needs ../shared/spec (the CI machine has it); a clone on its own skips this.
    @Test(.enabled(if: SharedSpec.isAvailable, "../shared/spec is not beside this clone"))
    func specExampleDecodesAsDocumented() throws {
        let lines = try Self.specExampleLines()
        #expect(lines.count == 37)
        var rejected: [String: Rejection] = [:]
        var accepted = 0
        for line in lines {
            switch TestSupport.decode(line) {
            case .accepted: accepted += 1
            case .rejected(let r): rejected[String(line.prefix(30))] = r
            }
        }
        #expect(accepted == 33)
        #expect(
            rejected == [
                #"{"event_id":"bad1","type":"pay"#: Rejection(.wrongType, "amount_minor must be an integer, got 12.0"),
                #"{"event_id":"bad2","type":"pay"#: Rejection(
                    .invalidValue, #"user_id "bad id" has characters outside [A-Za-z0-9_.:-]"#),
                "not json at all": Rejection(
                    .notJSON, "not JSON: invalid literal at byte 0 (expected true, false or null)"),
                #"{"event_id":"bad3","type":"pay"#: Rejection(
                    .wrongCurrency, "currency USD is not the deployment currency CNY"),
            ])
    }

    // Needs ../shared/spec (the CI machine has it); a clone on its own skips this.
    @Test(.enabled(if: SharedSpec.isAvailable, "../shared/spec is not beside this clone"))
    func specExampleDuplicatesCompareByContent() throws {
        let lines = try Self.specExampleLines()
        let e003 = lines.filter { $0.contains(#""event_id":"e003""#) }.compactMap(TestSupport.digest)
        let e004 = lines.filter { $0.contains(#""event_id":"e004""#) }.compactMap(TestSupport.digest)
        #expect(e003.count == 2 && e003[0] == e003[1])
        #expect(e004.count == 2 && e004[0] != e004[1])
    }
}
