import CredenceCore
import EventLog
import Shredding

extension Engine {
    /// The user's current subject, creating one (a new key) for a user seen for the first time.
    func subject(for userID: String) throws(EngineError) -> UInt64 {
        if let s = subjects[userID] { return s }
        let s = try newSubject()
        subjects[userID] = s
        return s
    }

    func newSubject() throws(EngineError) -> UInt64 {
        do {
            return try keys.createKey().rawValue
        } catch {
            throw EngineError(.keys, "cannot create a subject key", underlying: error)
        }
    }

    /// Encrypts the event's binary form under the subject's key; the nonce is the record's LSN,
    /// which is never reused.
    func seal(_ event: Event, subject: UInt64, lsn: UInt64) throws(EngineError) -> [UInt8] {
        guard let key = keys.key(for: SubjectID(subject)) else {
            throw EngineError(.keys, "the key of subject \(subject) is missing")
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(128)
        EventCodec.encode(event, into: &bytes)
        ChaCha20.xor(key: key, nonce: ChaCha20.Nonce(lsn: lsn), &bytes)
        return bytes
    }

    func seal(bytes: [UInt8], subject: UInt64, lsn: UInt64) throws(EngineError) -> [UInt8] {
        guard let key = keys.key(for: SubjectID(subject)) else {
            throw EngineError(.keys, "the key of subject \(subject) is missing")
        }
        var out = bytes
        ChaCha20.xor(key: key, nonce: ChaCha20.Nonce(lsn: lsn), &out)
        return out
    }

    /// Decrypts an event, or `nil` when its subject's key was destroyed (erased).
    func unseal(_ sealed: [UInt8], subject: UInt64, lsn: UInt64) throws(EngineError) -> Event? {
        do {
            return try sealed.withUnsafeBytes { try unseal($0, subject: subject, lsn: lsn) }
        } catch let error as EngineError {
            throw error
        } catch {
            throw EngineError(.corruptLog, "record \(lsn) cannot be decrypted (\(error))")
        }
    }

    /// Decrypts an event in a reused buffer, or `nil` when its subject's key was destroyed (erased).
    func unseal(_ sealed: UnsafeRawBufferPointer, subject: UInt64, lsn: UInt64) throws(EngineError) -> Event? {
        guard let key = keys.key(for: SubjectID(subject)) else { return nil }
        scratch.removeAll(keepingCapacity: true)
        ChaCha20.xor(key: key, nonce: ChaCha20.Nonce(lsn: lsn), sealed, appendingTo: &scratch)
        do {
            return try scratch.withUnsafeBytes { try EventCodec.decode($0) }
        } catch {
            throw EngineError(
                .corruptLog, "record \(lsn) does not decode under its subject key (\(error)); run `credence log verify`"
            )
        }
    }

    func unsealUserID(_ sealed: [UInt8], subject: UInt64, lsn: UInt64) -> String? {
        guard let key = keys.key(for: SubjectID(subject)) else { return nil }
        var bytes = sealed
        ChaCha20.xor(key: key, nonce: ChaCha20.Nonce(lsn: lsn), &bytes)
        return String(validating: bytes, as: UTF8.self)
    }

    /// Moves a user to a new subject after a withdrawal at `cut`: the user's events after the
    /// cut are appended again under the new key (re-keyed copies), after an erasure record; the
    /// old key is destroyed once the batch is durable, which makes every earlier record of the
    /// user unreadable (crypto-shredding) without rewriting the log.
    func beginErasure(userID: String, cut: Instant, oldSubject: UInt64) throws(EngineError) {
        var survivors: [(EngineRecord.EventHeader, Event)] = []
        // Durable records of the old subject, from their LSNs: one cursor moves forward through
        // them and seeks again only across a wide gap.
        let committed = takeRecords(of: oldSubject).filter { $0 < log.committedEnd }
        if !committed.isEmpty {
            do {
                var small = log.configuration
                small.readChunkSize = 64 << 10
                let reader = try EventLogReader(
                    directory: log.directory, configuration: small, watermark: log.commitWatermark)
                var cursor: EventLogCursor? = nil
                for lsn in committed.sorted() {
                    if cursor == nil || cursor!.nextLSN > lsn || lsn - cursor!.nextLSN > 512 {
                        cursor = try reader.records(from: lsn)
                    }
                    while let found = try cursor!.next({ at, payload -> (EngineRecord.EventHeader, [UInt8])? in
                        guard at == lsn, let (h, sealed) = try EngineRecord.decodeEvent(payload) else { return nil }
                        return (h, Array(sealed))
                    }) {
                        if let (h, sealed) = found {
                            if h.subject == oldSubject, h.occurredAt > cut,
                                let e = try unseal(sealed, subject: oldSubject, lsn: lsn)
                            {
                                survivors.append((h, e))
                            }
                            break
                        }
                        if cursor!.nextLSN > lsn { break }
                    }
                }
            } catch let e as EngineError {
                throw e
            } catch {
                throw EngineError(.io, "cannot read the event log to erase a user", underlying: error)
            }
        }
        // Records of the old subject still in this batch.
        for step in pending {
            if case .event(let h, let e) = step, h.subject == oldSubject, h.occurredAt > cut {
                survivors.append((h, e))
            }
        }
        let newSubject = try newSubject()
        let markerLSN = log.nextLSN
        let sealedUser = try seal(bytes: Array(userID.utf8), subject: newSubject, lsn: markerLSN)
        try append(
            .erasure(
                EngineRecord.Erasure(
                    newSubject: newSubject, oldSubject: oldSubject, cut: cut, copies: UInt64(survivors.count),
                    sealedUserID: sealedUser)))
        for (header, event) in survivors {
            var h = header
            h.isCopy = true
            h.subject = newSubject
            let sealed = try seal(event, subject: newSubject, lsn: log.nextLSN)
            try append(.event(h, sealed: sealed))
        }
        try stage(
            .erasure(
                userID: userID, cut: cut, oldSubject: oldSubject, newSubject: newSubject,
                survivors: survivors.map(\.1)))
        subjects[userID] = newSubject
    }
}

extension Engine {
    /// Queues the `score.deleted` of an erasure and removes what the data directory still holds of
    /// the user outside the log: their `score.changed` lines in the outbox (delivered or not) and
    /// their dead letters (raw input that names them). See docs/privacy.md.
    func announceErasure(of userID: String, _ change: ScoreChange, offset: UTCOffset) throws(EngineError) {
        try outbox.removeScores(of: userID)
        _ = try deadLetters.removeLines(of: userID, user: DeadLetter.userID(ofLine:))
        outbox.append(change, offset: offset)
    }
}
