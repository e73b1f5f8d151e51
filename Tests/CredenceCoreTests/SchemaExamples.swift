// swift-format-ignore-file: a table of fixtures, one example per line.

import CredenceCore
import Testing

/// A labelled example for the schema agreement test: the decoder and the JSON
/// Schemas in `Schemas/` must both give the verdict its label says.
struct SchemaExample: Sendable, CustomTestStringConvertible {
    enum Label: Sendable {
        /// Accepted by the decoder and valid against the schema.
        case valid
        /// Rejected by the decoder with this reason (nil for output examples) and invalid against the schema.
        case invalid(Rejection.Reason?)
        /// By design valid against the schema but rejected by the decoder: a rule JSON Schema cannot express.
        case schemaValidButRejected(Rejection.Reason)
    }

    /// The schema file, without `.schema.json`.
    var schema: String
    var label: Label
    var note: String
    var json: String

    var testDescription: String { "\(schema): \(note)" }

    /// Whether the schema should accept the example.
    var schemaAccepts: Bool {
        switch label {
        case .valid, .schemaValidButRejected: return true
        case .invalid: return false
        }
    }
}

extension SchemaExample {
    static func valid(_ note: String, _ json: String, schema: String = "event") -> SchemaExample {
        SchemaExample(schema: schema, label: .valid, note: note, json: json)
    }

    static func invalid(
        _ reason: Rejection.Reason?, _ note: String, _ json: String, schema: String = "event"
    ) -> SchemaExample {
        SchemaExample(schema: schema, label: .invalid(reason), note: note, json: json)
    }

    static func byDesign(_ reason: Rejection.Reason, _ note: String, _ json: String) -> SchemaExample {
        SchemaExample(schema: "event", label: .schemaValidButRejected(reason), note: note, json: json)
    }

    private static let env = #""event_id":"x-1","user_id":"u1","occurred_at":"2026-01-05T12:00:00+08:00""#

