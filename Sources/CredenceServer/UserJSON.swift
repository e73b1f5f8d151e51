import CredenceCore
import SnapshotStore
import Synchronization

/// The bodies of `GET /v1/users/{user_id}/score` and `/eligibility`, rendered straight into
/// bytes: the hot routes of the API.
///
/// What depends only on the model (its version, each reason's `{"code":…,"text":…}` object,
/// each service's name and threshold) is rendered once, here; a request appends those pieces,
/// the user's id, integers and the features (``Features/appendJSON(to:)-([UInt8])``, the
/// export's renderer) to one byte array. No `String` is built per piece, and no dictionary is
/// consulted. The bytes are those the `String` renderers wrote before (the tests compare them
/// on random entries).
struct UserJSON: Sendable {
    /// `,"model_version":"default-1"`
    private let modelVersionField: [UInt8]
    /// Each reason code's object, first characteristic first (as `Scorecard.text(forReason:)` finds it).
    private let reasonObjects: [(code: String, key: UInt64?, json: [UInt8])]
    /// Each service's `{"service":"…","threshold":N,"eligible":`, in the model's order.
    private let services: [(head: [UInt8], threshold: Int64)]
    /// The scoring zone: the provisional score's month and `as_of`.
    private let offset: UTCOffset
    /// The provisional score's `as_of`.
    private let asOfText: InstantText

    /// What a body usually needs, so that the array grows at most once.
    private static let scoreCapacity = 1_536
    private static let eligibilityCapacity = 1_024

    init(model: Scorecard, offset: UTCOffset) {
        var field: [UInt8] = []
        JSONText.append(",\"model_version\":", to: &field)
        JSONText.appendString(model.modelVersion, to: &field)
        modelVersionField = field
        var objects: [(code: String, key: UInt64?, json: [UInt8])] = []
        for c in model.characteristics where !objects.contains(where: { $0.code == c.reason }) {
            objects.append((c.reason, Self.shortKey(c.reason), Self.reasonObject(c.reason, text: c.text)))
        }
        reasonObjects = objects
        services = model.services.map { service in
            var head: [UInt8] = []
            JSONText.append("{\"service\":", to: &head)
            JSONText.appendString(service.name, to: &head)
            JSONText.append(",\"threshold\":", to: &head)
            JSONText.appendInteger(service.threshold, to: &head)
            JSONText.append(",\"eligible\":", to: &head)
            return (head, service.threshold)
        }
        self.offset = offset
        asOfText = InstantText(offsetMinutes: offset.minutes)
    }

    /// `{"code":"R05","text":"Few obligations settled on time"}`
    static func reasonObject(_ code: String, text: String) -> [UInt8] {
        var out: [UInt8] = []
        JSONText.append("{\"code\":", to: &out)
        JSONText.appendString(code, to: &out)
        JSONText.append(",\"text\":", to: &out)
        JSONText.appendString(text, to: &out)
        out.append(UInt8(ascii: "}"))
        return out
    }

