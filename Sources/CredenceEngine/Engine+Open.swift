import CCRC32C
import CredenceCore
import EventLog
import Foundation
import Shredding
import SnapshotStore

/// What a replay of the log read, for progress lines and summaries.
public struct ReplayStats: Sendable, Hashable {
    public var records = 0
    public var events = 0
    /// Events whose key is destroyed (erased) or that were erased on arrival.
    public var unreadable = 0
    /// Records of a batch that never committed (a crash mid-batch): ignored.
    public var orphans = 0
    public var monthsClosed = 0
    public var seconds = 0.0
    /// The checkpoint the replay started from (`path == nil`: the whole log was replayed).
    public var checkpoint = CheckpointLoad()
}

extension Engine {
    /// Opens the data directory: recovers the log's tail, then replays the whole log to rebuild
    /// the intake indexes and the scoring state (and whatever derived state is missing).
    ///
    /// - Parameter progress: called now and then with the replay's counts so far.
    public static func open(
        _ configuration: EngineConfiguration, progress: ((ReplayStats) -> Void)? = nil
    ) throws(EngineError) -> Engine {
        try configuration.validate()
        let data = configuration.dataDirectory
        let derived = configuration.derived
        try Files.makeDirectory(data)
        try Files.makeDirectory(derived)
        // Dead letters go with the derived state: a replay into a fresh directory meets every
        // erasure again, and must not clear the data directory's dead letters, which it only reads.
        try Files.makeDirectory(derived + "/dead-letter")
        let salt = try loadSalt(data + "/salt")
        let log: EventLog
        do {
            log = try EventLog(directory: data + "/log", configuration: configuration.log)
        } catch {
            throw EngineError(.io, "cannot open the event log in \(data)/log", underlying: error)
        }
        let keys: KeyStore
        do {
            keys = try KeyStore(directory: data + "/keys")
        } catch {
            throw EngineError(.keys, "cannot open the key store in \(data)/keys", underlying: error)
        }
        let store: SnapshotStore
        do {
            store = try SnapshotStore(path: derived + "/snapshots.sqlite")
        } catch {
            throw EngineError(.snapshots, "cannot open the snapshot store in \(derived)", underlying: error)
        }
        try Files.makeDirectory(derived + "/outbox")
        let effectsWriter = try EffectsWriter(
            store: store, deadLetterPath: derived + "/dead-letter/dead-letter.ndjson",
            outboxPath: Outbox.filePath(directory: derived + "/outbox"))
        let engine = Engine(
            configuration: configuration, log: log, keys: keys, store: store, effectsWriter: effectsWriter,
            outbox: Outbox(directory: derived + "/outbox", writer: effectsWriter), salt: salt)
        if let r = log.recovery { engine.recoveryNotes.append("event log: \(r)") }
        let checkpoint = engine.loadCheckpoint()
        var stats = try engine.replay(from: checkpoint.lsn, progress: progress)
        stats.checkpoint = checkpoint
        if stats.orphans > 0 {
            engine.recoveryNotes.append(
                "event log: ignored \(stats.orphans) records of a batch that never committed (a crash mid-batch); "
                    + "their input is read again")
        }
        engine.lastReplay = stats
        engine.counters = IngestCounters()
        try engine.checkpointIfDue()
        // The checkpoint's bytes and the replay's buffers are gone: give their pages back.
        ProcessMemory.releaseFreedPages()
        // From here on, records are sealed and appended on a thread of their own.
        if configuration.parallelDecode {
            engine.logWriter = LogWriterStage.start(log: log, recordLists: engine.subjectRecords)
        }
        return engine
    }

    /// The directory's identifier key (HMAC-SHA256, 32 bytes), created on first use.
    static func loadSalt(_ path: String) throws(EngineError) -> IdentifierKey {
        if let bytes = Files.read(path) {
            guard let key = IdentifierKey(bytes: bytes) else {
                throw EngineError(
                    .configuration,
                    "\(path) holds \(bytes.count) bytes, not a \(IdentifierKey.byteCount)-byte HMAC key: the data "
                        + "directory was written by an older credence (an 8-byte hash seed); open it with that "
                        + "version, or ingest the original input again into a new data directory")
            }
            return key
        }
        let key = IdentifierKey.random()
        try Files.writeAtomically(path, key.bytes)
        chmod(path, 0o600)
        return key
    }

