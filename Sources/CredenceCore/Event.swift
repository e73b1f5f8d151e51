/// The type of an input event (SCORING.md section 2).
public enum EventKind: UInt8, Sendable, Hashable, CaseIterable, BitwiseCopyable {
    case userEnrolled = 1
    case userWithdrawn = 2
    case payment = 3
    case obligationOpened = 4
    case obligationAdjusted = 5
    case repayment = 6
    case obligationCancelled = 7
    case creditLimitSet = 8

    /// The `type` string on the wire.
    public var wireName: String {
        switch self {
        case .userEnrolled: return "user.enrolled"
        case .userWithdrawn: return "user.withdrawn"
        case .payment: return "payment"
        case .obligationOpened: return "obligation.opened"
        case .obligationAdjusted: return "obligation.adjusted"
        case .repayment: return "repayment"
        case .obligationCancelled: return "obligation.cancelled"
        case .creditLimitSet: return "credit_limit.set"
        }
    }

    public init?(wireName: String) {
        guard let kind = EventKind.allCases.first(where: { $0.wireName == wireName }) else { return nil }
        self = kind
    }
}

/// The service an obligation belongs to.
public enum Service: UInt8, Sendable, Hashable, CaseIterable {
    case rental = 1, travel, shopping, life, accommodation, payLater

    public var wireName: String {
        switch self {
        case .rental: return "rental"
        case .travel: return "travel"
        case .shopping: return "shopping"
        case .life: return "life"
        case .accommodation: return "accommodation"
        case .payLater: return "pay_later"
        }
    }

    public init?(wireName: String) {
        guard let v = Service.allCases.first(where: { $0.wireName == wireName }) else { return nil }
        self = v
    }
}

public enum PaymentOutcome: UInt8, Sendable, Hashable, CaseIterable {
    case approved = 1, declined

    public var wireName: String { self == .approved ? "approved" : "declined" }

    public init?(wireName: String) {
        switch wireName {
        case "approved": self = .approved
        case "declined": self = .declined
        default: return nil
        }
    }
}

/// Why an obligation's amount due changed. `interest` and `fee` raise it, `refund` and `waiver` lower it.
public enum AdjustmentReason: UInt8, Sendable, Hashable, CaseIterable {
    case interest = 1, fee, refund, waiver

    public var wireName: String {
        switch self {
        case .interest: return "interest"
        case .fee: return "fee"
        case .refund: return "refund"
        case .waiver: return "waiver"
        }
    }

    public init?(wireName: String) {
        guard let v = AdjustmentReason.allCases.first(where: { $0.wireName == wireName }) else { return nil }
        self = v
    }

    /// Whether `delta_minor` must be positive (`true`) or negative (`false`).
    public var raisesAmountDue: Bool { self == .interest || self == .fee }
}

/// A validated input event.
public struct Event: Sendable, Hashable {
    public var eventID: String
    public var userID: String
    public var occurredAt: Instant
    public var payload: Payload

    public init(eventID: String, userID: String, occurredAt: Instant, payload: Payload) {
        self.eventID = eventID
        self.userID = userID
        self.occurredAt = occurredAt
        self.payload = payload
    }

    public var kind: EventKind { payload.kind }

    /// The type-specific fields of an event.
    public enum Payload: Sendable, Hashable {
        case userEnrolled(identityVerified: Bool)
        case userWithdrawn
        case payment(Payment)
        case obligationOpened(ObligationOpened)
        case obligationAdjusted(ObligationAdjusted)
        case repayment(obligationID: String, amountMinor: Int64)
        case obligationCancelled(obligationID: String)
        case creditLimitSet(limitMinor: Int64)

        public var kind: EventKind {
            switch self {
            case .userEnrolled: return .userEnrolled
            case .userWithdrawn: return .userWithdrawn
            case .payment: return .payment
            case .obligationOpened: return .obligationOpened
            case .obligationAdjusted: return .obligationAdjusted
            case .repayment: return .repayment
            case .obligationCancelled: return .obligationCancelled
            case .creditLimitSet: return .creditLimitSet
            }
        }

        /// The obligation an event refers to, if any.
        public var obligationID: String? {
            switch self {
            case .obligationOpened(let o): return o.obligationID
            case .obligationAdjusted(let a): return a.obligationID
            case .repayment(let id, _), .obligationCancelled(let id): return id
            default: return nil
            }
        }
    }

    public struct Payment: Sendable, Hashable {
        public var paymentID: String
        public var amountMinor: Int64
        public var currency: String
        public var merchantCategory: String
        public var outcome: PaymentOutcome

        public init(
            paymentID: String, amountMinor: Int64, currency: String, merchantCategory: String,
            outcome: PaymentOutcome
        ) {
            self.paymentID = paymentID
            self.amountMinor = amountMinor
            self.currency = currency
            self.merchantCategory = merchantCategory
            self.outcome = outcome
        }
    }

    public struct ObligationOpened: Sendable, Hashable {
        public var obligationID: String
        public var service: Service
        public var amountMinor: Int64
        public var dueAt: Instant

        public init(obligationID: String, service: Service, amountMinor: Int64, dueAt: Instant) {
            self.obligationID = obligationID
            self.service = service
            self.amountMinor = amountMinor
            self.dueAt = dueAt
        }
    }

    public struct ObligationAdjusted: Sendable, Hashable {
        public var obligationID: String
        public var deltaMinor: Int64
        public var reason: AdjustmentReason

        public init(obligationID: String, deltaMinor: Int64, reason: AdjustmentReason) {
            self.obligationID = obligationID
            self.deltaMinor = deltaMinor
            self.reason = reason
        }
    }
}
