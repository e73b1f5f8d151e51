public import CredenceCore
import EventLog
import Foundation
import Shredding
public import SnapshotStore

/// The scorer with its storage: intake (validation, duplicates, dead letters), the event log,
/// per-subject keys, scoring state, month close, the snapshot store and the outbox.
///
/// ```swift
/// let engine = try Engine.open(configuration)      // recovers and replays the log
/// _ = try engine.submit(bytes, at: position)       // decode, check, append (not yet durable)
/// try engine.commit()                              // durable, applied, months closed
/// try engine.endOfInput()                          // a batch run: close what the input covers
/// ```
///
/// Live intake and replay share one path: what a batch appends to the log is applied to the
/// state only after the batch is durable, by the same code that replays the log at start-up.
/// Month closes are log records too, so a replay closes every month at the same point and
/// reproduces the live exports byte for byte.
///
/// Concurrency: a non-`Sendable` class owned by one thread (the CLI's, or ``EngineService``'s
/// queue; its readers only read, under ``EngineAccess``). Its per-event properties are marked
/// `@exclusivity(unchecked)`: the runtime's access bookkeeping on them was 8% of ingest's CPU
/// (`swift_beginAccess` and its thread-local set, per property touched per event); the
/// compile-time exclusivity checks still apply, and nothing else can reach them.
public final class Engine {
    public let configuration: EngineConfiguration
    public let store: SnapshotStore
    /// The live model: the configured one, or the latest promoted (Engine+Models.swift).
    public var model: Scorecard { promotedModel ?? configuration.model }
    /// The model of the latest promotion record, if any.
    var promotedModel: Scorecard? = nil
    /// The JSON of ``promotedModel``, as its record holds it (checkpoints keep it).
    var promotedModelJSON: [UInt8]? = nil
    /// Every user's state, the watermark and the closed months. While a batch is open with
    /// more than one shard, the users' states are with the shards' threads (``shardAppliers``).
    @exclusivity(unchecked) var scoringState: ScoringState
    /// The threads that apply events to the users' states, one per shard, when the
    /// configuration has more than one (``EngineConfiguration/shards``); `nil` during a replay
    /// that applies on the engine's thread (``EngineConfiguration/shardThreadsInReplay``).
    @exclusivity(unchecked) var shardAppliers: ShardAppliers?
    /// The scoring state, every shard's events applied: while a batch is open, this waits for
    /// the shards' threads and takes their states back. Readers beside each other
    /// (``EngineService/read(_:)``) come here only when the states are at home, so that they
    /// change nothing.
    public var scoring: ScoringState {
        settleShards()
        return scoringState
    }

    /// Whether every user's state is at home (no shard's thread holds one): what a reader beside
    /// others may read without changing the engine.
    var shardsAtHome: Bool { shardAppliers?.isLent != true }
    @exclusivity(unchecked) public internal(set) var counters = IngestCounters()
    /// What opening the log had to cut from a torn tail, for the operator.
    public internal(set) var recoveryNotes: [String] = []
    /// What the replay at start-up read.
    public internal(set) var lastReplay = ReplayStats()

    let log: EventLog
    let keys: KeyStore
    let decoder: EventDecoder
    /// Dead letters rendered and not yet handed to ``effectsWriter``.
    @exclusivity(unchecked) var deadLetters = LineBuffer()
    let outbox: Outbox
    /// The HMAC key of keyed identifiers (obligation keys), the data directory's `salt` file,
    /// keyed once.
    let salt: IdentifierKey.Prepared
    /// The same key, for the decoding stages' own ``EventPreparer``s.
    let saltKey: IdentifierKey

