import Foundation

/// Bearer tokens of the API tests.
public enum Tokens {
    public static let read = "read-token-0001"
    public static let write = "write-token-0001"
    public static let unknown = "not-a-token-0001"
}

/// A small world with known answers:
///
/// - `alice`: enrolled 2025-01-05, three approved payments, an obligation paid on time; scored
///   in 2025-01 and 2025-02 (both closed).
/// - `carol`: enrolled 2025-01-10 with a large overdue obligation: a low score, not eligible
///   for everything.
/// - `bob`: enrolled 2025-01-07, scored in the closed months, then a withdrawal (2025-02-10)
///   arrives last: erased everywhere.
/// - `dave`: enrolled 2025-03-02, after the last closed month: a provisional score only.
///
/// Months 2025-01 and 2025-02 are closed (a late-March event moved the watermark past
/// end(2025-02) + 48 h); 2025-03 is open.
public enum SmallWorld {
    public static let events: [String] = [
        #"{"event_id":"a1","type":"user.enrolled","user_id":"alice","occurred_at":"2025-01-05T10:00:00+08:00","identity_verified":true}"#,
        #"{"event_id":"a2","type":"credit_limit.set","user_id":"alice","occurred_at":"2025-01-05T10:00:01+08:00","limit_minor":500000}"#,
        #"{"event_id":"a3","type":"payment","user_id":"alice","occurred_at":"2025-01-06T12:00:00+08:00","payment_id":"p1","amount_minor":12000,"currency":"CNY","merchant_category":"food","outcome":"approved"}"#,
        #"{"event_id":"a4","type":"payment","user_id":"alice","occurred_at":"2025-01-16T12:00:00+08:00","payment_id":"p2","amount_minor":8000,"currency":"CNY","merchant_category":"food","outcome":"approved"}"#,
        #"{"event_id":"a5","type":"obligation.opened","user_id":"alice","occurred_at":"2025-01-08T09:00:00+08:00","obligation_id":"o1","service":"rental","amount_minor":30000,"due_at":"2025-01-20T00:00:00+08:00"}"#,
        #"{"event_id":"a6","type":"repayment","user_id":"alice","occurred_at":"2025-01-18T09:00:00+08:00","obligation_id":"o1","amount_minor":30000}"#,
        #"{"event_id":"b1","type":"user.enrolled","user_id":"bob","occurred_at":"2025-01-07T10:00:00+08:00","identity_verified":true}"#,
        #"{"event_id":"b2","type":"payment","user_id":"bob","occurred_at":"2025-01-09T12:00:00+08:00","payment_id":"p1","amount_minor":1000,"currency":"CNY","merchant_category":"food","outcome":"approved"}"#,
        #"{"event_id":"c1","type":"user.enrolled","user_id":"carol","occurred_at":"2025-01-10T10:00:00+08:00","identity_verified":false}"#,
        #"{"event_id":"c2","type":"obligation.opened","user_id":"carol","occurred_at":"2025-01-11T09:00:00+08:00","obligation_id":"o1","service":"pay_later","amount_minor":900000,"due_at":"2025-01-12T00:00:00+08:00"}"#,
        #"{"event_id":"a7","type":"payment","user_id":"alice","occurred_at":"2025-02-03T12:00:00+08:00","payment_id":"p3","amount_minor":5000,"currency":"CNY","merchant_category":"travel","outcome":"approved"}"#,
        #"{"event_id":"d1","type":"user.enrolled","user_id":"dave","occurred_at":"2025-03-02T10:00:00+08:00","identity_verified":true}"#,
        #"{"event_id":"z1","type":"payment","user_id":"alice","occurred_at":"2025-03-20T12:00:00+08:00","payment_id":"p4","amount_minor":1000,"currency":"CNY","merchant_category":"food","outcome":"approved"}"#,
        // Arrives after the months closed: erases bob from the stored snapshots.
        #"{"event_id":"b3","type":"user.withdrawn","user_id":"bob","occurred_at":"2025-02-10T10:00:00+08:00"}"#,
    ]
}
