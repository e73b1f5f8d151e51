import EventLog
import Foundation
import Shredding
import Synchronization

/// Seals event records and appends every record to the log on a thread of its own, while the
/// engine checks and applies the events after them: the other half of ingest's per-event work
/// (ChaCha20-Poly1305, the frame's CRC-32C and copy) on the second core.
///
/// The engine hands records over in LSN order, an event as its record head, its plaintext and
/// its subject's key; the stage seals it under the nonce of the LSN the engine computed, appends
/// it, and checks that the log gave that LSN. ``sync()`` is the batch's commit: it returns once
/// everything handed over is appended and the log committed (fsynced), or with the first error.
/// Nothing reaches the log in another order or another form than the engine would have written
/// itself, so a parallel ingest and a one-thread ingest write the same log (a test holds them to it).
///
/// While the stage runs it owns the log object: the engine touches only what is safe beside
/// the writer (the directory, the configuration, the atomic commit watermark), and reads
/// committed records through a reader of its own, as any reader of a log being appended to may
/// (an erasure does); it uses the log object itself only after ``stop()``.
final class LogWriterStage {
    /// Records back to back; each a head and, for an event, the plaintext to seal after it.
    struct Chunk: Sendable {
        var bytes: [UInt8] = []
        var records: [Record] = []
    }

    struct Record: Sendable {
        var start: Int
        /// Where the plaintext starts (`end` for a record written as it is).
        var plaintext: Int
        var end: Int
        /// The subject's key for an event; `nil` for a record written as it is.
        var key: SubjectKey?
        /// The subject an event is sealed for (its record list notes it).
        var subject: UInt64
        var lsn: UInt64
    }

    /// The writer's answer to a `sync` or `drain`.
    final class Reply: Sendable {
        private let done = DispatchSemaphore(value: 0)
        private let failure = Mutex<EngineError?>(nil)

        func finish(_ error: EngineError?) {
            failure.withLock { $0 = error }
            done.signal()
        }

        func wait() throws(EngineError) {
            done.wait()
            if let error = failure.withLock({ $0 }) { throw error }
        }
    }

    enum Item: Sendable {
        case chunk(Chunk)
        /// fsync the key store's new keys (after the chunks before, before the ones after).
        case keys(DeferredKeySync)
        /// Commit the log (its durability setting applies), then answer.
        case sync(Reply)
        /// Answer once everything before is appended.
        case drain(Reply)
    }

    /// The log, handed to the writer thread for the stage's lifetime. `@unchecked Sendable`:
    /// only the writer thread touches it between `start` and `stop` (see the type's comment).
    private struct OwnedLog: @unchecked Sendable {
        let log: EventLog
    }

    private let handoff: Handoff<Item>
    private let finished = DispatchSemaphore(value: 0)
    private let recordsPerChunk: Int
    /// The chunk being filled. `@exclusivity(unchecked)`, like `nextLSN`: both are touched for
    /// every record, only by the engine's thread (the writer thread gets whole chunks through
    /// the handoff), and the runtime's access bookkeeping on them showed in ingest's profile;
    /// the compile-time exclusivity checks still apply.
    @exclusivity(unchecked) private var open = Chunk()
    /// The LSN the next record handed over gets.
    @exclusivity(unchecked) private(set) var nextLSN: UInt64
    /// The chunks handed over whose batch the engine has not released yet (``release(before:)``),
    /// oldest first: an erasure reads its user's records of the open batch and of the batch in
    /// flight here (``eventRecords(of:from:)``). Shared with the writer thread, which only reads
    /// them; nothing is copied. The engine kept a copy of each record's header and plaintext
    /// for this (`OpenBatchEvents`), about 2% of its thread's samples in the r30k ingest.
    @exclusivity(unchecked) private var kept: [Chunk] = []

    private init(handoff: Handoff<Item>, nextLSN: UInt64, recordsPerChunk: Int) {
        self.handoff = handoff
        self.nextLSN = nextLSN
        self.recordsPerChunk = recordsPerChunk
        open.bytes.reserveCapacity(recordsPerChunk * 160)
        open.records.reserveCapacity(recordsPerChunk)
    }

