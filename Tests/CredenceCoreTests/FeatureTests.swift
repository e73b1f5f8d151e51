import CredenceCore
import Testing

/// Builds events tersely: times are RFC 3339 strings.
enum E {
    nonisolated(unsafe) static var counter = 0
    static func t(_ s: String) -> Instant {
        guard case .success(let i) = RFC3339.parse(s) else { fatalError("bad time \(s)") }
        return i
    }
    static func id(_ given: String?) -> String {
        if let given { return given }
        counter += 1
        return "x\(counter)"
    }
    static func enrol(_ at: String, verified: Bool = true, id: String? = nil, user: String = "u") -> Event {
        Event(eventID: E.id(id), userID: user, occurredAt: t(at), payload: .userEnrolled(identityVerified: verified))
    }
    static func withdraw(_ at: String, id: String? = nil, user: String = "u") -> Event {
        Event(eventID: E.id(id), userID: user, occurredAt: t(at), payload: .userWithdrawn)
    }
    static func pay(_ at: String, _ amount: Int64, approved: Bool = true, id: String? = nil, user: String = "u")
        -> Event
    {
        Event(
            eventID: E.id(id), userID: user, occurredAt: t(at),
            payload: .payment(
                .init(
                    paymentID: "p", amountMinor: amount, currency: "CNY", merchantCategory: "m",
                    outcome: approved ? .approved : .declined)))
    }
    static func open(
        _ at: String, _ ob: String, _ amount: Int64, due: String, service: Service = .shopping,
        id: String? = nil, user: String = "u"
    ) -> Event {
        Event(
            eventID: E.id(id), userID: user, occurredAt: t(at),
            payload: .obligationOpened(.init(obligationID: ob, service: service, amountMinor: amount, dueAt: t(due))))
    }
    static func repay(_ at: String, _ ob: String, _ amount: Int64, id: String? = nil, user: String = "u") -> Event {
        Event(
            eventID: E.id(id), userID: user, occurredAt: t(at),
            payload: .repayment(obligationID: ob, amountMinor: amount))
    }
    static func adjust(
        _ at: String, _ ob: String, _ delta: Int64, _ reason: AdjustmentReason, id: String? = nil,
        user: String = "u"
    ) -> Event {
        Event(
            eventID: E.id(id), userID: user, occurredAt: t(at),
            payload: .obligationAdjusted(.init(obligationID: ob, deltaMinor: delta, reason: reason)))
    }
    static func cancel(_ at: String, _ ob: String, id: String? = nil, user: String = "u") -> Event {
        Event(eventID: E.id(id), userID: user, occurredAt: t(at), payload: .obligationCancelled(obligationID: ob))
    }
    static func limit(_ at: String, _ v: Int64, id: String? = nil, user: String = "u") -> Event {
        Event(eventID: E.id(id), userID: user, occurredAt: t(at), payload: .creditLimitSet(limitMinor: v))
    }
}

/// Features of user "u" at the end of `month`, after applying `events` in the given order.
func features(_ events: [Event], month: String) -> Features? {
    var s = UserState()
    for (i, e) in events.enumerated() {
        if case .rebuildRequired(let cut) = s.apply(e, offset: .beijing) {
            // Rebuild from the events so far that are after the cut, as the engine does.
            var r = UserState(erasureCut: cut)
            for x in events[...i] where x.occurredAt > cut { _ = r.apply(x, offset: .beijing) }
            s = r
        }
    }
    let m = Month(month)!
    let t = m.end(offset: .beijing)
    return s.isScored(asOf: t) ? s.features(asOf: t, month: m) : nil
}

@Suite struct FeatureTests {
    let enrolled = E.enrol("2025-01-01T00:00:00+08:00")

