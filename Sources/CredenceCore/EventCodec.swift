/// The compact binary form of a validated `Event`, as stored in the event log.
///
/// Layout (version 1); integers are LEB128 varints, signed ones zigzag-encoded, strings a
/// varint byte count then UTF-8, enums their `UInt8` raw value, booleans 0 or 1:
///
/// ```
/// u8 version (1) · u8 kind · string eventID · string userID · zigzag occurredAt (ms since epoch)
/// then by kind:
///   userEnrolled         u8 identityVerified
///   userWithdrawn        (nothing)
///   payment              string paymentID · zigzag amountMinor · string currency
///                        · string merchantCategory · u8 outcome
///   obligationOpened     string obligationID · u8 service · zigzag amountMinor · zigzag dueAt
///   obligationAdjusted   string obligationID · zigzag deltaMinor · u8 reason
///   repayment            string obligationID · zigzag amountMinor
///   obligationCancelled  string obligationID
///   creditLimitSet       zigzag limitMinor
/// ```
///
/// Decoding checks structure, not business rules, and accepts only the shortest encoding:
/// whatever decodes re-encodes to the same bytes. A typical payment takes ~60-90 bytes.
public enum EventCodec {
    public static let version: UInt8 = 1

    /// Appends the encoding of `event` to `buffer`.
    ///
    /// The bytes are written through a pointer into room sized for the event
    /// (``encodedCountBound(_:)``), then appended at once: the decoding stages encode every
    /// accepted event, and an array append per byte cost them a tenth of their time.
    public static func encode(_ event: Event, into buffer: inout [UInt8]) {
        let bound = encodedCountBound(event)
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: bound) { room in
            var writer = PackedWriter(base: room.baseAddress!, capacity: bound)
            encode(event, into: &writer)
            buffer.append(contentsOf: UnsafeBufferPointer(rebasing: room[..<writer.count]))
        }
    }

    /// Appends the encoding of `event` to `writer`.
    public static func encode(_ event: Event, into writer: inout ByteWriter) {
        encode(event, into: &writer.bytes)
    }

    /// At least the size of `event`'s encoding: its strings' bytes, plus room for the longest
    /// varint (10 bytes) wherever one is written and a byte per tag, enum and flag (73 bytes at
    /// most, for a payment).
    static func encodedCountBound(_ event: Event) -> Int {
        var strings = event.eventID.utf8.count &+ event.userID.utf8.count
        switch event.payload {
        case .payment(let p):
            strings &+= p.paymentID.utf8.count &+ p.currency.utf8.count &+ p.merchantCategory.utf8.count
        case .obligationOpened(let o): strings &+= o.obligationID.utf8.count
        case .obligationAdjusted(let a): strings &+= a.obligationID.utf8.count
        case .repayment(let obligationID, _), .obligationCancelled(let obligationID):
            strings &+= obligationID.utf8.count
        case .userEnrolled, .userWithdrawn, .creditLimitSet: break
        }
        return strings &+ 80
    }

    /// The layout above, written through `writer` (the packed user state's writer: the same
    /// varints and length-prefixed bytes, each write checked against the room).
    private static func encode(_ event: Event, into writer: inout PackedWriter) {
        writer.byte(version)
        writer.byte(event.kind.rawValue)
        writeString(event.eventID, to: &writer)
        writeString(event.userID, to: &writer)
        writer.zigzag(event.occurredAt.millisecondsSinceEpoch)
        switch event.payload {
        case .userEnrolled(let identityVerified):
            writer.byte(identityVerified ? 1 : 0)
        case .userWithdrawn:
            break
        case .payment(let p):
            writeString(p.paymentID, to: &writer)
            writer.zigzag(p.amountMinor)
            writeString(p.currency, to: &writer)
            writeString(p.merchantCategory, to: &writer)
            writer.byte(p.outcome.rawValue)
        case .obligationOpened(let o):
            writeString(o.obligationID, to: &writer)
            writer.byte(o.service.rawValue)
            writer.zigzag(o.amountMinor)
            writer.zigzag(o.dueAt.millisecondsSinceEpoch)
        case .obligationAdjusted(let a):
            writeString(a.obligationID, to: &writer)
            writer.zigzag(a.deltaMinor)
            writer.byte(a.reason.rawValue)
        case .repayment(let obligationID, let amountMinor):
            writeString(obligationID, to: &writer)
            writer.zigzag(amountMinor)
        case .obligationCancelled(let obligationID):
            writeString(obligationID, to: &writer)
        case .creditLimitSet(let limitMinor):
            writer.zigzag(limitMinor)
        }
    }

    /// A string's UTF-8 bytes, length first.
    @inline(__always)
    private static func writeString(_ value: String, to writer: inout PackedWriter) {
        var value = value
        value.withUTF8 { writer.bytes($0) }
    }

    /// The encoding of `event` as a new array.
    public static func encode(_ event: Event) -> [UInt8] {
        var bytes: [UInt8] = []
        encode(event, into: &bytes)
        return bytes
    }

    /// Decodes one event that fills `bytes` exactly.
    ///
    /// Throws `BinaryDecodingError` for anything else: truncated input, an unknown version,
    /// kind or enum value, bad UTF-8, an overlong varint, trailing bytes.
    /// Never traps.
    public static func decode(_ bytes: UnsafeRawBufferPointer) throws -> Event {
        var reader = ByteReader(bytes)
        let kind = try readHead(&reader)
        let eventID = try reader.readString()
        let userID = try reader.readString()
        let occurredAt = Instant(millisecondsSinceEpoch: try reader.readZigZag())
        let payload: Event.Payload
        switch kind {
        case .userEnrolled:
            payload = .userEnrolled(identityVerified: try reader.readBool())
        case .userWithdrawn:
            payload = .userWithdrawn
        case .payment:
            payload = .payment(
                Event.Payment(
                    paymentID: try reader.readString(), amountMinor: try reader.readZigZag(),
                    currency: try reader.readString(), merchantCategory: try reader.readString(),
                    outcome: try reader.readEnum(PaymentOutcome.self, "payment outcome")))
        case .obligationOpened:
            payload = .obligationOpened(
                Event.ObligationOpened(
                    obligationID: try reader.readString(), service: try reader.readEnum(Service.self, "service"),
                    amountMinor: try reader.readZigZag(),
                    dueAt: Instant(millisecondsSinceEpoch: try reader.readZigZag())))
        case .obligationAdjusted:
            payload = .obligationAdjusted(
                Event.ObligationAdjusted(
                    obligationID: try reader.readString(), deltaMinor: try reader.readZigZag(),
                    reason: try reader.readEnum(AdjustmentReason.self, "adjustment reason")))
        case .repayment:
            payload = .repayment(obligationID: try reader.readString(), amountMinor: try reader.readZigZag())
        case .obligationCancelled:
            payload = .obligationCancelled(obligationID: try reader.readString())
        case .creditLimitSet:
            payload = .creditLimitSet(limitMinor: try reader.readZigZag())
        }
        try reader.expectEnd()
        return Event(eventID: eventID, userID: userID, occurredAt: occurredAt, payload: payload)
    }

    /// Decodes what the scoring reads of one event that fills `bytes` exactly, into a
    /// ``ScoredEvent`` whose spans are offsets from `bytes`' start plus `origin` (where `bytes`
    /// lie in the buffer the caller keeps them in).
    ///
    /// For a replay, which only rebuilds the state from events that were checked when they were
    /// written and are authenticated as they are read: a payment's `payment_id`, `currency` and
    /// `merchant_category`, and the `event_id` of every kind but `user.enrolled` and
    /// `credit_limit.set`, are passed over unchecked. Everything else is checked as ``decode(_:)``
    /// checks it, and throws what it throws. Nothing that writes an event (an erasure's re-keyed
    /// copies) or shows one may use it.
    public static func decodeScored(_ bytes: UnsafeRawBufferPointer, origin: Int = 0) throws -> ScoredEvent {
        var reader = ByteReader(bytes)
        func span(_ utf8: UnsafeRawBufferPointer) -> ScoredEvent.Span {
            ScoredEvent.Span(
                start: UInt32(truncatingIfNeeded: origin + (utf8.baseAddress.map { $0 - bytes.baseAddress! } ?? 0)),
                count: UInt32(truncatingIfNeeded: utf8.count))
        }
        let kind = try readHead(&reader)
        var key = ScoredEvent.Span.empty
        if ScoredEvent.keysByEventID(kind) {
            key = span(try reader.readUTF8())
        } else {
            try reader.skipString()
        }
        let user = span(try reader.readUTF8())
        var event = ScoredEvent(
            kind: kind, occurredAt: Instant(millisecondsSinceEpoch: try reader.readZigZag()), key: key, user: user)
        switch kind {
        case .userEnrolled:
            event.code = try reader.readBool() ? 1 : 0
        case .userWithdrawn:
            break
        case .payment:
            try reader.skipString()
            event.amount = try reader.readZigZag()
            try reader.skipString()
            try reader.skipString()
            event.code = try reader.readEnum(PaymentOutcome.self, "payment outcome").rawValue
        case .obligationOpened:
            event.key = span(try reader.readUTF8())
            event.code = try reader.readEnum(Service.self, "service").rawValue
            event.amount = try reader.readZigZag()
            event.dueAt = Instant(millisecondsSinceEpoch: try reader.readZigZag())
        case .obligationAdjusted:
            event.key = span(try reader.readUTF8())
            event.amount = try reader.readZigZag()
            event.code = try reader.readEnum(AdjustmentReason.self, "adjustment reason").rawValue
        case .repayment:
            event.key = span(try reader.readUTF8())
            event.amount = try reader.readZigZag()
        case .obligationCancelled:
            event.key = span(try reader.readUTF8())
        case .creditLimitSet:
            event.amount = try reader.readZigZag()
        }
        try reader.expectEnd()
        return event
    }

    /// The format version, checked, and the event's kind.
    private static func readHead(_ reader: inout ByteReader) throws -> EventKind {
        let found = try reader.readByte()
        guard found == version else {
            throw BinaryDecodingError(
                code: .unsupportedVersion, offset: 0,
                message: "event format version \(found); this build reads version \(version), upgrade it")
        }
        return try reader.readEnum(EventKind.self, "event kind")
    }

    /// Decodes one event that fills `bytes` exactly.
    public static func decode(_ bytes: some Collection<UInt8>) throws -> Event {
        if let event = try bytes.withContiguousStorageIfAvailable({ try decode(UnsafeRawBufferPointer($0)) }) {
            return event
        }
        return try Array(bytes).withUnsafeBytes { try decode($0) }
    }
}

extension ByteReader {
    /// A byte that must be the raw value of a case of `E`.
    mutating func readEnum<E: RawRepresentable>(_: E.Type, _ what: String) throws -> E where E.RawValue == UInt8 {
        let start = offset
        let raw = try readByte()
        guard let value = E(rawValue: raw) else {
            throw BinaryDecodingError(code: .invalidValue, offset: start, message: "\(raw) is not a valid \(what)")
        }
        return value
    }
}