    // Intake indexes, rebuilt from the log at start-up.
    /// The duplicate check's ids and the obligation keys opened.
    @exclusivity(unchecked) var intake: IntakeIndex
    /// Each user's current subject (key), by the user's slot in `scoringState` (0: none yet); a
    /// withdrawal moves the user to a new one.
    @exclusivity(unchecked) var subjectSlots = SubjectSlots()
    /// The LSNs of each live subject's event records, so an erasure reads just those; noted by
    /// the log writer's thread while it runs (``SharedRecordLists``).
    let subjectRecords = SharedRecordLists()
    /// Subjects erased in the open batch whose record lists go once it is durable (the log
    /// writer may still be noting their last records meanwhile; see
    /// ``beginErasure(userID:cut:oldSubject:)``).
    var erasedSubjectLists: [UInt64] = []
    /// The inputs of the logged events: ids, positions, largest event times (``SourceTable``).
    @exclusivity(unchecked) var sources = SourceTable()
    /// The sources the watermark spans (Kafka partitions that are assigned and not idle); `nil`
    /// is one ordered input, whose watermark is the largest event time seen (see Engine+Sources.swift).
    public var watermarkSources: Set<String>? = nil {
        didSet { watermarkSourceIDs = .unresolved }
    }
    /// ``watermarkSources`` as source ids, resolved once (not per event) and again when the
    /// sources or the set change (see Engine+Sources.swift).
    @exclusivity(unchecked) var watermarkSourceIDs = WatermarkSourceIDs.unresolved

    // The open batch.
    @exclusivity(unchecked) var batchFirstLSN: UInt64? = nil
    /// How many steps the open batch has, already applied to the state.
    @exclusivity(unchecked) var batchSteps = 0
    /// The open batch's event records (events and an erasure's copies), for an erasure in it,
    /// when the engine appends them itself; with a log writer, its chunks hold them
    /// (``LogWriterStage/eventRecords(of:from:)``).
    @exclusivity(unchecked) var batchEvents = OpenBatchEvents()
    /// What the applied steps still have to do outside the state, once their batch is durable.
    @exclusivity(unchecked) var effects: [Effect] = []
    var pendingDestroy: [UInt64] = []
    /// Erased subjects whose keys go once the effects writer has removed their users (from the
    /// store, the outbox and the dead letters), with the writer's ticket for that, in ticket
    /// order (``destroyErasedKeys(all:)``).
    var keysAwaitingStore: [(subject: UInt64, ticket: Int)] = []
    /// Writes the closed months and removes erased users from the snapshot store, and writes
    /// the dead letters and the outbox, beside the engine (see ``EffectsWriter`` for when the
    /// engine waits for it).
    let effectsWriter: EffectsWriter
    @exclusivity(unchecked) var writer = RecordWriter()
    /// A reused buffer for an event's plaintext (sealing and opening records).
    @exclusivity(unchecked) var scratch: [UInt8] = []
    /// The thread that seals and appends records (``LogWriterStage``), from the end of `open`
    /// to `close` unless `configuration.parallelDecode` is off; it owns the log between commits.
    @exclusivity(unchecked) var logWriter: LogWriterStage? = nil {
        didSet { unretainedLogWriter = logWriter.map { Unmanaged.passUnretained($0) } }
    }
    /// `logWriter` for the per-event path (``appendSealed(_:_:plaintext:)``), called without a
    /// retain and a release: the stage's object is shared with its thread, and the release's
    /// atomic decrement, a miss on a line the other core had written, was 2.1% of an ingest's
    /// engine thread. Safe because it is set with `logWriter` (its `didSet`), whose strong
    /// reference keeps the stage alive as long as this one is not `nil`.
    @exclusivity(unchecked) var unretainedLogWriter: Unmanaged<LogWriterStage>? = nil
    /// Events applied since the last checkpoint was written or loaded.
    @exclusivity(unchecked) var eventsSinceCheckpoint = 0
    /// Whether a batch that fills up commits overlapped with the next one (see
    /// ``commitBatch(overlapping:)``): on while a file is ingested.
    @exclusivity(unchecked) var overlapsCommits = false
    /// The batch whose fsync is running beside the open one, if any.
    @exclusivity(unchecked) var inflight: InflightBatch? = nil
    /// While an overlapped batch's effects are done: its dead-letter bytes at the head of the
    /// pending ones (an erasure among them removes the user's lines from those only); else `nil`.
    var completingDeadLetterBytes: Int? = nil

    /// Whether side effects of applied steps go to the store and outbox (`false` while replaying
    /// what an earlier run already wrote).
    @exclusivity(unchecked) var replayingUpTo: UInt64 = 0
    /// Writes checkpoint files beside the engine (``checkpointIfDue()``).
    let checkpointWriter = CheckpointWriter()
    /// The cursor erasures read the log through (``erasureCursor()``), once one has.
    var erasureReads: EventLogCursor? = nil
    /// Restatements seen per month, which numbers their revisions the same way in every replay.
    var restatements: [Month: Int] = [:]

