import CredenceCore
import EventLog

/// When the engine writes state checkpoints (see ``Checkpoints`` for the file format).
public struct CheckpointConfiguration: Sendable, Hashable {
    /// Whether to write and load checkpoints at all. Default: `true`.
    public var enabled = true
    /// Write one after this many events since the last, at the next batch boundary, so that a
    /// restart after a crash replays at most about this many events. `0`: only at a clean close.
    /// A large state stretches the interval to its size (users plus the ids in the duplicate
    /// window), so writing checkpoints costs at most about one entry per event.
    /// Default: 1,000,000.
    public var everyEvents = 1_000_000
    /// How many to keep: the newest and older ones to fall back on when it is damaged. Default: 2.
    public var keep = 2

    public init() {}
}

/// What a restart loaded.
public struct CheckpointLoad: Sendable, Hashable {
    /// The checkpoint file, or `nil` for a full replay.
    public var path: String?
    /// The LSN replay resumed at.
    public var lsn: UInt64 = 0
    public var seconds = 0.0
}

extension Engine {
    var checkpoints: Checkpoints {
        Checkpoints(
            directory: configuration.derived + "/checkpoints", fingerprint: settingsFingerprint,
            keep: max(configuration.checkpoints.keep, 1))
    }

    /// A stable hash of the settings that shape the state: a checkpoint written under other
    /// settings is not loaded. The shadow models count too: a shadow added later is filled in
    /// for the closed months by the full replay that follows (Engine+Models.swift).
    var settingsFingerprint: UInt64 {
        let s = configuration.scoring
        let shadows = configuration.shadowModels.map(\.modelVersion).sorted().joined(separator: ",")
        let text =
            "credence-state-v2|offset=\(s.offset.minutes)|lateness=\(s.allowedLatenessMilliseconds)"
            + "|currency=\(configuration.decoder.currency)|dedup=\(configuration.dedupWindowMilliseconds)"
            + "|model=\(configuration.model.modelVersion)|shadows=\(shadows)"
        return StableHash.of(text).high
    }

    /// Writes a checkpoint of the state as of the end of the log. Call at a batch boundary.
    public func writeCheckpoint() throws(EngineError) {
        guard configuration.checkpoints.enabled else { return }
        try commit()
        var writer = try checkpointWriter.startStream(checkpoints, lsn: nextLSN)
        encodeCheckpointBody(into: &writer, canonical: false)
        checkpointWriter.finish(&writer)
        try checkpointWriter.wait()
        eventsSinceCheckpoint = 0
    }

    /// Whether enough events went by since the last checkpoint for the next commit to write one.
    var checkpointIsDue: Bool {
        let every = configuration.checkpoints.everyEvents
        return configuration.checkpoints.enabled && every > 0
            && eventsSinceCheckpoint >= max(every, scoringState.userCount + intake.events.count)
    }

    /// Writes a checkpoint when ``checkpointIsDue``: the body here, the file beside the engine
    /// (``CheckpointWriter``) unless the engine runs on one thread.
    func checkpointIfDue() throws(EngineError) {
        guard checkpointIsDue else { return }
        // A checkpoint never runs ahead of the store: a restart replays only the log after it.
        try settleEffects()
        var writer = try checkpointWriter.startStream(checkpoints, lsn: nextLSN)
        encodeCheckpointBody(into: &writer, canonical: false)
        checkpointWriter.finish(&writer)
        // A one-thread engine does its work in turn: it waits for the file to be on disk.
        if !configuration.parallelDecode { try checkpointWriter.wait() }
        eventsSinceCheckpoint = 0
    }

    /// The whole state as bytes: the scoring state, then the intake indexes. `canonical` sorts
    /// the indexes, so equal states give equal bytes (for tests); a checkpoint file keeps them
    /// in table order, which decodes to the same state without sorting millions of ids.
    func encodeCheckpointBody(into w: inout ByteWriter, canonical: Bool) {
        settleShards()
        scoringState.encode(into: &w)
        // Duplicate check and obligation keys.
        intake.encode(into: &w, canonical: canonical)
        // Subjects: users in byte order (canonical) or slot order, each with their subject.
        let order = canonical ? scoringState.slotsInByteOrder : Array(0..<subjectSlots.bySlot.count)
        var written = 0
        for slot in order where subject(atSlot: slot) != nil { written += 1 }
        w.writeVarint(UInt64(written))
        for slot in order {
            guard let subject = subject(atSlot: slot) else { continue }
            w.writeString(scoringState.userID(atSlot: slot))
            w.writeVarint(subject)
            w.spillIfFull()
        }
        // Each subject's record LSNs, delta-coded.
        subjectRecords.encode(into: &w)
        // Sources, numbered 1, 2, ...
        sources.encode(into: &w)
        // Restatements, by month.
        let months = restatements.keys.sorted()
        w.writeVarint(UInt64(months.count))
        for m in months {
            w.writeZigZag(Int64(m.index))
            w.writeVarint(UInt64(restatements[m]!))
        }
        // The promoted model, as its record held it.
        if let json = promotedModelJSON {
            w.writeByte(1)
            w.writeLengthPrefixed(json)
        } else {
            w.writeByte(0)
        }
    }