    /// Replays every committed batch of the log from `start` (a batch boundary) into the state.
    func replay(from start: UInt64, progress: ((ReplayStats) -> Void)?) throws(EngineError) -> ReplayStats {
        let clock = ContinuousClock.now
        replayingUpTo = outbox.position
        // A replay's reader, opener and applying thread take three cores: the shards' threads
        // apply only where there are cores to spare (EngineConfiguration.shardThreadsInReplay).
        let appliers = shardAppliers
        if !configuration.shardThreadsInReplay {
            settleShards()
            shardAppliers = nil
        }
        defer {
            settleShards()
            shardAppliers = appliers
        }
        // Its checkpoints (every million events or so) reuse one buffer (CheckpointWriter).
        checkpointWriter.keepsBuffer(true)
        defer { checkpointWriter.keepsBuffer(false) }
        // A month close's outbox lines go to the writer in pieces as they are rendered (see
        // ``Outbox/spillBeyond``), not only after the batch.
        outbox.spillBeyond = Self.replaySpillBytes
        defer { outbox.spillBeyond = nil }
        // The applying thread's running state, touched for every record by the functions below
        // (``ReplayRun``).
        let run = ReplayRun()
        // The chunks (from an index on) whose records wait for their batch's commit record: held
        // as they came, not copied record by record into a buffer (a batch of 8,192 steps of about
        // 230 bytes each is four times the L2 cache, and the two copies were the applying thread's
        // largest item). The duplicate index is not sized for the whole log: the sweep after every
        // batch keeps it to the window's events, so growing it as it goes costs less memory at
        // the peak.
        var waiting: [(chunk: ReplayStage.Chunk, from: Int)] = []
        var failure: EngineError? = nil
        // Whether the reader gave the intake indexes back (ReplayIndexes).
        var indexesReturned = false

        /// Whether the batch being applied covers the step at `lsn`, noted as the batch's last: not
        /// a record of a batch that never committed, before a crash (an orphan, counted).
        func isCommitted(_ lsn: UInt64) -> Bool {
            run.lastStepLSN = lsn
            guard let first = run.committing, lsn >= first else {
                run.stats.orphans += 1
                return false
            }
            return true
        }

        /// Applies a step of a committed batch. Events and tombstones come as
        /// ``emitEvent(_:_:_:_:)`` and ``emitTombstone(_:isCopy:at:)``, without a step.
        func emit(_ lsn: UInt64, _ step: consuming Step) throws(EngineError) {
            guard isCommitted(lsn) else { return }
            // The erased user's new subject, kept as the live erasure keeps it (the intake
            // indexes are the reader's: ``ReplayIndexes``).
            if case .erasure(let user, _, _, let newSubject, _) = step { setSubject(newSubject, of: user) }
            try apply(step, lsn: lsn)
        }

        /// An event of a committed batch, without making a step or an ``Event``: what the scoring
        /// reads of it, its spans in `plaintext` (``ReplayStage/Chunk/plaintext``).
        func emitEvent(_ lsn: UInt64, _ subject: UInt64, _ e: ScoredEvent, _ plaintext: UnsafeRawPointer) {
            guard isCommitted(lsn) else { return }
            run.stats.events += 1
            applyEvent(e, bytes: plaintext, slot: slot(ofSubject: subject, user: e.user.bytes(in: plaintext)))
        }

        /// A `.tombstone` of a committed batch, without making the step: an event whose key is
        /// destroyed (unreadable), an erasure's copy, or a tombstone record.
        func emitTombstone(_ lsn: UInt64, isCopy: Bool, at occurredAt: Instant) {
            guard isCommitted(lsn) else { return }
            run.stats.events += 1
            if !isCopy { run.stats.unreadable += 1 }
            applyTombstone(at: occurredAt)
        }

        func finishErasure() throws(EngineError) {
            guard let e = run.erasure else { return }
            run.erasure = nil
            if let user = e.userID {
                try emit(
                    run.lastStepLSN,
                    .erasure(
                        userID: user, cut: e.marker.cut, oldSubject: e.marker.oldSubject,
                        newSubject: e.marker.newSubject, survivors: e.survivors))
            } else {
                try emit(run.lastStepLSN, .unreadableErasure(oldSubject: e.marker.oldSubject))
            }
        }

        /// Turns one record of `chunk` into its steps; an event's spans are in `plaintext`.
        func consume(
            _ item: ReplayStage.Item, of chunk: ReplayStage.Chunk, _ plaintext: UnsafeRawPointer
        ) throws(EngineError) {
            run.stats.records += 1
            switch item {
            case .event(let lsn, let r):
                if r.isCopy, run.erasure != nil {
                    if run.erasure!.userID != nil, let e = r.event {
                        run.erasure!.survivors.append(Event(e, in: plaintext))
                    }
                    emitTombstone(lsn, isCopy: true, at: r.occurredAt)  // the erasure step applies it
                    run.erasure!.remaining -= 1
                    if run.erasure!.remaining == 0 { try finishErasure() }
                } else if let e = r.event {
                    emitEvent(lsn, r.subject, e, plaintext)
                } else {
                    emitTombstone(lsn, isCopy: r.isCopy, at: r.occurredAt)
                }
            case .record(let lsn, let index):
                let user = chunk.records[index].userID
                switch chunk.records[index].record {
                case .event, .commit:
                    break  // decoded as `.event` items; commits are handled by `consume(_:)` below
                case .tombstone(let h):
                    emitTombstone(lsn, isCopy: h.isCopy, at: h.occurredAt)
                case .erasure(let m):
                    run.erasure = (m, user, m.copies, [])
                    if m.copies == 0 { try finishErasure() }
                case .monthClose(let m, let v):
                    try emit(lsn, .close(m, v))
                case .restatement(let m, let v):
                    try emit(lsn, .restate(m, v))
                case .source:
                    break  // named by the reader (ReplayIndexes)
                case .promotion(let json):
                    try emit(lsn, .promote(try Self.promotedModel(json), json: json))
                }
            }
        }

        /// Runs `chunk.items[range]` through `consume(_:of:_:)` in order, with the state of the
        /// event a few ahead asked for. An item is a plain value: read out of its array as a copy,
        /// nothing left behind to destroy.
        func consume(_ chunk: ReplayStage.Chunk, _ range: Range<Int>) throws(EngineError) {
            guard !range.isEmpty else { return }
            try chunk.items.withUnsafeBufferPointer { (b) throws(EngineError) in
                try chunk.plaintext.withUnsafeBufferPointer { (plain) throws(EngineError) in
                    // A chunk with no event opened has no plaintext, and no span is read in it.
                    let plaintext = plain.baseAddress.map(UnsafeRawPointer.init) ?? UnsafeRawPointer(b.baseAddress!)
                    for i in range {
                        // Four steps, `prefetchDistance` events apart and a last one 4 events ahead:
                        // the subject's slot, then the slot's state entry and user id, then the
                        // state's first line, then what the apply reads further in. The subjects
                        // come from their own array: matching `.event` on an item ahead copied all
                        // of it, four times an item, and those copies were 7% of the applying thread.
                        for step in 0...3 where i + max(step * Self.prefetchDistance, 4) < range.upperBound {
                            let ahead = i + max(step * Self.prefetchDistance, 4)
                            let subject = chunk.subjects[ahead]
                            guard subject != 0 else { continue }
                            let kind = step == 0 ? EventKind(rawValue: chunk.kinds[ahead]) : nil
                            lookAhead(step, subject: subject, kind: kind)
                        }
                        // The item itself, written by the opener on the other core: its first line
                        // was read at step 3, the rest are asked for now.
                        if i + Self.prefetchDistance < range.upperBound {
                            ccrc32c_prefetch_bytes(
                                b.baseAddress! + i + Self.prefetchDistance, MemoryLayout<ReplayStage.Item>.stride)
                        }
                        try consume(b[i], of: chunk, plaintext)
                    }
                }
            }
        }

        /// Runs the records that wait, then `chunk.items[from..<to]`, as the batch that `first`
        /// commits (`nil`: no commit came).
        func consumeBatch(
            committedFrom first: UInt64?, through chunk: ReplayStage.Chunk, _ from: Int, _ to: Int
        ) throws(EngineError) {
            run.committing = first
            for w in waiting {
                try consume(w.chunk, w.from..<w.chunk.items.count)
            }
            waiting.removeAll(keepingCapacity: true)
            try consume(chunk, from..<to)
            run.lastStepLSN = 0
        }

        func consume(_ output: consuming ReplayStage.Output) -> Bool {
            do {
                switch consume output {
                case .failure(let error):
                    failure = error
                    return false
                case .chunk(let chunk):
                    var from = 0
                    for c in chunk.commits {
                        guard case .record(_, let index) = chunk.items[c],
                            case .commit(let first) = chunk.records[index].record
                        else {
                            preconditionFailure("the replay stage listed a record that is not a commit")
                        }
                        try consumeBatch(committedFrom: first, through: chunk, from, c)
                        run.stats.records += 1  // the commit record
                        try performEffects()
                        spillSideFiles()
                        if let p = progress, run.stats.records % 1_000_000 < 1 { p(run.stats) }
                        from = c + 1
                    }
                    if from < chunk.items.count { waiting.append((chunk, from)) }
                    return true
                case .indexes(let indexes):
                    intake = indexes.intake
                    subjectRecords.replace(with: indexes.records)
                    sources = indexes.sources
                    watermarkSourceIDs = .unresolved
                    indexesReturned = true
                    return true
                }
            } catch {
                failure = error
                return false
            }
        }

        let keySnapshot = keys.snapshot()
        // The intake indexes move to the reader for the replay (ReplayIndexes), on the stage's
        // thread with parallel decoding: the engine's fields let go of them, so the reader's
        // changes copy nothing.
        let indexes = ReplayIndexes(
            intake: intake, records: subjectRecords.takeAll(), sources: sources, maxSeen: scoringState.maxSeen)
        intake = IntakeIndex(window: configuration.dedupWindowMilliseconds)
        sources = SourceTable()
        ReplayStage.run(
            parallel: configuration.parallelDecode, directory: log.directory, configuration: log.configuration,
            watermark: log.commitWatermark, from: start, keys: keySnapshot, indexes: indexes,
            itemsPerChunk: configuration.parallelDecode ? 4_096 : 1_024, consume: consume)
        if let failure { throw failure }
        if !indexesReturned {
            throw EngineError(.io, "the log's reader ended without handing back the intake indexes")
        }
        // The log's end after its last commit: a batch that never committed. Its records are
        // read (and counted as orphans), not applied.
        try consumeBatch(committedFrom: nil, through: ReplayStage.Chunk(), 0, 0)
        outbox.nextPosition = log.nextLSN
        flushSideFiles()
        try settleEffects()
        replayingUpTo = 0
        run.stats.monthsClosed = counters.monthsClosed
        run.stats.seconds = (ContinuousClock.now - clock).seconds
        progress?(run.stats)
        return run.stats
    }