    init(
        configuration: EngineConfiguration, log: EventLog, keys: KeyStore, store: SnapshotStore,
        effectsWriter: EffectsWriter, outbox: Outbox, salt: IdentifierKey
    ) {
        self.configuration = configuration
        self.log = log
        self.keys = keys
        self.store = store
        self.effectsWriter = effectsWriter
        self.outbox = outbox
        self.salt = IdentifierKey.Prepared(salt)
        self.saltKey = salt
        self.decoder = EventDecoder(configuration: configuration.decoder)
        self.scoringState = ScoringState(configuration: configuration.scoring, shards: configuration.shards)
        self.shardAppliers =
            configuration.shards > 1
            ? ShardAppliers(shards: configuration.shards, offset: configuration.scoring.offset) : nil
        self.intake = IntakeIndex(window: configuration.dedupWindowMilliseconds)
    }

    deinit {
        // An engine dropped without `close()` (an error on the way): stop the writer thread; what
        // it holds stays uncommitted, as the log's own buffer would.
        try? logWriter?.stop()
        effectsWriter.stop()
    }

    /// The LSN the next record gets.
    public var nextLSN: UInt64 { logWriter?.nextLSN ?? log.nextLSN }

    // MARK: - Intake

    /// What happened to one input line or message.
    public enum SubmitOutcome: Sendable, Equatable {
        case accepted
        case duplicate
        case rejected(reason: String, message: String)
        /// Accepted, but at or before the user's erasure cut: it never counts.
        case erased
    }

    /// Decodes, checks and appends one event to the open batch. Nothing is durable until ``commit()``.
    ///
    /// - Parameters:
    ///   - raw: the event's bytes (one NDJSON line without its newline, or a Kafka message value).
    ///   - position: where it came from, kept in the log.
    ///   - key: the Kafka message key, if any (must equal `user_id`).
    ///   - deadLetterAs: where a dead letter says the line came from, when that differs from the
    ///     position kept in the log (HTTP intake: the request id and its line).
    @discardableResult
    public func submit(
        _ raw: UnsafeRawBufferPointer, at position: SourcePosition, key: [UInt8]? = nil,
        deadLetterAs: SourcePosition? = nil
    ) throws(EngineError) -> SubmitOutcome {
        let result = decoder.decode(raw, key: key)
        return try submit(decoded: result, prepared: nil, raw: raw, at: position, deadLetterAs: deadLetterAs)
    }

