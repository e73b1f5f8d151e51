import CredenceCore
import DurableFile

/// `score.changed` and `score.deleted` records waiting for the publisher, in
/// `<derived>/outbox/score-changes.ndjson`, one JSON line each in the spec's format.
///
/// `position` records the log position whose effects are all written, so a restart that
/// replays the log does not write them twice. A crash between the two writes can repeat a few
/// lines; their `event_id`s are deterministic, so downstream recognises them.
///
/// `published` (`<byte offset> <dev:inode>`) records how much of the file the publisher has
/// delivered. Delivered lines are compacted away: once at least half of the file is delivered,
/// the rest is rewritten as a new file, so the outbox holds only what is still to send. The
/// offset counts only for the file it names; a crash between the rewrite and the new position
/// leaves an offset naming the old file, which then counts as 0 (nothing of the new file is
/// delivered), which is exactly right.
///
/// An erasure blanks the user's `score.changed` lines that are still in the file (privacy of
/// what is left behind: overwritten in place with spaces, skipped by the publisher, dropped by
/// the next compaction) and keeps the `score.deleted` that announces it.
///
/// The lines are rendered here, on the engine's thread; the ``EffectsWriter``'s thread writes
/// them, the position after them and an erasure's blanks, in that order.
final class Outbox {
    /// The file's path (`<directory>/score-changes.ndjson`).
    let path: String
    let positionPath: String
    let publishedPath: String
    /// The lines rendered and not yet handed to the writer.
    private(set) var lines = LineBuffer()
    let writer: EffectsWriter
    private(set) var position: UInt64
    var nextPosition: UInt64 = 0

    /// The file of the outbox in `directory`, which the writer opens.
    static func filePath(directory: String) -> String { directory + "/score-changes.ndjson" }

    /// The outbox of `directory` (which exists), its file opened by `writer`.
    init(directory: String, writer: EffectsWriter) {
        path = Self.filePath(directory: directory)
        self.writer = writer
        positionPath = directory + "/position"
        publishedPath = directory + "/published"
        if let bytes = Files.read(positionPath), let text = String(validating: bytes, as: UTF8.self),
            let p = UInt64(text.trimmingSuffixNewline())
        {
            position = p
        } else {
            position = 0
        }
    }

    /// The pieces of the month's `score.changed` lines, kept while a close appends its lines.
    private var lineContext: ScoreChangedLineContext? = nil

    /// When set (a replay), the pending lines are handed to the writer without an fsync or a
    /// position whenever they pass this many bytes, in the middle of a month close's lines too,
    /// as ``spill(beyond:)`` does after a batch. `nil` (live intake): they wait for ``flush(durable:)``,
    /// so that a batch's lines are written beside it.
    var spillBeyond: Int? = nil

    func append(_ change: ScoreChange, offset: UTCOffset) {
        if let spillBeyond { spill(beyond: spillBeyond) }
        guard case .changed(let c) = change else {
            lines.append(line: change.jsonLine(offset: offset))
            return
        }
        let context: ScoreChangedLineContext
        if let kept = lineContext, kept.renders(month: c.month, modelVersion: c.modelVersion, offset: offset) {
            context = kept
        } else {
            context = ScoreChangedLineContext(month: c.month, modelVersion: c.modelVersion, offset: offset)
            lineContext = context
        }
        lines.appendLine { c.appendJSONLine(context, to: &$0) }
    }

    /// Hands the pending lines to the writer, then the position they cover.
    func flush(durable: Bool) {
        let had = lines.hasPending
        if had { writer.append(.outbox, lines: lines.take(spare: writer.spareLines()), durable: durable) }
        if nextPosition > position {
            position = nextPosition
            // Only a batch that wrote lines needs its position on disk: replaying a batch without
            // outbox effects writes nothing.
            if had { writer.replace(positionPath, with: Array("\(position)\n".utf8)) }
        }
    }