    @Test func obligationSettledOnTimeAndLate() throws {
        let f = try #require(
            features(
                [
                    enrolled,
                    E.open("2026-01-01T00:00:00+08:00", "a", 100, due: "2026-01-10T00:00:00+08:00"),
                    E.repay("2026-01-09T00:00:00+08:00", "a", 100),
                    E.open("2026-01-02T00:00:00+08:00", "b", 100, due: "2026-01-10T00:00:00+08:00"),
                    E.repay("2026-01-15T12:00:00+08:00", "b", 60),
                    E.repay("2026-01-20T13:00:00+08:00", "b", 40),
                ], month: "2026-01"))
        #expect(f.onTimeSettled == 1)
        #expect(f.lateSettled24m == 1)
        #expect(f.maxDpd24m == 10)  // days(Jan 10 00:00, Jan 20 13:00) = 10
        #expect(f.openObligations == 0)
        #expect(f.obligationsTotal == 2)
    }

    @Test func openObligationDaysPastDueAndDefault() throws {
        let events = [enrolled, E.open("2025-12-01T00:00:00+08:00", "a", 500, due: "2025-12-02T00:00:00+08:00")]
        let jan = try #require(features(events, month: "2026-01"))
        #expect(jan.maxDpdCurrent == 61)  // Dec 2 to Feb 1
        #expect(jan.overdueObligations == 1)
        #expect(jan.outstandingMinor == 500)
        #expect(jan.defaults24m == 0)
        let mar = try #require(features(events, month: "2026-03"))
        #expect(mar.maxDpdCurrent == 120)  // Dec 2 to Apr 1
        #expect(mar.defaults24m == 1)
        #expect(mar.maxDpd24m == 120)
    }

    @Test func dueBeforeTwentyFourMonthsCountsOnlyAsCurrent() throws {
        let events = [enrolled, E.open("2023-01-01T00:00:00+08:00", "old", 500, due: "2023-02-01T00:00:00+08:00")]
        let f = try #require(features(events, month: "2026-01"))
        #expect(f.maxDpdCurrent > 700)
        #expect(f.maxDpd24m == 0)
        #expect(f.defaults24m == 0)
        #expect(f.openObligations == 1)
    }

    @Test func repaymentArrivingBeforeItsOpeningGivesTheSameFeatures() throws {
        let open = E.open("2026-01-05T00:00:00+08:00", "a", 300, due: "2026-01-20T00:00:00+08:00")
        let repay = E.repay("2026-01-10T00:00:00+08:00", "a", 300)
        let a = features([enrolled, open, repay], month: "2026-01")
        let b = features([repay, enrolled, open], month: "2026-01")
        #expect(a == b)
        #expect(a?.onTimeSettled == 1)
    }

    @Test func repaymentBeforeOpeningInEventTimeSettlesAtTheRepayment() throws {
        // The balance is zero from the repayment on, so settled_at is the repayment's time.
        let f = try #require(
            features(
                [
                    enrolled, E.repay("2026-01-01T00:00:00+08:00", "a", 300),
                    E.open("2026-01-05T00:00:00+08:00", "a", 300, due: "2026-01-06T00:00:00+08:00"),
                ], month: "2026-01"))
        #expect(f.onTimeSettled == 1)
    }

    @Test func adjustmentAfterSettlementReopens() throws {
        let events = [
            enrolled, E.open("2026-01-01T00:00:00+08:00", "a", 100, due: "2026-01-10T00:00:00+08:00"),
            E.repay("2026-01-05T00:00:00+08:00", "a", 100),
            E.adjust("2026-02-03T00:00:00+08:00", "a", 20, .fee),
        ]
        let jan = try #require(features(events, month: "2026-01"))
        #expect(jan.onTimeSettled == 1)
        let feb = try #require(features(events, month: "2026-02"))
        #expect(feb.onTimeSettled == 0)
        #expect(feb.openObligations == 1)
        #expect(feb.outstandingMinor == 20)
        #expect(feb.maxDpdCurrent == 50)  // Jan 10 to Mar 1
        // Paid again later: settled late, from the final zero-balance period.
        let mar = try #require(features(events + [E.repay("2026-03-05T00:00:00+08:00", "a", 20)], month: "2026-03"))
        #expect(mar.lateSettled24m == 1)
        #expect(mar.maxDpd24m == 54)  // Jan 10 to Mar 5
    }

    @Test func refundToZeroSettlesAndOverpaymentIsCredit() throws {
        let f = try #require(
            features(
                [
                    enrolled, E.open("2026-01-01T00:00:00+08:00", "a", 100, due: "2026-01-10T00:00:00+08:00"),
                    E.adjust("2026-01-02T00:00:00+08:00", "a", -100, .refund),
                    E.open("2026-01-01T00:00:00+08:00", "b", 100, due: "2026-01-10T00:00:00+08:00"),
                    E.repay("2026-01-02T00:00:00+08:00", "b", 150),
                ], month: "2026-01"))
        #expect(f.onTimeSettled == 2)
        #expect(f.outstandingMinor == 0)
    }

    @Test func cancellationRemovesTheObligationFromThenOn() throws {
        let events = [
            enrolled, E.open("2026-01-01T00:00:00+08:00", "a", 100, due: "2026-01-10T00:00:00+08:00"),
            E.cancel("2026-02-10T00:00:00+08:00", "a"),
        ]
        #expect(features(events, month: "2026-01")?.obligationsTotal == 1)
        #expect(features(events, month: "2026-02")?.obligationsTotal == 0)
        #expect(features(events, month: "2026-02")?.maxDpd24m == 0)
    }

    @Test func sameInstantLatestIsTheLargerEventID() throws {
        let a = E.limit("2026-01-05T00:00:00+08:00", 300, id: "e011")
        let b = E.limit("2026-01-05T00:00:00+08:00", 400, id: "e012")
        #expect(features([enrolled, a, b], month: "2026-01")?.creditLimitMinor == 400)
        #expect(features([enrolled, b, a], month: "2026-01")?.creditLimitMinor == 400)
    }

    @Test func sameInstantRepaymentAndInterestApplyTogether() throws {
        // At one instant the interest and a repayment covering it land together: never open after.
        let f = try #require(
            features(
                [
                    enrolled, E.open("2026-01-01T00:00:00+08:00", "a", 100, due: "2026-01-10T00:00:00+08:00"),
                    E.repay("2026-01-05T00:00:00+08:00", "a", 120),
                    E.adjust("2026-01-05T00:00:00+08:00", "a", 20, .interest),
                ], month: "2026-01"))
        #expect(f.onTimeSettled == 1)
    }

    @Test func utilizationFloorsAndIsNullWithoutALine() throws {
        let base = [
            enrolled,
            E.open("2026-01-01T00:00:00+08:00", "pl", 3333, due: "2026-03-01T00:00:00+08:00", service: .payLater),
            E.open("2026-01-01T00:00:00+08:00", "r", 5000, due: "2026-03-01T00:00:00+08:00", service: .rental),
        ]
        #expect(features(base, month: "2026-01")?.utilizationBp == nil)
        let f = features(base + [E.limit("2026-01-02T00:00:00+08:00", 10000)], month: "2026-01")
        #expect(f?.utilizationBp == 3333)
        #expect(features(base + [E.limit("2026-01-02T00:00:00+08:00", 30000)], month: "2026-01")?.utilizationBp == 1111)
    }

    @Test func paymentsWindowIsTwelveMonthsInTheScoringZone() throws {
        let f = try #require(
            features(
                [
                    enrolled,
                    E.pay("2025-01-31T15:59:59.999Z", 100),  // 2025-01-31 23:59:59.999 +08:00: outside W12(2026-01)
                    E.pay("2025-01-31T16:00:00Z", 200),  // 2025-02-01 00:00 +08:00: inside
                    E.pay("2025-06-10T00:00:00+08:00", 300), E.pay("2025-06-11T00:00:00+08:00", 50, approved: false),
                    E.pay("2026-01-31T23:59:59.999+08:00", 400),
                ], month: "2026-01"))
        #expect(f.payments12m == 3)
        #expect(f.spend12mMinor == 900)
        #expect(f.activeMonths12m == 3)
        #expect(f.declined12m == 1)
    }

    @Test func tenureFromTheEarliestEnrolmentAndIdentityFromTheLatest() throws {
        let f = try #require(
            features(
                [
                    E.enrol("2025-10-01T00:00:00+08:00", verified: false),
                    E.enrol("2025-12-01T00:00:00+08:00", verified: true),
                ], month: "2026-01"))
        #expect(f.tenureDays == 123)  // Oct 1 to Feb 1
        #expect(f.identityVerified)
    }

    @Test func erasureCutsHistoryAndAnEnrolmentAtTheCut() throws {
        let events = [
            E.enrol("2025-10-01T00:00:00+08:00"), E.pay("2025-10-05T00:00:00+08:00", 100),
            E.withdraw("2025-11-10T00:00:00+08:00"),
            E.enrol("2025-11-10T00:00:00+08:00"),  // same instant as the cut: erased
            E.pay("2025-11-20T00:00:00+08:00", 7),
        ]
        #expect(features(events, month: "2025-10") == nil)
        #expect(features(events, month: "2025-11") == nil)  // no enrolment after the cut
        let later = events + [E.enrol("2025-12-03T00:00:00+08:00", verified: false)]
        let dec = try #require(features(later, month: "2025-12"))
        #expect(dec.tenureDays == 29)  // Dec 3 to Jan 1
        #expect(dec.payments12m == 1)
        #expect(dec.spend12mMinor == 7)
        #expect(!dec.identityVerified)
    }

    @Test func featuresDoNotDependOnArrivalOrder() throws {
        let events = [
            enrolled, E.open("2026-01-01T00:00:00+08:00", "a", 100, due: "2026-01-10T00:00:00+08:00"),
            E.repay("2026-01-05T00:00:00+08:00", "a", 50), E.adjust("2026-01-06T00:00:00+08:00", "a", 5, .fee),
            E.repay("2026-01-12T00:00:00+08:00", "a", 55), E.pay("2026-01-02T00:00:00Z", 10),
            E.limit("2026-01-03T00:00:00+08:00", 1000), E.cancel("2026-03-01T00:00:00+08:00", "a"),
        ]
        var rng = SystemRandomNumberGenerator()
        let expected = features(events, month: "2026-02")
        for _ in 0..<50 {
            #expect(features(events.shuffled(using: &rng), month: "2026-02") == expected)
        }
    }
}
