import CredenceCore
import Dispatch
import Synchronization

/// Writes checkpoint files beside the engine, streamed: the engine encodes a checkpoint's body on
/// its thread, at a batch boundary, where the state is whole, into a ``ByteWriter`` that hands
/// each piece of about ``pieceBytes`` (4 MB) to this writer's queue as it fills
/// (``ByteWriter/spillIfFull()``); the queue appends it to the file (``Checkpoints/Stream``), and
/// at the end puts the header in place, the CRC-32C after the body, fsyncs and renames, while the
/// engine goes on with the next batch.
///
/// So a checkpoint's body is never held whole. It was, in one buffer: 70 MB at 30k users and
/// over a GB at 1M, kept from one checkpoint to the next, and mapped afresh whenever the state
/// outgrew it (44k of the r30k ingest's 100k page faults were its first touches). Now the memory
/// is ``pieceCount`` pieces in flight and ``pieceCount`` spares, a few MB in all.
///
/// At most one checkpoint is in flight: ``startStream(_:lsn:)`` waits for the one before.
/// ``wait()`` returns once every checkpoint handed over is on disk, or throws the first failure.
/// The engine waits before anything that lists or removes checkpoint files (an erasure's removal
/// of the checkpoints written before it, a clean close) and before it starts one itself.
///
/// The engine waits too when ``pieceCount`` pieces are handed over and not yet written: the
/// encoding runs ahead of the file by at most that much.
final class CheckpointWriter: Sendable {
    /// Bytes of a piece handed to the queue (4 MB by default; tests cut smaller ones).
    let pieceBytes: Int
    /// Pieces in flight at most, and spare piece buffers kept.
    static let pieceCount = 2

    init(pieceBytes: Int = 4 << 20) {
        precondition(pieceBytes > 0, "a checkpoint's pieces hold bytes")
        self.pieceBytes = pieceBytes
    }

    private let queue = DispatchQueue(label: "credence.checkpoints")
    private let inFlight = DispatchGroup()
    private let failure = Mutex<EngineError?>(nil)
    /// Room for the pieces in flight: the encoding waits for one before it hands another over.
    private let pieceRoom = DispatchSemaphore(value: CheckpointWriter.pieceCount)
    /// The file being written, on the queue (`nil` when it could not be opened).
    private let stream = Mutex<Checkpoints.Stream?>(nil)
    /// The pieces handed over, oldest first. Arrays move in and out of these by `swap`, so that
    /// the one taken out is its memory's only reference.
    private let pieces = Mutex<[[UInt8]]>([])
    /// Written pieces' buffers (emptied, their pages mapped), for the next pieces.
    private let spares = SpareBuffers(limit: CheckpointWriter.pieceCount)
    /// Whether ``spares`` are kept between checkpoints (``keepsBuffer(_:)``).
    private let keepsSpares = Atomic<Bool>(false)

    /// Starts the checkpoint at `lsn`, once the one in flight is on disk; throws that one's
    /// failure, if it failed. Returns the writer to encode the body into: it hands its pieces
    /// over as they fill, and ``finish(_:)`` hands over the rest.
    func startStream(_ checkpoints: Checkpoints, lsn: UInt64) throws(EngineError) -> ByteWriter {
        try wait()
        inFlight.enter()
        queue.async { [self] in
            do throws(EngineError) {
                try stream.withLock { (s) throws(EngineError) in s = try Checkpoints.Stream(checkpoints, lsn: lsn) }
            } catch {
                failure.withLock { $0 = $0 ?? error }
            }
        }
        var writer = ByteWriter(bytes: spare())
        writer.spillBytes = pieceBytes
        writer.spill = { [self] bytes in handOver(&bytes) }
        return writer
    }

    /// Hands over what is left of the body and the file's finishing (header, CRC, fsync,
    /// rename), then returns; ``wait()`` waits for it. `writer` is left empty.
    func finish(_ writer: inout ByteWriter) {
        writer.spill = nil
        handOver(&writer.bytes, refill: false)
        queue.async { [self] in
            defer { inFlight.leave() }
            let failed = failure.withLock { $0 != nil }
            do throws(EngineError) {
                // The stream is only ever touched on this queue; the lock is never contended.
                try stream.withLock { (s) throws(EngineError) in
                    defer { s = nil }
                    guard let opened = s else { return }
                    if failed { opened.abandon() } else { try opened.finish() }
                }
            } catch {
                failure.withLock { $0 = $0 ?? error }
            }
            if !keepsSpares.load(ordering: .relaxed) { spares.dropAll() }
        }
    }

    /// Hands `bytes` over to be appended as the body's next piece, leaving a spare (or a new
    /// buffer) in its place to go on in, or nothing after the last piece (`refill: false`);
    /// waits while ``pieceCount`` pieces are not yet written.
    private func handOver(_ bytes: inout [UInt8], refill: Bool = true) {
        pieceRoom.wait()
        var piece = refill ? spare() : []
        swap(&piece, &bytes)
        pieces.withLock {
            $0.append([]); swap(&$0[$0.count - 1], &piece)
        }
        queue.async { [self] in
            defer { pieceRoom.signal() }
            var piece = pieces.withLock { p -> [UInt8] in
                var first: [UInt8] = []
                swap(&first, &p[0])
                p.removeFirst()
                return first
            }
            guard failure.withLock({ $0 == nil }) else { return }
            do throws(EngineError) {
                try stream.withLock { (s) throws(EngineError) in
                    guard let opened = s else { return }
                    try opened.append(piece)
                }
                spares.keep(&piece)
            } catch {
                failure.withLock { $0 = $0 ?? error }
            }
        }
    }

    /// An emptied piece buffer, kept from an earlier piece, or a new one with a piece's room.
    private func spare() -> [UInt8] {
        if let kept = spares.take() { return kept }
        // A piece is cut after the element that passes `pieceBytes`: a little room beyond it.
        // Filled from its start, once per checkpoint at most: marked for huge pages (one fault
        // per 2 MB, not per 4 KB).
        return HugePages.bytes(capacity: pieceBytes + pieceBytes / 4)
    }

    /// Turns the keeping of piece buffers between checkpoints on or off; off drops those kept
    /// now, and after each checkpoint (a long-running server holds none between checkpoints).
    func keepsBuffer(_ on: Bool) {
        keepsSpares.store(on, ordering: .relaxed)
        if !on { spares.dropAll() }
    }

    /// The capacity of the piece buffers kept for the next checkpoint (0: none).
    var keptCapacity: Int { spares.capacity }

    /// Waits until every checkpoint handed over is written or has failed, keeping a failure for
    /// the next ``wait()`` or ``startStream(_:lsn:)`` (an erasure removes checkpoints after this;
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