    static func enrolled(_ rest: String) -> String { #"{\#(env),"type":"user.enrolled"\#(rest)}"# }
    static func payment(_ fields: String) -> String { #"{\#(env),"type":"payment",\#(fields)}"# }
    static func opened(_ fields: String) -> String { #"{\#(env),"type":"obligation.opened",\#(fields)}"# }
    static func adjusted(_ fields: String) -> String { #"{\#(env),"type":"obligation.adjusted",\#(fields)}"# }
    static func limit(_ value: String) -> String { #"{\#(env),"type":"credit_limit.set","limit_minor":\#(value)}"# }
    static func withdrawn(_ envelope: String) -> String { #"{"type":"user.withdrawn",\#(envelope)}"# }

    static let pay = #""payment_id":"p1","currency":"CNY","merchant_category":"grocery","outcome":"approved""#
    static let open = #""obligation_id":"o1","service":"travel","amount_minor":500"#

    /// Input events, every type and every rule the schemas express.
    static let events: [SchemaExample] = [
        .valid("user.enrolled", enrolled(#","identity_verified":false"#)),
        .valid("user.withdrawn", withdrawn(env)),
        .valid("payment", payment(#"\#(pay),"amount_minor":12000"#)),
        .valid(
            "declined payment",
            payment(#""payment_id":"","amount_minor":1,"currency":"CNY","merchant_category":"","outcome":"declined""#)),
        .valid("obligation.opened", opened(#"\#(open),"due_at":"2026-01-05T12:00:00.001+08:00""#)),
        .valid("refund", adjusted(#""obligation_id":"o1","delta_minor":-300,"reason":"refund""#)),
        .valid("waiver", adjusted(#""obligation_id":"o1","delta_minor":-1,"reason":"waiver""#)),
        .valid("interest", adjusted(#""obligation_id":"o1","delta_minor":5,"reason":"interest""#)),
        .valid("fee", adjusted(#""obligation_id":"o1","delta_minor":9223372036854775807,"reason":"fee""#)),
        .valid("repayment", #"{"type":"repayment",\#(env),"obligation_id":"o1","amount_minor":100}"#),
        .valid("obligation.cancelled", #"{"type":"obligation.cancelled",\#(env),"obligation_id":"o1"}"#),
        .valid("zero credit limit", limit("0")),
        .valid("largest amount", payment(#"\#(pay),"amount_minor":9223372036854775807"#)),
        .valid("extra fields", payment(#"\#(pay),"amount_minor":1,"channel":"app","meta":{"tags":["a",1.5,null]}"#)),
        .valid("other type's field ignored", withdrawn(env + #","amount_minor":"not checked""#)),
        .valid(
            "64-character user_id",
            withdrawn(
                #""event_id":"e","user_id":"\#(String(repeating: "a", count: 64))","occurred_at":"2026-01-05T12:00:00Z""#
            )),
        .valid(
            "user_id of every allowed character",
            withdrawn(#""event_id":"e","user_id":"AZaz09_.:-","occurred_at":"2026-01-05T12:00:00Z""#)),
        .valid(
            "128-byte event_id",
            withdrawn(
                #""event_id":"\#(String(repeating: "e", count: 128))","user_id":"u","occurred_at":"2026-01-05T12:00:00Z""#
            )),
        .valid(
            "offsets and fractions",
            withdrawn(#""event_id":"e","user_id":"u","occurred_at":"2024-02-29T23:59:59.9-05:30""#)),
        .valid("+00:00 offset", withdrawn(#""event_id":"e","user_id":"u","occurred_at":"2026-03-01T00:00:00+00:00""#)),

        .invalid(.notObject, "an array", "[]"),
        .invalid(.notObject, "a string", #""payment""#),
        .invalid(.missingField, "no type", #"{\#(env)}"#),
        .invalid(.missingField, "no event_id", withdrawn(#""user_id":"u1","occurred_at":"2026-01-05T12:00:00Z""#)),
        .invalid(.missingField, "no user_id", withdrawn(#""event_id":"e","occurred_at":"2026-01-05T12:00:00Z""#)),
        .invalid(.missingField, "no occurred_at", withdrawn(#""event_id":"e","user_id":"u1""#)),
        .invalid(.unknownType, "unknown type", #"{\#(env),"type":"payment.refund"}"#),
        .invalid(.wrongType, "type not a string", #"{\#(env),"type":3}"#),
        .invalid(
            .wrongType, "event_id not a string",
            withdrawn(#""event_id":5,"user_id":"u1","occurred_at":"2026-01-05T12:00:00Z""#)),
        .invalid(
            .invalidValue, "empty event_id",
            withdrawn(#""event_id":"","user_id":"u1","occurred_at":"2026-01-05T12:00:00Z""#)),
        .invalid(
            .invalidValue, "129-character event_id",
            withdrawn(
                #""event_id":"\#(String(repeating: "e", count: 129))","user_id":"u","occurred_at":"2026-01-05T12:00:00Z""#
            )),
        .invalid(
            .invalidValue, "user_id with a space",
            withdrawn(#""event_id":"e","user_id":"bad id","occurred_at":"2026-01-05T12:00:00Z""#)),
        .invalid(
            .invalidValue, "user_id with a newline",
            withdrawn(#""event_id":"e","user_id":"u1\n","occurred_at":"2026-01-05T12:00:00Z""#)),
        .invalid(
            .invalidValue, "non-ASCII user_id",
            withdrawn(#""event_id":"e","user_id":"ü","occurred_at":"2026-01-05T12:00:00Z""#)),
        .invalid(
            .invalidValue, "empty user_id",
            withdrawn(#""event_id":"e","user_id":"","occurred_at":"2026-01-05T12:00:00Z""#)),
        .invalid(
            .invalidValue, "65-character user_id",
            withdrawn(
                #""event_id":"e","user_id":"\#(String(repeating: "a", count: 65))","occurred_at":"2026-01-05T12:00:00Z""#
            )),
        .invalid(
            .wrongType, "user_id not a string",
            withdrawn(#""event_id":"e","user_id":7,"occurred_at":"2026-01-05T12:00:00Z""#)),
        .invalid(
            .invalidValue, "no offset", withdrawn(#""event_id":"e","user_id":"u","occurred_at":"2026-01-05T12:00:00""#)),
        .invalid(
            .invalidValue, "4 fraction digits",
            withdrawn(#""event_id":"e","user_id":"u","occurred_at":"2026-01-05T12:00:00.0001Z""#)),
        .invalid(
            .invalidValue, "leap second",
            withdrawn(#""event_id":"e","user_id":"u","occurred_at":"2026-12-31T23:59:60Z""#)),
        .invalid(
            .invalidValue, "lower-case t",
            withdrawn(#""event_id":"e","user_id":"u","occurred_at":"2026-01-05t12:00:00Z""#)),
        .invalid(.invalidValue, "date only", withdrawn(#""event_id":"e","user_id":"u","occurred_at":"2026-01-05""#)),
        .invalid(
            .invalidValue, "full-width digits",
            withdrawn(#""event_id":"e","user_id":"u","occurred_at":"２０２６-01-05T12:00:00Z""#)),
        .invalid(
            .invalidValue, "Arabic-Indic digits",
            withdrawn(#""event_id":"e","user_id":"u","occurred_at":"٢٠٢٦-01-05T12:00:00Z""#)),
        .invalid(
            .invalidValue, "hour 24", withdrawn(#""event_id":"e","user_id":"u","occurred_at":"2026-01-05T24:00:00Z""#)),
        .invalid(
            .invalidValue, "month 13", withdrawn(#""event_id":"e","user_id":"u","occurred_at":"2026-13-05T12:00:00Z""#)),
        .invalid(
            .invalidValue, "offset +24:00",
            withdrawn(#""event_id":"e","user_id":"u","occurred_at":"2026-01-05T12:00:00+24:00""#)),
        .invalid(
            .wrongType, "occurred_at a number", withdrawn(#""event_id":"e","user_id":"u","occurred_at":1767225600"#)),
        .invalid(.missingField, "no identity_verified", enrolled("")),
        .invalid(.wrongType, "identity_verified a string", enrolled(#","identity_verified":"true""#)),
        .invalid(.wrongType, "identity_verified 1", enrolled(#","identity_verified":1"#)),
        .invalid(
            .missingField, "no payment_id",
            payment(#""currency":"CNY","merchant_category":"g","outcome":"approved","amount_minor":1"#)),
        .invalid(
            .wrongType, "payment_id a number",
            payment(#""payment_id":7,"currency":"CNY","merchant_category":"g","outcome":"approved","amount_minor":1"#)),
        .invalid(.missingField, "no amount", payment(pay)),
        .invalid(.invalidValue, "zero amount", payment(#"\#(pay),"amount_minor":0"#)),
        .invalid(.invalidValue, "negative amount", payment(#"\#(pay),"amount_minor":-5"#)),
        .invalid(.invalidValue, "amount past Int64", payment(#"\#(pay),"amount_minor":9223372036854775808"#)),
        .invalid(.wrongType, "amount a string", payment(#"\#(pay),"amount_minor":"100""#)),
        .invalid(
            .missingField, "no currency",
            payment(#""payment_id":"p","merchant_category":"g","outcome":"approved","amount_minor":1"#)),
        .invalid(
            .invalidValue, "lower-case currency",
            payment(#""payment_id":"p","currency":"cny","merchant_category":"g","outcome":"approved","amount_minor":1"#)
        ),
        .invalid(
            .invalidValue, "4-letter currency",
            payment(
                #""payment_id":"p","currency":"CNYX","merchant_category":"g","outcome":"approved","amount_minor":1"#)),
        .invalid(
            .wrongType, "numeric currency",
            payment(#""payment_id":"p","currency":156,"merchant_category":"g","outcome":"approved","amount_minor":1"#)),
        .invalid(
            .wrongType, "merchant_category null",
            payment(
                #""payment_id":"p","currency":"CNY","merchant_category":null,"outcome":"approved","amount_minor":1"#)),
        .invalid(
            .invalidValue, "unknown outcome",
            payment(#""payment_id":"p","currency":"CNY","merchant_category":"g","outcome":"ok","amount_minor":1"#)),
        .invalid(
            .missingField, "no outcome",
            payment(#""payment_id":"p","currency":"CNY","merchant_category":"g","amount_minor":1"#)),
        .invalid(.missingField, "no due_at", opened(open)),
        .invalid(
            .invalidValue, "unknown service",
            opened(#""obligation_id":"o1","service":"bus","amount_minor":500,"due_at":"2026-02-01T00:00:00Z""#)),
        .invalid(
            .wrongType, "obligation_id a number",
            opened(#""obligation_id":1,"service":"life","amount_minor":500,"due_at":"2026-02-01T00:00:00Z""#)),
        .invalid(.invalidValue, "due_at without offset", opened(#"\#(open),"due_at":"2026-02-01T00:00:00""#)),
        .invalid(.invalidValue, "unknown reason", adjusted(#""obligation_id":"o1","delta_minor":5,"reason":"bonus""#)),
        .invalid(
            .invalidValue, "negative interest", adjusted(#""obligation_id":"o1","delta_minor":-5,"reason":"interest""#)),
        .invalid(.invalidValue, "zero fee", adjusted(#""obligation_id":"o1","delta_minor":0,"reason":"fee""#)),
        .invalid(.invalidValue, "zero refund", adjusted(#""obligation_id":"o1","delta_minor":0,"reason":"refund""#)),
        .invalid(
            .invalidValue, "positive waiver", adjusted(#""obligation_id":"o1","delta_minor":10,"reason":"waiver""#)),
        .invalid(.missingField, "no reason", adjusted(#""obligation_id":"o1","delta_minor":10"#)),
        .invalid(.missingField, "repayment without amount", #"{"type":"repayment",\#(env),"obligation_id":"o1"}"#),
        .invalid(.missingField, "cancellation without obligation", #"{"type":"obligation.cancelled",\#(env)}"#),
        .invalid(.invalidValue, "negative credit limit", limit("-1")),
        .invalid(.wrongType, "credit limit a string", limit(#""5""#)),
        .invalid(.missingField, "no credit limit", #"{\#(env),"type":"credit_limit.set"}"#),

        .byDesign(.wrongType, "12.0 is not an integer", payment(#"\#(pay),"amount_minor":12.0"#)),
        .byDesign(.wrongType, "1e3 is not an integer", payment(#"\#(pay),"amount_minor":1e3"#)),
        .byDesign(.wrongType, "5.00 is not an integer", limit("5.00")),
        .byDesign(
            .wrongType, "-3.0e2 is not an integer",
            adjusted(#""obligation_id":"o1","delta_minor":-3.0e2,"reason":"refund""#)),
        .byDesign(
            .wrongCurrency, "not the deployment currency",
            payment(#""payment_id":"p","currency":"USD","merchant_category":"g","outcome":"approved","amount_minor":1"#)
        ),
        .byDesign(.invalidValue, "due_at equal to occurred_at", opened(#"\#(open),"due_at":"2026-01-05T04:00:00Z""#)),
        .byDesign(
            .invalidValue, "due_at before occurred_at", opened(#"\#(open),"due_at":"2025-01-05T12:00:00+08:00""#)),
        .byDesign(.invalidValue, "due_at on 31 April", opened(#"\#(open),"due_at":"2026-04-31T00:00:00+08:00""#)),
        .byDesign(
            .invalidValue, "30 February",
            withdrawn(#""event_id":"e","user_id":"u","occurred_at":"2026-02-30T12:00:00Z""#)),
        .byDesign(
            .invalidValue, "29 February 2025",
            withdrawn(#""event_id":"e","user_id":"u","occurred_at":"2025-02-29T12:00:00Z""#)),
        .byDesign(
            .invalidValue, "event_id of 43 characters but 129 bytes",
            withdrawn(
                #""event_id":"\#(String(repeating: "中", count: 43))","user_id":"u","occurred_at":"2026-01-05T12:00:00Z""#
            )),
        .byDesign(.duplicateField, "repeated key", payment(#"\#(pay),"amount_minor":1,"amount_minor":2"#)),
        .byDesign(
            .notJSON, "escaped unpaired surrogate",
            payment(
                #""payment_id":"\ud800","currency":"CNY","merchant_category":"g","outcome":"approved","amount_minor":1"#
            )),
    ]

    static let features =
        #""identity_verified":true,"tenure_days":28,"payments_12m":1,"spend_12m_minor":12000,"active_months_12m":1,"declined_12m":1,"obligations_total":2,"on_time_settled":1,"late_settled_24m":0,"open_obligations":1,"outstanding_minor":100000,"overdue_obligations":0,"max_dpd_current":0,"max_dpd_24m":0,"defaults_24m":0,"credit_limit_minor":500000"#

    static func line(_ rest: String) -> String {
        #"{"user_id":"u1","month":"2026-01","score":671,"model_version":"default-1","reasons":["R08"],"features":{\#(features),\#(rest)}}"#
    }

    /// Outputs (the decoder does not read them; only the schemas are checked).
    static let outputs: [SchemaExample] = [
        .valid("snapshot line", line(#""utilization_bp":2000"#), schema: "snapshot-line"),
        .valid("no credit line", line(#""utilization_bp":null"#), schema: "snapshot-line"),
        .invalid(nil, "negative utilization", line(#""utilization_bp":-1"#), schema: "snapshot-line"),
        .invalid(nil, "utilization as a string", line(#""utilization_bp":"2000""#), schema: "snapshot-line"),
        .invalid(
            nil, "missing feature",
            #"{"user_id":"u1","month":"2026-01","score":671,"model_version":"default-1","reasons":[],"features":{\#(features)}}"#,
            schema: "snapshot-line"),
        .invalid(nil, "unknown feature", line(#""utilization_bp":0,"extra":1"#), schema: "snapshot-line"),
        .invalid(
            nil, "identity as 1",
            line(#""utilization_bp":0"#).replacingOccurrences(#""identity_verified":true"#, #""identity_verified":1"#),
            schema: "snapshot-line"),
        .invalid(
            nil, "13 active months",
            line(#""utilization_bp":0"#).replacingOccurrences(#""active_months_12m":1"#, #""active_months_12m":13"#),
            schema: "snapshot-line"),
        .invalid(
            nil, "five reasons",
            line(#""utilization_bp":0"#).replacingOccurrences(#"["R08"]"#, #"["R1","R2","R3","R4","R5"]"#),
            schema: "snapshot-line"),
        .invalid(
            nil, "month 13", line(#""utilization_bp":0"#).replacingOccurrences("2026-01", "2026-13"),
            schema: "snapshot-line"),
        .valid(
            "score changed",
            #"{"event_id":"u1/2026-11/default-1","type":"score.changed","user_id":"u1","month":"2026-11","score":642,"previous_score":610,"previous_month":"2026-10","model_version":"default-1","reasons":["R05"],"occurred_at":"2026-12-01T00:00:00+08:00"}"#,
            schema: "score.changed"),
        .valid(
            "first score",
            #"{"event_id":"u1/2026-11/default-1","type":"score.changed","user_id":"u1","month":"2026-11","score":642,"previous_score":null,"previous_month":null,"model_version":"default-1","reasons":[],"occurred_at":"2026-12-01T00:00:00+08:00"}"#,
            schema: "score.changed"),
        .invalid(
            nil, "half a previous score",
            #"{"event_id":"u1/2026-11/default-1","type":"score.changed","user_id":"u1","month":"2026-11","score":642,"previous_score":null,"previous_month":"2026-10","model_version":"default-1","reasons":[],"occurred_at":"2026-12-01T00:00:00+08:00"}"#,
            schema: "score.changed"),
        .invalid(
            nil, "missing previous fields",
            #"{"event_id":"u1/2026-11/default-1","type":"score.changed","user_id":"u1","month":"2026-11","score":642,"model_version":"default-1","reasons":[],"occurred_at":"2026-12-01T00:00:00+08:00"}"#,
            schema: "score.changed"),
        .valid(
            "score deleted",
            #"{"event_id":"u1/erased/2026-03-20T10:00:00+08:00","type":"score.deleted","user_id":"u1","occurred_at":"2026-03-20T10:00:00+08:00"}"#,
            schema: "score.deleted"),
        .invalid(
            nil, "deleted with a score",
            #"{"event_id":"u1/erased/2026-03-20T10:00:00+08:00","type":"score.deleted","user_id":"u1","occurred_at":"2026-03-20T10:00:00+08:00","score":1}"#,
            schema: "score.deleted"),
        .invalid(
            nil, "deleted with another type",
            #"{"event_id":"u1/erased/2026-03-20T10:00:00+08:00","type":"score.changed","user_id":"u1","occurred_at":"2026-03-20T10:00:00+08:00"}"#,
            schema: "score.deleted"),
    ]
}

extension String {
    fileprivate func replacingOccurrences(_ target: String, _ replacement: String) -> String {
        replacing(target, with: replacement)
    }
}
