import Testing

@testable import CredenceCore

/// The packed `UserState` against the list-of-structs state it replaced (`ReferenceUserState`):
/// same features at every instant, same compaction, same checkpoint bytes.
@Suite struct PackedUserStateTests {
    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let base = Month(year: 2025, month: 1).start(offset: .beijing).millisecondsSinceEpoch
    static let day: Int64 = 86_400_000

    /// A random history of one user over about three years: ties at one instant, long ids,
    /// movements before openings, cancellations, big amounts.
    static func history(seed: UInt64, events count: Int, obligations: Int, longIDs: Bool) -> [Event] {
        var rng = SplitMix(state: seed)
        var events = [Event]()
        var n = 0
        func id(_ rng: inout SplitMix) -> String {
            n += 1
            if longIDs, rng.next() % 4 == 0 {
                return String(repeating: "e", count: 200 + Int(rng.next() % 200)) + "\(n)"
            }
            return "e\(rng.next() % 1000)-\(n)"
        }
        func time(_ rng: inout SplitMix) -> Instant {
            // Coarse times so that many events share an instant.
            Instant(millisecondsSinceEpoch: base + Int64(rng.next() % 1100) * day / 2 + Int64(rng.next() % 3))
        }
        func obligation(_ rng: inout SplitMix) -> String {
            let k = rng.next() % UInt64(obligations)
            return longIDs && k % 5 == 0 ? String(repeating: "o", count: 300) + "\(k)" : "o\(k)"
        }
        let services = Service.allCases
        for _ in 0..<count {
            let at = time(&rng)
            let payload: Event.Payload
            switch rng.next() % 16 {
            case 0: payload = .userEnrolled(identityVerified: rng.next() % 2 == 0)
            case 1: payload = .creditLimitSet(limitMinor: Int64(rng.next() % 3) * 100_000)
            case 2, 3:
                payload = .obligationOpened(
                    .init(
                        obligationID: obligation(&rng), service: services[Int(rng.next() % 6)],
                        amountMinor: 1 + Int64(rng.next() % 50_000),
                        dueAt: at.adding(milliseconds: Int64(1 + rng.next() % 90) * day)))
            case 4:
                let delta = Int64(rng.next() % 5_000) + 1
                payload = .obligationAdjusted(
                    .init(
                        obligationID: obligation(&rng), deltaMinor: rng.next() % 2 == 0 ? delta : -delta,
                        reason: .fee))
            case 5, 6: payload = .repayment(obligationID: obligation(&rng), amountMinor: 1 + Int64(rng.next() % 30_000))
            case 7: payload = .obligationCancelled(obligationID: obligation(&rng))
            default:
                let big = rng.next() % 50 == 0
                payload = .payment(
                    .init(
                        paymentID: "p",
                        amountMinor: big ? Int64.max - Int64(rng.next() % 7) : 1 + Int64(rng.next() % 90_000),
                        currency: "CNY", merchantCategory: "m", outcome: rng.next() % 5 == 0 ? .declined : .approved))
            }
            events.append(Event(eventID: id(&rng), userID: "u", occurredAt: at, payload: payload))
        }
        return events
    }

    static func checkpoint(_ s: UserState) -> [UInt8] {
        var w = ByteWriter()
        s.encode(into: &w)
        return w.bytes
    }

    static func checkpoint(_ s: ReferenceUserState) -> [UInt8] {
        var w = ByteWriter()
        s.encode(into: &w)
        return w.bytes
    }

    static func expectSame(_ packed: UserState, _ reference: ReferenceUserState, months: ClosedRange<Int32>) {
        #expect(checkpoint(packed) == checkpoint(reference))
        #expect(packed.erasureCut == reference.erasureCut)
        let first = Month(year: 2025, month: 1).index
        for k in months {
            let m = Month(index: first + k)
            for t in [m.end(offset: .beijing), m.end(offset: .beijing).adding(milliseconds: -day * 9 - 1)] {
                #expect(packed.isScored(asOf: t) == reference.isScored(asOf: t))
                #expect(packed.features(asOf: t, month: m) == reference.features(asOf: t, month: m), "month \(m)")
            }
        }
    }

