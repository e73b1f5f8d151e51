import CredenceCore

extension Engine {
    /// A durable record in the form the state needs: what live intake keeps in memory for its
    /// batch, and what replay decodes from the log.
    enum Step {
        /// A readable event.
        case event(EngineRecord.EventHeader, Event)
        /// An event whose key is gone, or that was erased on arrival: only its time counts (month range).
        case tombstone(EngineRecord.EventHeader)
        /// `userID` moved to `cut`; `survivors` are their events after it.
        case erasure(userID: String, cut: Instant, oldSubject: UInt64, newSubject: UInt64, survivors: [Event])
        /// An erasure whose new key is gone as well (a later erasure): nothing to rebuild.
        case unreadableErasure(oldSubject: UInt64)
        case close(Month, String)
        case restate(Month, String)
        case source(id: UInt64, name: String)
    }

    /// Applies one durable step to the state and, unless replaying what an earlier run already
    /// wrote, to the snapshot store and the outbox.
    func apply(_ step: Step, lsn: UInt64 = .max) throws(EngineError) {
        let sideEffects = lsn == .max || lsn >= replayingUpTo
        switch step {
        case .event(_, let event):
            if scoring.isClosed(Month(containing: event.occurredAt, offset: configuration.scoring.offset)) {
                counters.late += 1
            }
            // A withdrawal answers `.rebuildRequired`; its erasure step follows in the same batch.
            _ = scoring.accept(event)
        case .tombstone(let header):
            scoring.observe(header.occurredAt)
        case .erasure(let userID, let cut, let oldSubject, _, let survivors):
            let change = scoring.rebuild(userID: userID, erasureCut: cut, survivors: survivors)
            counters.erasures += 1
            if !pendingDestroy.contains(oldSubject), keys.key(for: oldSubject) != nil {
                pendingDestroy.append(oldSubject)
            }
            // The store is idempotent, so it is brought up to date even while replaying.
            do {
                _ = try store.deleteUser(userID)
            } catch {
                throw EngineError(.snapshots, "cannot remove an erased user from the snapshot store", underlying: error)
            }
            if sideEffects { outbox.append(change, offset: configuration.scoring.offset) }
        case .unreadableErasure(let oldSubject):
            if !pendingDestroy.contains(oldSubject), keys.key(for: oldSubject) != nil {
                pendingDestroy.append(oldSubject)
            }
        case .close(let month, _):
            let (snapshot, changes) = scoring.close(month, model: model)
            counters.monthsClosed += 1
            try writeSnapshot(snapshot, revision: 0)
            if sideEffects {
                for c in changes { outbox.append(.changed(c), offset: configuration.scoring.offset) }
            }
            scoring.compact()
        case .restate(let month, _):
            let (snapshot, _) = scoring.close(month, model: model)
            let revision = (restatements[month] ?? 0) + 1
            restatements[month] = revision
            try writeSnapshot(snapshot, revision: revision)
        case .source(let id, let name):
            sourceIDs[name] = id
            sourceNames[id] = name
        }
    }

    /// Writes a snapshot revision unless the store has it already (a restart replaying the log).
    func writeSnapshot(_ snapshot: Snapshot, revision: Int) throws(EngineError) {
        do {
            if try store.exists(month: snapshot.month, modelVersion: snapshot.modelVersion, revision: revision) { return }
            try store.write(snapshot, revision: revision)
        } catch {
            throw EngineError(.snapshots, "cannot store the snapshot of \(snapshot.month)", underlying: error)
        }
    }
}
