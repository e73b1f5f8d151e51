import CredenceCore
import Foundation
import Testing

// Temporary: a Foundation-based decoder for valid example lines, until EventDecoder lands.
func tmpDecode(_ line: String) -> Event? {
    guard let d = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { return nil }
    guard let id = d["event_id"] as? String, let type = d["type"] as? String, let user = d["user_id"] as? String,
        let at = d["occurred_at"] as? String, case .success(let t) = RFC3339.parse(at)
    else { return nil }
    if user.contains(" ") { return nil }
    func i(_ k: String) -> Int64? {
        guard let v = d[k] else { return nil }
        if let x = v as? Int { return Int64(x) }
        return nil
    }
    let p: Event.Payload
    switch type {
    case "user.enrolled": p = .userEnrolled(identityVerified: d["identity_verified"] as! Bool)
    case "user.withdrawn": p = .userWithdrawn
    case "payment":
        guard let a = i("amount_minor"), d["currency"] as? String == "CNY", !(line.contains("12.0")) else { return nil }
        p = .payment(.init(paymentID: d["payment_id"] as! String, amountMinor: a, currency: "CNY", merchantCategory: "x", outcome: PaymentOutcome(wireName: d["outcome"] as! String)!))
    case "obligation.opened":
        guard case .success(let due) = RFC3339.parse(d["due_at"] as! String) else { return nil }
        p = .obligationOpened(.init(obligationID: d["obligation_id"] as! String, service: Service(wireName: d["service"] as! String)!, amountMinor: i("amount_minor")!, dueAt: due))
    case "obligation.adjusted":
        p = .obligationAdjusted(.init(obligationID: d["obligation_id"] as! String, deltaMinor: i("delta_minor")!, reason: AdjustmentReason(wireName: d["reason"] as! String)!))
    case "repayment": p = .repayment(obligationID: d["obligation_id"] as! String, amountMinor: i("amount_minor")!)
    case "obligation.cancelled": p = .obligationCancelled(obligationID: d["obligation_id"] as! String)
    case "credit_limit.set": p = .creditLimitSet(limitMinor: i("limit_minor")!)
    default: return nil
    }
    return Event(eventID: id, userID: user, occurredAt: t, payload: p)
}

@Test func tmpExample() throws {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let spec = root.deletingLastPathComponent().appendingPathComponent("shared/spec/examples")
    let text = try String(contentsOf: spec.appendingPathComponent("events.ndjson"), encoding: .utf8)
    var state = ScoringState()
    var seen = Set<String>()
    var all: [Event] = []
    var outputs: [Month: String] = [:]
    for line in text.split(separator: "\n") {
        guard let e = tmpDecode(String(line)) else { continue }
        guard seen.insert(e.eventID).inserted else { continue }
        all.append(e)
        if case .rebuildRequired(let cut) = state.accept(e) {
            _ = state.rebuild(userID: e.userID, erasureCut: cut, survivors: all.filter { $0.userID == e.userID && $0.occurredAt > cut })
            for (m, o) in outputs { outputs[m] = o.split(separator: "\n").filter { !$0.contains("\"user_id\":\"\(e.userID)\"") }.map { $0 + "\n" }.joined() }
        }
        for m in state.monthsReadyToClose(watermark: state.watermark) {
            outputs[m] = state.close(m, model: .default).snapshot.export()
        }
    }
    for m in state.monthsToCloseAtEndOfInput() { outputs[m] = state.close(m, model: .default).snapshot.export() }
    for (m, out) in outputs.sorted(by: { $0.key < $1.key }) {
        let expected = try String(contentsOf: spec.appendingPathComponent("expected/snapshot-\(m).ndjson"), encoding: .utf8)
        if expected != out { print("MISMATCH \(m)\nEXPECTED\n\(expected)GOT\n\(out)") }
        #expect(expected == out)
    }
}
