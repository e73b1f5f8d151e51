import CredenceCore
import Foundation
import Shredding

/// Reads an NDJSON input on a thread of its own and decodes it on two others, a chunk of lines
/// at a time in turns (``OrderedWorkers``), while the engine checks, logs and applies the chunks
/// before: the stateless half of intake on the second core. Order is kept: chunks arrive in
/// input order, lines in chunk order.
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

    /// The decoders' chunks, in input order.
    private var decoded: OrderedWorkers.Collector<Output>

    /// How many threads decode the reader's chunks: each chunk is decoded by one, in turns. With
    /// one thread reading and decoding, a two-core ingest ran 86% busy: the engine's thread
    /// waited for decoded lines while the log writer waited on its fsync.
    static let decoders = 2

    /// Starts reading `path` (`-`: standard input) on a new thread, and decoding it on
    /// ``decoders`` others, which also prepare each accepted event for the engine
    /// (``EventPreparer``, under `salt`).
    ///
    /// - Parameters:
    ///   - resumeAfter: lines up to this number are skipped (counted in `resumedPast`).
    ///   - linesPerChunk: how many lines go to the engine at once. Default: 2,048.
    ///   - depth: chunks read ahead of the decoders, and decoded ahead of the engine, at most (each
    ///     decoder's share: one in front and one behind by default). Default: 2. With 4 (two
    ///     each side), an r30k ingest's peak resident memory was 8 MB higher (250–264 MB against
    ///     247–254), its time the same.
    static func start(
        path: String, decoder: EventDecoder, salt: IdentifierKey, maxLineBytes: Int, resumeAfter: UInt64,
        linesPerChunk: Int = 2_048, depth: Int = 2
    ) -> DecodeStage {
        let (feeder, collector) = OrderedWorkers.start(
            workers: decoders, depth: max(1, depth / decoders), name: "credence-decode"
        ) {
            var preparer = EventPreparer(salt: salt)
            return { (output: consuming Output) -> Output in
                switch consume output {
                case .failure(let error): return .failure(error)
                case .chunk(let chunk): return .chunk(decode(chunk, decoder: decoder, preparer: &preparer))
                }
            }
        }
        let thread = Thread {
            StagePriority.lowerCurrentThread()
            var feeder = feeder
            read(path: path, maxLineBytes: maxLineBytes, resumeAfter: resumeAfter, linesPerChunk: linesPerChunk) {
                feeder.put($0)
            }
            feeder.finish()
        }
        thread.name = "credence-read"
        thread.start()
        return DecodeStage(decoded: collector)
    }

    /// The next chunk in input order, or the failure that ended the input; `nil` after the last.
    mutating func take() -> Output? { decoded.take() }

    /// The consumer stops: the stage's threads stop too.
    func cancel() { decoded.cancel() }

    /// Reads `path` into chunks of lines, their bytes copied in, not yet decoded, and hands them
    /// to `emit` until it returns `false`; a failure to read is the last output.
    private static func read(
        path: String, maxLineBytes: Int, resumeAfter: UInt64, linesPerChunk: Int,
        emit: (consuming Output) -> Bool
    ) {
        do {
            let reader = try LineReader(path: path, maxLineBytes: maxLineBytes)
            var chunk = Chunk()
            chunk.bytes.reserveCapacity(linesPerChunk * 256)
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
                chunk.lines.append(Line(number: number, start: start, count: line.count, truncated: truncated))
                if chunk.lines.count >= linesPerChunk {
                    chunk.bytesRead = reader.bytesRead
                    // Moved to the decoder, not copied (see `Handoff.put`).
                    var full = Chunk()
                    swap(&full, &chunk)
                    stopped = !emit(.chunk(consume full))
                    chunk.bytes.reserveCapacity(linesPerChunk * 256)
                }
            }
            chunk.bytesRead = reader.bytesRead
            if !stopped, !chunk.lines.isEmpty || chunk.resumedPast > 0 { _ = emit(.chunk(chunk)) }
        } catch let error as EngineError {
            _ = emit(.failure(error))
        } catch {
            _ = emit(.failure(EngineError(.input, "cannot read \(path): \(error)")))
        }
    }

    /// Decodes a chunk's lines (not those cut at the event limit) and prepares its accepted
    /// events, each line's result filled in place.
    private static func decode(_ chunk: consuming Chunk, decoder: EventDecoder, preparer: inout EventPreparer) -> Chunk
    {
        var chunk = chunk
        chunk.plaintexts.reserveCapacity(chunk.lines.count * 96)
        let bytes = chunk.bytes
        bytes.withUnsafeBytes { bytes in
            for i in chunk.lines.indices where !chunk.lines[i].truncated {
                let start = chunk.lines[i].start
                let result = decoder.decode(
                    UnsafeRawBufferPointer(rebasing: bytes[start..<(start + chunk.lines[i].count)]))
                chunk.lines[i].prepared = preparer.prepare(result, plaintexts: &chunk.plaintexts)
                // Filled in place and moved, not copied: a copy retained the event's strings and
                // released them again.
                chunk.lines[i].result = consume result
            }
        }
        return chunk
    }
}