    /// Starts the writer thread on `log`, whose next LSN it takes over; it notes each sealed
    /// record it appends in `recordLists`.
    ///
    /// `depth`: chunks handed over and not yet appended, at most. 32 chunks of 512 records are two
    /// default batches: while the writer waits for one batch's fsync, the engine goes on with the
    /// next without filling the queue. At 8 (4,096 records) the engine waited on a full queue for
    /// 2.1 s of a 27 s ingest of the r30k stream.
    static func start(
        log: EventLog, recordLists: SharedRecordLists, recordsPerChunk: Int = 512, depth: Int = 32
    ) -> LogWriterStage {
        let handoff = Handoff<Item>(capacity: depth)
        let stage = LogWriterStage(handoff: handoff, nextLSN: log.nextLSN, recordsPerChunk: recordsPerChunk)
        let owned = OwnedLog(log: log)
        let finished = stage.finished
        let thread = Thread {
            StagePriority.lowerCurrentThread()
            write(owned.log, handoff, recordLists)
            finished.signal()
        }
        thread.name = "credence-log-writer"
        thread.start()
        return stage
    }

    /// Hands over a record to write as it is (`bytes`: the encoded record).
    func append(_ bytes: [UInt8]) {
        let start = open.bytes.count
        open.bytes.append(contentsOf: bytes)
        add(
            Record(start: start, plaintext: open.bytes.count, end: open.bytes.count, key: nil, subject: 0, lsn: nextLSN)
        )
    }

    /// Hands over an event record: its head (the record up to its sealed bytes), encoded
    /// straight into the chunk, then `plaintext` to seal under `key` (of the header's subject)
    /// with the nonce of the record's LSN. Once appended, the record joins the subject's record
    /// list.
    ///
    /// The head was encoded into a buffer of the engine's and copied here: two copies and the
    /// buffer's retain and release per event, about 2% of the engine thread's samples.
    func appendSealed(_ header: EngineRecord.EventHeader, plaintext: UnsafeRawBufferPointer, key: SubjectKey) {
        let start = open.bytes.count
        var writer = RecordWriter()
        swap(&writer.buffer, &open.bytes)
        EngineRecord.encodeEventHead(header, sealedCount: plaintext.count + SealedRecord.tagByteCount, into: &writer)
        let plain = writer.buffer.count
        writer.buffer.append(contentsOf: plaintext)
        swap(&writer.buffer, &open.bytes)
        add(
            Record(
                start: start, plaintext: plain, end: open.bytes.count, key: key, subject: header.subject, lsn: nextLSN))
    }

    private func add(_ record: Record) {
        open.records.append(record)
        nextLSN += 1
        if open.records.count >= recordsPerChunk { handOver() }
    }

    private func handOver() {
        guard !open.records.isEmpty else { return }
        kept.append(open)
        _ = handoff.put(.chunk(open))
        open = Chunk()
        open.bytes.reserveCapacity(recordsPerChunk * 160)
        open.records.reserveCapacity(recordsPerChunk)
    }

    /// Forgets the kept chunks whose records all come before `lsn`: their batch is durable, and
    /// an erasure reads those records from the log.
    func release(before lsn: UInt64) {
        let done = kept.prefix { ($0.records.last?.lsn ?? 0) < lsn }.count
        kept.removeFirst(done)
    }

    /// The event records of `subject` from LSN `from` on, among those handed over and not
    /// released and those not handed over yet, in LSN order: each one's header and plaintext.
    func eventRecords(of subject: UInt64, from: UInt64) throws(EngineError) -> [(
        EngineRecord.EventHeader, [UInt8]
    )] {
        var out: [(EngineRecord.EventHeader, [UInt8])] = []
        for chunk in kept + [open] {
            let failure = chunk.bytes.withUnsafeBytes { bytes -> RecordFormatError? in
                for r in chunk.records where r.key != nil && r.subject == subject && r.lsn >= from {
                    do throws(RecordFormatError) {
                        guard
                            let header = try EngineRecord.decodeEventHead(
                                UnsafeRawBufferPointer(rebasing: bytes[r.start..<r.plaintext]))
                        else { continue }
                        out.append((header, Array(bytes[r.plaintext..<r.end])))
                    } catch {
                        return error
                    }
                }
                return nil
            }
            if let failure { throw OpenBatchEvents.notDecodable(failure) }
        }
        return out
    }

