/// The rejection rule of SCORING.md section 2 that an intentionally invalid line breaks.
///
/// Each invalid line the generator writes breaks exactly one rule, so a consumer's
/// dead-letter reasons can be checked against `GeneratorSummary.invalidLines`.
public enum InvalidLineKind: String, Sendable, Hashable, CaseIterable, Comparable {
    /// Not JSON at all, or truncated JSON.
    case notJSON
    /// Bytes that are not UTF-8 inside a string value.
    case invalidUTF8
    /// A string holding an escaped unpaired surrogate (`"\ud800"`).
    case unpairedSurrogate
    /// JSON, but not an object (`[...]`, a string, a number).
    case notAnObject
    /// A `type` that is not one of the eight event types.
    case unknownType
    /// A required field is absent.
    case missingField
    /// A field has the wrong JSON type (`"amount_minor":"1200"`, `"identity_verified":"true"`).
    case mistypedField
    /// An integer field written with a fraction or exponent (`12.0`, `1e3`).
    case nonIntegerAmount
    /// An `amount_minor` that is zero or negative, or a negative `limit_minor`.
    case nonPositiveAmount
    /// A `delta_minor` whose sign contradicts its `reason` (a positive refund, a zero delta).
    case wrongDeltaSign
    /// An `event_id` that is empty or longer than 128 bytes.
    case badEventID
    /// A `user_id` outside 1-64 chars of `[A-Za-z0-9_.:-]`.
    case badUserID
    /// A payment in another currency than the deployment's.
    case wrongCurrency
    /// A `service`, `outcome` or `reason` outside its set.
    case badEnumValue
    /// An `obligation.opened` whose `due_at` is not after its `occurred_at`.
    case dueNotAfterOccurred
    /// A timestamp breaking section 1: no offset, 4 fraction digits, `:60`, 30 February, a space.
    case badTimestamp

    public static func < (lhs: InvalidLineKind, rhs: InvalidLineKind) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}
