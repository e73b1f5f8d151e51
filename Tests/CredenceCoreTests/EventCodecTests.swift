import CredenceCore
import Testing

@Suite struct EventCodecTests {
    static let strings = ["", "a", "用户-42 😀", "é\u{301}", String(repeating: "x", count: 300)]
    static let integers: [Int64] = [0, 1, -1, 63, -64, 64, 1_700_000_000_000, .max, .min, .max - 1, .min + 1]

    /// Every kind, with extreme integers, times and strings spread over the fields.
    static var events: [Event] {
        var events: [Event] = []
        for (i, amount) in integers.enumerated() {
            let s = strings[i % strings.count]
            let t = strings[(i + 2) % strings.count]
            let at = Instant(millisecondsSinceEpoch: integers[(i + 3) % integers.count])
            let payloads: [Event.Payload] = [
                .userEnrolled(identityVerified: i % 2 == 0),
                .userWithdrawn,
                .payment(
                    Event.Payment(
                        paymentID: s, amountMinor: amount, currency: "CNY", merchantCategory: t,
                        outcome: PaymentOutcome.allCases[i % 2])),
                .obligationOpened(
                    Event.ObligationOpened(
                        obligationID: t, service: Service.allCases[i % Service.allCases.count], amountMinor: amount,
                        dueAt: Instant(millisecondsSinceEpoch: ~amount))),
                .obligationAdjusted(
                    Event.ObligationAdjusted(
                        obligationID: s, deltaMinor: amount,
                        reason: AdjustmentReason.allCases[i % AdjustmentReason.allCases.count])),
                .repayment(obligationID: s, amountMinor: amount),
                .obligationCancelled(obligationID: t),
                .creditLimitSet(limitMinor: amount),
            ]
            events += payloads.map { Event(eventID: t, userID: s, occurredAt: at, payload: $0) }
        }
        return events
    }

    @Test func everyKindRoundTrips() throws {
        let events = Self.events
        #expect(Set(events.map(\.kind)) == Set(EventKind.allCases))
        for event in events {
            let bytes = EventCodec.encode(event)
            #expect(try EventCodec.decode(bytes) == event)
        }
    }

    @Test func encodeAppendsToTheBuffer() throws {
        var buffer: [UInt8] = [0xEE, 0xFF]
        let first = Self.events[2]
        let second = Self.events[13]
        EventCodec.encode(first, into: &buffer)
        let middle = buffer.count
        EventCodec.encode(second, into: &buffer)
        #expect(buffer[..<2] == [0xEE, 0xFF])
        #expect(try EventCodec.decode(buffer[2..<middle]) == first)
        #expect(try EventCodec.decode(buffer[middle...]) == second)
    }

    /// The layout written piece by piece with `ByteWriter`, as the format's comment spells it.
    static func reference(_ event: Event) -> [UInt8] {
        var w = ByteWriter()
        w.writeByte(EventCodec.version)
        w.writeByte(event.kind.rawValue)
        w.writeString(event.eventID)
        w.writeString(event.userID)
        w.writeZigZag(event.occurredAt.millisecondsSinceEpoch)
        switch event.payload {
        case .userEnrolled(let verified): w.writeBool(verified)
        case .userWithdrawn: break
        case .payment(let p):
            w.writeString(p.paymentID)
            w.writeZigZag(p.amountMinor)
            w.writeString(p.currency)
            w.writeString(p.merchantCategory)
            w.writeByte(p.outcome.rawValue)
        case .obligationOpened(let o):
            w.writeString(o.obligationID)
            w.writeByte(o.service.rawValue)
            w.writeZigZag(o.amountMinor)
            w.writeZigZag(o.dueAt.millisecondsSinceEpoch)
        case .obligationAdjusted(let a):
            w.writeString(a.obligationID)
            w.writeZigZag(a.deltaMinor)
            w.writeByte(a.reason.rawValue)
        case .repayment(let o, let amount):
            w.writeString(o)
            w.writeZigZag(amount)
        case .obligationCancelled(let o): w.writeString(o)
        case .creditLimitSet(let limit): w.writeZigZag(limit)
        }
        return w.bytes
    }

