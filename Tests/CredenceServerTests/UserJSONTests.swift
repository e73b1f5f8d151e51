import CredenceCore
import CredenceTestSupport
import SnapshotStore
import Testing

@testable import CredenceServer

/// The byte renderer of the score and eligibility bodies against the `String` renderer it
/// replaced (``LegacyUserJSON``, kept here as it was): the same bytes for random entries, odd
/// ids and model strings, unknown reason codes, absent scores and null features.
@Suite struct UserJSONTests {
    @Test(arguments: [1, 2, 3])
    func theBytesAreTheOldRenderersOnRandomEntries(seed: UInt64) {
        var random = SeededRandom(seed: seed)
        for round in 0..<40 {
            let model = round == 0 ? Scorecard.default : Self.oddModel(&random)
            let offset = UTCOffset(minutes: Int.random(in: -720...840, using: &random))
            let json = UserJSON(model: model, offset: offset)
            let legacy = LegacyUserJSON(model: model, offset: offset)
            // Instants often repeat or differ by a millisecond, as under load (the `as_of` text of
            // the last one is reused).
            let base = Instant(millisecondsSinceEpoch: Int64.random(in: -1 << 40...1 << 42, using: &random))
            let instants = [0, 1, 2, 999, 1_000, 60_000, 86_400_000].map { base.adding(milliseconds: $0) }
            for _ in 0..<50 {
                let userID = Self.oddString(&random)
                let closed = Bool.random(using: &random) ? nil : Self.storedScore(userID, model, &random)
                let provisional =
                    Bool.random(using: &random)
                    ? nil
                    : (instants.randomElement(using: &random)!, Self.entry(userID, model, &random))
                let new = json.score(userID: userID, closed: closed, provisional: provisional)
                let old = legacy.scoreJSON(userID: userID, closed: closed, provisional: provisional)
                #expect(new == Array(old.utf8), "seed \(seed) round \(round): \(old)")
                let stored = closed ?? Self.storedScore(userID, model, &random)
                let newEligibility = json.eligibility(userID: userID, stored)
                let oldEligibility = legacy.eligibility(userID: userID, stored)
                #expect(newEligibility == Array(oldEligibility.utf8), "seed \(seed) round \(round): \(oldEligibility)")
            }
        }
    }

    // MARK: - Random inputs

    /// Mostly the ids the API accepts, often not: quotes, backslashes, control characters,
    /// non-ASCII and astral characters, empty.
    static func oddString(_ random: inout SeededRandom) -> String {
        let pieces = [
            "alice", "m.10018:cn-x_8", "\"", "\\", "\n", "\r", "\t", "\u{08}", "\u{0C}", "\u{01}", "\u{1F}", "\u{7F}",
            "é", "日本", "🙂", "/", "<", "&", " ", "0", "Z", "-", "\u{0}",
        ]
        let count = Int.random(in: 0...6, using: &random)
        return (0..<count).map { _ in pieces.randomElement(using: &random)! }.joined()
    }

    /// The default model with odd strings and a reason code used twice with two texts.
    static func oddModel(_ random: inout SeededRandom) -> Scorecard {
        var model = Scorecard.default
        model.modelVersion = "v" + oddString(&random)
        for i in model.characteristics.indices where Bool.random(using: &random) {
            model.characteristics[i].text = oddString(&random)
        }
        if model.characteristics.count > 2 {
            model.characteristics[2].reason = model.characteristics[1].reason
        }
        model.services = (0..<Int.random(in: 0...4, using: &random)).map { _ in
            (oddString(&random), Int64.random(in: 0...1_000, using: &random))
        }
        return model
    }

    static func reasons(_ model: Scorecard, _ random: inout SeededRandom) -> [String] {
        let known = model.characteristics.map(\.reason)
        return (0..<Int.random(in: 0...5, using: &random)).map { _ in
            Int.random(in: 0..<8, using: &random) == 0 ? "X" + oddString(&random) : known.randomElement(using: &random)!
        }
    }