    /// What a replay lets pile up of a month close's outbox lines before handing them over: a
    /// 1M-user close renders about 300 MB of `score.changed` lines, and rendering them into one
    /// buffer grown to that size was a tenth of the applying thread's samples (the growth's
    /// copies, and a page fault for each of its fresh pages). In pieces of this size the writer
    /// gives the emptied ones back (``EffectsWriter/spareLines()``).
    static let replaySpillBytes = 4 << 20

    /// Hands the outbox and dead-letter lines a replay has piled up to the effects writer, to
    /// write without fsync, once they pass 1 MiB: an erasure searches the unwritten lines one by
    /// one, so a whole replay's worth in memory made every erasure cost the whole outbox. The end
    /// of the replay syncs them.
    /// A crash before that re-appends a few lines, as any crash between the two writes does.
    func spillSideFiles() {
        outbox.spill(beyond: 1 << 20)
        if deadLetters.pendingBytes >= 1 << 20 {
            effectsWriter.append(
                .deadLetters, lines: deadLetters.take(spare: effectsWriter.spareLines()), durable: false)
        }
    }

    /// Asks the CPU for what applying a replayed event of `subject` reads, found without hashing
    /// an id or touching a string, `step` times `prefetchDistance` events ahead: 3, the subject's
    /// slot; 2, the slot's state entry and user id (``count(_:stats:)`` compares it); 1, the
    /// state's array header and first line; 0 (4 events ahead), the one section the event of
    /// `kind` reads (the last payment month or the newest obligations, found from that line; see
    /// ``prefetch(_:kind:)``). Each step reads only what the one before asked for. A replay applies a
    /// batch's events in order, and each of these was a miss to memory for most of them (the
    /// state alone 11% of the applying thread's samples with 30k users, and that thread bounds
    /// the replay).
    @inline(__always)
    private func lookAhead(_ step: Int, subject: UInt64, kind: EventKind?) {
        // With shards, their threads fetch ahead themselves (``ShardAppliers``).
        guard shardAppliers == nil else { return }
        if step == 3 {
            if let address = subjectSlots.slotAddress(ofSubject: subject) { ccrc32c_prefetch(address) }
            return
        }
        guard let slot = subjectSlots.slot(ofSubject: subject), slot < scoringState.userCount else { return }
        if step == 2 {
            if let address = scoringState.stateEntryAddress(atSlot: slot) { ccrc32c_prefetch(address) }
            if let address = scoringState.userIDAddress(atSlot: slot) { ccrc32c_prefetch(address) }
        } else if step == 1 {
            if let address = scoringState.stateAddress(atSlot: slot) {
                ccrc32c_prefetch_bytes(address, UserState.headPrefetchBytes)
            }
        } else if let kind {
            Self.prefetch(
                scoringState.stateSections(atSlot: slot, obligationBytes: Self.obligationPrefetchBytes), kind: kind)
        }
    }