    /// The part of ``submit(_:at:key:deadLetterAs:)`` after decoding: the intake checks, the log
    /// append and the state. `prepared` is what a decoding stage worked out for an accepted event
    /// (``PreparedEvent``), when the caller has it;
    /// `knownSourceID` is the id `position.source` already has, when the caller looked it up;
    /// `knownSlot`, the slot the caller found for the hash of the event's user id
    /// (``ScoringState/candidateSlot(forHash:)``), checked here against the id.
    func submit(
        decoded result: DecodeResult, prepared: PreparedEvent?, raw: UnsafeRawBufferPointer,
        at position: SourcePosition, deadLetterAs: SourcePosition? = nil, knownSourceID: UInt64? = nil,
        knownSlot: Int? = nil
    ) throws(EngineError) -> SubmitOutcome {
        let letterPosition = deadLetterAs ?? position
        counters.received += 1
        counters.bytes += raw.count
        guard case .accepted(let event, let digest) = result else {
            let rejection = result.rejection!
            deadLetter(raw, letterPosition, reason: rejection.reason.code, message: rejection.message)
            return .rejected(reason: rejection.reason.code, message: rejection.message)
        }
        let idHash = prepared?.idHash ?? StableHash.of(event.eventID)
        if let seen = intake.accepted(idHash) {
            if seen.matches(digest) {
                counters.duplicates += 1
                return .duplicate
            }
            counters.conflicts += 1
            let message = "event_id \(JSONText.string(event.eventID)) was accepted before with different content"
            deadLetter(raw, letterPosition, reason: "conflict", message: message)
            return .rejected(reason: "conflict", message: message)
        }
        var obligationKey: StableHash? = nil
        if case .obligationOpened(let o) = event.payload {
            let k =
                prepared?.obligationKey
                ?? EventPreparer.obligationKey(
                    user: event.userID, obligation: o.obligationID, salt: salt, buffer: &scratch)
            if intake.isOpened(k) {
                let message = "obligation \(JSONText.string(o.obligationID)) of user \(event.userID) was opened before"
                deadLetter(raw, letterPosition, reason: "obligation_conflict", message: message)
                return .rejected(reason: "obligation_conflict", message: message)
            }
            obligationKey = k
        }
        try beginBatchIfNeeded()
        let sourceID: UInt64
        if let knownSourceID { sourceID = knownSourceID } else { sourceID = try self.sourceID(for: position.source) }
        intake.accept(idHash, digest: digest, at: event.occurredAt)
        if let k = obligationKey { intake.open(k) }
        var header = EngineRecord.EventHeader(
            kind: event.kind, isCopy: false, eventIDHash: idHash, occurredAt: event.occurredAt, digest: digest,
            subject: 0, sourceID: sourceID, position: position.position, obligationKey: obligationKey)

        let userHash = prepared?.userHash ?? StableHash.of(event.userID)
        let slot: Int?
        if let knownSlot, scoringState.holds(event.userID, atSlot: knownSlot) {
            slot = knownSlot
        } else {
            slot = scoringState.slot(of: event.userID, hash: userHash)
        }
        if let slot, let cut = scoringState.erasureCut(atSlot: slot), event.occurredAt <= cut {
            try append(.tombstone(header))
            recordPosition(header)
            try stage(.tombstone(header))
            counters.accepted += 1
            counters.erasedOnArrival += 1
            return .erased
        }
        let userSlot = slot ?? scoringState.slot(for: event.userID, hash: userHash)
        let subject = try subject(for: event.userID, slot: userSlot)
        header.subject = subject
        let lsn = nextLSN
        try appendSealed(header, event, plaintext: prepared?.plaintext)
        noteRecord(lsn, of: subject)
        recordPosition(header)
        counters.accepted += 1
        stageEvent(event, slot: userSlot)
        if case .userWithdrawn = event.payload {
            // After the cut (earlier ones were tombstoned above), so it moves the cut.
            try beginErasure(userID: event.userID, cut: event.occurredAt, oldSubject: subject)
        }
        try closeReadyMonths()
        if batchSteps >= configuration.batchSize { try commitBatch(overlapping: overlapsCommits) }
        return .accepted
    }

    /// Convenience for tests and small callers.
    @discardableResult
    public func submit(_ raw: [UInt8], at position: SourcePosition, key: [UInt8]? = nil) throws(EngineError)
        -> SubmitOutcome
    {
        var outcome = SubmitOutcome.accepted
        var failure: EngineError? = nil
        raw.withUnsafeBytes { buffer in
            do throws(EngineError) { outcome = try submit(buffer, at: position, key: key) } catch { failure = error }
        }
        if let failure { throw failure }
        return outcome
    }

    func deadLetter(_ raw: UnsafeRawBufferPointer, _ position: SourcePosition, reason: String, message: String) {
        counters.rejected[reason, default: 0] += 1
        let entry = DeadLetter(
            receivedAt: Date(), source: position.source, position: position.position, reason: reason, message: message,
            raw: Array(raw))
        deadLetters.append(line: entry.jsonLine())
    }

    // MARK: - Batches

    func beginBatchIfNeeded() throws(EngineError) {
        if batchFirstLSN == nil { batchFirstLSN = nextLSN }
    }

    func append(_ record: EngineRecord) throws(EngineError) {
        writer.buffer.removeAll(keepingCapacity: true)
        record.encode(into: &writer)
        if let logWriter {
            logWriter.append(writer.buffer)
            return
        }
        do {
            try log.append(writer.buffer)
        } catch {
            throw EngineError(.io, "cannot append to the event log", underlying: error)
        }
    }

    /// The highest line or offset of `source` whose event is in the log, if any: where a
    /// re-read of the same input resumes (Kafka offsets, NDJSON lines).
    public func lastPosition(of source: String) -> UInt64? {
        sources.lastPosition(of: source)
    }