    /// Hands over the fsync of the key store's new keys, which the records handed over so far
    /// were sealed under: the writer runs it after appending those records and before anything
    /// handed over later, the batch's commit record first, so no commit is durable before its
    /// keys. A failure fails the next `sync`, and the writer appends nothing more.
    func syncKeys(_ pending: DeferredKeySync) {
        handOver()
        _ = handoff.put(.keys(pending))
    }

    /// Waits until everything handed over is appended and the log committed.
    func sync() throws(EngineError) {
        try requestSync().wait()
    }

    /// Asks for a commit of everything handed over so far and returns at once: the reply
    /// answers once it is durable (or with the first error). Replies come in request order.
    func requestSync() -> Reply {
        handOver()
        let reply = Reply()
        _ = handoff.put(.sync(reply))
        return reply
    }

    /// Waits until everything handed over is appended (not committed).
    func drain() throws(EngineError) {
        handOver()
        let reply = Reply()
        _ = handoff.put(.drain(reply))
        try reply.wait()
    }

    /// Appends what is left (uncommitted, as a one-thread engine would leave it), stops the
    /// writer and waits for it; the first error, if any, is thrown.
    func stop() throws(EngineError) {
        var failure: EngineError? = nil
        do { try drain() } catch { failure = error }
        handoff.finish()
        finished.wait()
        if let failure { throw failure }
    }

    /// The writer thread: appends chunks in order until the handoff finishes; after a failure it
    /// appends nothing more and reports the failure to every `sync` and `drain`.
    private static func write(_ log: EventLog, _ handoff: Handoff<Item>, _ recordLists: SharedRecordLists) {
        var failure: EngineError? = nil
        var buffer: [UInt8] = []
        buffer.reserveCapacity(512)
        var sealed: [(lsn: UInt64, subject: UInt64)] = []
        while let item = handoff.take() {
            switch item {
            case .chunk(let chunk):
                guard failure == nil else { continue }
                failure = append(chunk, to: log, buffer: &buffer, sealed: &sealed)
                // Before the next `sync` or `drain` is answered: the engine reads them after one.
                recordLists.append(sealed)
                sealed.removeAll(keepingCapacity: true)
            case .keys(let pending):
                guard failure == nil else { continue }
                do {
                    try pending.sync()
                } catch {
                    failure = EngineError(.keys, "cannot make new subject keys durable", underlying: error)
                }
            case .sync(let reply):
                if failure == nil {
                    do {
                        try log.commit()
                    } catch {
                        failure = EngineError(.io, "cannot commit the event log", underlying: error)
                    }
                }
                reply.finish(failure)
            case .drain(let reply):
                reply.finish(failure)
            }
        }
    }

    /// Appends a chunk's records; `sealed` gets each sealed one's LSN and subject, in order.
    private static func append(
        _ chunk: Chunk, to log: EventLog, buffer: inout [UInt8], sealed: inout [(lsn: UInt64, subject: UInt64)]
    ) -> EngineError? {
        chunk.bytes.withUnsafeBytes { bytes -> EngineError? in
            for r in chunk.records {
                let lsn: UInt64
                do {
                    if let key = r.key {
                        buffer.removeAll(keepingCapacity: true)
                        buffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[r.start..<r.plaintext]))
                        key.seal(
                            UnsafeRawBufferPointer(rebasing: bytes[r.plaintext..<r.end]),
                            nonce: RecordNonce(lsn: r.lsn),
                            appendingTo: &buffer)
                        lsn = try log.append(buffer)
                    } else {
                        lsn = try log.append(UnsafeRawBufferPointer(rebasing: bytes[r.start..<r.end]))
                    }
                } catch {
                    return EngineError(.io, "cannot append to the event log", underlying: error)
                }
                if lsn != r.lsn {
                    return EngineError(
                        .io,
                        "the event log gave record \(lsn) where the engine sealed record \(r.lsn): nothing after "
                            + "it was written; report this as a bug")
                }
                if r.key != nil { sealed.append((lsn, r.subject)) }
            }
            return nil
        }
    }
}
