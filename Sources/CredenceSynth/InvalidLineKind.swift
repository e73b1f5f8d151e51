/// The rejection rule of SCORING.md section 2 that an intentionally invalid line breaks.
///
/// Each invalid line the generator writes breaks exactly one rule, so a consumer's
/// dead-letter reasons can be checked against `GeneratorSummary.invalidLines`.
/// A struct with static members rather than an enum, so that kinds can be added later.
public struct InvalidLineKind: Sendable, Hashable, Comparable, CaseIterable, CustomStringConvertible {
    /// A stable identifier, such as `nonIntegerAmount`.
    public let name: String
    /// Position in `allCases`: the order of reports.
    private let rank: Int

    private init(_ name: String, _ rank: Int) {
        self.name = name
        self.rank = rank
    }

    /// Not JSON at all, or truncated JSON.
    public static let notJSON = InvalidLineKind("notJSON", 0)
    /// Bytes that are not UTF-8 inside a string value.
    public static let invalidUTF8 = InvalidLineKind("invalidUTF8", 1)
    /// A string holding an escaped unpaired surrogate (`"\ud800"`).
    public static let unpairedSurrogate = InvalidLineKind("unpairedSurrogate", 2)
    /// JSON, but not an object (`[...]`, a string, a number).
    public static let notAnObject = InvalidLineKind("notAnObject", 3)
    /// A `type` that is not one of the eight event types.
    public static let unknownType = InvalidLineKind("unknownType", 4)
    /// A required field is absent.
    public static let missingField = InvalidLineKind("missingField", 5)
    /// A field has the wrong JSON type (`"amount_minor":"1200"`, `"identity_verified":"true"`).
    public static let mistypedField = InvalidLineKind("mistypedField", 6)
    /// An integer field written with a fraction or exponent (`12.0`, `1e3`).
    public static let nonIntegerAmount = InvalidLineKind("nonIntegerAmount", 7)
    /// An `amount_minor` that is zero or negative, or a negative `limit_minor`.
    public static let nonPositiveAmount = InvalidLineKind("nonPositiveAmount", 8)
    /// A `delta_minor` whose sign contradicts its `reason` (a positive refund, a zero delta).
    public static let wrongDeltaSign = InvalidLineKind("wrongDeltaSign", 9)
    /// An `event_id` that is empty or longer than 128 bytes.
    public static let badEventID = InvalidLineKind("badEventID", 10)
    /// A `user_id` outside 1-64 chars of `[A-Za-z0-9_.:-]`.
    public static let badUserID = InvalidLineKind("badUserID", 11)
    /// A payment in another currency than the deployment's.
    public static let wrongCurrency = InvalidLineKind("wrongCurrency", 12)
    /// A `service`, `outcome` or `reason` outside its set.
    public static let badEnumValue = InvalidLineKind("badEnumValue", 13)
    /// An `obligation.opened` whose `due_at` is not after its `occurred_at`.
    public static let dueNotAfterOccurred = InvalidLineKind("dueNotAfterOccurred", 14)
    /// A timestamp breaking section 1: no offset, 4 fraction digits, `:60`, 30 February, a space.
    public static let badTimestamp = InvalidLineKind("badTimestamp", 15)

    public static let allCases: [InvalidLineKind] = [
        .notJSON, .invalidUTF8, .unpairedSurrogate, .notAnObject, .unknownType, .missingField, .mistypedField,
        .nonIntegerAmount, .nonPositiveAmount, .wrongDeltaSign, .badEventID, .badUserID, .wrongCurrency,
        .badEnumValue, .dueNotAfterOccurred, .badTimestamp,
    ]

    public var description: String { name }

    public static func < (lhs: InvalidLineKind, rhs: InvalidLineKind) -> Bool { lhs.rank < rhs.rank }
}
