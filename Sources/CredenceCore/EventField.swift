/// The top-level fields an input event may carry (SCORING.md section 2), matched
/// against key bytes without building strings.
enum EventField: Int, CaseIterable, JSONFieldTable {
    case eventID, type, userID, occurredAt
    case identityVerified, paymentID, amountMinor, currency, merchantCategory, outcome
    case obligationID, service, dueAt, deltaMinor, reason, limitMinor

    /// The field's name on the wire.
    var name: StaticString {
        switch self {
        case .eventID: return "event_id"
        case .type: return "type"
        case .userID: return "user_id"
        case .occurredAt: return "occurred_at"
        case .identityVerified: return "identity_verified"
        case .paymentID: return "payment_id"
        case .amountMinor: return "amount_minor"
        case .currency: return "currency"
        case .merchantCategory: return "merchant_category"
        case .outcome: return "outcome"
        case .obligationID: return "obligation_id"
        case .service: return "service"
        case .dueAt: return "due_at"
        case .deltaMinor: return "delta_minor"
        case .reason: return "reason"
        case .limitMinor: return "limit_minor"
        }
    }

    static func slot(ofKey p: UnsafePointer<UInt8>, count: Int) -> Int {
        let field: EventField?
        switch count {
        case 4: field = equal(p, count, "type") ? .type : nil
        case 6: field = equal(p, count, "due_at") ? .dueAt : equal(p, count, "reason") ? .reason : nil
        case 7:
            field =
                equal(p, count, "user_id")
                ? .userID
                : equal(p, count, "outcome") ? .outcome : equal(p, count, "service") ? .service : nil
        case 8: field = equal(p, count, "event_id") ? .eventID : equal(p, count, "currency") ? .currency : nil
        case 10: field = equal(p, count, "payment_id") ? .paymentID : nil
        case 11:
            field =
                equal(p, count, "occurred_at")
                ? .occurredAt
                : equal(p, count, "delta_minor") ? .deltaMinor : equal(p, count, "limit_minor") ? .limitMinor : nil
        case 12: field = equal(p, count, "amount_minor") ? .amountMinor : nil
        case 13: field = equal(p, count, "obligation_id") ? .obligationID : nil
        case 17:
            field =
                equal(p, count, "identity_verified")
                ? .identityVerified : equal(p, count, "merchant_category") ? .merchantCategory : nil
        default: field = nil
        }
        return field?.rawValue ?? -1
    }
}

/// Whether the `count` bytes at `p` spell `s`.
@inline(__always)
func equal(_ p: UnsafePointer<UInt8>, _ count: Int, _ s: StaticString) -> Bool {
    guard count == s.utf8CodeUnitCount else { return false }
    let q = s.utf8Start
    for k in 0..<count where p[k] != q[k] { return false }
    return true
}

extension EventKind {
    /// The kind whose wire name is `bytes`.
    init?(wireBytes b: UnsafeBufferPointer<UInt8>) {
        guard let p = b.baseAddress else { return nil }
        let n = b.count
        // Every wire name has a different length.
        switch n {
        case 13 where equal(p, n, "user.enrolled"): self = .userEnrolled
        case 14 where equal(p, n, "user.withdrawn"): self = .userWithdrawn
        case 7 where equal(p, n, "payment"): self = .payment
        case 17 where equal(p, n, "obligation.opened"): self = .obligationOpened
        case 19 where equal(p, n, "obligation.adjusted"): self = .obligationAdjusted
        case 9 where equal(p, n, "repayment"): self = .repayment
        case 20 where equal(p, n, "obligation.cancelled"): self = .obligationCancelled
        case 16 where equal(p, n, "credit_limit.set"): self = .creditLimitSet
        default: return nil
        }
    }
}

extension Service {
    init?(wireBytes b: UnsafeBufferPointer<UInt8>) {
        guard let p = b.baseAddress else { return nil }
        let n = b.count
        if equal(p, n, "rental") {
            self = .rental
        } else if equal(p, n, "travel") {
            self = .travel
        } else if equal(p, n, "shopping") {
            self = .shopping
        } else if equal(p, n, "life") {
            self = .life
        } else if equal(p, n, "accommodation") {
            self = .accommodation
        } else if equal(p, n, "pay_later") {
            self = .payLater
        } else {
            return nil
        }
    }
}

extension PaymentOutcome {
    init?(wireBytes b: UnsafeBufferPointer<UInt8>) {
        guard let p = b.baseAddress else { return nil }
        if equal(p, b.count, "approved") {
            self = .approved
        } else if equal(p, b.count, "declined") {
            self = .declined
        } else {
            return nil
        }
    }
}

extension AdjustmentReason {
    init?(wireBytes b: UnsafeBufferPointer<UInt8>) {
        guard let p = b.baseAddress else { return nil }
        let n = b.count
        if equal(p, n, "interest") {
            self = .interest
        } else if equal(p, n, "fee") {
            self = .fee
        } else if equal(p, n, "refund") {
            self = .refund
        } else if equal(p, n, "waiver") {
            self = .waiver
        } else {
            return nil
        }
    }
}
