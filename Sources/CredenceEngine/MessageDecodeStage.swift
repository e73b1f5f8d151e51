import CredenceCore
import Dispatch
import Shredding

/// Decodes a ``MessageBatch`` on another thread, a chunk of messages at a time, while the engine
/// checks, logs and applies the chunk before: what ``DecodeStage`` does for a file, for messages
/// already in memory. Chunks arrive in order, messages in chunk order, and decoding is a pure
/// function of a message's bytes and key, so the engine sees what it would have decoded itself.
final class MessageDecodeStage: Sendable {
    /// One message's decoding, and what the engine needs besides the event (accepted only).
    struct Decoded: Sendable {
        var result: DecodeResult
        var prepared: EventPreparer.Parts?
    }

    /// Consecutive messages' decodings, and the accepted events' log plaintexts back to back.
    struct Chunk: Sendable {
        var decoded: [Decoded] = []
        var plaintexts: [UInt8] = []
    }

    /// How many messages go to the engine at once.
    static let messagesPerChunk = 256

    private let handoff: Handoff<Chunk>
    /// Signalled when the worker no longer reads the batch.
    private let finished = DispatchSemaphore(value: 0)

    private init(depth: Int) {
        handoff = Handoff(capacity: depth)
    }

    /// Starts decoding `batch`, and preparing each accepted event for the engine
    /// (``EventPreparer``, under `salt`); at most `depth` chunks are decoded ahead of the engine.
    static func start<Batch: MessageBatch>(_ batch: Batch, decoder: EventDecoder, salt: IdentifierKey, depth: Int = 4)
        -> MessageDecodeStage
    {
        let stage = MessageDecodeStage(depth: depth)
        // A serial queue of its own targets dispatch's overcommit pool, which starts a thread
        // when none is free (the pool async code runs on may all be busy), and engines in one
        // process never wait for each other's batches.
        DispatchQueue(label: "credence.decode.messages").async {
            defer { stage.finished.signal() }
            var preparer = EventPreparer(salt: salt)
            var start = 0
            while start < batch.count {
                let end = min(start + messagesPerChunk, batch.count)
                var chunk = Chunk()
                chunk.decoded.reserveCapacity(end - start)
                chunk.plaintexts.reserveCapacity((end - start) * 96)
                for i in start..<end {
                    let m = batch.message(at: i)
                    let result = decoder.decode(m.value, keyBytes: m.key)
                    let prepared = preparer.prepare(result, plaintexts: &chunk.plaintexts)
                    // Moved, not copied: a copy retained the event's strings and released them again.
                    chunk.decoded.append(Decoded(result: consume result, prepared: prepared))
                }
                guard stage.handoff.put(consume chunk) else { return }
                start = end
            }
            stage.handoff.finish()
        }
        return stage
    }

    /// The next chunk, waiting for it; `nil` after the last.
    func next() -> Chunk? { handoff.take() }

    /// Stops decoding (if it has not finished) and waits until the worker has let go of the batch,
    /// whose bytes the caller may then release. Call it once, whether or not every chunk was taken.
    func stop() {
        handoff.cancel()
        finished.wait()
    }
}
