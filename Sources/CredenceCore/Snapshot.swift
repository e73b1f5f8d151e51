/// One scored user in a monthly snapshot.
public struct SnapshotEntry: Sendable, Hashable {
    public var userID: String
    public var score: Int64
    public var reasons: [String]
    public var features: Features

    public init(userID: String, score: Int64, reasons: [String], features: Features) {
        self.userID = userID
        self.score = score
        self.reasons = reasons
        self.features = features
    }

    /// The export line of SCORING.md section 7, without the newline:
    /// `{"user_id":"u1","month":"2026-11","score":642,"model_version":"default-1","reasons":[...],"features":{...}}`.
    public func exportLine(month: Month, modelVersion: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(512)
        appendExportLine(month: month, modelVersion: modelVersion, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends the export line (no newline) to `out`.
    public func appendExportLine(month: Month, modelVersion: String, to out: inout [UInt8]) {
        appendExportLine(ExportLineContext(month: month, modelVersion: modelVersion), to: &out)
    }

    /// Appends the export line (no newline) to `out`: the one renderer of the line. It writes
    /// bytes, with the month's constant pieces rendered once in `context`, so a stored month
    /// exports without a String per piece.
    public func appendExportLine(_ context: ExportLineContext, to out: inout [UInt8]) {
        JSONText.append("{\"user_id\":", to: &out)
        JSONText.appendString(userID, to: &out)
        out.append(contentsOf: context.beforeScore)
        JSONText.appendInteger(score, to: &out)
        out.append(contentsOf: context.beforeReasons)
        JSONText.appendStringArray(reasons, to: &out)
        JSONText.append(",\"features\":", to: &out)
        features.appendJSON(to: &out)
        out.append(UInt8(ascii: "}"))
    }
}

/// The pieces of an export line that every line of a month shares: `,"month":"2026-11","score":`
/// and `,"model_version":"default-1","reasons":`.
public struct ExportLineContext: Sendable {
    let beforeScore: [UInt8]
    let beforeReasons: [UInt8]

    public init(month: Month, modelVersion: String) {
        var a: [UInt8] = []
        JSONText.append(",\"month\":\"", to: &a)
        a.append(contentsOf: month.description.utf8)
        JSONText.append("\",\"score\":", to: &a)
        beforeScore = a
        var b: [UInt8] = []
        JSONText.append(",\"model_version\":", to: &b)
        JSONText.appendString(modelVersion, to: &b)
        JSONText.append(",\"reasons\":", to: &b)
        beforeReasons = b
    }
}

/// A closed month: every scored user, sorted by `user_id` in byte order.
public struct Snapshot: Sendable, Hashable {
    public var month: Month
    public var modelVersion: String
    public var entries: [SnapshotEntry]

    public init(month: Month, modelVersion: String, entries: [SnapshotEntry]) {
        self.month = month
        self.modelVersion = modelVersion
        self.entries = entries
    }

    /// The whole NDJSON export, one line per user, each ending in a newline.
    public func export() -> String {
        var out = ""
        for e in entries {
            out += e.exportLine(month: month, modelVersion: modelVersion)
            out += "\n"
        }
        return out
    }
}

/// A record for downstream consumers (SCORING.md section 7).
public enum ScoreChange: Sendable, Hashable {
    case changed(ScoreChanged)
    case deleted(userID: String, cut: Instant)

    public var userID: String {
        switch self {
        case .changed(let c): return c.userID
        case .deleted(let u, _): return u
        }
    }

    /// The record as one JSON line (no newline), in the spec's key order.
    public func jsonLine(offset: UTCOffset) -> String {
        switch self {
        case .changed(let c):
            return c.jsonLine(offset: offset)
        case .deleted(let userID, let cut):
            let cutText = RFC3339.format(cut, offsetMinutes: offset.minutes)
            var out = "{\"event_id\":"
            JSONText.appendString("\(userID)/erased/\(cutText)", to: &out)
            out += ",\"type\":\"score.deleted\",\"user_id\":"
            JSONText.appendString(userID, to: &out)
            out += ",\"occurred_at\":\"" + cutText + "\"}"
            return out
        }
    }

    /// The deterministic `event_id` of the record.
    public func eventID(offset: UTCOffset) -> String {
        switch self {
        case .changed(let c): return "\(c.userID)/\(c.month)/\(c.modelVersion)"
        case .deleted(let u, let cut): return "\(u)/erased/\(RFC3339.format(cut, offsetMinutes: offset.minutes))"
        }
    }
}

public struct ScoreChanged: Sendable, Hashable {
    public var userID: String
    public var month: Month
    public var score: Int64
    public var previous: (month: Month, score: Int64)?
    public var modelVersion: String
    public var reasons: [String]

    public init(
        userID: String, month: Month, score: Int64, previous: (month: Month, score: Int64)?, modelVersion: String,
        reasons: [String]
    ) {
        self.userID = userID
        self.month = month
        self.score = score
        self.previous = previous
        self.modelVersion = modelVersion
        self.reasons = reasons
    }

    public static func == (a: ScoreChanged, b: ScoreChanged) -> Bool {
        a.userID == b.userID && a.month == b.month && a.score == b.score && a.previous?.month == b.previous?.month
            && a.previous?.score == b.previous?.score && a.modelVersion == b.modelVersion && a.reasons == b.reasons
    }

    public func hash(into h: inout Hasher) {
        h.combine(userID)
        h.combine(month)
        h.combine(modelVersion)
    }

    /// `{"event_id":"u1/2026-11/default-1","type":"score.changed",...,"occurred_at":"2026-12-01T00:00:00+08:00"}`;
    /// `occurred_at` is `end(month)` in the scoring zone.
    public func jsonLine(offset: UTCOffset) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        appendJSONLine(ScoreChangedLineContext(month: month, modelVersion: modelVersion, offset: offset), to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends the JSON line (no newline) to `out`: the one renderer of the line. It writes
    /// bytes, with the pieces every line of a month and model shares rendered once in `context`
    /// (which must be this record's month and model version).
    public func appendJSONLine(_ context: ScoreChangedLineContext, to out: inout [UInt8]) {
        assert(context.month == month && context.modelVersion == modelVersion, "another month's context")
        // The event id `<user_id>/<month>/<model_version>` is one JSON string; escaping goes
        // byte by byte, so its pieces are escaped apart.
        JSONText.append("{\"event_id\":\"", to: &out)
        JSONText.appendEscaped(userID, to: &out)
        out.append(contentsOf: context.afterEventUser)
        JSONText.appendString(userID, to: &out)
        out.append(contentsOf: context.shared.beforeScore)
        JSONText.appendInteger(score, to: &out)
        JSONText.append(",\"previous_score\":", to: &out)
        if let p = previous {
            JSONText.appendInteger(p.score, to: &out)
            JSONText.append(",\"previous_month\":\"", to: &out)
            p.month.appendText(to: &out)
            out.append(UInt8(ascii: "\""))
        } else {
            JSONText.append("null,\"previous_month\":null", to: &out)
        }
        out.append(contentsOf: context.shared.beforeReasons)
        JSONText.appendStringArray(reasons, to: &out)
        out.append(contentsOf: context.end)
    }
}

/// The pieces of a `score.changed` line that every line of one month and model version shares,
/// rendered once: the event id's tail, the month, the model version and `occurred_at`. The month
/// and model version pieces are the export line's own (``ExportLineContext``).
public struct ScoreChangedLineContext: Sendable {
    public let month: Month
    public let modelVersion: String
    public let offset: UTCOffset
    /// `/2026-11/default-1","type":"score.changed","user_id":`
    let afterEventUser: [UInt8]
    /// `,"month":"2026-11","score":` and `,"model_version":"default-1","reasons":`
    let shared: ExportLineContext
    /// `,"occurred_at":"2026-12-01T00:00:00+08:00"}`
    let end: [UInt8]

    public init(month: Month, modelVersion: String, offset: UTCOffset) {
        self.month = month
        self.modelVersion = modelVersion
        self.offset = offset
        var a: [UInt8] = [UInt8(ascii: "/")]
        a.append(contentsOf: month.description.utf8)
        a.append(UInt8(ascii: "/"))
        JSONText.appendEscaped(modelVersion, to: &a)
        JSONText.append("\",\"type\":\"score.changed\",\"user_id\":", to: &a)
        afterEventUser = a
        shared = ExportLineContext(month: month, modelVersion: modelVersion)
        var d: [UInt8] = []
        JSONText.append(",\"occurred_at\":\"", to: &d)
        d.append(contentsOf: RFC3339.format(month.end(offset: offset), offsetMinutes: offset.minutes).utf8)
        JSONText.append("\"}", to: &d)
        end = d
    }

    /// Whether this context renders lines of `month` and `modelVersion` in `offset`'s zone.
    public func renders(month: Month, modelVersion: String, offset: UTCOffset) -> Bool {
        self.month == month && self.offset == offset && self.modelVersion == modelVersion
    }
}
