/// An event as the scoring reads it, flat: fixed-width fields, and the two ids it needs as spans
/// of the bytes it was decoded from (``EventCodec/decodeScored(_:origin:)``).
///
/// A replay decodes its events into these and applies them
/// (``ScoringState/accept(_:bytes:atSlot:)``) without making a `String` or an enum payload: an
/// ``Event`` is five strings and a payload of four shapes, and copying, consuming and destroying
/// them was an eighth of the replay's applying thread. A value of this type holds nothing to
/// release, so the arrays of them a replay hands between threads are freed without visiting
/// each one.
///
/// What is left out is what ``EventCodec/Fields/scored`` left out before: a payment's
/// `payment_id`, `currency` and `merchant_category`, and the `event_id` of every kind but
/// `user.enrolled` and `credit_limit.set`.
public struct ScoredEvent: Sendable, Hashable, BitwiseCopyable {
    /// Where a string lies in the bytes an event was decoded from.
    public struct Span: Sendable, Hashable, BitwiseCopyable {
        public var start: UInt32
        public var count: UInt32

        public static let empty = Span(start: 0, count: 0)

        /// The span's bytes in `base`, the buffer its offsets count from.
        @inlinable
        public func bytes(in base: UnsafeRawPointer) -> UnsafeBufferPointer<UInt8> {
            UnsafeBufferPointer(start: (base + Int(start)).assumingMemoryBound(to: UInt8.self), count: Int(count))
        }
    }

    public var kind: EventKind
    /// The kind's one-byte field: `identity_verified` (0 or 1) of `user.enrolled`; the raw value
    /// of a payment's outcome, an opening's service or an adjustment's reason; else 0.
    public var code: UInt8
    public var occurredAt: Instant
    /// `amount_minor` (payment, opening, repayment), `delta_minor` (adjustment) or
    /// `limit_minor` (credit limit); else 0.
    public var amount: Int64
    /// An opening's `due_at`; else the epoch.
    public var dueAt: Instant
    /// The id the scoring keys the event by: the `event_id` of `user.enrolled` and
    /// `credit_limit.set` (their marks are ordered by it), the `obligation_id` of an obligation's
    /// events; empty for the others.
    public var key: Span
    public var user: Span

    public init(
        kind: EventKind, code: UInt8 = 0, occurredAt: Instant, amount: Int64 = 0,
        dueAt: Instant = Instant(millisecondsSinceEpoch: 0), key: Span = .empty, user: Span = .empty
    ) {
        self.kind = kind
        self.code = code
        self.occurredAt = occurredAt
        self.amount = amount
        self.dueAt = dueAt
        self.key = key
        self.user = user
    }

    /// `event`'s scored fields, its spans empty: for a caller that hands the key's bytes
    /// (``Event/scoringKey``) beside it.
    public init(_ event: Event) {
        self.init(kind: event.kind, occurredAt: event.occurredAt)
        switch event.payload {
        case .userEnrolled(let verified):
            code = verified ? 1 : 0
        case .userWithdrawn:
            break
        case .payment(let p):
            code = p.outcome.rawValue
            amount = p.amountMinor
        case .obligationOpened(let o):
            code = o.service.rawValue
            amount = o.amountMinor
            dueAt = o.dueAt
        case .obligationAdjusted(let a):
            code = a.reason.rawValue
            amount = a.deltaMinor
        case .repayment(_, let amountMinor):
            amount = amountMinor
        case .obligationCancelled:
            break
        case .creditLimitSet(let limit):
            amount = limit
        }
    }

    /// Whether the scoring keys this kind by its `event_id` (``key``).
    @inlinable
    public static func keysByEventID(_ kind: EventKind) -> Bool {
        kind == .userEnrolled || kind == .creditLimitSet
    }
}

extension Event {
    /// The id the scoring keys this event by (``ScoredEvent/key``).
    public var scoringKey: String {
        ScoredEvent.keysByEventID(kind) ? eventID : payload.obligationID ?? ""
    }

    /// The event `scored` stands for, its spans read in `base`: the fields the scoring does not
    /// read are empty (``ScoredEvent``). Traps on a code that is not its kind's: a decode
    /// (``EventCodec/decodeScored(_:origin:)``) checked it.
    public init(_ scored: ScoredEvent, in base: UnsafeRawPointer) {
        func string(_ span: ScoredEvent.Span) -> String { String(decoding: span.bytes(in: base), as: UTF8.self) }
        let key = string(scored.key)
        let payload: Payload
        switch scored.kind {
        case .userEnrolled:
            payload = .userEnrolled(identityVerified: scored.code != 0)
        case .userWithdrawn:
            payload = .userWithdrawn
        case .payment:
            payload = .payment(
                Payment(
                    paymentID: "", amountMinor: scored.amount, currency: "", merchantCategory: "",
                    outcome: PaymentOutcome(rawValue: scored.code)!))
        case .obligationOpened:
            payload = .obligationOpened(
                ObligationOpened(
                    obligationID: key, service: Service(rawValue: scored.code)!, amountMinor: scored.amount,
                    dueAt: scored.dueAt))
        case .obligationAdjusted:
            payload = .obligationAdjusted(
                ObligationAdjusted(
                    obligationID: key, deltaMinor: scored.amount, reason: AdjustmentReason(rawValue: scored.code)!))
        case .repayment:
            payload = .repayment(obligationID: key, amountMinor: scored.amount)
        case .obligationCancelled:
            payload = .obligationCancelled(obligationID: key)
        case .creditLimitSet:
            payload = .creditLimitSet(limitMinor: scored.amount)
        }
        self.init(
            eventID: ScoredEvent.keysByEventID(scored.kind) ? key : "", userID: string(scored.user),
            occurredAt: scored.occurredAt, payload: payload)
    }
}