    /// Hands the pending lines to the writer without an fsync or a position, once they pass
    /// `bytes` (a replay's: see ``Engine/spillSideFiles()``).
    func spill(beyond bytes: Int) {
        if lines.pendingBytes >= bytes {
            writer.append(.outbox, lines: lines.take(spare: writer.spareLines()), durable: false)
        }
    }

    // MARK: Publishing

    /// The delivered byte offset of the current file: 0 when `published` is missing or names
    /// another file. A bare offset (written before the identity was recorded) counts as this file's.
    var publishedOffset: UInt64 {
        guard let bytes = Files.read(publishedPath), let text = String(validating: bytes, as: UTF8.self) else {
            return 0
        }
        let parts = text.trimmingSuffixNewline().split(separator: " ")
        guard let offset = parts.first.flatMap({ UInt64($0) }) else { return 0 }
        if parts.count > 1, String(parts[1]) != Files.identity(path) { return 0 }
        return offset
    }

    /// Up to `max` complete lines after the delivered offset, of those the writer has written.
    func unpublished(max: Int) throws(EngineError) -> OutboxBatch {
        try writer.wait()
        let start = publishedOffset
        let identity = Files.identity(path)
        let bytes: [UInt8]
        do {
            bytes = try DurableFile.read(path, from: start) ?? []
        } catch {
            throw EngineError(.io, "cannot read the outbox: \(error.message)", underlying: error)
        }
        var lines: [[UInt8]] = []
        var at = 0
        while lines.count < max, let newline = bytes[at...].firstIndex(of: 10) {
            // Lines an erasure blanked out are spaces only.
            if bytes[at..<newline].contains(where: { $0 != UInt8(ascii: " ") }) {
                lines.append(Array(bytes[at..<newline]))
            }
            at = newline + 1
        }
        return OutboxBatch(lines: lines, end: start + UInt64(at), file: identity)
    }

    /// Records that everything before `batch.end` is delivered, and compacts the file when at
    /// least half of it is. A batch read from a file that was compacted since records nothing:
    /// its lines are sent again (their `event_id`s make the copies harmless).
    func acknowledge(_ batch: OutboxBatch) throws(EngineError) {
        try writer.wait()
        guard batch.file == Files.identity(path), batch.end > publishedOffset else { return }
        try recordPublished(batch.end, identity: batch.file)
        let size = UInt64((try? DurableFile.read(path))??.count ?? 0)
        if batch.end * 2 >= size { try compact() }
    }

    /// Rewrites the file without its delivered prefix and without the lines an erasure blanked.
    func compact() throws(EngineError) {
        let start = publishedOffset
        guard start > 0 else { return }
        let rest: [UInt8]
        do {
            rest = try DurableFile.read(path, from: start) ?? []
        } catch {
            throw EngineError(.io, "cannot read the outbox: \(error.message)", underlying: error)
        }
        var kept: [UInt8] = []
        kept.reserveCapacity(rest.count)
        for line in rest.split(separator: 10) where line.contains(where: { $0 != UInt8(ascii: " ") }) {
            kept += line
            kept.append(10)
        }
        try writer.withFile(.outbox) { (file) throws(EngineError) in try file.replaceContent(with: kept) }
        try recordPublished(0, identity: Files.identity(path))
    }

    private func recordPublished(_ offset: UInt64, identity: String) throws(EngineError) {
        try Files.writeAtomically(publishedPath, Array("\(offset) \(identity)\n".utf8))
    }

    // MARK: Erasure

