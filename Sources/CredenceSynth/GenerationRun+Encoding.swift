import CredenceCore

/// Serializing planned events as NDJSON lines, keys in the order of the spec's example.
extension GenerationRun {
    /// Appends the user id of user `u`: `u<n>` for most, `m.<n>:cn-x_<n>` for one in fifty,
    /// so ids use every character class the spec allows.
    mutating func appendUserID(_ u: UInt32) {
        let n = Int64(u) + 1
        if u % 50 == 17 {
            out.append("m.")
            out.appendDecimal(n)
            out.append(":cn-x_")
            out.appendDecimal(n % 10)
        } else {
            out.append("u")
            out.appendDecimal(n)
        }
    }

    func userIDString(_ u: UInt32) -> String {
        let n = Int64(u) + 1
        return u % 50 == 17 ? "m.\(n):cn-x_\(n % 10)" : "u\(n)"
    }

    /// Appends an obligation id: the service's prefix and the per-user number (`pl12`, `r3`).
    mutating func appendObligationID(_ obligation: UInt32) {
        switch Service(rawValue: UInt8(obligation & 7))! {
        case .rental: out.append("r")
        case .travel: out.append("t")
        case .shopping: out.append("s")
        case .life: out.append("l")
        case .accommodation: out.append("a")
        case .payLater: out.append("pl")
        }
        out.appendDecimal(Int64(obligation >> 3))
    }

    mutating func appendOccurredAt(_ t: Int64, style: UInt8) {
        if style == 0 {
            out.appendTimestamp(t, offsetMinutes: offsetMinutes, zulu: false)
        } else {
            let other = TimeStyle.others[Int(style) - 1]
            out.appendTimestamp(t, offsetMinutes: other.minutes, zulu: other.zulu)
        }
    }

    mutating func appendType(_ kind: EventKind) {
        switch kind {
        case .userEnrolled: out.append("user.enrolled")
        case .userWithdrawn: out.append("user.withdrawn")
        case .payment: out.append("payment")
        case .obligationOpened: out.append("obligation.opened")
        case .obligationAdjusted: out.append("obligation.adjusted")
        case .repayment: out.append("repayment")
        case .obligationCancelled: out.append("obligation.cancelled")
        case .creditLimitSet: out.append("credit_limit.set")
        }
    }

    /// Writes one event line; a conflicting duplicate carries a changed amount.
    mutating func writeEvent(_ e: PlannedEvent) {
        let amount: Int64
        if e.role == .conflictingDuplicate {
            switch e.kind {
            case .creditLimitSet: amount = e.amount + 10_000
            case .obligationAdjusted: amount = e.amount < 0 ? e.amount - 1 : e.amount + 1
            default: amount = e.amount + 1
            }
        } else {
            amount = e.amount
        }
        out.append("{\"event_id\":\"e")
        out.appendDecimal(Int64(e.eventNumber))
        out.append("\",\"type\":\"")
        appendType(e.kind)
        out.append("\",\"user_id\":\"")
        appendUserID(e.user)
        out.append("\",\"occurred_at\":\"")
        appendOccurredAt(e.occurred, style: e.style)
        switch e.kind {
        case .userEnrolled:
            out.append(e.detail & 1 == 1 ? "\",\"identity_verified\":true}\n" : "\",\"identity_verified\":false}\n")
        case .userWithdrawn:
            out.append("\"}\n")
        case .payment:
            out.append("\",\"payment_id\":\"p")
            out.appendDecimal(Int64(e.eventNumber))
            out.append("\",\"amount_minor\":")
            out.appendDecimal(amount)
            out.append(",\"currency\":\"")
            out.append(currencyBytes)
            out.append("\",\"merchant_category\":\"")
            out.append(Self.merchantCategories[Int(e.detail & 0x7F)])
            out.append(
                e.detail & PlannedEvent.declinedBit != 0
                    ? "\",\"outcome\":\"declined\"}\n" : "\",\"outcome\":\"approved\"}\n")
        case .obligationOpened:
            out.append("\",\"obligation_id\":\"")
            appendObligationID(e.obligation)
            out.append("\",\"service\":\"")
            switch e.service {
            case .rental: out.append("rental")
            case .travel: out.append("travel")
            case .shopping: out.append("shopping")
            case .life: out.append("life")
            case .accommodation: out.append("accommodation")
            case .payLater: out.append("pay_later")
            }
            out.append("\",\"amount_minor\":")
            out.appendDecimal(amount)
            out.append(",\"due_at\":\"")
            out.appendTimestamp(e.dueAt, offsetMinutes: offsetMinutes, zulu: false)
            out.append("\"}\n")
        case .obligationAdjusted:
            out.append("\",\"obligation_id\":\"")
            appendObligationID(e.obligation)
            out.append("\",\"delta_minor\":")
            out.appendDecimal(amount)
            switch AdjustmentReason(rawValue: e.detail)! {
            case .interest: out.append(",\"reason\":\"interest\"}\n")
            case .fee: out.append(",\"reason\":\"fee\"}\n")
            case .refund: out.append(",\"reason\":\"refund\"}\n")
            case .waiver: out.append(",\"reason\":\"waiver\"}\n")
            }
        case .repayment:
            out.append("\",\"obligation_id\":\"")
            appendObligationID(e.obligation)
            out.append("\",\"amount_minor\":")
            out.appendDecimal(amount)
            out.append("}\n")
        case .obligationCancelled:
            out.append("\",\"obligation_id\":\"")
            appendObligationID(e.obligation)
            out.append("\"}\n")
        case .creditLimitSet:
            out.append("\",\"limit_minor\":")
            out.appendDecimal(amount)
            out.append("}\n")
        }
        summary.lines += 1
    }
}
