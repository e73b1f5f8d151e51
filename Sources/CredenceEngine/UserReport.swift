public import CredenceCore
public import SnapshotStore

/// Everything Credence can say about one user: the latest closed snapshot and a provisional
/// score as of an instant, with eligibility per service.
public struct UserReport: Sendable {
    public var userID: String
    public var latest: StoredScore?
    public var provisional: (asOf: Instant, entry: SnapshotEntry)?

    /// `nil` when the user is unknown or erased (the two look alike on purpose).
    /// - Parameter asOf: the instant of the provisional score; `nil` for none.
    public static func make(engine: Engine, userID: String, asOf: Instant?) throws -> UserReport? {
        var report = UserReport(userID: userID)
        report.latest = try engine.store.history(userID: userID, modelVersion: engine.model.modelVersion).last
        if let asOf, let p = engine.scoring.provisional(userID: userID, asOf: asOf, model: engine.model) {
            report.provisional = (asOf, p.0)
        }
        if report.latest == nil && report.provisional == nil { return nil }
        return report
    }

    public func text(model: Scorecard) -> String {
        var lines = ["user \(userID)"]
        func describe(_ title: String, _ score: Int64, _ reasons: [String]) {
            lines.append("\(title): \(score)")
            for code in reasons {
                lines.append("    \(code)  \(model.text(forReason: code) ?? "")")
            }
            let services = model.services.map { s in "\(s.name) \(score >= s.threshold ? "yes" : "no") (\(s.threshold))"
            }
            lines.append("    eligible: " + services.joined(separator: ", "))
        }
        if let l = latest {
            describe("score for \(l.month) (model \(model.modelVersion))", l.score, l.reasons)
        } else {
            lines.append("no closed snapshot yet")
        }
        if let p = provisional {
            describe("provisional as of \(RFC3339.format(p.asOf, offsetMinutes: 480))", p.entry.score, p.entry.reasons)
        }
        return lines.joined(separator: "\n")
    }

    public func json(model: Scorecard) -> String {
        var out =
            "{\"user_id\":" + JSONText.string(userID) + ",\"model_version\":" + JSONText.string(model.modelVersion)
        out += ",\"latest\":"
        if let l = latest { out += l.line } else { out += "null" }
        out += ",\"provisional\":"
        if let p = provisional {
            out +=
                "{\"as_of\":\"" + RFC3339.format(p.asOf, offsetMinutes: 480)
                + "\",\"score\":\(p.entry.score),\"reasons\":"
            JSONText.appendStringArray(p.entry.reasons, to: &out)
            out += ",\"features\":"
            p.entry.features.appendJSON(to: &out)
            out += "}"
        } else {
            out += "null"
        }
        out += ",\"eligibility\":{"
        let score = latest?.score
        for (i, s) in model.services.enumerated() {
            if i > 0 { out += "," }
            out += JSONText.string(s.name) + ":{\"threshold\":\(s.threshold),\"eligible\":"
            out += score.map { $0 >= s.threshold ? "true" : "false" } ?? "false"
            out += "}"
        }
        out += "}}"
        return out
    }
}