    @Test(arguments: [1, 2, 3, 4, 5, 6, 7, 8] as [UInt64])
    func sameAsReference(seed: UInt64) {
        let events = Self.history(seed: seed, events: 600, obligations: 1 + Int(seed % 4) * 20, longIDs: seed % 2 == 0)
        var packed = UserState()
        var reference = ReferenceUserState()
        for (i, e) in events.enumerated() {
            _ = packed.apply(e, offset: .beijing)
            _ = reference.apply(e, offset: .beijing)
            if i % 150 == 149 {
                Self.expectSame(packed, reference, months: -1...38)
            }
        }
        Self.expectSame(packed, reference, months: -1...38)
        // Compaction at a few months, then more events, as the engine interleaves them.
        var rng = SplitMix(state: seed)
        for k in [6, 14, 20, 30] as [Int32] {
            let keep = Month(year: 2025, month: 1).advanced(by: k)
            packed.compact(keeping: keep, offset: .beijing)
            reference.compact(keeping: keep, offset: .beijing)
            Self.expectSame(packed, reference, months: min(k + 11, 38)...38)
            for e in events.shuffled(using: &rng).prefix(40) {
                let more = Event(
                    eventID: e.eventID + "+\(k)", userID: "u", occurredAt: e.occurredAt, payload: e.payload)
                _ = packed.apply(more, offset: .beijing)
                _ = reference.apply(more, offset: .beijing)
            }
            Self.expectSame(packed, reference, months: min(k + 11, 38)...38)
        }
    }

    @Test func arrivalOrderDoesNotMatter() {
        // Intake refuses a second opening of an obligation id (the one rule that depends on
        // arrival order), so the history keeps only the first.
        var opened = Set<String>()
        let events = Self.history(seed: 42, events: 400, obligations: 15, longIDs: true).filter {
            guard case .obligationOpened(let o) = $0.payload else { return true }
            return opened.insert(o.obligationID).inserted
        }
        var inOrder = UserState()
        for e in events { _ = inOrder.apply(e, offset: .beijing) }
        var rng = SplitMix(state: 7)
        var shuffled = UserState()
        for e in events.shuffled(using: &rng) { _ = shuffled.apply(e, offset: .beijing) }
        let first = Month(year: 2025, month: 1)
        for k in 0...37 as ClosedRange<Int32> {
            let m = first.advanced(by: k)
            let t = m.end(offset: .beijing)
            #expect(inOrder.features(asOf: t, month: m) == shuffled.features(asOf: t, month: m))
        }
    }

    @Test func checkpointRoundTripKeepsWorking() throws {
        let events = Self.history(seed: 9, events: 500, obligations: 30, longIDs: true)
        var packed = UserState(erasureCut: Instant(millisecondsSinceEpoch: Self.base + 40 * Self.day))
        var reference = ReferenceUserState(erasureCut: packed.erasureCut)
        for e in events.prefix(300) {
            let result = packed.apply(e, offset: .beijing)
            #expect(result == (e.occurredAt <= packed.erasureCut! ? .erased : .applied))
            _ = reference.apply(e, offset: .beijing)
        }
        let bytes = Self.checkpoint(packed)
        var loaded = try bytes.withUnsafeBytes { raw in
            var reader = ByteReader(raw)
            let s = try UserState.decode(from: &reader)
            try reader.expectEnd()
            return s
        }
        #expect(Self.checkpoint(loaded) == bytes)
        // The loaded state's header points where the original's does: later events land alike.
        for e in events.dropFirst(300) {
            _ = loaded.apply(e, offset: .beijing)
            _ = reference.apply(e, offset: .beijing)
        }
        Self.expectSame(loaded, reference, months: 0...37)
    }