    /// The slot of the user whose id's UTF-8 is `user`, and `subject` kept as theirs.
    private func slot(ofSubject subject: UInt64, user: UnsafeBufferPointer<UInt8>) -> Int {
        // The subject's slot when it is the user's (an array index, no hash of the id).
        if let slot = subjectSlots.slot(ofSubject: subject), scoringState.holds(user, atSlot: slot) {
            return slot
        }
        let slot = scoringState.slot(for: String(decoding: user, as: UTF8.self))
        setSubject(subject, atSlot: slot)
        return slot
    }
}

extension Duration {
    var seconds: Double {
        let (s, a) = components
        return Double(s) + Double(a) / 1e18
    }
}

/// A replay's running state, kept by its applying thread and touched for every record by the
/// replay's nested functions. A class whose properties are `@exclusivity(unchecked)`, as the
/// engine's per-event properties are (Engine.swift): as local variables captured by those
/// functions, the runtime's access bookkeeping on them (`swift_beginAccess` and its
/// thread-local set) was 3% of the applying thread's samples. The compile-time checks still
/// apply, and only that thread reaches it.
private final class ReplayRun {
    @exclusivity(unchecked) var stats = ReplayStats()
    /// The batch being applied: the first LSN its commit record names (`nil`: the log's
    /// uncommitted end, whose steps are only counted).
    @exclusivity(unchecked) var committing: UInt64? = nil
    /// The LSN of the last step the batch made.
    @exclusivity(unchecked) var lastStepLSN: UInt64 = 0
    /// The erasure whose copies are being read: its marker, the user it names (`nil` when its
    /// key is destroyed), how many copies are still to come and the events they hold.
    @exclusivity(unchecked) var erasure:
        (marker: EngineRecord.Erasure, userID: String?, remaining: UInt64, survivors: [Event])? = nil
}
