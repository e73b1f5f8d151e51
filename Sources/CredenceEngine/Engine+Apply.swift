import CredenceCore
import Shredding

extension Engine {
    /// A durable record other than an event, in the form the state needs: what live intake
    /// stages in its batch, and what replay decodes from the log. Events take paths of their own
    /// without a step: ``Engine/stageEvent(_:slot:)`` live, ``applyEvent(_:bytes:slot:)`` in a
    /// replay (a step holding the event, 193 bytes, was built, copied and switched over for
    /// every event, its strings retained and released).
    enum Step {
        /// An event whose key is gone, or that was erased on arrival: only its time counts (month range).
        case tombstone(EngineRecord.EventHeader)
        /// `userID` moved to `cut`; `survivors` are their events after it.
        case erasure(userID: String, cut: Instant, oldSubject: UInt64, newSubject: UInt64, survivors: [Event])
        /// An erasure whose new key is gone as well (a later erasure): nothing to rebuild.
        case unreadableErasure(oldSubject: UInt64)
        case close(Month, String)
        case restate(Month, String)
        case source(id: UInt64, name: String)
        /// A model became the live one (a promotion record), with the JSON it was read from.
        case promote(Scorecard, json: [UInt8])
    }

    /// What a step does outside the state, done once its batch is durable.
    enum Effect {
        case snapshot(Snapshot, revision: Int)
        /// `through`: the last month closed when the erasure happened; later ones are not touched.
        case erase(userID: String, oldSubject: UInt64, change: ScoreChange, through: Month?, lsn: UInt64)
        case changes([ScoreChanged], lsn: UInt64)
    }

    /// Applies one step to the state and queues its effects on the store, keys and outbox.
    ///
    /// - Parameters:
    /// - Parameter lsn: the record's position when replaying; the outbox skips what an earlier run
    ///   already wrote. Live steps pass `.max`.
    func apply(_ step: Step, lsn: UInt64 = .max) throws(EngineError) {
        switch step {
        case .tombstone(let header):
            applyTombstone(at: header.occurredAt)
        case .erasure(let userID, let cut, let oldSubject, _, let survivors):
            let change =
                if let shardAppliers {
                    rebuildOnShard(userID: userID, cut: cut, survivors: survivors, shardAppliers)
                } else {
                    scoringState.rebuild(userID: userID, erasureCut: cut, survivors: survivors)
                }
            counters.erasures += 1
            effects.append(
                .erase(
                    userID: userID, oldSubject: oldSubject, change: change, through: scoringState.closedMonths.last,
                    lsn: lsn
                ))
        case .unreadableErasure(let oldSubject):
            destroyLater(oldSubject)
        case .close(let month, _):
            settleShards()
            let (snapshot, changes) = scoringState.close(month, model: model)
            counters.monthsClosed += 1
            effects.append(.snapshot(snapshot, revision: 0))
            for shadow in shadowSnapshots(of: snapshot) { effects.append(.snapshot(shadow, revision: 0)) }
            effects.append(.changes(changes, lsn: lsn))
            scoringState.compact()
        case .restate(let month, _):
            settleShards()
            let (snapshot, _) = scoringState.close(month, model: model)
            let revision = (restatements[month] ?? 0) + 1
            restatements[month] = revision
            effects.append(.snapshot(snapshot, revision: revision))
            for shadow in shadowSnapshots(of: snapshot) { effects.append(.snapshot(shadow, revision: revision)) }
        case .source(let id, let name):
            sources.name(id, name)
        case .promote(let model, let json):
            promotedModel = model
            promotedModelJSON = json
        }
    }

    /// ``apply(_:lsn:)`` of a `.tombstone` step: an event that is not applied still counts
    /// towards the next checkpoint and moves the watermark.
    @inline(__always)
    func applyTombstone(at occurredAt: Instant) {
        eventsSinceCheckpoint += 1
        scoringState.observe(occurredAt)
    }

    /// Counts an event about to be applied towards the next checkpoint, and as late when its
    /// month is closed already.
    @inline(__always)
    private func countEvent(at occurredAt: Instant) {
        eventsSinceCheckpoint += 1
        if scoringState.isClosed(monthOf: occurredAt) {
            counters.late += 1
        }
    }

    /// ``applyEvent(_:slot:)`` of a replayed event, given as what the scoring reads of it, its
    /// spans in `bytes` (``ReplayStage/Chunk/plaintext``).
    @inline(__always)
    func applyEvent(_ event: ScoredEvent, bytes: UnsafeRawPointer, slot: Int) {
        countEvent(at: event.occurredAt)
        if let shardAppliers {
            applyOnShard(Event(event, in: bytes), slot: slot, shardAppliers)
        } else {
            _ = scoringState.accept(event, bytes: bytes, atSlot: slot)
        }
    }

    /// Applies a live event to the user in `slot` (``Engine/stageEvent(_:slot:)``).
    @inline(__always)
    func applyEvent(_ event: Event, slot: Int) {
        countEvent(at: event.occurredAt)
        // A withdrawal answers `.rebuildRequired`; its erasure step follows in the same batch.
        if let shardAppliers {
            applyOnShard(event, slot: slot, shardAppliers)
        } else {
            _ = scoringState.accept(event, atSlot: slot)
        }
    }

