import CredenceCore
import EventLog
import Shredding

extension Engine {
    /// The user's current subject, creating one (a new key) for a user seen for the first time.
    /// `slot`: the user's slot in `scoring` when the caller has looked it up.
    func subject(for userID: String, slot known: Int? = nil) throws(EngineError) -> UInt64 {
        let slot = known ?? scoringState.slot(for: userID)
        if let s = subject(atSlot: slot) { return s }
        let s = try newSubject()
        setSubject(s, atSlot: slot)
        return s
    }

    /// The subject of the user in `slot`, if they have one.
    func subject(atSlot slot: Int) -> UInt64? {
        subjectSlots.subject(atSlot: slot)
    }

    func setSubject(_ subject: UInt64, atSlot slot: Int) {
        subjectSlots.set(subject, atSlot: slot)
    }

    func setSubject(_ subject: UInt64, of userID: String) {
        setSubject(subject, atSlot: scoringState.slot(for: userID))
    }

    func newSubject() throws(EngineError) -> UInt64 {
        do {
            return try keys.createKey().rawValue
        } catch {
            throw EngineError(.keys, "cannot create a subject key", underlying: error)
        }
    }

    /// Seals the event's binary form under the subject's key (ChaCha20-Poly1305: ciphertext,
    /// then a 16-byte tag); the nonce is the record's LSN (see `RecordNonce` for why it never
    /// repeats under one key).
    ///
    /// Appends the event record at the log's next LSN, the sealed body written straight into the
    /// record buffer after its header: no array per event. `plaintext` is the event's
    /// ``EventCodec`` encoding when a decoding stage made it already (``PreparedEvent``).
    func appendSealed(
        _ header: EngineRecord.EventHeader, _ event: Event, plaintext: UnsafeRawBufferPointer? = nil
    ) throws(EngineError) {
        guard let key = keys.key(for: SubjectID(header.subject)) else {
            throw EngineError(.keys, "the key of subject \(header.subject) is missing")
        }
        if let plaintext {
            try appendSealed(header, plaintext, key: key)
        } else {
            scratch.removeAll(keepingCapacity: true)
            EventCodec.encode(event, into: &scratch)
            try scratch.withUnsafeBufferPointer { (p) throws(EngineError) in
                try appendSealed(header, UnsafeRawBufferPointer(p), key: key)
            }
        }
    }

    private func appendSealed(_ header: EngineRecord.EventHeader, _ plaintext: UnsafeRawBufferPointer, key: SubjectKey)
        throws(EngineError)
    {
        if let logWriter = unretainedLogWriter {
            logWriter._withUnsafeGuaranteedRef { $0.appendSealed(header, plaintext: plaintext, key: key) }
            return
        }
        batchEvents.append(header, plaintext: plaintext)
        writer.buffer.removeAll(keepingCapacity: true)
        EngineRecord.encodeEventHead(
            header, sealedCount: plaintext.count + SealedRecord.tagByteCount, into: &writer)
        let lsn = log.nextLSN
        key.seal(plaintext, nonce: RecordNonce(lsn: lsn), appendingTo: &writer.buffer)
        do {
            try log.append(writer.buffer)
        } catch {
            throw EngineError(.io, "cannot append to the event log", underlying: error)
        }
    }

    /// Seals the user id of an erasure marker (its own nonce purpose).
    func seal(bytes: [UInt8], subject: UInt64, lsn: UInt64) throws(EngineError) -> [UInt8] {
        guard let key = keys.key(for: SubjectID(subject)) else {
            throw EngineError(.keys, "the key of subject \(subject) is missing")
        }
        return key.seal(bytes, nonce: RecordNonce(lsn: lsn, purpose: .userID))
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
        try Self.unseal(sealed, key: keys.key(for: SubjectID(subject)), lsn: lsn, scratch: &scratch)
    }

