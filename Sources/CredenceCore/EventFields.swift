/// The top-level members captured from one event object, checked against the
/// rules of SCORING.md section 2 and turned into an ``Event``.
struct EventFields {
    let base: UnsafePointer<UInt8>
    let slots: UnsafeBufferPointer<JSONValueInfo>

    subscript(field: EventField) -> JSONValueInfo { slots[field.rawValue] }

    /// The event, or the first broken rule in the order of the spec's tables.
    func event(currency: [UInt8], deploymentCurrency: String, key: UnsafeRawBufferPointer?) throws(Rejection) -> Event {
        let eventID = try withBytes(requireString(.eventID)) { b throws(Rejection) -> String in
            guard (1...128).contains(b.count) else {
                throw Rejection(.invalidValue, "event_id must be 1-128 bytes of UTF-8, got \(b.count) bytes")
            }
            return String(decoding: b, as: UTF8.self)
        }
        let kind = try withBytes(requireString(.type)) { b throws(Rejection) -> EventKind in
            guard let kind = EventKind(wireBytes: b) else {
                throw Rejection(.unknownType, "unknown type \(Rejection.quoted(b))")
            }
            return kind
        }
        let userID = try withBytes(requireString(.userID)) { b throws(Rejection) -> String in
            guard b.allSatisfy(Self.isUserIDByte) else {
                throw Rejection(.invalidValue, "user_id \(Rejection.quoted(b)) has characters outside [A-Za-z0-9_.:-]")
            }
            guard (1...64).contains(b.count) else {
                throw Rejection(.invalidValue, "user_id must be 1-64 characters, got \(b.count)")
            }
            if let key, !key.elementsEqual(b) {
                let k = Rejection.quoted(key.assumingMemoryBound(to: UInt8.self))
                throw Rejection(.keyMismatch, "message key \(k) does not match user_id \(Rejection.quoted(b))")
            }
            return String(decoding: b, as: UTF8.self)
        }
        let occurredAt = try instant(.occurredAt)
        let payload: Event.Payload
        switch kind {
        case .userEnrolled:
            payload = .userEnrolled(identityVerified: try bool(.identityVerified))
        case .userWithdrawn:
            payload = .userWithdrawn
        case .payment:
            let paymentID = try string(.paymentID)
            let amount = try positive(.amountMinor)
            try withBytes(requireString(.currency)) { b throws(Rejection) in
                guard b.count == 3, b.allSatisfy({ $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") }) else {
                    throw Rejection(
                        .invalidValue, "currency \(Rejection.quoted(b)) must be 3 uppercase ASCII letters (ISO 4217)")
                }
                guard b.elementsEqual(currency) else {
                    throw Rejection(
                        .wrongCurrency,
                        "currency \(String(decoding: b, as: UTF8.self)) is not the deployment currency \(deploymentCurrency)"
                    )
                }
            }
            let merchantCategory = try string(.merchantCategory)
            let outcome = try value(.outcome, "approved or declined", PaymentOutcome.init(wireBytes:))
            payload = .payment(
                Event.Payment(
                    paymentID: paymentID, amountMinor: amount, currency: deploymentCurrency,
                    merchantCategory: merchantCategory, outcome: outcome))
        case .obligationOpened:
            let obligationID = try string(.obligationID)
            let service = try value(
                .service, "one of rental, travel, shopping, life, accommodation, pay_later", Service.init(wireBytes:))
            let amount = try positive(.amountMinor)
            let dueAt = try instant(.dueAt)
            guard dueAt > occurredAt else {
                throw Rejection(
                    .invalidValue,
                    "due_at \(quotedText(self[.dueAt])) is not after occurred_at \(quotedText(self[.occurredAt]))")
            }
            payload = .obligationOpened(
                Event.ObligationOpened(obligationID: obligationID, service: service, amountMinor: amount, dueAt: dueAt))
        case .obligationAdjusted:
            let obligationID = try string(.obligationID)
            let delta = try integer(.deltaMinor)
            let reason = try value(.reason, "one of interest, fee, refund, waiver", AdjustmentReason.init(wireBytes:))
            if reason.raisesAmountDue, delta <= 0 {
                throw Rejection(
                    .invalidValue, "delta_minor must be greater than 0 for reason \(reason.wireName), got \(delta)")
            }
            if !reason.raisesAmountDue, delta >= 0 {
                throw Rejection(
                    .invalidValue, "delta_minor must be less than 0 for reason \(reason.wireName), got \(delta)")
            }
            payload = .obligationAdjusted(
                Event.ObligationAdjusted(obligationID: obligationID, deltaMinor: delta, reason: reason))
        case .repayment:
            let obligationID = try string(.obligationID)
            payload = .repayment(obligationID: obligationID, amountMinor: try positive(.amountMinor))
        case .obligationCancelled:
            payload = .obligationCancelled(obligationID: try string(.obligationID))
        case .creditLimitSet:
            let limit = try integer(.limitMinor)
            guard limit >= 0 else { throw Rejection(.invalidValue, "limit_minor must be at least 0, got \(limit)") }
            payload = .creditLimitSet(limitMinor: limit)
        }
        return Event(eventID: eventID, userID: userID, occurredAt: occurredAt, payload: payload)
    }

    @inline(__always)
    static func isUserIDByte(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: ":"),
            UInt8(ascii: "-"):
            return true
        default:
            return false
        }
    }

    // MARK: - Typed access

    private func require(_ field: EventField) throws(Rejection) -> JSONValueInfo {
        let v = self[field]
        guard v.kind != .absent else { throw Rejection(.missingField, "missing field \(field.name)") }
        return v
    }

    private func requireString(_ field: EventField) throws(Rejection) -> JSONValueInfo {
        let v = try require(field)
        guard v.kind == .string else { throw Rejection(.wrongType, "\(field.name) must be a string, got \(text(v))") }
        return v
    }

    /// Calls `body` with a string's unescaped content.
    private func withBytes<R>(
        _ v: JSONValueInfo, _ body: (UnsafeBufferPointer<UInt8>) throws(Rejection) -> R
    ) throws(Rejection) -> R {
        if !v.flag {
            return try body(UnsafeBufferPointer(start: base + v.start, count: v.end &- v.start))
        }
        let bytes = JSONParser<EventField>.unescape(base: base, v)
        let result: Result<R, Rejection> = bytes.withUnsafeBufferPointer { b in
            do throws(Rejection) { return .success(try body(b)) } catch { return .failure(error) }
        }
        return try result.get()
    }

    private func string(_ field: EventField) throws(Rejection) -> String {
        try withBytes(requireString(field)) { b in String(decoding: b, as: UTF8.self) }
    }

    private func value<T>(
        _ field: EventField, _ allowed: String, _ make: (UnsafeBufferPointer<UInt8>) -> T?
    ) throws(Rejection) -> T {
        try withBytes(requireString(field)) { b throws(Rejection) -> T in
            guard let v = make(b) else {
                throw Rejection(.invalidValue, "\(field.name) \(Rejection.quoted(b)) must be \(allowed)")
            }
            return v
        }
    }

    private func bool(_ field: EventField) throws(Rejection) -> Bool {
        let v = try require(field)
        switch v.kind {
        case .true: return true
        case .false: return false
        default: throw Rejection(.wrongType, "\(field.name) must be true or false, got \(text(v))")
        }
    }

    private func integer(_ field: EventField) throws(Rejection) -> Int64 {
        let v = try require(field)
        guard v.kind == .number, v.flag else {
            throw Rejection(.wrongType, "\(field.name) must be an integer, got \(text(v))")
        }
        guard let n = int64(v) else {
            throw Rejection(.invalidValue, "\(field.name) \(text(v)) does not fit in a signed 64-bit integer")
        }
        return n
    }

    private func positive(_ field: EventField) throws(Rejection) -> Int64 {
        let n = try integer(field)
        guard n > 0 else { throw Rejection(.invalidValue, "\(field.name) must be greater than 0, got \(n)") }
        return n
    }

    private func instant(_ field: EventField) throws(Rejection) -> Instant {
        try withBytes(requireString(field)) { b throws(Rejection) -> Instant in
            switch RFC3339.parse(b) {
            case .success(let instant): return instant
            case .failure(let failure):
                throw Rejection(.invalidValue, "\(field.name) \(Rejection.quoted(b)) \(failure.explanation)")
            }
        }
    }

    /// An integer's value, if it fits in `Int64`.
    private func int64(_ v: JSONValueInfo) -> Int64? {
        var j = v.start
        let negative = base[j] == Byte.minus
        if negative { j &+= 1 }
        var m: UInt64 = 0
        while j < v.end {
            let (a, o1) = m.multipliedReportingOverflow(by: 10)
            let (b, o2) = a.addingReportingOverflow(UInt64(base[j] &- Byte.zero))
            if o1 || o2 { return nil }
            m = b
            j &+= 1
        }
        if negative { return m <= UInt64(Int64.max) + 1 ? Int64(bitPattern: 0 &- m) : nil }
        return m <= UInt64(Int64.max) ? Int64(m) : nil
    }

    /// A value as written, for "got ..." in messages.
    private func text(_ v: JSONValueInfo) -> String {
        switch v.kind {
        case .object, .array, .absent:
            return v.kind.phrase
        case .string:
            return Rejection.printable(UnsafeBufferPointer(start: base + v.start - 1, count: v.end - v.start + 2))
        default:
            return Rejection.printable(UnsafeBufferPointer(start: base + v.start, count: v.end - v.start))
        }
    }

    /// A string value, decoded and quoted.
    private func quotedText(_ v: JSONValueInfo) -> String {
        (try? withBytes(v) { b in Rejection.quoted(b) }) ?? ""
    }
}