    /// Notes a sealed event record of `subject`, unless the log writer's thread runs: it notes
    /// each one itself once it has appended it.
    func noteRecord(_ lsn: UInt64, of subject: UInt64) {
        guard logWriter == nil else { return }
        subjectRecords.append(lsn, of: subject)
    }

    func sourceID(for name: String) throws(EngineError) -> UInt64 {
        if let id = sources.id(of: name) { return id }
        let id = sources.nextID
        sources.name(id, name)
        try append(.source(id: id, name: name))
        try stage(.source(id: id, name: name))
        return id
    }

    /// Makes the open batch durable (keys, then log); then does what its steps left to do:
    /// snapshots to the store, the outbox, destroying the keys of erased subjects, dead letters.
    public func commit() throws(EngineError) {
        try commitBatch()
    }

    /// Commits the open batch, its fsync overlapped with what the caller does next when it can
    /// (``commitBatch(overlapping:)``). Returns whether the batch is durable already; when not,
    /// it is once the next commit (of either kind) returns. The batch before it is durable now.
    public func commitOverlapped() throws(EngineError) -> Bool {
        try commitBatch(overlapping: true)
        return inflight == nil
    }

    /// Appends and applies a month close for every month the watermark has passed, right after
    /// the event that moved it, as a replay will see it.
    func closeReadyMonths() throws(EngineError) {
        // The watermark first: with it as the argument, `scoring` was copied before the getter ran.
        let watermark = effectiveWatermark
        for m in scoringState.monthsReadyToClose(watermark: watermark) {
            try appendControl(.monthClose(month: m, modelVersion: model.modelVersion))
        }
    }

    /// The end of a batch input (a file, a replay): closes every month whose end is at or before
    /// the largest event time seen (SCORING.md section 5).
    public func endOfInput() throws(EngineError) {
        for m in scoringState.monthsToCloseAtEndOfInput() {
            try appendControl(.monthClose(month: m, modelVersion: model.modelVersion))
        }
        try commitBatch()
    }

    /// Recomputes a closed month from the current state as a new revision (an operator's
    /// restatement), recorded in the log so replay does the same.
    public func restate(_ month: Month) throws(EngineError) {
        guard scoringState.isClosed(month) else {
            throw EngineError(.input, "month \(month) is not closed; only a closed month can be restated")
        }
        try commit()
        try appendControl(.restatement(month: month, modelVersion: model.modelVersion))
        try commitBatch()
    }

    func appendControl(_ record: EngineRecord) throws(EngineError) {
        try beginBatchIfNeeded()
        try append(record)
        switch record {
        case .monthClose(let m, let v): try stage(.close(m, v))
        case .restatement(let m, let v): try stage(.restate(m, v))
        case .promotion(let json): try stage(.promote(try Self.promotedModel(json), json: json))
        default: break
        }
    }

    /// Adds a step to the open batch and applies it to the state at once.
    func stage(_ step: Step) throws(EngineError) {
        batchSteps += 1
        try apply(step)
    }

    /// Adds an event to the open batch and applies it to the user in `slot` at once: what
    /// ``stage(_:)`` does for the other records, without a ``Step``.
    @inline(__always)
    func stageEvent(_ event: Event, slot: Int) {
        batchSteps += 1
        applyEvent(event, slot: slot)
    }

