import CredenceCore
import Foundation
import Shredding

/// Reads an NDJSON input and decodes it on a thread of its own, a chunk of lines at a time,
/// while the engine checks, logs and applies the chunk before: the stateless half of intake on
/// the second core. Order is kept: chunks arrive in input order, lines in chunk order.
///
/// Decoding is a pure function of a line's bytes (``EventDecoder``), so the engine sees exactly
/// what it would have decoded itself: a parallel ingest and a one-thread ingest of the same
/// input write the same log and the same exports (a test holds them to it).
struct DecodeStage {
    /// One input line and what decoding made of it.
    struct Line: Sendable {
        var number: UInt64
        /// Where the line's bytes are in ``Chunk/bytes``.
        var start: Int
        var count: Int
        /// Longer than the event limit: `bytes` holds its first `maxEventBytes` bytes, not decoded.
        var truncated: Bool
        var result: DecodeResult?
        /// What the engine needs besides the event (accepted lines only), its plaintext in
        /// ``Chunk/plaintexts``.
        var prepared: EventPreparer.Parts?
    }

    /// Consecutive lines, their bytes back to back (kept for dead letters).
    struct Chunk: Sendable {
        var bytes: [UInt8] = []
        /// The accepted events' log plaintexts, back to back (``EventPreparer``).
        var plaintexts: [UInt8] = []
        var lines: [Line] = []
        /// Lines skipped because an earlier run already took them.
        var resumedPast = 0
        /// Input bytes consumed so far.
        var bytesRead = 0
    }

    enum Output: Sendable {
        case chunk(Chunk)
        case failure(EngineError)
    }

    let handoff: Handoff<Output>

    /// Starts reading and decoding `path` (`-`: standard input) on a new thread, which also
    /// prepares each accepted event for the engine (``EventPreparer``, under `salt`).
    ///
    /// - Parameters:
    ///   - resumeAfter: lines up to this number are skipped (counted in `resumedPast`).
    ///   - linesPerChunk: how many lines go to the engine at once. Default: 2,048.
    ///   - depth: chunks decoded ahead of the engine at most. Default: 4.
    static func start(
        path: String, decoder: EventDecoder, salt: IdentifierKey, maxLineBytes: Int, resumeAfter: UInt64,
        linesPerChunk: Int = 2_048, depth: Int = 4
    ) -> DecodeStage {
        let handoff = Handoff<Output>(capacity: depth)
        let thread = Thread {
            StagePriority.lowerCurrentThread()
            do {
                let reader = try LineReader(path: path, maxLineBytes: maxLineBytes)
                var preparer = EventPreparer(salt: salt)
                var chunk = Chunk()
                chunk.bytes.reserveCapacity(linesPerChunk * 256)
                chunk.plaintexts.reserveCapacity(linesPerChunk * 96)
                var stopped = false
                try reader.forEachLine { line, number, truncated in
                    if stopped { return }
                    if number <= resumeAfter {
                        chunk.resumedPast += 1
                        return
                    }
                    if line.isBlankLine { return }
                    let start = chunk.bytes.count
                    chunk.bytes.append(contentsOf: line)
                    // Filled in place: a line built aside and appended was copied, its strings
                    // retained, and released again at the end of the copy.
                    chunk.lines.append(Line(number: number, start: start, count: line.count, truncated: truncated))
                    if !truncated {
                        let result = decoder.decode(line)
                        let last = chunk.lines.count - 1
                        chunk.lines[last].prepared = preparer.prepare(result, plaintexts: &chunk.plaintexts)
                        // Moved, not copied: a copy retained the event's strings and released them again.
                        chunk.lines[last].result = consume result
                    }
                    if chunk.lines.count >= linesPerChunk {
                        chunk.bytesRead = reader.bytesRead
                        // Moved to the engine, not copied (see `Handoff.put`).
                        var full = Chunk()
                        swap(&full, &chunk)
                        stopped = !handoff.put(.chunk(consume full))
                        chunk.bytes.reserveCapacity(linesPerChunk * 256)
                        chunk.plaintexts.reserveCapacity(linesPerChunk * 96)
                    }
                }
                chunk.bytesRead = reader.bytesRead
                if !stopped, !chunk.lines.isEmpty || chunk.resumedPast > 0 { _ = handoff.put(.chunk(chunk)) }
            } catch let error as EngineError {
                _ = handoff.put(.failure(error))
            } catch {
                _ = handoff.put(.failure(EngineError(.input, "cannot read \(path): \(error)")))
            }
            handoff.finish()
        }
        thread.name = "credence-decode"
        thread.start()
        return DecodeStage(handoff: handoff)
    }
}
