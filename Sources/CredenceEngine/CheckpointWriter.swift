import CredenceCore
import Dispatch
import Synchronization

/// Writes checkpoint files beside the engine. A checkpoint's body is encoded on the engine's
/// thread, at a batch boundary, where the state is whole; the file (its header and CRC-32C put
/// in place around the body, the write, the fsync and the rename: 72 MB at 30k users) is
/// written on a queue of its own while the engine goes on with the next batch.
///
/// At most one write is in flight: the next one waits for it, so at most one body is held
/// beside the engine. ``wait()`` returns once every checkpoint handed over is on disk, or
/// throws the first failure. The engine waits before anything that lists or removes checkpoint
/// files (an erasure's removal of the checkpoints written before it, a clean close) and before
/// it writes one itself.
///
/// While ``keepsBuffer(_:)`` is on (a replay, and from a file ingest to the engine's close), a
/// written file's buffer is kept for the next checkpoint instead of being freed: a checkpoint's
/// buffer is tens of MB (a GB at 1M users), which the allocator maps afresh each time, and the
/// first touch of each page was most of the encoding's cost on the engine's thread (140 of its
/// 243 samples in the r30k ingest). Off otherwise, so that a long-running server does not hold a
/// checkpoint's worth of memory between checkpoints.
final class CheckpointWriter: Sendable {
    private let queue = DispatchQueue(label: "credence.checkpoints")
    private let inFlight = DispatchGroup()
    private let failure = Mutex<EngineError?>(nil)
    private let lastFileBytes = Atomic<Int>(0)
    /// Whether written buffers are kept, and the one kept (empty: none).
    private let kept = Mutex<(on: Bool, buffer: [UInt8])>((false, []))
    /// The file handed over to the queue (at most one write is in flight). Arrays move in and out
    /// of these by `swap`, so that the one taken out is its memory's only reference.
    private let handedOver = Mutex<[UInt8]>([])

    /// A buffer for the next checkpoint file (``Checkpoints/startFile(in:capacity:)``): the one kept
    /// from the last write, if it has room for the larger of the last file this writer wrote and
    /// `expectedBodyBytes` (the engine's count of its state, ``Engine/memory``), and a little more;
    /// if not, a new one with half as much again, marked for huge pages.
    ///
    /// The state grows between checkpoints (the subjects' record lists by every event; by 45%
    /// between the r30k ingest's first two), so sizing by the last file alone left the body to
    /// grow the buffer by doubling, a copy and fresh pages each time: 44k of the ingest's 100k
    /// page faults were the checkpoints' encoding. Room reserved but not written costs address
    /// space, not resident memory.
    func startFile(expectedBodyBytes: Int = 0) -> ByteWriter {
        let last = lastFileBytes.load(ordering: .relaxed)
        var writer = ByteWriter()
        kept.withLock { swap(&writer.bytes, &$0.buffer) }
        let expected = max(last, Checkpoints.headerBytes + expectedBodyBytes + 4)
        let needed = expected + expected / 16
        if writer.bytes.capacity < needed {
            writer.bytes = []  // the outgrown one goes first
            // Marked for huge pages: its first touch was one fault per 4 KB.
            writer.bytes = HugePages.bytes(capacity: needed + needed / 2)
        }
        Checkpoints.startFile(in: &writer.bytes, capacity: needed)
        return writer
    }

    /// Turns the keeping of written buffers on or off; off drops the buffer kept.
    func keepsBuffer(_ on: Bool) {
        var dropped: [UInt8] = []
        kept.withLock { k in
            k.on = on
            if !on { swap(&dropped, &k.buffer) }
        }
        dropped = []  // freed outside the lock
    }

    /// The capacity of the buffer kept for the next checkpoint (0: none).
    var keptCapacity: Int { kept.withLock { $0.buffer.capacity } }

    /// Keeps `file`'s buffer for the next checkpoint when ``keepsBuffer(_:)`` is on.
    private func keep(_ file: inout [UInt8]) {
        kept.withLock { k in
            if k.on { swap(&file, &k.buffer) }
        }
    }

    /// Writes `file` (``startFile()``'s, its body written) as the checkpoint at `lsn` on the
    /// calling thread, once the one in flight is on disk.
    func writeNow(_ checkpoints: Checkpoints, lsn: UInt64, file: inout [UInt8]) throws(EngineError) {
        try wait()
        lastFileBytes.store(file.count + 4, ordering: .relaxed)
        try checkpoints.write(lsn: lsn, file: &file)
        keep(&file)
    }

    /// Hands `file` (``startFile()``'s, its body written) over to be written as the checkpoint
    /// at `lsn`, once the one before is on disk; throws that one's failure, if it failed. `file`
    /// is left empty.
    func write(_ checkpoints: Checkpoints, lsn: UInt64, file: inout [UInt8]) throws(EngineError) {
        try wait()
        lastFileBytes.store(file.count + 4, ordering: .relaxed)
        // Handed over through `handedOver`, not captured: a captured array stays referenced by
        // the closure, and putting the header in place then copied the whole file.
        handedOver.withLock { swap(&$0, &file) }
        inFlight.enter()
        queue.async { [self] in
            defer { inFlight.leave() }
            var file: [UInt8] = []
            handedOver.withLock { swap(&$0, &file) }
            do throws(EngineError) {
                try checkpoints.write(lsn: lsn, file: &file)
                keep(&file)
            } catch {
                failure.withLock { $0 = $0 ?? error }
            }
        }
    }

    /// Waits until every checkpoint handed over is written or has failed, keeping a failure for
    /// the next ``wait()`` or ``write(_:lsn:body:)`` (an erasure removes checkpoints after this;
    /// a checkpoint that failed is no reason for the erasure to fail).
    func settle() {
        inFlight.wait()
    }

    /// Waits until every checkpoint handed over is written; throws the first failure (once).
    func wait() throws(EngineError) {
        inFlight.wait()
        let error = failure.withLock { f -> EngineError? in
            defer { f = nil }
            return f
        }
        if let error { throw error }
    }
}