    /// Decrypts an event under `key` (`nil`: destroyed, so the event is unreadable) in `scratch`,
    /// every field decoded (a replay's stage opens only what the scoring reads: ``unsealScored(_:key:lsn:into:)``).
    static func unseal(
        _ sealed: UnsafeRawBufferPointer, key: SubjectKey?, lsn: UInt64, scratch: inout [UInt8]
    ) throws(EngineError) -> Event? {
        guard let key else { return nil }
        scratch.removeAll(keepingCapacity: true)
        try open(sealed, key: key, lsn: lsn, appendingTo: &scratch)
        do {
            return try scratch.withUnsafeBytes { try EventCodec.decode($0) }
        } catch {
            throw undecodable(lsn, error)
        }
    }

    /// What the scoring reads of an event (``EventCodec/decodeScored(_:origin:)``), decrypted
    /// under `key` (`nil`: destroyed, so the event is unreadable) onto the end of `plaintext`,
    /// which its spans count from. A replay's: nothing that writes or shows the event may use it.
    static func unsealScored(
        _ sealed: UnsafeRawBufferPointer, key: SubjectKey?, lsn: UInt64, into plaintext: inout [UInt8]
    ) throws(EngineError) -> ScoredEvent? {
        guard let key else { return nil }
        let origin = plaintext.count
        try open(sealed, key: key, lsn: lsn, appendingTo: &plaintext)
        do {
            return try plaintext.withUnsafeBytes {
                try EventCodec.decodeScored(UnsafeRawBufferPointer(rebasing: $0[origin...]), origin: origin)
            }
        } catch {
            throw undecodable(lsn, error)
        }
    }

    private static func open(
        _ sealed: UnsafeRawBufferPointer, key: SubjectKey, lsn: UInt64, appendingTo plaintext: inout [UInt8]
    ) throws(EngineError) {
        do {
            try key.open(sealed, nonce: RecordNonce(lsn: lsn), appendingTo: &plaintext)
        } catch {
            throw Self.unauthentic(lsn, error)
        }
    }

    private static func undecodable(_ lsn: UInt64, _ error: any Error) -> EngineError {
        EngineError(
            .corruptLog, "record \(lsn) does not decode under its subject key (\(error)); run `credence log verify`")
    }

    /// The user id of an erasure marker under `key`, or `nil` when the key was destroyed (a later erasure).
    static func unsealUserID(_ sealed: [UInt8], key: SubjectKey?, lsn: UInt64) throws(EngineError) -> String? {
        guard let key else { return nil }
        let bytes: [UInt8]
        do {
            bytes = try key.open(sealed, nonce: RecordNonce(lsn: lsn, purpose: .userID))
        } catch {
            throw Self.unauthentic(lsn, error)
        }
        guard let user = String(validating: bytes, as: UTF8.self) else {
            throw EngineError(.corruptLog, "the erasure record \(lsn) holds a user id that is not UTF-8")
        }
        return user
    }

    /// A sealed record whose tag does not match: altered or damaged after it was written.
    static func unauthentic(_ lsn: UInt64, _ error: SealError) -> EngineError {
        EngineError(
            .corruptLog,
            "record \(lsn) fails authentication under its subject key (ChaCha20-Poly1305): its bytes were altered "
                + "or damaged after they were written; run `credence log verify` and restore the data directory "
                + "from a backup")
    }

    /// The cursor erasures read the log's committed records through, made on the first and kept:
    /// it keeps its segment open and each segment's index loaded (the log only grows while the
    /// engine has it; recovery, which truncates, runs before). Its reads are small, 16 KiB: a
    /// point read walks from the index entry before its record (16 KiB apart at most since
    /// session 36, 64 KiB before), and a 64 KiB read per record, with a CRC-32C of every record
    /// passed, was most of an erasure's time.
    func erasureCursor() throws -> EventLogCursor {
        if let erasureReads { return erasureReads }
        var small = log.configuration
        small.readChunkSize = 16 << 10
        let reader = try EventLogReader(directory: log.directory, configuration: small, watermark: log.commitWatermark)
        let cursor = try reader.records(from: log.committedEnd)
        erasureReads = cursor
        return cursor
    }