    static func features(_ random: inout SeededRandom) -> Features {
        func int() -> Int64 {
            switch Int.random(in: 0..<6, using: &random) {
            case 0: return .min
            case 1: return .max
            case 2: return 0
            default: return Int64.random(in: -1_000_000...1_000_000, using: &random)
            }
        }
        func wide() -> Int128 {
            Bool.random(using: &random) ? Int128(int()) : Int128(int()) * Int128(Int64.max) + Int128(int())
        }
        var f = Features()
        f.identityVerified = Bool.random(using: &random)
        f.tenureDays = int()
        f.payments12m = int()
        f.spend12mMinor = wide()
        f.activeMonths12m = int()
        f.declined12m = int()
        f.obligationsTotal = int()
        f.onTimeSettled = int()
        f.lateSettled24m = int()
        f.openObligations = int()
        f.outstandingMinor = wide()
        f.overdueObligations = int()
        f.maxDpdCurrent = int()
        f.maxDpd24m = int()
        f.defaults24m = int()
        f.creditLimitMinor = int()
        f.utilizationBp = Bool.random(using: &random) ? nil : wide()
        return f
    }

    static func entry(_ userID: String, _ model: Scorecard, _ random: inout SeededRandom) -> SnapshotEntry {
        SnapshotEntry(
            userID: userID, score: Int64.random(in: -100...1_200, using: &random), reasons: reasons(model, &random),
            features: features(&random))
    }

    static func storedScore(_ userID: String, _ model: Scorecard, _ random: inout SeededRandom) -> StoredScore {
        let e = entry(userID, model, &random)
        return StoredScore(
            userID: userID, modelVersion: model.modelVersion,
            month: Month(index: Int32.random(in: -30...130_000, using: &random)),
            revision: Int.random(in: 0...12, using: &random), score: e.score, reasons: e.reasons, features: e.features)
    }
}

/// The `String` renderers of the score and eligibility bodies as they were before
/// ``UserJSON``, verbatim: the reference its bytes are checked against.
struct LegacyUserJSON {
    let model: Scorecard
    let offset: UTCOffset
    let reasonObjects: [String: String]

    init(model: Scorecard, offset: UTCOffset) {
        self.model = model
        self.offset = offset
        var objects: [String: String] = [:]
        for c in model.characteristics where objects[c.reason] == nil {
            objects[c.reason] = Self.reasonObject(c.reason, text: c.text)
        }
        reasonObjects = objects
    }

    var modelVersion: String { model.modelVersion }

    static func reasonObject(_ code: String, text: String) -> String {
        "{\"code\":" + JSONText.string(code) + ",\"text\":" + JSONText.string(text) + "}"
    }

    func eligibility(userID: String, _ s: StoredScore) -> String {
        var out = "{\"user_id\":" + JSONText.string(userID) + ",\"model_version\":" + JSONText.string(modelVersion)
        out += ",\"month\":\"\(s.month)\",\"score\":\(s.score),\"services\":["
        for (i, service) in model.services.enumerated() {
            if i > 0 { out += "," }
            let eligible = s.score >= service.threshold
            out += "{\"service\":" + JSONText.string(service.name) + ",\"threshold\":\(service.threshold)"
            out += ",\"eligible\":\(eligible)"
            if !eligible {
                out += ",\"points_short\":\(service.threshold - s.score),\"reasons\":"
                appendReasons(s.reasons, to: &out)
            }
            out += "}"
        }
        out += "]}"
        return out
    }

    func scoreJSON(userID: String, closed: StoredScore?, provisional: (Instant, SnapshotEntry)?) -> String {
        var out = "{\"user_id\":" + JSONText.string(userID) + ",\"model_version\":" + JSONText.string(modelVersion)
        out += ",\"closed\":"
        if let c = closed {
            out += "{\"month\":\"\(c.month)\",\"revision\":\(c.revision),\"score\":\(c.score),\"reasons\":"
            appendReasons(c.reasons, to: &out)
            out += ",\"features\":"
            c.features.appendJSON(to: &out)
            out += "}"
        } else {
            out += "null"
        }
        out += ",\"provisional\":"
        if let (asOf, p) = provisional {
            let month = Month(
                containing: asOf.adding(milliseconds: -1), offset: offset)
            out += "{\"as_of\":\"" + RFC3339.format(asOf, offsetMinutes: offset.minutes)
            out += "\",\"month\":\"\(month)\",\"score\":\(p.score),\"reasons\":"
            appendReasons(p.reasons, to: &out)
            out += ",\"features\":"
            p.features.appendJSON(to: &out)
            out += "}"
        } else {
            out += "null"
        }
        out += "}"
        return out
    }

    func appendReasons(_ codes: [String], to out: inout String) {
        out += "["
        for (i, code) in codes.enumerated() {
            if i > 0 { out += "," }
            out += reasonObjects[code] ?? Self.reasonObject(code, text: model.text(forReason: code) ?? "")
        }
        out += "]"
    }
}
