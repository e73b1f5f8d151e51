import CredenceCore
import Dispatch
import Synchronization

/// Writes checkpoint files beside the engine. A checkpoint's body is encoded on the engine's
/// thread, at a batch boundary, where the state is whole; the file (a copy of the body, its
/// CRC-32C, the write, the fsync and the rename: 72 MB at 30k users) is written on a queue of its
/// own while the engine goes on with the next batch.
///
/// At most one write is in flight: the next one waits for it, so at most one body is held
/// beside the engine. ``wait()`` returns once every checkpoint handed over is on disk, or
/// throws the first failure. The engine waits before anything that lists or removes checkpoint
/// files (an erasure's removal of the checkpoints written before it, a clean close) and before
/// it writes one itself.
final class CheckpointWriter: Sendable {
    private let queue = DispatchQueue(label: "credence.checkpoints")
    private let inFlight = DispatchGroup()
    private let failure = Mutex<EngineError?>(nil)
    private let lastFileBytes = Atomic<Int>(0)

    /// A buffer for the next checkpoint file (``Checkpoints/startFile(capacity:)``), sized for
    /// the last one this writer wrote and a little more.
    func startFile() -> ByteWriter {
        let last = lastFileBytes.load(ordering: .relaxed)
        return Checkpoints.startFile(capacity: last + last / 16)
    }

    /// Writes `file` (``startFile()``'s, its body written) as the checkpoint at `lsn` on the
    /// calling thread, once the one in flight is on disk.
    func writeNow(_ checkpoints: Checkpoints, lsn: UInt64, file: consuming [UInt8]) throws(EngineError) {
        try wait()
        lastFileBytes.store(file.count + 4, ordering: .relaxed)
        try checkpoints.write(lsn: lsn, file: file)
    }

    /// Hands `file` (``startFile()``'s, its body written) over to be written as the checkpoint
    /// at `lsn`, once the one before is on disk; throws that one's failure, if it failed.
    func write(_ checkpoints: Checkpoints, lsn: UInt64, file: consuming [UInt8]) throws(EngineError) {
        try wait()
        lastFileBytes.store(file.count + 4, ordering: .relaxed)
        inFlight.enter()
        let file = consume file
        queue.async { [self] in
            defer { inFlight.leave() }
            do throws(EngineError) {
                try checkpoints.write(lsn: lsn, file: file)
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