    /// The encoder writes through a pointer into room it sizes itself: it must write what the
    /// piece-by-piece form writes, with the longest varints and strings of 0 to 300 bytes, and
    /// append after what a `ByteWriter` already holds.
    @Test func encodingMatchesThePieceByPieceLayout() {
        for event in Self.events {
            let expected = Self.reference(event)
            #expect(EventCodec.encode(event) == expected)
            var writer = ByteWriter(bytes: [7])
            EventCodec.encode(event, into: &writer)
            #expect(writer.bytes == [7] + expected)
        }
    }

    /// Pins the format: a change here breaks every log already written.
    @Test func formatIsStable() {
        let event = Event(
            eventID: "e1", userID: "u", occurredAt: Instant(millisecondsSinceEpoch: -2),
            payload: .repayment(obligationID: "o", amountMinor: 150))
        #expect(
            EventCodec.encode(event) == [
                1, EventKind.repayment.rawValue, 2, 0x65, 0x31, 1, 0x75, 3, 1, 0x6F, 0xAC, 0x02,
            ])
    }

    /// A decode of the scored fields only (a replay's, ``ScoredEvent``) stands for the whole
    /// event but for a payment's `payment_id`, `currency` and `merchant_category` and the
    /// `event_id` of the kinds not ordered by it, left empty; its spans count from where the
    /// bytes lie in a larger buffer; it still throws on every truncation and on trailing bytes.
    @Test func aScoredDecodeLeavesOnlyTheUnscoredStringsEmpty() throws {
        #expect(Set(Self.events.map(\.kind)) == Set(EventKind.allCases), "the test has an event of every kind")
        #expect(Self.events.contains { !$0.eventID.isEmpty && $0.kind == .payment }, "and ids to drop")
        for event in Self.events {
            let bytes = EventCodec.encode(event)
            var expected = event
            // The scoring orders enrolment and limit marks by event id; no other kind's is read.
            if event.kind != .userEnrolled && event.kind != .creditLimitSet { expected.eventID = "" }
            if case .payment(var p) = event.payload {
                #expect(!(p.currency.isEmpty), "the test's payments have a currency to drop")
                p.paymentID = ""
                p.currency = ""
                p.merchantCategory = ""
                expected.payload = .payment(p)
            }
            // Behind 5 other bytes, as a replay's chunk keeps its events' plaintext back to back.
            let buffer = [UInt8](repeating: 0xEE, count: 5) + bytes
            let scored = try buffer.withUnsafeBytes {
                try EventCodec.decodeScored(UnsafeRawBufferPointer(rebasing: $0[5...]), origin: 5)
            }
            #expect(buffer.withUnsafeBytes { Event(scored, in: $0.baseAddress!) } == expected)
            // What the live path hands the state for the same event.
            let (live, liveKey) = ScoredEvent.of(event)
            #expect(live.kind == scored.kind && live.amount == scored.amount)
            #expect(live.code == scored.code && live.dueAt == scored.dueAt && live.occurredAt == scored.occurredAt)
            let key = buffer.withUnsafeBytes { String(decoding: scored.key.bytes(in: $0.baseAddress!), as: UTF8.self) }
            #expect(key == liveKey)
            for length in 0..<bytes.count {
                #expect(throws: BinaryDecodingError.self) {
                    try bytes[..<length].withUnsafeBytes { try EventCodec.decodeScored($0) }
                }
            }
            #expect(throws: BinaryDecodingError.self) {
                try (bytes + [0]).withUnsafeBytes { try EventCodec.decodeScored($0) }
            }
        }
    }

    /// The scored decode checks the UTF-8 of the strings it keeps, as the full decode does.
    @Test func aScoredDecodeRejectsAKeptStringThatIsNotUTF8() {
        let event = Event(
            eventID: "e1", userID: "u", occurredAt: Instant(millisecondsSinceEpoch: 0),
            payload: .repayment(obligationID: "o", amountMinor: 1))
        var bytes = EventCodec.encode(event)
        // The obligation id's one byte ("o") made a lone continuation byte.
        let at = bytes.lastIndex(of: 0x6F)!
        bytes[at] = 0x80
        #expect(throws: BinaryDecodingError.self) { try bytes.withUnsafeBytes { try EventCodec.decode($0) } }
        #expect(throws: BinaryDecodingError.self) { try bytes.withUnsafeBytes { try EventCodec.decodeScored($0) } }
    }

    @Test func everyTruncationThrows() {
        for event in Self.events {
            let bytes = EventCodec.encode(event)
            for length in 0..<bytes.count {
                #expect(throws: BinaryDecodingError.self) { try EventCodec.decode(bytes[..<length]) }
            }
        }
    }

    @Test func trailingBytesAndBadValuesThrowWithACode() {
        func code(_ bytes: [UInt8]) -> BinaryDecodingError.Code? {
            do {
                _ = try EventCodec.decode(bytes)
                return nil
            } catch let error as BinaryDecodingError {
                return error.code
            } catch {
                return nil
            }
        }
        let good = EventCodec.encode(Self.events[0])
        #expect(code(good + [0]) == .trailingBytes)
        #expect(code([2] + good.dropFirst()) == .unsupportedVersion)
        #expect(code([1, 99]) == .invalidValue)
        #expect(code([1, 1, 0, 0, 0, 2]) == .invalidValue)  // userEnrolled with identityVerified = 2
        #expect(code([1, 8, 0, 0, 0, 0x80, 0x00]) == .malformedVarint)  // overlong zero
        #expect(code([1, 8, 0, 0, 0] + [UInt8](repeating: 0xFF, count: 9) + [0x02]) == .malformedVarint)
        #expect(code([1, 7, 0, 0, 0, 2, 0xC3, 0x28]) == .invalidUTF8)
        #expect(code([1, 7, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F]) == .truncated)
    }

    /// Random bytes, random mutations of good records: decoding throws or yields an event that
    /// re-encodes to exactly the input (the encoding is canonical); it never traps.
    @Test func garbageNeverCrashes() {
        var rng = SystemRandomNumberGenerator()
        let seeds = Self.events.map { EventCodec.encode($0) }
        var decoded = 0
        for round in 0..<20_000 {
            var bytes: [UInt8]
            if round % 2 == 0 {
                bytes = (0..<Int.random(in: 0...40, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
                if round % 4 == 0 && !bytes.isEmpty { bytes[0] = 1 }
                if round % 8 == 0 && bytes.count > 1 { bytes[1] = UInt8.random(in: 1...8, using: &rng) }
            } else {
                bytes = seeds.randomElement(using: &rng)!
                for _ in 0..<Int.random(in: 1...3, using: &rng) {
                    bytes[Int.random(in: 0..<bytes.count, using: &rng)] ^=
                        UInt8(1) << UInt8.random(in: 0...7, using: &rng)
                }
            }
            if let event = try? EventCodec.decode(bytes) {
                decoded += 1
                #expect(EventCodec.encode(event) == bytes)
            }
        }
        #expect(decoded > 0)
    }
}

@Suite struct ByteReaderWriterTests {
    @Test(arguments: [0, 1, 127, 128, 300, 16_383, 16_384, UInt64(UInt32.max), 1 << 63, .max] as [UInt64])
    func varintsRoundTrip(value: UInt64) throws {
        var writer = ByteWriter()
        writer.writeVarint(value)
        #expect(writer.bytes.count == max(1, (64 - value.leadingZeroBitCount + 6) / 7))
        try writer.bytes.withUnsafeBytes { raw in
            var reader = ByteReader(raw)
            #expect(try reader.readVarint() == value)
            try reader.expectEnd()
        }
    }

    @Test func zigZagMapsSmallMagnitudesToSmallNumbers() {
        #expect([0, -1, 1, -2, 2].map(ByteWriter.zigZag) == [0, 1, 2, 3, 4])
        #expect(ByteWriter.zigZag(.min) == UInt64.max)
        #expect(ByteWriter.zigZag(.max) == UInt64.max - 1)
        for v: Int64 in [0, 1, -1, .min, .max, 123_456_789, -987_654_321] {
            #expect(ByteWriter.unZigZag(ByteWriter.zigZag(v)) == v)
        }
    }

    @Test func stringsAndBytesRoundTrip() throws {
        var writer = ByteWriter()
        writer.writeString("")
        writer.writeString("信用 ✓")
        writer.writeLengthPrefixed([9, 8, 7])
        writer.writeBool(true)
        writer.writeZigZag(-5)
        try writer.bytes.withUnsafeBytes { raw in
            var reader = ByteReader(raw)
            #expect(try reader.readString() == "")
            #expect(try reader.readString() == "信用 ✓")
            let count = try reader.readVarint()
            #expect(Array(try reader.readBytes(count: Int(count))) == [9, 8, 7])
            #expect(try reader.readBool())
            #expect(try reader.readZigZag() == -5)
            #expect(reader.isAtEnd)
            #expect(throws: BinaryDecodingError.self) { try reader.readByte() }
        }
    }
}