    /// Removes the user's `score.changed` lines, delivered or not, written or pending: the
    /// pending ones at once, the written ones by the writer (blanked in place, so the delivered
    /// offset stays valid); keeps every `score.deleted`.
    func removeScores(of userID: String) {
        // A line names its user in JSON: the id's own bytes appear in it when escaping leaves
        // them alone, so pending lines without them are not searched line by line.
        let plain = userID.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F && $0 != 0x22 && $0 != 0x5C }
        var all: Int? = nil
        _ = lines.removeLines(
            of: userID, mentioning: plain ? Array(userID.utf8) : nil, pendingPrefix: &all, user: Outbox.scoreChangedUser
        )
        writer.removeLines(.outbox, of: userID, user: Outbox.scoreChangedUser)
    }

    /// The `user_id` of a `score.changed` line (the engine writes them, keys in a fixed order,
    /// user ids without escapes); `nil` for any other line.
    ///
    /// The engine's lines are found by the bytes between the event id and the user id, with one
    /// search (``ByteSearch``): an erasure indexes every line of the outbox written since the one before, and
    /// finding the type and then the key by search was the larger part of that.
    static func scoreChangedUser(_ line: ArraySlice<UInt8>) -> String? {
        let user = line.withUnsafeBytes { raw -> String? in
            guard let found = ByteSearch.firstOffset(of: engineLineMiddle, in: raw) else { return nil }
            let start = found + engineLineMiddle.count
            var end = start
            while end < raw.count, raw[end] != UInt8(ascii: "\""), raw[end] != UInt8(ascii: "\\") { end += 1 }
            guard end < raw.count, raw[end] == UInt8(ascii: "\"") else { return nil }
            return String(decoding: UnsafeRawBufferPointer(rebasing: raw[start..<end]), as: UTF8.self)
        }
        if let user { return user }
        let bytes = Array(line)
        guard bytes.contains(subsequence: scoreChangedType) else { return nil }
        return JSONScan.stringMember("user_id", in: bytes)
    }

    private static let scoreChangedType = Array(#""type":"score.changed""#.utf8)
    /// What the engine writes between a `score.changed` line's event id and its user id
    /// (``ScoreChangedLineContext``).
    private static let engineLineMiddle = Array(#"","type":"score.changed","user_id":""#.utf8)
}

/// Complete outbox lines read for the publisher, and where they end.
public struct OutboxBatch: Sendable {
    /// The lines, without their newlines.
    public var lines: [[UInt8]]
    /// The byte offset after the last line.
    public var end: UInt64
    /// The identity (`dev:inode`) of the file they were read from.
    var file: String
}

/// A quick look into JSON text that need not be valid: the string value of a member.
enum JSONScan {
    /// The value of the first `"name": "..."` member, when it is a string without escapes.
    static func stringMember(_ name: String, in bytes: [UInt8]) -> String? {
        let key = Array("\"\(name)\"".utf8)
        var from = 0
        while let at = bytes.firstRange(of: key, from: from) {
            var i = at + key.count
            while i < bytes.count, bytes[i] == 32 || bytes[i] == 9 { i += 1 }
            guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else {
                from = at + 1
                continue
            }
            i += 1
            while i < bytes.count, bytes[i] == 32 || bytes[i] == 9 { i += 1 }
            guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { return nil }
            let start = i + 1
            guard let end = bytes[start...].firstIndex(where: { $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }),
                bytes[end] == UInt8(ascii: "\"")
            else { return nil }
            return String(decoding: bytes[start..<end], as: UTF8.self)
        }
        return nil
    }
}

fileprivate extension Array where Element == UInt8 {
    /// The index where `needle` first occurs at or after `from`.
    func firstRange(of needle: [UInt8], from: Int = 0) -> Int? {
        guard !needle.isEmpty, from <= count else { return nil }
        return withUnsafeBytes { raw in
            ByteSearch.firstOffset(of: needle, in: UnsafeRawBufferPointer(rebasing: raw[from...])).map { from + $0 }
        }
    }

    func contains(subsequence needle: [UInt8]) -> Bool { firstRange(of: needle) != nil }
}

extension String {
    func trimmingSuffixNewline() -> Substring {
        var s = self[...]
        while s.last == "\n" || s.last == "\r" || s.last == " " { s = s.dropLast() }
        return s
    }
}
