/// How a kind of user behaves: how often they pay and borrow, and how they repay.
///
/// Rates are per month of activity; amounts are in minor units (fen).
struct UserProfile: Sendable {
    var name: StaticString
    /// Share of the population.
    var weight: Double
    var paymentsPerMonth: Double
    var paymentAmount: ClosedRange<Double>
    var declineRate: Double
    var obligationsPerMonth: Double
    /// Probabilities of settling on time and late; the rest default (never fully repaid).
    var onTimeRate: Double
    var lateRate: Double
    /// How late a late settlement comes, in days after the due date.
    var lateDays: ClosedRange<Int64>
    /// Share of settlements paid in more than one repayment.
    var instalmentRate: Double
    var creditLimit: ClosedRange<Int64>
    var creditLimitChangesPerMonth: Double
    /// Share of defaults eventually written off with a waiver.
    var writeOffRate: Double

    static let diligent = UserProfile(
        name: "diligent", weight: 0.35, paymentsPerMonth: 8, paymentAmount: 800...60_000, declineRate: 0.02,
        obligationsPerMonth: 1.5, onTimeRate: 0.97, lateRate: 0.03, lateDays: 1...8, instalmentRate: 0.2,
        creditLimit: 500_000...2_000_000, creditLimitChangesPerMonth: 0.05, writeOffRate: 0)
    static let occasionallyLate = UserProfile(
        name: "occasionally late", weight: 0.25, paymentsPerMonth: 6, paymentAmount: 500...40_000,
        declineRate: 0.05, obligationsPerMonth: 1.5, onTimeRate: 0.75, lateRate: 0.24, lateDays: 2...45,
        instalmentRate: 0.3, creditLimit: 200_000...1_000_000, creditLimitChangesPerMonth: 0.06, writeOffRate: 0.1)
    static let struggling = UserProfile(
        name: "struggling", weight: 0.10, paymentsPerMonth: 5, paymentAmount: 300...20_000, declineRate: 0.2,
        obligationsPerMonth: 1.2, onTimeRate: 0.4, lateRate: 0.35, lateDays: 10...120, instalmentRate: 0.5,
        creditLimit: 50_000...300_000, creditLimitChangesPerMonth: 0.08, writeOffRate: 0.15)
    static let light = UserProfile(
        name: "light", weight: 0.20, paymentsPerMonth: 1.5, paymentAmount: 500...20_000, declineRate: 0.05,
        obligationsPerMonth: 0.3, onTimeRate: 0.9, lateRate: 0.09, lateDays: 1...30, instalmentRate: 0.1,
        creditLimit: 100_000...500_000, creditLimitChangesPerMonth: 0.02, writeOffRate: 0.1)
    static let heavySpender = UserProfile(
        name: "heavy spender", weight: 0.10, paymentsPerMonth: 25, paymentAmount: 2_000...300_000,
        declineRate: 0.04, obligationsPerMonth: 4, onTimeRate: 0.88, lateRate: 0.11, lateDays: 1...20,
        instalmentRate: 0.35, creditLimit: 2_000_000...8_000_000, creditLimitChangesPerMonth: 0.1,
        writeOffRate: 0.05)

    /// The population mix, in a fixed order (the order is part of what a seed means).
    static let all: [UserProfile] = [.diligent, .occasionallyLate, .struggling, .light, .heavySpender]
}

/// Where a user stands in the consent lifecycle; fixed when the population is drawn.
struct UserState {
    var profile: UInt8
    var identityVerified: Bool
    var reEnrolIdentityVerified: Bool
    /// Next per-user obligation number; never reset, so ids are not reused after a withdrawal.
    var nextObligation: UInt32 = 1
    var creditLimit: Int64
    var enrolAt: Int64
    /// A second `user.enrolled` that reports the identity as verified, or `.max`.
    var verifiedAt: Int64 = .max
    var withdrawAt: Int64 = .max
    var reEnrolAt: Int64 = .max
}

/// Services with their typical amount (fen), days until due, and cancellation and refund rates.
struct ServiceTraits {
    var weight: Double
    var amount: ClosedRange<Double>
    var dueDays: ClosedRange<Int64>
    var cancelRate: Double
    var refundRate: Double
    var accruesInterest: Bool

    /// Indexed by `Service.rawValue - 1`.
    static let all: [ServiceTraits] = [
        ServiceTraits(  // rental
            weight: 0.15, amount: 5_000...300_000, dueDays: 7...30, cancelRate: 0.02, refundRate: 0.02,
            accruesInterest: true),
        ServiceTraits(  // travel
            weight: 0.12, amount: 20_000...800_000, dueDays: 14...45, cancelRate: 0.08, refundRate: 0.08,
            accruesInterest: false),
        ServiceTraits(  // shopping
            weight: 0.28, amount: 2_000...300_000, dueDays: 14...30, cancelRate: 0.06, refundRate: 0.08,
            accruesInterest: false),
        ServiceTraits(  // life
            weight: 0.20, amount: 1_000...50_000, dueDays: 5...20, cancelRate: 0.01, refundRate: 0.01,
            accruesInterest: false),
        ServiceTraits(  // accommodation
            weight: 0.10, amount: 20_000...300_000, dueDays: 3...30, cancelRate: 0.08, refundRate: 0.05,
            accruesInterest: false),
        ServiceTraits(  // pay_later
            weight: 0.15, amount: 10_000...1_000_000, dueDays: 15...40, cancelRate: 0.01, refundRate: 0.03,
            accruesInterest: true),
    ]
}