    /// Moves a user to a new subject after a withdrawal at `cut`: the user's events after the
    /// cut are appended again under the new key (re-keyed copies), after an erasure record; the
    /// old key is destroyed once the batch is durable, which makes every earlier record of the
    /// user unreadable (crypto-shredding) without rewriting the log.
    func beginErasure(userID: String, cut: Instant, oldSubject: UInt64) throws(EngineError) {
        var survivors: [(EngineRecord.EventHeader, Event)] = []
        // The old subject's durable records. With the log writer running, the batch before this
        // one may still be in flight: every record before it is committed and noted in its
        // subject's list (the batch before it completed when it was handed over), and its own
        // records and this batch's are in the writer's chunks the engine keeps until they are
        // durable (below; without the writer, this batch's are in `batchEvents`). The
        // writer may still be appending and committing them, and the committed records are read
        // beside it, as any reader of the log may (it reads up to the commit watermark). So the
        // erasure waits neither for the writer to append all it holds (up to two batches, 13 ms
        // on average: 3.7 s of the r30k ingest's 460 erasures) nor for the batch in flight to be
        // durable (0.9 s of it). The list goes once the batch is durable, with or without the
        // writer.
        let durableEnd = inflight?.firstLSN ?? log.committedEnd
        let committed = subjectRecords.lsns(of: oldSubject).filter { $0 < durableEnd }
        erasedSubjectLists.append(oldSubject)
        // Durable records of the old subject, from their LSNs, through the engine's point-read
        // cursor (``erasureCursor()``): each a seek, which reads on when the record is close ahead.
        if !committed.isEmpty {
            do {
                let cursor = try erasureCursor()
                for lsn in committed.sorted() {
                    try cursor.seek(to: lsn)
                    let found = try cursor.next { at, payload -> (EngineRecord.EventHeader, [UInt8])? in
                        guard at == lsn, let (h, sealed) = try EngineRecord.decodeEvent(payload) else { return nil }
                        return (h, Array(sealed))
                    }
                    if let (h, sealed) = found ?? nil, h.subject == oldSubject, h.occurredAt > cut,
                        let e = try unseal(sealed, subject: oldSubject, lsn: lsn)
                    {
                        survivors.append((h, e))
                    }
                }
            } catch let e as EngineError {
                throw e
            } catch {
                throw EngineError(.io, "cannot read the event log to erase a user", underlying: error)
            }
        }
        // Records of the old subject still in this batch, in LSN order: its events and, when an
        // erasure earlier in the batch made the subject, the copies that erasure appended.
        // Without the copies, a second withdrawal in one batch dropped the events after both
        // cuts (`TwoWithdrawalsTests`).
        if let logWriter {
            for (header, plaintext) in try logWriter.eventRecords(of: oldSubject, from: durableEnd)
            where header.occurredAt > cut {
                survivors.append((header, try OpenBatchEvents.decode(plaintext)))
            }
        } else {
            survivors += try batchEvents.records(of: oldSubject, after: cut)
        }
        let newSubject = try newSubject()
        let markerLSN = nextLSN
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
            let lsn = nextLSN
            try appendSealed(h, event)
            // As replay indexes it: a later erasure of the same user must find the copies too.
            noteRecord(lsn, of: newSubject)
        }
        try stage(
            .erasure(
                userID: userID, cut: cut, oldSubject: oldSubject, newSubject: newSubject,
                survivors: survivors.map(\.1)))
        setSubject(newSubject, of: userID)
    }
}

extension Engine {
    /// Queues the `score.deleted` of an erasure and removes what the data directory still holds of
    /// the user outside the log: their `score.changed` lines in the outbox (delivered or not) and
    /// their dead letters (raw input that names them). See docs/privacy.md.
    func announceErasure(of userID: String, _ change: ScoreChange, offset: UTCOffset) throws(EngineError) {
        outbox.removeScores(of: userID)
        // Of the pending dead letters, only those of the batch being completed and before: when it
        // completes overlapped, the lines after them came with later batches, after the erasure.
        // The written ones go by the effects writer, after the lines handed to it before.
        _ = deadLetters.removeLines(
            of: userID, mentioning: nil, pendingPrefix: &completingDeadLetterBytes, user: DeadLetter.userID(ofLine:))
        effectsWriter.removeLines(.deadLetters, of: userID, user: DeadLetter.userID(ofLine:))
        outbox.append(change, offset: offset)
    }
}
