public import CredenceCore

/// What `EventStreamGenerator` produces: population size, time range, seed and noise.
///
/// Every rate is a probability in `[0, 1]`; the defaults give a clean-looking stream
/// with a little of every kind of trouble the scorer must survive.
///
/// ```swift
/// var configuration = GeneratorConfiguration(users: 10_000, months: 18, seed: 42)
/// configuration.noise.invalidLineRate = 0
/// let summary = try EventStreamGenerator(configuration: configuration).write { bytes in ... }
/// ```
public struct GeneratorConfiguration: Sendable, Hashable {
    /// Number of users. Default: 1,000.
    public var users: Int = 1_000
    /// Number of months of activity, starting with `start`. Default: 12.
    public var months: Int = 12
    /// The seed of the pseudo-random stream; the same configuration gives the same bytes. Default: 1.
    public var seed: UInt64 = 1
    /// The first month of activity. Default: 2025-01.
    public var start: Month = Month(year: 2025, month: 1)
    /// The scoring zone: month boundaries, due dates and most timestamps use it. Default: `+08:00`.
    public var scoringOffset: UTCOffset = .beijing
    /// The scorer's allowed lateness; ordinary arrival delays stay below it, late events exceed it.
    /// Default: 48 hours.
    public var allowedLateness: Duration = .seconds(48 * 3600)
    /// The deployment currency of payments. Default: `CNY`.
    public var currency: String = "CNY"
    /// Population shape: who enrols when, who withdraws.
    public var population = Population()
    /// Producer and data-quality trouble mixed into the stream.
    public var noise = Noise()

    /// The population's enrolment and consent behaviour.
    public struct Population: Sendable, Hashable {
        /// Share of users already enrolled before `start`; their `user.enrolled` falls in the
        /// `monthsBeforeStart` months before it, so the stream begins that much earlier.
        /// Set it to 0 for a stream that starts exactly at `start`. Default: 0.1.
        public var enrolledBeforeStartRate: Double = 0.1
        /// How far before `start` early users may enrol. Default: 2 months.
        public var monthsBeforeStart: Int = 2
        /// Share of users who enrol in the first quarter of the range (the rest enrol later). Default: 0.65.
        public var earlyEnrolmentRate: Double = 0.65
        /// Share of users whose enrolment has `identity_verified: true`. Default: 0.9.
        public var identityVerifiedRate: Double = 0.9
        /// Share of users who withdraw consent (`user.withdrawn`) at some point. Default: 0.01.
        public var withdrawalRate: Double = 0.01
        /// Share of withdrawn users who enrol again later, with new obligation ids. Default: 0.5.
        public var reEnrolmentRate: Double = 0.5

        public init() {}
    }

    /// Noise rates; each is a probability per event of the kind named.
    public struct Noise: Sendable, Hashable {
        /// An emitted event is sent again, byte for byte (a producer retry). Default: 0.002.
        public var duplicateRate: Double = 0.002
        /// An emitted event is sent again with the same `event_id` but another amount (a conflict). Default: 0.0005.
        public var conflictingDuplicateRate: Double = 0.0005
        /// An emitted event is followed by a line the scorer must reject (see `InvalidLineKind`). Default: 0.001.
        public var invalidLineRate: Double = 0.001
        /// A payment is delivered after its month closed: more than the allowed lateness after the
        /// month's end. Default: 0.001.
        public var lateEventRate: Double = 0.001
        /// An obligation gets a second `obligation.opened` with the same id (dead-lettered as a conflict).
        /// Default: 0.002.
        public var conflictingOpenRate: Double = 0.002

        public init() {}

        /// No noise at all: every line is a valid, unique, timely event.
        public static var none: Noise {
            var noise = Noise()
            noise.duplicateRate = 0
            noise.conflictingDuplicateRate = 0
            noise.invalidLineRate = 0
            noise.lateEventRate = 0
            noise.conflictingOpenRate = 0
            return noise
        }
    }

    public init() {}

    public init(users: Int, months: Int, seed: UInt64, start: Month = Month(year: 2025, month: 1)) {
        self.users = users
        self.months = months
        self.seed = seed
        self.start = start
    }

    /// Checks every option; the error says which one is wrong and what would be accepted.
    public func validate() throws(GeneratorError) {
        func fail(_ message: String) -> GeneratorError { GeneratorError(code: .invalidConfiguration, message: message) }
        guard users >= 0, users <= 50_000_000 else {
            throw fail("users must be between 0 and 50,000,000, got \(users)")
        }
        guard months >= 1, months <= 600 else { throw fail("months must be between 1 and 600, got \(months)") }
        guard start.year >= 1971, start.year <= 9000 else { throw fail("start must be a month between 1971 and 9000") }
        guard abs(scoringOffset.minutes) < 24 * 60 else { throw fail("scoringOffset must be within ±23:59") }
        let lateness = allowedLateness.components
        guard lateness.seconds >= 3600, lateness.seconds <= 30 * 86_400 else {
            throw fail("allowedLateness must be between 1 hour and 30 days")
        }
        let bytes = Array(currency.utf8)
        guard bytes.count == 3, bytes.allSatisfy({ $0 >= 65 && $0 <= 90 }) else {
            throw fail("currency must be 3 upper-case letters (ISO 4217), got \"\(currency)\"")
        }
        guard population.monthsBeforeStart >= 0, population.monthsBeforeStart <= 120 else {
            throw fail("population.monthsBeforeStart must be between 0 and 120")
        }
        let rates: [(String, Double)] = [
            ("population.enrolledBeforeStartRate", population.enrolledBeforeStartRate),
            ("population.earlyEnrolmentRate", population.earlyEnrolmentRate),
            ("population.identityVerifiedRate", population.identityVerifiedRate),
            ("population.withdrawalRate", population.withdrawalRate),
            ("population.reEnrolmentRate", population.reEnrolmentRate),
            ("noise.duplicateRate", noise.duplicateRate),
            ("noise.conflictingDuplicateRate", noise.conflictingDuplicateRate),
            ("noise.invalidLineRate", noise.invalidLineRate),
            ("noise.lateEventRate", noise.lateEventRate),
            ("noise.conflictingOpenRate", noise.conflictingOpenRate),
        ]
        for (name, value) in rates where !(value >= 0 && value <= 1) {
            throw fail("\(name) must be a probability between 0 and 1, got \(value)")
        }
        guard noise.duplicateRate + noise.conflictingDuplicateRate <= 1 else {
            throw fail("noise.duplicateRate + noise.conflictingDuplicateRate must not exceed 1")
        }
    }
}
