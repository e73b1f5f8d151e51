/// The features of SCORING.md section 3 for one user as of an instant `T`.
///
/// Money sums are `Int128`: each amount fits in 64 bits, but their sums need not.
public struct Features: Sendable, Hashable {
    public var identityVerified = false
    public var tenureDays: Int64 = 0
    public var payments12m: Int64 = 0
    public var spend12mMinor: Int128 = 0
    public var activeMonths12m: Int64 = 0
    public var declined12m: Int64 = 0
    public var obligationsTotal: Int64 = 0
    public var onTimeSettled: Int64 = 0
    public var lateSettled24m: Int64 = 0
    public var openObligations: Int64 = 0
    public var outstandingMinor: Int128 = 0
    public var overdueObligations: Int64 = 0
    public var maxDpdCurrent: Int64 = 0
    public var maxDpd24m: Int64 = 0
    public var defaults24m: Int64 = 0
    public var creditLimitMinor: Int64 = 0
    /// `nil` when there is no credit line (`credit_limit_minor == 0`).
    public var utilizationBp: Int128?

    public init() {}

    /// Every feature name, in the order of the spec's table (and of the export).
    public static let names: [String] = [
        "identity_verified", "tenure_days", "payments_12m", "spend_12m_minor", "active_months_12m",
        "declined_12m", "obligations_total", "on_time_settled", "late_settled_24m", "open_obligations",
        "outstanding_minor", "overdue_obligations", "max_dpd_current", "max_dpd_24m", "defaults_24m",
        "credit_limit_minor", "utilization_bp",
    ]

    /// The value of a feature as the scorecard sees it: booleans are 0 and 1, `nil` is null.
    public func value(of name: FeatureName) -> Int128? {
        switch name.rawValue {
        case 0: return identityVerified ? 1 : 0
        case 1: return Int128(tenureDays)
        case 2: return Int128(payments12m)
        case 3: return spend12mMinor
        case 4: return Int128(activeMonths12m)
        case 5: return Int128(declined12m)
        case 6: return Int128(obligationsTotal)
        case 7: return Int128(onTimeSettled)
        case 8: return Int128(lateSettled24m)
        case 9: return Int128(openObligations)
        case 10: return outstandingMinor
        case 11: return Int128(overdueObligations)
        case 12: return Int128(maxDpdCurrent)
        case 13: return Int128(maxDpd24m)
        case 14: return Int128(defaults24m)
        case 15: return Int128(creditLimitMinor)
        default: return utilizationBp
        }
    }

    /// `{"identity_verified":true,...,"utilization_bp":null}` in the spec's order, no spaces.
    public func appendJSON(to out: inout String) {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(420)
        appendJSON(to: &bytes)
        out += String(decoding: bytes, as: UTF8.self)
    }

    /// The same JSON, as bytes: the one renderer of the features (exports render through it).
    public func appendJSON(to out: inout [UInt8]) {
        JSONText.append("{\"identity_verified\":", to: &out)
        JSONText.append(identityVerified ? "true" : "false", to: &out)
        func field(_ key: StaticString, _ v: Int64) {
            JSONText.append(key, to: &out)
            JSONText.appendInteger(v, to: &out)
        }
        func field(_ key: StaticString, _ v: Int128) {
            JSONText.append(key, to: &out)
            JSONText.appendInteger(v, to: &out)
        }
        field(",\"tenure_days\":", tenureDays)
        field(",\"payments_12m\":", payments12m)
        field(",\"spend_12m_minor\":", spend12mMinor)
        field(",\"active_months_12m\":", activeMonths12m)
        field(",\"declined_12m\":", declined12m)
        field(",\"obligations_total\":", obligationsTotal)
        field(",\"on_time_settled\":", onTimeSettled)
        field(",\"late_settled_24m\":", lateSettled24m)
        field(",\"open_obligations\":", openObligations)
        field(",\"outstanding_minor\":", outstandingMinor)
        field(",\"overdue_obligations\":", overdueObligations)
        field(",\"max_dpd_current\":", maxDpdCurrent)
        field(",\"max_dpd_24m\":", maxDpd24m)
        field(",\"defaults_24m\":", defaults24m)
        field(",\"credit_limit_minor\":", creditLimitMinor)
        JSONText.append(",\"utilization_bp\":", to: &out)
        if let u = utilizationBp {
            JSONText.appendInteger(u, to: &out)
        } else {
            JSONText.append("null", to: &out)
        }
        out.append(UInt8(ascii: "}"))
    }
}

/// A feature of section 3, by its position in the spec's table.
public struct FeatureName: Sendable, Hashable, CustomStringConvertible {
    public let rawValue: Int

    public init?(_ name: String) {
        guard let i = Features.names.firstIndex(of: name) else { return nil }
        rawValue = i
    }

    public var description: String { Features.names[rawValue] }
}