    /// The score route's body: the latest closed score and the provisional one, either `null`.
    func score(userID: String, closed: StoredScore?, provisional: (asOf: Instant, entry: SnapshotEntry)?) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(Self.scoreCapacity)
        appendHead(userID, to: &out)
        JSONText.append(",\"closed\":", to: &out)
        if let c = closed {
            JSONText.append("{\"month\":\"", to: &out)
            c.month.appendText(to: &out)
            JSONText.append("\",\"revision\":", to: &out)
            JSONText.appendInteger(Int64(c.revision), to: &out)
            appendScoreReasonsFeatures(c.score, c.reasons, c.features, to: &out)
        } else {
            JSONText.append("null", to: &out)
        }
        JSONText.append(",\"provisional\":", to: &out)
        if let (asOf, p) = provisional {
            JSONText.append("{\"as_of\":\"", to: &out)
            asOfText.append(asOf, to: &out)
            JSONText.append("\",\"month\":\"", to: &out)
            // The month the instant just before `asOf` is in: `asOf` is an exclusive end.
            Month(containing: asOf.adding(milliseconds: -1), offset: offset).appendText(to: &out)
            out.append(UInt8(ascii: "\""))
            appendScoreReasonsFeatures(p.score, p.reasons, p.features, to: &out)
        } else {
            JSONText.append("null", to: &out)
        }
        out.append(UInt8(ascii: "}"))
        return out
    }

    /// The eligibility route's body: each service decided on `stored`'s score.
    func eligibility(userID: String, _ stored: StoredScore) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(Self.eligibilityCapacity)
        appendHead(userID, to: &out)
        JSONText.append(",\"month\":\"", to: &out)
        stored.month.appendText(to: &out)
        JSONText.append("\",\"score\":", to: &out)
        JSONText.appendInteger(stored.score, to: &out)
        JSONText.append(",\"services\":[", to: &out)
        for (i, service) in services.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: service.head)
            if stored.score >= service.threshold {
                JSONText.append("true}", to: &out)
            } else {
                JSONText.append("false,\"points_short\":", to: &out)
                JSONText.appendInteger(service.threshold - stored.score, to: &out)
                JSONText.append(",\"reasons\":", to: &out)
                appendReasons(stored.reasons, to: &out)
                out.append(UInt8(ascii: "}"))
            }
        }
        JSONText.append("]}", to: &out)
        return out
    }

    /// `{"user_id":"…","model_version":"…"`
    private func appendHead(_ userID: String, to out: inout [UInt8]) {
        JSONText.append("{\"user_id\":", to: &out)
        JSONText.appendString(userID, to: &out)
        out.append(contentsOf: modelVersionField)
    }

    /// `,"score":N,"reasons":[…],"features":{…}}`, closing the score's object.
    private func appendScoreReasonsFeatures(
        _ score: Int64, _ reasons: [String], _ features: Features, to out: inout [UInt8]
    ) {
        JSONText.append(",\"score\":", to: &out)
        JSONText.appendInteger(score, to: &out)
        JSONText.append(",\"reasons\":", to: &out)
        appendReasons(reasons, to: &out)
        JSONText.append(",\"features\":", to: &out)
        features.appendJSON(to: &out)
        out.append(UInt8(ascii: "}"))
    }

    /// `[{"code":"R05","text":"Few obligations settled on time"}]`; a code the model does not
    /// know (a month scored by an older model) gets an empty text.
    func appendReasons(_ codes: [String], to out: inout [UInt8]) {
        out.append(UInt8(ascii: "["))
        for (i, code) in codes.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: reasonObject(code))
        }
        out.append(UInt8(ascii: "]"))
    }

    /// The object of `code`. A handful of short codes: their bytes packed in an integer are
    /// compared, not hashed; then, as a dictionary of the codes would, by `String` equality.
    private func reasonObject(_ code: String) -> [UInt8] {
        if let key = Self.shortKey(code), let known = reasonObjects.first(where: { $0.key == key }) {
            return known.json
        }
        if let known = reasonObjects.first(where: { $0.code == code }) { return known.json }
        return Self.reasonObject(code, text: "")
    }

    /// A code of at most seven UTF-8 bytes as one integer (its length, then its bytes); `nil`
    /// for a longer one. Equal keys are equal bytes.
    static func shortKey(_ code: String) -> UInt64? {
        var code = code
        return code.withUTF8 { utf8 in
            guard utf8.count <= 7 else { return nil }
            var key = UInt64(utf8.count)
            for b in utf8 { key = key << 8 | UInt64(b) }
            return key
        }
    }
}

/// The text of the last instant rendered (`RFC3339.format` at the scoring zone): under load,
/// many requests in a row render the same millisecond, and share the text.
final class InstantText: Sendable {
    private let offsetMinutes: Int
    private let last = Mutex<(instant: Instant, text: [UInt8])?>(nil)

    init(offsetMinutes: Int) {
        self.offsetMinutes = offsetMinutes
    }

    func append(_ instant: Instant, to out: inout [UInt8]) {
        if let hit = last.withLock({ $0 }), hit.instant == instant {
            out.append(contentsOf: hit.text)
            return
        }
        let text = Array(RFC3339.format(instant, offsetMinutes: offsetMinutes).utf8)
        last.withLock { $0 = (instant, text) }
        out.append(contentsOf: text)
    }
}
