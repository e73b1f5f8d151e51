import CredenceCore

/// Planning an obligation's whole life when it opens: repayments, adjustments, cancellation.
extension GenerationRun {
    private enum Outcome { case onTime, late, defaulted }

    /// The lifecycle being planned; each method queues one event of it.
    private struct Lifecycle {
        var user: Int
        var obligation: UInt32
        var limit: Int64
        var amount: Int64
        /// Amount due so far: opening plus adjustments.
        var owed: Int64
        var repaid: Int64 = 0
    }

    mutating func planObligation(user u: Int, at t0: Int64, limit: Int64, profile: UserProfile) {
        let number = users[u].nextObligation
        users[u].nextObligation += 1
        let service = pickService()
        let traits = ServiceTraits.all[Int(service.rawValue) - 1]
        let amount = logUniform(traits.amount)
        var due = t0 + rng.next(in: traits.dueDays) * Self.day
        if rng.chance(0.7) { due = localMidnight(due) }
        var life = Lifecycle(
            user: u, obligation: number << 3 | UInt32(service.rawValue), limit: limit, amount: amount, owed: amount)

        // Some repayments come minutes after the opening but arrive hours before it.
        let earlyRepayment = rng.chance(0.04)
        var open = PlannedEvent(kind: .obligationOpened, user: u, occurred: t0)
        open.obligation = life.obligation
        open.amount = amount
        open.dueAt = due
        open.detail = service.rawValue
        open.style = randomStyle()
        let slowArrival = t0 + rng.next(in: min(6 * Self.hour, maxDelayMs / 2)...min(30 * Self.hour, maxDelayMs))
        guard let openArrival = schedule(&open, limit: limit, arrival: earlyRepayment ? slowArrival : nil) else {
            return
        }
        if (service == .shopping || service == .payLater) && rng.chance(0.3) {
            // The purchase itself, at the same instant as the obligation it creates.
            var payment = PlannedEvent(kind: .payment, user: u, occurred: t0)
            payment.amount = amount
            payment.detail = rng.chance(0.5) ? 2 : 9
            payment.style = open.style
            schedule(&payment, limit: limit)
        }
        if rng.chance(configuration.noise.conflictingOpenRate) {
            var conflict = open
            conflict.occurred = t0 + rng.next(in: Self.minute...(24 * Self.hour))
            conflict.amount = amount + 100 * rng.next(in: 1...50)
            conflict.role = .conflictingOpen
            let arrival = max(conflict.occurred + randomDelay(), openArrival + Self.second)
            schedule(&conflict, limit: limit, arrival: arrival)
        }

        if rng.chance(traits.cancelRate) {
            let latest = max(10 * Self.minute, min(3 * Self.day, due - t0 - Self.minute))
            let at = t0 + rng.next(in: (10 * Self.minute)...latest)
            var cancel = PlannedEvent(kind: .obligationCancelled, user: u, occurred: at)
            cancel.obligation = life.obligation
            cancel.style = randomStyle()
            schedule(&cancel, limit: limit)
            return
        }
        let firstThird = max(Self.hour, (due - t0) / 3)
        if rng.chance(traits.refundRate * 0.4) {
            // Refunded in full before the due date: settled, on time, by the refund alone.
            adjust(&life, .refund, -amount, at: t0 + rng.next(in: Self.hour...firstThird))
            return
        }
        if rng.chance(traits.refundRate) {
            let refund = max(1, amount * rng.next(in: 5...50) / 100)
            adjust(&life, .refund, -refund, at: t0 + rng.next(in: Self.hour...firstThird))
        }
        var cursor = t0
        if earlyRepayment {
            let at = t0 + rng.next(in: Self.minute...(2 * Self.hour))
            let part = rng.chance(0.5) ? life.owed : max(1, life.owed * rng.next(in: 20...80) / 100)
            repay(&life, part, at: at, arrival: at + rng.next(in: 0...(60 * Self.second)))
            cursor = at
        }

        let pick = rng.unit()
        let outcome: Outcome =
            pick < profile.onTimeRate ? .onTime : pick < profile.onTimeRate + profile.lateRate ? .late : .defaulted
        switch outcome {
        case .onTime:
            let settleAt = rng.next(in: min(cursor + 10 * Self.minute, due)...due)
            if rng.chance(profile.instalmentRate) {
                let pieces = rng.next(in: 1...2)
                for i in 0..<pieces {
                    let at = cursor + (settleAt - cursor) * Int64(i + 1) / Int64(pieces + 1)
                    repay(&life, max(1, (life.owed - life.repaid) * rng.next(in: 20...50) / 100), at: at)
                }
            }
            repay(&life, life.owed - life.repaid, at: settleAt)
            adjustAfterSettlement(&life, settledAt: settleAt)
        case .late:
            let settleAt = due + rng.next(in: profile.lateDays) * Self.day + rng.next(below: Self.day)
            if rng.chance(profile.instalmentRate) {
                let at = rng.next(in: min(cursor + Self.hour, due)...due)
                repay(&life, max(1, (life.owed - life.repaid) * rng.next(in: 20...60) / 100), at: at)
            }
            let fee = lateCharges(&life, due: due, until: settleAt)
            if fee.amount > 0 && rng.chance(0.2) {
                adjust(&life, .waiver, -fee.amount, at: rng.next(in: fee.at...max(fee.at, settleAt - Self.second)))
            }
            repay(&life, life.owed - life.repaid, at: settleAt)
            adjustAfterSettlement(&life, settledAt: settleAt)
        case .defaulted:
            if rng.chance(0.5) {
                let at = rng.next(in: (cursor + Self.hour)...(due + 20 * Self.day))
                repay(&life, max(1, (life.owed - life.repaid) * rng.next(in: 10...60) / 100), at: at)
            }
            let writeOff = rng.chance(profile.writeOffRate)
            let writeOffAt = due + rng.next(in: (100 * Self.day)...(200 * Self.day))
            _ = lateCharges(&life, due: due, until: writeOff ? writeOffAt : due + 190 * Self.day)
            if writeOff {
                // Written off: the waiver brings the balance to zero, long after the due date.
                adjust(&life, .waiver, -(life.owed - life.repaid), at: writeOffAt)
            }
        }
    }

