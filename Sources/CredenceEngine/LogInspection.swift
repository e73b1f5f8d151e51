public import EventLog

/// What `credence log verify` found: the log's framing and checksums, and whether every record
/// is an engine record.
public struct LogInspection: Sendable, CustomStringConvertible {
    public var frames: VerificationReport
    public var recordsByType: [String: Int] = [:]
    public var malformed: [String] = []
    public var readError: String?

    public var isHealthy: Bool { frames.problems.isEmpty && malformed.isEmpty && readError == nil }

    /// Checks the log under `dataDirectory` without changing it.
    public static func inspect(dataDirectory: String) throws -> LogInspection {
        let dir = dataDirectory + "/log"
        var result = LogInspection(frames: try EventLog.verify(directory: dir))
        do {
            let reader = try EventLogReader(directory: dir)
            var counts: [String: Int] = [:]
            var malformed: [String] = []
            try reader.forEach(from: result.frames.firstLSN) { lsn, payload in
                do {
                    let name: String
                    switch try EngineRecord.decode(payload) {
                    case .event(let h, _): name = h.isCopy ? "event (re-keyed copy)" : "event"
                    case .tombstone: name = "tombstone"
                    case .erasure: name = "erasure"
                    case .monthClose: name = "month close"
                    case .restatement: name = "restatement"
                    case .commit: name = "commit"
                    case .source: name = "source"
                    case .promotion: name = "promotion"
                    }
                    counts[name, default: 0] += 1
                } catch {
                    if malformed.count < 20 { malformed.append("LSN \(lsn): \(error)") }
                }
            }
            result.recordsByType = counts
            result.malformed = malformed
        } catch {
            result.readError = "\(error)"
        }
        return result
    }

    public var description: String {
        var lines = [
            "segments \(frames.segments), records \(frames.records) (LSN \(frames.firstLSN) to \(frames.endLSN)), "
                + "\(frames.bytes) bytes"
        ]
        for (name, n) in recordsByType.sorted(by: { $0.key < $1.key }) { lines.append("  \(name): \(n)") }
        if isHealthy {
            lines.append("ok: every record is framed, checksummed and readable")
        } else {
            for p in frames.problems { lines.append("problem: \(p)") }
            for m in malformed { lines.append("malformed: \(m)") }
            if let e = readError { lines.append("read error: \(e)") }
        }
        return lines.joined(separator: "\n")
    }
}