    /// Makes the open batch durable, then does what its steps left to do.
    ///
    /// `overlapping`: the batch's fsync may run beside the next batch. Its commit record is
    /// handed to the log writer, and its effects (snapshots, outbox lines, dead letters) are done
    /// at the next commit, once the writer has answered; until then they wait in ``inflight``.
    /// The state goes on at once, as it always did: a batch is applied before it is durable. A
    /// batch after which a checkpoint is due commits in full: a checkpoint must not run ahead of
    /// the durable log. A batch that erases a user overlaps too: its erasure's effects (the store,
    /// the outbox, the dead letters, the old key) wait like any other, and remove the user's dead
    /// letters from the batch's own and earlier ones only, as a commit in full would have.
    func commitBatch(overlapping: Bool = false) throws(EngineError) {
        guard let first = batchFirstLSN else {
            try completeInflight()
            flushSideFiles()
            try settleEffects()
            return
        }
        // The batch's new keys are durable before its commit record: the log writer fsyncs them
        // just before it appends the record, off this thread (878 fsyncs, 0.9 s of the r30k
        // ingest); without a writer, this thread does it after appending the record.
        do throws(KeyStoreError) {
            if let logWriter, let pending = try keys.writeForDeferredSync() { logWriter.syncKeys(pending) }
        } catch {
            throw EngineError(.keys, "cannot make new subject keys durable", underlying: error)
        }
        try append(.commit(firstLSN: first))
        if logWriter == nil {
            do {
                try keys.sync()
            } catch {
                throw EngineError(.keys, "cannot make new subject keys durable", underlying: error)
            }
        }
        if overlapping, let logWriter, !checkpointIsDue {
            let reply = logWriter.requestSync()
            // The batch before, whose commit was asked for first: its dead letters leave the
            // buffer, so what is pending then is this batch's.
            try completeInflight()
            inflight = InflightBatch(
                reply: reply, effects: effects, deadLetterBytes: deadLetters.pendingBytes, firstLSN: first,
                endLSN: nextLSN, erasedSubjects: erasedSubjectLists)
            erasedSubjectLists.removeAll()
            effects = []
            batchSteps = 0
            batchEvents.removeAll()
            batchFirstLSN = nil
            pruneDedup()
            return
        }
        try completeInflight()
        if let logWriter {
            try logWriter.sync()
            logWriter.release(before: nextLSN)
        } else {
            do {
                try log.commit()
            } catch {
                throw EngineError(.io, "cannot commit the event log", underlying: error)
            }
        }
        // The writer is idle: the erased subjects' lists hold all they ever will.
        subjectRecords.drop(erasedSubjectLists)
        erasedSubjectLists.removeAll()
        batchSteps = 0
        batchEvents.removeAll()
        batchFirstLSN = nil
        try performEffects()
        outbox.nextPosition = nextLSN
        flushSideFiles()
        pruneDedup()
        try settleEffects()
        try checkpointIfDue()
    }

    /// Waits for the overlapped batch to be durable, then does what its steps left to do, as
    /// ``commitBatch(overlapping:)`` would have done at once: its effects, the outbox position,
    /// and its dead letters (not those of the batch after it).
    func completeInflight() throws(EngineError) {
        guard let batch = inflight else { return }
        inflight = nil
        try batch.reply.wait()
        logWriter?.release(before: batch.endLSN)
        // The writer has noted every record of the batch: its erased subjects' lists are whole.
        subjectRecords.drop(batch.erasedSubjects)
        completingDeadLetterBytes = batch.deadLetterBytes
        defer { completingDeadLetterBytes = nil }
        try perform(batch.effects)
        outbox.nextPosition = batch.endLSN
        flushSideFiles(deadLetterBytes: completingDeadLetterBytes)
    }

    /// Hands the pending dead letters (their first `deadLetterBytes`, if given) and outbox lines
    /// to the effects writer, to write and fsync beside the next batch.
    func flushSideFiles(deadLetterBytes: Int? = nil) {
        let durable = configuration.log.durability.syncs
        if deadLetters.hasPending {
            effectsWriter.append(
                .deadLetters, lines: deadLetters.take(prefix: deadLetterBytes, spare: effectsWriter.spareLines()),
                durable: durable)
        }
        outbox.flush(durable: durable)
    }

    func pruneDedup() {
        intake.prune(maxSeen: scoringState.maxSeen)
    }

    /// Syncs and closes the log, keys and side files.
    public func close() throws(EngineError) {
        try commit()
        try checkpointWriter.wait()
        // A clean stop leaves a checkpoint at the end of the log: the next start replays nothing.
        if eventsSinceCheckpoint > 0 || checkpoints.entries().last?.lsn != nextLSN { try writeCheckpoint() }
        checkpointWriter.keepsBuffer(false)
        if let stage = logWriter {
            logWriter = nil
            try stage.stop()
        }
        do {
            try log.close()
        } catch {
            throw EngineError(.io, "cannot close the event log", underlying: error)
        }
        do {
            try keys.close()
        } catch {
            throw EngineError(.keys, "cannot close the key store", underlying: error)
        }
        effectsWriter.stop()
    }
}