    /// A late fee the day after `due` (usually), then interest at each month boundary before `until`.
    private mutating func lateCharges(_ life: inout Lifecycle, due: Int64, until: Int64) -> (amount: Int64, at: Int64) {
        var fee: (amount: Int64, at: Int64) = (0, due)
        let feeAt = due + rng.next(in: Self.hour...(20 * Self.hour))
        if rng.chance(0.6) && feeAt < until {
            fee = (max(500, life.amount * 3 / 100), feeAt)
            adjust(&life, .fee, fee.amount, at: feeAt)
        }
        let service = Service(rawValue: UInt8(life.obligation & 7))!
        if ServiceTraits.all[Int(service.rawValue) - 1].accruesInterest {
            var boundary = monthEnd(containing: due)
            var months = 0
            while boundary < until && months < 6 {
                // Interest posts at exactly 00:00 on the 1st in the scoring zone: a month-boundary event.
                adjust(&life, .interest, max(100, life.amount * 15 / 1000), at: boundary, boundary: true)
                boundary = monthEnd(containing: boundary)
                months += 1
            }
        }
        return fee
    }

    /// Sometimes interest is charged after settlement, re-opening the balance; usually it is paid later.
    private mutating func adjustAfterSettlement(_ life: inout Lifecycle, settledAt: Int64) {
        guard rng.chance(0.03) else { return }
        let at = settledAt + rng.next(in: Self.day...(20 * Self.day))
        adjust(&life, .interest, max(100, life.amount / 100), at: at)
        if rng.chance(0.6) {
            repay(&life, life.owed - life.repaid, at: at + rng.next(in: Self.day...(40 * Self.day)))
        }
    }

    private mutating func adjust(
        _ life: inout Lifecycle, _ reason: AdjustmentReason, _ delta: Int64, at t: Int64, boundary: Bool = false
    ) {
        // interest and fee raise the amount due, refund and waiver lower it (SCORING.md section 2);
        // a balance already at or below zero needs no waiver.
        guard reason.raisesAmountDue ? delta > 0 : delta < 0 else { return }
        var event = PlannedEvent(kind: .obligationAdjusted, user: life.user, occurred: t)
        event.obligation = life.obligation
        event.amount = delta
        event.detail = reason.rawValue
        event.style = boundary ? 0 : randomStyle()
        if schedule(&event, limit: life.limit) != nil { life.owed += delta }
    }

    private mutating func repay(_ life: inout Lifecycle, _ amount: Int64, at t: Int64, arrival: Int64? = nil) {
        guard amount > 0 else { return }
        var event = PlannedEvent(kind: .repayment, user: life.user, occurred: t)
        event.obligation = life.obligation
        event.amount = amount
        event.style = randomStyle()
        if schedule(&event, limit: life.limit, arrival: arrival) != nil { life.repaid += amount }
    }
}
