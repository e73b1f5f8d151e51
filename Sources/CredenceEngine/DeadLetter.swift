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
        out += RFC3339.format(Instant(millisecondsSinceEpoch: ms), offsetMinutes: 0, zulu: true)
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

    /// Reads a dead-letter line back (for tests and tools).
    public static func parse(_ line: String) -> DeadLetter? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
            let source = object["source"] as? String, let position = object["position"] as? Int,
            let reason = object["reason"] as? String, let message = object["message"] as? String,
            let b64 = object["raw_base64"] as? String, let raw = Data(base64Encoded: b64)
        else { return nil }
        return DeadLetter(
            receivedAt: Date(), source: source, position: UInt64(position), reason: reason, message: message,
            raw: Array(raw))
    }
}
