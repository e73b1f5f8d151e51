import CredenceCore

/// `score.changed` and `score.deleted` records waiting for the publisher, in
/// `<derived>/outbox/score-changes.ndjson`, one JSON line each in the spec's format.
///
/// `position` records the log position whose effects are all written, so a restart that
/// replays the log does not write them twice. A crash between the two writes can repeat a few
/// lines; their `event_id`s are deterministic, so downstream recognises them.
final class Outbox {
    let file: AppendFile
    let positionPath: String
    private(set) var position: UInt64
    var nextPosition: UInt64 = 0

    init(directory: String) throws(EngineError) {
        try Files.makeDirectory(directory)
        file = try AppendFile(path: directory + "/score-changes.ndjson")
        positionPath = directory + "/position"
        if let bytes = Files.read(positionPath), let text = String(validating: bytes, as: UTF8.self),
            let p = UInt64(text.trimmingSuffixNewline())
        {
            position = p
        } else {
            position = 0
        }
    }

    func append(_ change: ScoreChange, offset: UTCOffset) {
        file.append(line: change.jsonLine(offset: offset))
    }

    /// Writes pending lines, then the position they cover.
    func flush(durable: Bool) throws(EngineError) {
        let had = file.hasPending
        if had { try file.flush(durable: durable) }
        if nextPosition > position {
            position = nextPosition
            // Only a batch that wrote lines needs its position on disk: replaying a batch without
            // outbox effects writes nothing.
            if had { try Files.writeAtomically(positionPath, Array("\(position)\n".utf8)) }
        }
    }
}

extension String {
    func trimmingSuffixNewline() -> Substring {
        var s = self[...]
        while s.last == "\n" || s.last == "\r" || s.last == " " { s = s.dropLast() }
        return s
    }
}