    /// The state as a checkpoint holds it: equal states give equal bytes (for tests and tools).
    package func stateBytes() throws(EngineError) -> [UInt8] {
        try commit()
        var writer = ByteWriter()
        encodeCheckpointBody(into: &writer, canonical: true)
        return writer.bytes
    }

    /// Replaces the state with a checkpoint's body.
    func restoreCheckpointBody(_ body: [UInt8]) throws {
        try body.withUnsafeBytes { raw in
            var r = ByteReader(raw)
            let scoring = try ScoringState.decode(
                from: &r, configuration: configuration.scoring, shards: configuration.shards)
            let intake = try IntakeIndex.decode(from: &r, window: configuration.dedupWindowMilliseconds)
            let subjectCount = try r.readCount(atMost: r.remaining)
            var subjects = [UInt64](repeating: 0, count: scoring.userCount)
            for _ in 0..<subjectCount {
                let user = try r.readString()
                // Every user with a subject has a state (an accepted event or an erasure made both).
                guard let slot = scoring.slot(of: user) else {
                    throw BinaryDecodingError(
                        code: .invalidValue, offset: r.offset, message: "a subject's user has no state")
                }
                subjects[slot] = try r.readVarint()
            }
            let records = try RecordLists.decode(from: &r)
            let sources = try SourceTable.decode(from: &r)
            let restatedCount = try r.readCount(atMost: r.remaining)
            var restated: [Month: Int] = [:]
            for _ in 0..<restatedCount {
                let m = Month(index: try r.readInt32())
                restated[m] = Int(try r.readVarint())
            }
            var promoted: (Scorecard, [UInt8])? = nil
            if try r.readBool() {
                let count = try r.readCount(atMost: r.remaining)
                let json = Array(try r.readBytes(count: count))
                promoted = (try Self.promotedModel(json), json)
            }
            try r.expectEnd()

            self.scoringState = scoring
            self.intake = intake
            self.subjectSlots = SubjectSlots(bySlot: subjects)
            self.subjectRecords.replace(with: records)
            self.sources = sources
            self.watermarkSourceIDs = .unresolved
            self.restatements = restated
            self.promotedModel = promoted?.0
            self.promotedModelJSON = promoted?.1
        }
    }

    /// Loads the newest good checkpoint into the state; returns where replay resumes (0: none).
    func loadCheckpoint() -> CheckpointLoad {
        guard configuration.checkpoints.enabled else { return CheckpointLoad() }
        let clock = ContinuousClock.now
        var notes: [String] = []
        defer { recoveryNotes.append(contentsOf: notes) }
        let store = checkpoints
        let all = store.entries()
        for entry in all.reversed() {
            switch store.check(entry, logEnd: log.committedEnd) {
            case .failure(let problem):
                notes.append("checkpoint \(entry.path) \(problem.message): skipped")
            case .success(let body):
                do {
                    try restoreCheckpointBody(body)
                    return CheckpointLoad(
                        path: entry.path, lsn: entry.lsn, seconds: (ContinuousClock.now - clock).seconds)
                } catch {
                    notes.append("checkpoint \(entry.path) does not decode (\(error)): skipped")
                    resetState()
                }
            }
        }
        if !all.isEmpty { notes.append("no usable checkpoint: the whole event log was replayed") }
        return CheckpointLoad()
    }

    /// Forgets a half-restored state before a full replay.
    func resetState() {
        scoringState = ScoringState(configuration: configuration.scoring, shards: configuration.shards)
        intake = IntakeIndex(window: configuration.dedupWindowMilliseconds)
        subjectSlots = SubjectSlots()
        subjectRecords.replace(with: RecordLists())
        sources = SourceTable()
        watermarkSourceIDs = .unresolved
        restatements = [:]
        promotedModel = nil
        promotedModelJSON = nil
    }
}

extension ByteWriter {
    /// Eight bytes, little-endian: for hashes, which gain nothing from a varint.
    mutating func writeFixed(_ v: UInt64) {
        withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) }
    }
}

extension ByteReader {
    mutating func readFixed() throws -> UInt64 {
        let raw = try readBytes(count: 8)
        return raw.loadUnaligned(as: UInt64.self).littleEndian
    }
}