    /// Hands an event to its user's shard's thread (the watermark moves here). Out of line, so
    /// that ``applyEvent(_:slot:)`` stays as small as it was with one shard where it is inlined.
    @inline(never)
    func applyOnShard(_ event: Event, slot: Int, _ appliers: ShardAppliers) {
        scoringState.observe(event.occurredAt)
        appliers.apply(event, slot: slot, in: &scoringState)
    }

    /// An erasure's rebuild with the shards lent: the rebuilt state goes to the user's shard,
    /// after their events before it, so nothing waits for the shards.
    @inline(never)
    func rebuildOnShard(userID: String, cut: Instant, survivors: [Event], _ appliers: ShardAppliers) -> ScoreChange {
        let slot = scoringState.slot(for: userID)
        let state = scoringState.rebuiltState(userID: userID, erasureCut: cut, survivors: survivors)
        appliers.replace(slot: slot, with: state, in: &scoringState)
        return scoringState.noteRebuild(userID: userID, erasureCut: cut, atSlot: slot)
    }

    /// Waits until the shards' threads have applied every event handed to them and takes their
    /// states back (``ShardAppliers/settle(_:)``): before anything reads a user's state.
    /// Changes nothing when no shard is lent (a reader beside others may call it then).
    func settleShards() {
        if let shardAppliers, shardAppliers.isLent { shardAppliers.settle(&scoringState) }
    }

    /// A committed batch whose fsync is still running (``commitBatch(overlapping:)``).
    struct InflightBatch {
        /// The log writer's answer to the batch's commit.
        let reply: LogWriterStage.Reply
        let effects: [Effect]
        /// The dead-letter bytes pending at the batch's end: the batch's own, flushed with it.
        let deadLetterBytes: Int
        /// The batch's first LSN: every record before it is durable and in its subject's list.
        let firstLSN: UInt64
        /// The LSN after the batch's commit record.
        let endLSN: UInt64
        /// The subjects the batch erased, whose record lists go once it is durable.
        let erasedSubjects: [UInt64]
    }

    /// Does the queued effects, in order: the store is idempotent, so it is brought up to date
    /// even while replaying; the outbox skips what an earlier run wrote; erased subjects' keys go last.
    func performEffects() throws(EngineError) {
        try perform(effects)
        effects.removeAll(keepingCapacity: true)
    }

    /// Does what applied steps left to do outside the state. What goes to files (months to
    /// store, erased users to remove from them, outbox lines and dead letters) is handed to
    /// ``effectsWriter``, which writes it beside the engine; an erased subject's key goes only
    /// once the writer has removed the user (``destroyErasedKeys(all:)``). The engine does not
    /// wait for the writer here: it throws a failure the writer met, and destroys the keys whose
    /// users the writer has removed meanwhile.
    func perform(_ effects: [Effect]) throws(EngineError) {
        try effectsWriter.throwIfFailed()
        try destroyErasedKeys(all: false)
        let offset = configuration.scoring.offset
        for effect in effects {
            switch effect {
            case .snapshot(let snapshot, let revision):
                effectsWriter.write(snapshot, revision: revision)
            case .erase(let userID, let oldSubject, let change, let through, let lsn):
                // Only the months closed at the erasure: a replay that meets it again (a restart)
                // leaves later months alone, where a re-enrolled user is scored again.
                if let through { effectsWriter.deleteUser(userID, through: through) }
                if lsn >= replayingUpTo { try announceErasure(of: userID, change, offset: offset) }
                // Checkpoints written before the erasure hold the user in clear: gone before the
                // key is, the one still being written included.
                checkpointWriter.settle()
                checkpoints.removeAll(before: lsn)
                destroyLater(oldSubject)
            case .changes(let changes, let lsn):
                if lsn >= replayingUpTo { for c in changes { outbox.append(.changed(c), offset: offset) } }
            }
        }
        if !pendingDestroy.isEmpty {
            let ticket = effectsWriter.ticket
            keysAwaitingStore += pendingDestroy.map { ($0, ticket) }
            pendingDestroy.removeAll()
        }
    }

    /// Waits for the effects handed over so far (throwing the first failure), then destroys the
    /// keys of the users they erased.
    func settleEffects() throws(EngineError) {
        try effectsWriter.wait()
        try destroyErasedKeys(all: true)
    }

    /// Destroys the keys of erased users that the effects writer has removed: all of them after a
    /// ``EffectsWriter/wait()`` (`all`), else those whose ticket it has passed.
    func destroyErasedKeys(all: Bool) throws(EngineError) {
        guard let first = keysAwaitingStore.first, all || effectsWriter.isDone(first.ticket) else { return }
        let removed = all ? keysAwaitingStore.count : keysAwaitingStore.prefix { effectsWriter.isDone($0.ticket) }.count
        do {
            try keys.destroy(keysAwaitingStore[..<removed].map { SubjectID($0.subject) })
        } catch {
            throw EngineError(.keys, "cannot destroy the keys of erased users", underlying: error)
        }
        keysAwaitingStore.removeFirst(removed)
    }

    /// Queues a subject's key for destruction after the batch, unless it is gone already.
    func destroyLater(_ subject: UInt64) {
        if keys.key(for: SubjectID(subject)) != nil { pendingDestroy.append(subject) }
    }
}
