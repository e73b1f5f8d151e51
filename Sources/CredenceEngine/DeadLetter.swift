import CredenceCore
public import Foundation

/// A rejected input with its raw bytes and the reason: one line of
/// `<data-dir>/dead-letter/dead-letter.ndjson`.
///
/// `{"received_at":"...","source":"file:/x.ndjson","position":24,"reason":"not_json","message":"...","raw_base64":"..."}`
/// The raw bytes are base64 because they need not be UTF-8.
public struct DeadLetter: Sendable, Hashable {
    public var receivedAt: Date
    public var source: String
    public var position: UInt64
    public var reason: String
    public var message: String
    public var raw: [UInt8]

    public func jsonLine() -> String {
        let ms = Int64((receivedAt.timeIntervalSince1970 * 1000).rounded(.down))
        var out = "{\"received_at\":\""
        // Always with its milliseconds, so every line's time has the same width and form.
        out += RFC3339.format(Instant(millisecondsSinceEpoch: ms), offsetMinutes: 0, zulu: true, milliseconds: true)
        out += "\",\"source\":"
        JSONText.appendString(source, to: &out)
        out += ",\"position\":\(position),\"reason\":"
        JSONText.appendString(reason, to: &out)
        out += ",\"message\":"
        JSONText.appendString(message, to: &out)
        out += ",\"raw_base64\":\""
        out += Data(raw).base64EncodedString()
        out += "\"}"
        return out
    }

    /// One line as written, for `Codable`.
    private struct Line: Decodable {
        var source: String
        var position: UInt64
        var reason: String
        var message: String
        var raw_base64: String
    }

    /// Reads a dead-letter line back (for tests and tools).
    public static func parse(_ line: String) -> DeadLetter? {
        guard let l = try? JSONDecoder().decode(Line.self, from: Data(line.utf8)),
            let raw = Data(base64Encoded: l.raw_base64)
        else { return nil }
        return DeadLetter(
            receivedAt: Date(), source: l.source, position: l.position, reason: l.reason, message: l.message,
            raw: Array(raw))
    }

    /// The `user_id` that a dead-letter line's raw input names, when it names one plainly
    /// (`"user_id": "..."`, valid JSON or not); what an erasure looks for.
    static func userID(ofLine line: ArraySlice<UInt8>) -> String? {
        guard let encoded = JSONScan.stringMember("raw_base64", in: Array(line)),
            let raw = Data(base64Encoded: encoded)
        else { return nil }
        return JSONScan.stringMember("user_id", in: Array(raw))
    }
}
