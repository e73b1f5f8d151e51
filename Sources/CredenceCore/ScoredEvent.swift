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
/// Left out, as the scoring reads none of them: a payment's `payment_id`, `currency` and
/// `merchant_category`, and the `event_id` of every kind but `user.enrolled` and
/// `credit_limit.set`.
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

    @inlinable
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

    /// `event`'s scored fields, its spans empty, and the id it is keyed by (``key``): for a
    /// caller that hands the key's bytes beside it. One pass over the payload, inlined into the
    /// live apply (``UserState/apply(_:offset:)``).
    @inlinable
    public static func of(_ event: Event) -> (event: ScoredEvent, key: String) {
        var scored = ScoredEvent(kind: event.kind, occurredAt: event.occurredAt)
        var key = ""
        switch event.payload {
        case .userEnrolled(let verified):
            scored.code = verified ? 1 : 0
            key = event.eventID
        case .userWithdrawn:
            break
        case .payment(let p):
            scored.code = p.outcome.rawValue
            scored.amount = p.amountMinor
        case .obligationOpened(let o):
            scored.code = o.service.rawValue
            scored.amount = o.amountMinor
            scored.dueAt = o.dueAt
            key = o.obligationID
        case .obligationAdjusted(let a):
            scored.code = a.reason.rawValue
            scored.amount = a.deltaMinor
            key = a.obligationID
        case .repayment(let id, let amountMinor):
            scored.amount = amountMinor
            key = id
        case .obligationCancelled(let id):
            key = id
        case .creditLimitSet(let limit):
            scored.amount = limit
            key = event.eventID
        }
        return (scored, key)
    }

    /// Whether the scoring keys this kind by its `event_id` (``key``).
    @inlinable
    public static func keysByEventID(_ kind: EventKind) -> Bool {
        kind == .userEnrolled || kind == .creditLimitSet
    }
}

extension Event {

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
