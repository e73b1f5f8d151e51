import CredenceCore

/// Planning: who the users are, and what each does in a window of time.
extension GenerationRun {
    mutating func drawPopulation() {
        let population = configuration.population
        let cumulative = UserProfile.all.reduce(into: [Double]()) { $0.append(($0.last ?? 0) + $1.weight) }
        let rangeLength = streamEnd - streamStart
        let earlyEnd = streamStart + max(min(rangeLength, 31 * Self.day), rangeLength / 4)
        users.reserveCapacity(configuration.users)
        for _ in 0..<configuration.users {
            let pick = rng.unit() * cumulative.last!
            let profileIndex = cumulative.firstIndex { pick < $0 } ?? cumulative.count - 1
            let profile = UserProfile.all[profileIndex]
            let enrolAt: Int64
            if timelineStart < streamStart && rng.chance(population.enrolledBeforeStartRate) {
                enrolAt = randomTime(timelineStart, streamStart)
            } else if rng.chance(population.earlyEnrolmentRate) {
                enrolAt = randomTime(streamStart, earlyEnd)
            } else {
                enrolAt = randomTime(streamStart, streamEnd)
            }
            var state = UserState(
                profile: UInt8(profileIndex), identityVerified: rng.chance(population.identityVerifiedRate),
                reEnrolIdentityVerified: rng.chance(population.identityVerifiedRate),
                creditLimit: roundLimit(rng.next(in: profile.creditLimit)), enrolAt: enrolAt)
            if rng.chance(population.withdrawalRate) {
                let from = max(enrolAt, streamStart) + 3 * Self.day
                if from < streamEnd {
                    state.withdrawAt = randomTime(from, streamEnd)
                    if rng.chance(population.reEnrolmentRate) {
                        let back = state.withdrawAt + rng.next(in: Self.day...(60 * Self.day))
                        if back < streamEnd { state.reEnrolAt = back }
                    }
                }
            }
            if !state.identityVerified && rng.chance(0.5) {
                let at = enrolAt + rng.next(in: (3 * Self.day)...(40 * Self.day))
                if at < state.withdrawAt { state.verifiedAt = at }
            }
            users.append(state)
        }
    }

    func roundLimit(_ value: Int64) -> Int64 { value / 10_000 * 10_000 }

    /// Plans user `u`'s events that happen in `[lo, hi)`.
    mutating func planWindow(user u: Int, from lo: Int64, to hi: Int64) {
        let state = users[u]
        if state.enrolAt >= lo && state.enrolAt < hi {
            planEnrolment(
                user: u, at: state.enrolAt, verified: state.identityVerified, again: false,
                limit: state.withdrawAt)
        }
        if state.verifiedAt >= lo && state.verifiedAt < hi {
            var event = PlannedEvent(kind: .userEnrolled, user: u, occurred: state.verifiedAt)
            event.detail = 1
            event.style = randomStyle()
            schedule(&event, limit: state.withdrawAt)
        }
        if state.withdrawAt >= lo && state.withdrawAt < hi {
            var event = PlannedEvent(kind: .userWithdrawn, user: u, occurred: state.withdrawAt)
            event.style = randomStyle()
            schedule(&event, limit: .max)
        }
        if state.reEnrolAt >= lo && state.reEnrolAt < hi {
            planEnrolment(
                user: u, at: state.reEnrolAt, verified: state.reEnrolIdentityVerified, again: true,
                limit: .max)
        }
        // Activity before a withdrawal, and after a re-enrolment; none before the stream's start.
        let first = (max(lo, state.enrolAt, streamStart), min(hi, state.withdrawAt))
        if first.0 < first.1 {
            planActivity(user: u, from: first.0, to: first.1, limit: state.withdrawAt)
        }
        if state.reEnrolAt != .max {
            let second = (max(lo, state.reEnrolAt, streamStart), hi)
            if second.0 < second.1 {
                planActivity(user: u, from: second.0, to: second.1, limit: .max)
            }
        }
    }

    private mutating func planEnrolment(user u: Int, at t: Int64, verified: Bool, again: Bool, limit: Int64) {
        var event = PlannedEvent(kind: .userEnrolled, user: u, occurred: t)
        event.detail = (verified ? 1 : 0) | (again ? PlannedEvent.reEnrolmentBit : 0)
        event.style = randomStyle()
        schedule(&event, limit: limit)
        // The credit line is set with the enrolment, often at the very same instant.
        let at = rng.chance(0.4) ? t : t + rng.next(in: Self.second...(30 * Self.minute))
        planCreditLimit(user: u, at: at, limit: limit, value: users[u].creditLimit)
    }

    private mutating func planCreditLimit(user u: Int, at t: Int64, limit: Int64, value: Int64) {
        var event = PlannedEvent(kind: .creditLimitSet, user: u, occurred: t)
        event.amount = value
        event.style = randomStyle()
        schedule(&event, limit: limit)
    }

    private mutating func planActivity(user u: Int, from lo: Int64, to hi: Int64, limit: Int64) {
        let profile = UserProfile.all[Int(users[u].profile)]
        let share = Double(hi - lo) / Self.monthLength
        for _ in 0..<rng.poisson(mean: profile.paymentsPerMonth * share) {
            planPayment(user: u, at: randomTime(lo, hi), limit: limit, profile: profile)
        }
        for _ in 0..<rng.poisson(mean: profile.obligationsPerMonth * share) {
            planObligation(user: u, at: randomTime(lo, hi), limit: limit, profile: profile)
        }
        if rng.chance(profile.creditLimitChangesPerMonth * share) {
            let at = randomTime(lo, hi)
            var next = roundLimit(users[u].creditLimit * rng.next(in: 50...160) / 100)
            if users[u].profile == 2 && rng.chance(0.2) { next = 0 }  // a struggling user's line is revoked
            if next == 0 && users[u].creditLimit == 0 { next = roundLimit(rng.next(in: profile.creditLimit)) }
            planCreditLimit(user: u, at: at, limit: limit, value: next)
            if rng.chance(0.25) {
                // Two limits at the same instant: the larger event_id (byte order) is the latest.
                next = roundLimit(next + rng.next(in: 10_000...200_000))
                planCreditLimit(user: u, at: at, limit: limit, value: next)
            }
            users[u].creditLimit = next
        }
    }

    static let merchantCategories: [StaticString] = [
        "grocery", "dining", "retail", "transport", "utilities", "travel", "entertainment", "health",
        "education", "digital",
    ]

    private mutating func planPayment(user u: Int, at t: Int64, limit: Int64, profile: UserProfile) {
        var event = PlannedEvent(kind: .payment, user: u, occurred: t)
        event.amount = logUniform(profile.paymentAmount)
        event.detail = UInt8(rng.next(below: Int64(Self.merchantCategories.count)))
        if rng.chance(profile.declineRate) { event.detail |= PlannedEvent.declinedBit }
        event.style = randomStyle()
        if users[u].withdrawAt == .max && rng.chance(configuration.noise.lateEventRate) {
            // Delivered after the watermark has passed the end of its month: the month has closed.
            event.isLate = true
            let arrival = monthEnd(containing: t) + latenessMs + rng.next(in: Self.hour...(24 * Self.hour))
            schedule(&event, limit: limit, arrival: arrival)
        } else {
            schedule(&event, limit: limit)
        }
    }

    mutating func pickService() -> Service {
        var pick = rng.unit()
        for (i, traits) in ServiceTraits.all.enumerated() {
            pick -= traits.weight
            if pick < 0 { return Service(rawValue: UInt8(i + 1))! }
        }
        return .payLater
    }
}