    @Test func truncatedCheckpointThrows() {
        var s = UserState()
        for e in Self.history(seed: 3, events: 50, obligations: 3, longIDs: false) { _ = s.apply(e, offset: .beijing) }
        let bytes = Self.checkpoint(s)
        for cut in [1, bytes.count / 2, bytes.count - 1] {
            #expect(throws: BinaryDecodingError.self) {
                try Array(bytes.prefix(cut)).withUnsafeBytes { raw in
                    var reader = ByteReader(raw)
                    _ = try UserState.decode(from: &reader)
                }
            }
        }
    }

    /// Counts past one varint byte, spend past 64 bits, hundreds of months and obligations.
    @Test func growthPastOneByteCountsAndSixtyFourBitSums() {
        var packed = UserState()
        var reference = ReferenceUserState()
        var n = 0
        func both(_ at: Instant, _ payload: Event.Payload, id: String? = nil) {
            n += 1
            let e = Event(eventID: id ?? "g\(n)", userID: "u", occurredAt: at, payload: payload)
            _ = packed.apply(e, offset: .beijing)
            _ = reference.apply(e, offset: .beijing)
        }
        let start = Instant(millisecondsSinceEpoch: Self.base)
        both(start, .userEnrolled(identityVerified: true))
        for month in 0..<200 as Range<Int64> {
            for k in 0..<(month == 5 ? 300 : 2) as Range<Int64> {
                let amount = month == 7 ? Int64.max : 1_000 + k
                both(
                    start.adding(milliseconds: month * 31 * Self.day + k),
                    .payment(
                        .init(
                            paymentID: "p", amountMinor: amount, currency: "CNY", merchantCategory: "m",
                            outcome: .approved)))
            }
        }
        for k in 0..<300 as Range<Int64> {
            let id = k % 3 == 0 ? String(repeating: "x", count: 256 + Int(k)) : "ob-\(k)"
            both(start.adding(milliseconds: k * Self.day), .repayment(obligationID: id, amountMinor: 10))
            both(
                start.adding(milliseconds: k * Self.day),
                .obligationOpened(
                    .init(
                        obligationID: id, service: .payLater, amountMinor: 100,
                        dueAt: start.adding(milliseconds: (k + 30) * Self.day))))
            for j in 0..<(k == 0 ? 200 : 1) as Range<Int64> {
                both(start.adding(milliseconds: (k + j) * Self.day), .repayment(obligationID: id, amountMinor: 1))
            }
        }
        both(start.adding(milliseconds: 3 * Self.day), .creditLimitSet(limitMinor: 1_000_000))
        #expect(Self.checkpoint(packed) == Self.checkpoint(reference))
        for k in [0, 5, 7, 8, 18, 100, 199] as [Int32] {
            let m = Month(year: 2025, month: 1).advanced(by: k)
            let t = m.end(offset: .beijing)
            #expect(packed.features(asOf: t, month: m) == reference.features(asOf: t, month: m))
        }
        let m = Month(year: 2025, month: 1).advanced(by: 8)
        #expect(packed.features(asOf: m.end(offset: .beijing), month: m).spend12mMinor > Int128(Int64.max))
        packed.compact(keeping: m, offset: .beijing)
        reference.compact(keeping: m, offset: .beijing)
        #expect(Self.checkpoint(packed) == Self.checkpoint(reference))
        packed.compact(keeping: Month(year: 2050, month: 1), offset: .beijing)
        reference.compact(keeping: Month(year: 2050, month: 1), offset: .beijing)
        #expect(Self.checkpoint(packed) == Self.checkpoint(reference))
        // Payments after every month was dropped start a fresh last month.
        both(
            start.adding(milliseconds: 9_000 * Self.day),
            .payment(
                .init(paymentID: "p", amountMinor: 5, currency: "CNY", merchantCategory: "m", outcome: .declined)))
        both(
            start.adding(milliseconds: 9_001 * Self.day),
            .payment(
                .init(paymentID: "p", amountMinor: 5, currency: "CNY", merchantCategory: "m", outcome: .approved)))
        #expect(Self.checkpoint(packed) == Self.checkpoint(reference))
    }

    @Test func tieBreakByEventIDBytesIncludingLongIDs() {
        let at = Instant(millisecondsSinceEpoch: Self.base)
        let long = String(repeating: "z", count: 300)
        var s = UserState()
        // The latest at one instant is the larger id: "z…z" (300 bytes) > "y".
        _ = s.apply(
            Event(eventID: long, userID: "u", occurredAt: at, payload: .userEnrolled(identityVerified: false)),
            offset: .beijing)
        _ = s.apply(
            Event(eventID: "y", userID: "u", occurredAt: at, payload: .userEnrolled(identityVerified: true)),
            offset: .beijing)
        _ = s.apply(
            Event(eventID: long + "a", userID: "u", occurredAt: at, payload: .creditLimitSet(limitMinor: 7)),
            offset: .beijing)
        _ = s.apply(
            Event(eventID: long, userID: "u", occurredAt: at, payload: .creditLimitSet(limitMinor: 9)), offset: .beijing
        )
        let m = Month(containing: at, offset: .beijing)
        let f = s.features(asOf: m.end(offset: .beijing), month: m)
        #expect(f.identityVerified == false)
        #expect(f.creditLimitMinor == 7)
    }

    @Test func copiesAreIndependent() {
        var a = UserState()
        for e in Self.history(seed: 11, events: 100, obligations: 4, longIDs: false) {
            _ = a.apply(e, offset: .beijing)
        }
        let before = Self.checkpoint(a)
        var b = a
        for e in Self.history(seed: 12, events: 100, obligations: 4, longIDs: false) {
            _ = b.apply(e, offset: .beijing)
        }
        b.compact(keeping: Month(year: 2026, month: 6), offset: .beijing)
        #expect(Self.checkpoint(a) == before)
        #expect(Self.checkpoint(b) != before)
    }

    /// The month-close benchmark's user (a year, 24 payments, 2 obligations) fits in one small block.
    /// One user's state, and events applied to it at a day after ``base``, each with an id of
    /// its own.
    struct OneUser {
        var state = UserState()
        var eventsAdded: Int

        mutating func add(_ day: Int64, _ payload: Event.Payload) {
            eventsAdded += 1
            let at = Instant(millisecondsSinceEpoch: PackedUserStateTests.base + day * PackedUserStateTests.day)
            _ = state.apply(
                Event(eventID: "e\(eventsAdded)", userID: "u", occurredAt: at, payload: payload), offset: .beijing)
        }
    }

    /// A user with a year of 24 payments and 2 obligations takes at most 300 bytes as a restart
    /// loads it, the array's header included, and no more than twice its growth room besides
    /// while it runs. (Before the gap, one number held both: a running state of this history
    /// happened to end its growth within 300 bytes.)
    @Test func typicalUserIsSmall() throws {
        var user = OneUser(eventsAdded: 1_000_000)
        func add(_ day: Int64, _ payload: Event.Payload) { user.add(day, payload) }
        add(0, .userEnrolled(identityVerified: true))
        add(1, .creditLimitSet(limitMinor: 500_000))
        for m in 0..<12 as Range<Int64> {
            for k in 0..<2 as Range<Int64> {
                add(
                    m * 30 + 3 + k * 7,
                    .payment(
                        .init(
                            paymentID: "p", amountMinor: 9_999, currency: "CNY", merchantCategory: "m",
                            outcome: .approved)))
            }
        }
        for k in 0..<2 as Range<Int64> {
            add(
                (9 + k) * 30 + 2,
                .obligationOpened(
                    .init(
                        obligationID: "o\(k)", service: .payLater, amountMinor: 20_000,
                        dueAt: Instant(millisecondsSinceEpoch: Self.base + ((10 + k) * 30 + 2) * Self.day))))
            add((10 + k) * 30 + 1, .repayment(obligationID: "o\(k)", amountMinor: 20_000))
        }
        user.state.compact(keeping: Month(year: 2025, month: 12), offset: .beijing)
        var w = ByteWriter(bytes: [])
        user.state.encode(into: &w)
        let loaded = try w.bytes.withUnsafeBytes { raw in
            var r = ByteReader(raw)
            return try UserState.decode(from: &r)
        }
        #expect(loaded.approximateBytes <= 300, "\(loaded.approximateBytes)")
        #expect(loaded.spareBytes < 16)
        #expect(user.state.spareBytes <= 2 * UserState.growthRoom(user.state.usedBytes))
    }

    /// A state grows by a quarter, not by doubling, and a month close's compaction keeps that
    /// room: a user who gains a month of payments and an order each month, and loses a year-old
    /// month of payments, is reallocated only as the state outgrows its room (trimmed at every
    /// close and doubled at the next event, it was reallocated twice a month). The room stays
    /// bounded: at most half the state (or 64 bytes) after a close.
    @Test func compactionKeepsTheRoomGrowthGave() {
        var user = OneUser(eventsAdded: 0)
        func add(_ day: Int64, _ payload: Event.Payload) { user.add(day, payload) }
        let payment = Event.Payload.payment(
            .init(paymentID: "p", amountMinor: 9_999, currency: "CNY", merchantCategory: "m", outcome: .approved))
        add(0, .userEnrolled(identityVerified: true))
        var moves = 0
        for m in 0..<36 as Range<Int64> {
            let before = user.state.storageAddress
            for k in 0..<3 as Range<Int64> { add(m * 30 + 3 + k * 7, payment) }
            // An order a month, repaid: obligations are kept, so the state grows month by month.
            add(
                m * 30 + 4,
                .obligationOpened(
                    .init(
                        obligationID: "o\(m)", service: .payLater, amountMinor: 20_000,
                        dueAt: Instant(millisecondsSinceEpoch: Self.base + (m * 30 + 20) * Self.day))))
            add(m * 30 + 19, .repayment(obligationID: "o\(m)", amountMinor: 20_000))
            user.state.compact(keeping: Month(year: 2025, month: 1).advanced(by: Int32(m)), offset: .beijing)
            if m >= 12, user.state.storageAddress != before { moves += 1 }
            #expect(user.state.spareBytes <= 2 * max(user.state.usedBytes / 4, 32))
        }
        #expect(moves <= 8, "reallocated in \(moves) of the last 24 months")
    }

    /// Byte strings compare equal exactly when every byte and the length agree, whichever byte
    /// differs (the last is compared first).
    @Test func bytesEqualComparesEveryByte() {
        func equal(_ a: [UInt8], _ b: [UInt8]) -> Bool {
            a.withUnsafeBufferPointer { a in b.withUnsafeBufferPointer { b in bytesEqual(a, b) } }
        }
        let id = Array("qx123456".utf8)
        #expect(equal(id, id))
        #expect(equal([], []))
        #expect(!equal(id, []))
        #expect(!equal(id, Array("qx12345".utf8)))
        for i in id.indices {
            var other = id
            other[i] ^= 1
            #expect(!equal(id, other), "byte \(i)")
        }
    }

    /// Skipping varints a word at a time lands where skipping them one by one does: every count
    /// from each start, varints of 1 to 10 bytes mixed, up to the buffer's last byte (where the
    /// word reads stop and the byte loop finishes).
    @Test func skippingVarintsByTheWordMatchesOneByOne() {
        var rng = SplitMix(state: 7)
        var writer = ByteWriter()
        for _ in 0..<200 {
            let width = UInt64(rng.next() % 64)
            writer.writeVarint(width == 63 ? UInt64.max : rng.next() >> (63 - width))
        }
        let bytes = writer.bytes
        var ends: [Int] = []
        for (i, b) in bytes.enumerated() where b < 0x80 { ends.append(i + 1) }
        #expect(ends.count == 200 && ends.last == bytes.count)
        bytes.withUnsafeBufferPointer { buffer in
            for (k, start) in ([0] + ends.dropLast()).enumerated() {
                for n in 0...(ends.count - k) {
                    var byWord = PackedReader(base: buffer.baseAddress!, offset: start)
                    byWord.skipVarints(UInt64(n), end: buffer.count)
                    var oneByOne = PackedReader(base: buffer.baseAddress!, offset: start)
                    for _ in 0..<n { oneByOne.skipVarint() }
                    if byWord.offset != oneByOne.offset {
                        Issue.record("from \(start), \(n) varints: \(byWord.offset), not \(oneByOne.offset)")
                        return
                    }
                }
            }
        }
    }
}
