import CCRC32C
import CredenceCore
import Shredding

extension Engine {
    /// Reads NDJSON files (`-` for standard input) into the log, a batch at a time, then closes
    /// every month the input covers (SCORING.md section 5: the end of a batch input).
    ///
    /// A file read before (the same path and inode) resumes after its last line whose event is
    /// in the log, like a Kafka consumer after its committed offset: a crash and a re-run, or a
    /// file that grew, neither loses nor repeats anything. `fromStart` reads it all again
    /// (duplicates are then dropped by `event_id`).
    ///
    /// - Parameter progress: called about four times a second with the counters and elapsed seconds.
    public func ingest(
        files: [String], fromStart: Bool = false, progress: ((IngestCounters, Double) -> Void)? = nil
    ) throws -> Double {
        let clock = ContinuousClock.now
        var lastReport = clock
        // Each full batch's fsync runs beside the next batch; `endOfInput` commits in full.
        overlapsCommits = true
        defer { overlapsCommits = false }
        // The checkpoints of a file ingest come every million events or so, and one more at the
        // close after it: each reuses the last one's buffer (CheckpointWriter) until the close.
        checkpointWriter.keepsBuffer(true)
        for file in files {
            let source = file == "-" ? "stdin" : "file:" + Files.absolute(file) + "@" + Files.identity(file)
            let resumeAfter = file == "-" || fromStart ? 0 : lastPosition(of: source) ?? 0
            if configuration.parallelDecode {
                try ingestInParallel(file, source: source, resumeAfter: resumeAfter) {
                    guard let progress, counters.received & 0x3fff == 0 else { return }
                    let now = ContinuousClock.now
                    if now - lastReport > .milliseconds(250) {
                        lastReport = now
                        progress(counters, (now - clock).seconds)
                    }
                }
                continue
            }
            let reader = try LineReader(path: file, maxLineBytes: configuration.decoder.maxEventBytes)
            try reader.forEachLine { line, number, truncated in
                if number <= resumeAfter {
                    counters.resumedPast += 1
                    return
                }
                if line.isBlankLine { return }
                let position = SourcePosition(source: source, position: number)
                if truncated {
                    deadLetterTooLarge(line, position)
                } else {
                    try submit(line, at: position)
                }
                if let progress, counters.received & 0x3fff == 0 {
                    let now = ContinuousClock.now
                    if now - lastReport > .milliseconds(250) {
                        lastReport = now
                        progress(counters, (now - clock).seconds)
                    }
                }
            }
        }
        try endOfInput()
        return (ContinuousClock.now - clock).seconds
    }

    /// Ingests one input through a ``DecodeStage``: decoding on its own thread, the rest here.
    @inline(never)  // the 6.3 optimizer crashes inlining it into `ingest`
    private func ingestInParallel(
        _ file: String, source: String, resumeAfter: UInt64, afterLine: () -> Void
    ) throws {
        var stage = DecodeStage.start(
            path: file, decoder: decoder, salt: saltKey, maxLineBytes: configuration.decoder.maxEventBytes,
            resumeAfter: resumeAfter)
        do {
            while let output = stage.take() {
                var chunk: DecodeStage.Chunk
                switch consume output {
                case .failure(let error): throw error
                case .chunk(let c): chunk = c
                }
                counters.resumedPast += chunk.resumedPast
                var lines: [DecodeStage.Line] = []
                swap(&lines, &chunk.lines)
                try chunk.bytes.withUnsafeBytes { buffer in
                    try chunk.plaintexts.withUnsafeBytes { plaintexts in
                        try submit(&lines, bytes: buffer, plaintexts: plaintexts, source: source, afterLine: afterLine)
                    }
                }
            }
        } catch {
            stage.cancel()
            throw error
        }
    }

    /// How many events apart the look-ahead's steps are (``forEachLookingAhead(_:prepared:_:)``):
    /// the duplicate table is larger than the cache (tens of MB at 30k users), and its lookup
    /// was a miss to memory for most events (9% of the engine thread's samples in ingest); a few
    /// events' work ahead is enough for a line to arrive.
    static var prefetchDistance: Int { 8 }

    /// Submits a decoded chunk's lines (``DecodeStage/Chunk``).
    ///
    /// A line's user is looked up twice `prefetchDistance` lines ahead, by the hash of their id
    /// the decoding thread worked out, and their state's first line asked for `prefetchDistance`
    /// lines ahead (the state's first touch was a miss to memory for most events: 4.7% of an
    /// ingest's samples, on the engine's thread); the slot found is handed to the line's submit,
    /// which checks it against the id. A slot, once given, is never reused, so it still holds
    /// when the line's turn comes; a user not found ahead (new, or added since) is looked up
    /// again then.
    ///
    /// Each line is taken out of `lines`, not copied, and an empty one left in its place: a copy
    /// retained the event's strings (written by the decoding thread, so misses here) and released
    /// them again.
    private func submit(
        _ lines: inout [DecodeStage.Line], bytes: UnsafeRawBufferPointer, plaintexts: UnsafeRawBufferPointer,
        source: String, afterLine: () -> Void
    ) throws {
        try lines.withUnsafeMutableBufferPointer { lines in
            try forEachLookingAhead(UnsafeBufferPointer(lines), prepared: { lines[$0].prepared }) { i, knownSlot in
                let element = lines.baseAddress! + i
                let line = element.move()
                element.initialize(to: DecodeStage.Line(number: line.number, start: 0, count: 0, truncated: false))
                let raw = UnsafeRawBufferPointer(rebasing: bytes[line.start..<(line.start + line.count)])
                let position = SourcePosition(source: source, position: line.number)
                if let result = line.result {
                    _ = try submit(
                        decoded: result, prepared: line.prepared?.prepared(in: plaintexts), raw: raw, at: position,
                        knownSlot: knownSlot)
                } else {
                    deadLetterTooLarge(raw, position)
                }
                afterLine()
            }
        }
    }

    /// Calls `body` for each of `events` in order, with the slot the look-ahead found for its
    /// user (`knownSlot`, `nil` when none); `prepared(k)` is event `k`'s prepared parts. File
    /// lines and Kafka batches both go through it.
    ///
    /// Each event is looked at four times before its turn, each step reading what the one before
    /// asked the cache for (an event's work is a few µs, so `prefetchDistance` events is ample
    /// time for a line to come from memory):
    /// - four times `prefetchDistance` events ahead, the event's decoded form, whole: the decoding
    ///   thread wrote it, on the other core, and its first touch here was a miss (3% of the engine
    ///   thread's samples);
    /// - three times ahead, ``prefetchTables(_:)``: the slots of its ids in the intake tables and
    ///   of its user in the user index;
    /// - twice ahead, ``lookAhead(_:)``: its user's slot, and where their state and subject are
    ///   kept;
    /// - `prefetchDistance` ahead, ``prefetchUser(atSlot:)``: the state, the id and the key;
    /// - half `prefetchDistance` ahead, ``prefetchStateSections(atSlot:kind:)``: what the apply reads
    ///   past the state's first line.
    @inline(__always)
    func forEachLookingAhead<Element, E: Error>(
        _ events: UnsafeBufferPointer<Element>, prepared: (_ index: Int) -> EventPreparer.Parts?,
        _ body: (_ index: Int, _ knownSlot: Int?) throws(E) -> Void
    ) throws(E) {
        let distance = Self.prefetchDistance
        let count = events.count
        func prefetchEvent(_ k: Int) {
            ccrc32c_prefetch_bytes(events.baseAddress! + k, MemoryLayout<Element>.stride)
        }
        var slots = [Int32](repeating: -1, count: count)
        func prefetchSections(_ k: Int) {
            if let kind = prepared(k)?.kind { prefetchStateSections(atSlot: slots[k], kind: kind) }
        }
        for k in 0..<min(4 * distance, count) { prefetchEvent(k) }
        for k in 0..<min(3 * distance, count) { prefetchTables(prepared(k)) }
        for k in 0..<min(2 * distance, count) { slots[k] = lookAhead(prepared(k)) }
        for k in 0..<min(distance, count) { prefetchUser(atSlot: slots[k]) }
        let half = distance / 2
        for i in 0..<count {
            if i + 4 * distance < count { prefetchEvent(i + 4 * distance) }
            if i + 3 * distance < count { prefetchTables(prepared(i + 3 * distance)) }
            if i + 2 * distance < count { slots[i + 2 * distance] = lookAhead(prepared(i + 2 * distance)) }
            if i + distance < count { prefetchUser(atSlot: slots[i + distance]) }
            if i + half < count { prefetchSections(i + half) }
            try body(i, slots[i] >= 0 ? Int(slots[i]) : nil)
        }
    }

    /// The look-ahead's first step, for an event a few events later: asks for the slots its
    /// checks and its lookup will read, from the hashes the decoding thread worked out: its ids'
    /// in the intake tables (the duplicate table is larger than the cache) and its user's in the
    /// user index.
    @inline(__always)
    func prefetchTables(_ prepared: EventPreparer.Parts?) {
        guard let prepared else { return }
        intake.prefetch(idHash: prepared.idHash, obligationKey: prepared.obligationKey)
        ccrc32c_prefetch_bytes(scoringState.userIndexAddress(forHash: prepared.userHash), 128)
    }

    /// The look-ahead's second step: finds the event's user's slot and asks for where that slot's
    /// state and subject are kept (the arrays by slot are larger than the cache). Returns the
    /// slot for ``prefetchUser(atSlot:)`` and then for that event's submit (`knownSlot`), -1
    /// when the user has none yet.
    ///
    /// It reads only the prepared parts, plain values: the slot is found by the hash of the user
    /// id the decoding thread worked out (``ScoringState/candidateSlot(forHash:)``), and the
    /// submit checks it against the id. Reading the event here copied it (its strings retained
    /// and released) and hashed its id on this thread: 8% of the engine thread's samples.
    @inline(__always)
    func lookAhead(_ prepared: EventPreparer.Parts?) -> Int32 {
        guard let prepared, let slot = scoringState.candidateSlot(forHash: prepared.userHash) else { return -1 }
        if shardAppliers == nil, let address = scoringState.stateEntryAddress(atSlot: slot) {
            ccrc32c_prefetch(address)
        }
        if let address = subjectSlots.subjectAddress(atSlot: slot) { ccrc32c_prefetch(address) }
        return Int32(slot)
    }

    /// The look-ahead's last step, a few events after the one before brought the slot's entries in:
    /// asks for the id kept for the slot (the submit checks the guess against it), the user's
    /// state (when the states are at home: with shards on threads, those threads fetch ahead
    /// themselves) and their subject's key, which sealing the event reads (2% of an ingest's
    /// samples, a miss).
    @inline(__always)
    func prefetchUser(atSlot slot: Int32) {
        guard slot >= 0 else { return }
        if let address = scoringState.userIDAddress(atSlot: Int(slot)) { ccrc32c_prefetch(address) }
        if shardAppliers == nil, let address = scoringState.stateAddress(atSlot: Int(slot)) {
            ccrc32c_prefetch_bytes(address, UserState.headPrefetchBytes)
        }
        if let subject = subject(atSlot: Int(slot)) {
            // The key and, read before it, whether it is live: both were misses.
            if let address = keys.stateAddress(for: SubjectID(subject)) { ccrc32c_prefetch(address) }
            // Both of the key's lines: its 32 bytes straddle two lines for half the subjects (the
            // array's storage starts 32 bytes into a line), and the second was still a miss.
            if let address = keys.keyAddress(for: SubjectID(subject)) {
                ccrc32c_prefetch_bytes(address, SubjectKey.byteCount)
            }
        }
    }

    /// The look-ahead's fifth step, half `prefetchDistance` ahead, once the state's first line
    /// (its header) has come: asks for what the event's apply reads further in, the last payment
    /// month or the newest obligations (``prefetch(_:kind:)``). Their first reads were misses: 33%
    /// of the obligation lookup's samples on the obligations' count alone.
    @inline(__always)
    func prefetchStateSections(atSlot slot: Int32, kind: EventKind) {
        guard slot >= 0, shardAppliers == nil, Int(slot) < scoringState.userCount else { return }
        Self.prefetch(
            scoringState.stateSections(atSlot: Int(slot), obligationBytes: Self.obligationPrefetchBytes), kind: kind)
    }

    /// How much of a user's newest obligations the look-ahead asks for: four lines.
    static var obligationPrefetchBytes: Int { 256 }

    /// Asks for the one section of a user's state an event of `kind` reads: the last payment
    /// month for a payment, the newest obligations for an obligation's events, neither for the
    /// others (their marks are in the state's first lines). Both were asked for every event
    /// until session 36, which kept the line fill buffers fuller: the look-ahead's own hints
    /// then stalled it.
    @inline(__always)
    static func prefetch(
        _ sections: (lastPayment: UnsafeRawPointer?, obligations: UnsafeRawBufferPointer), kind: EventKind
    ) {
        switch kind {
        case .payment:
            if let p = sections.lastPayment { ccrc32c_prefetch(p) }
        case .obligationOpened, .obligationAdjusted, .repayment, .obligationCancelled:
            if let p = sections.obligations.baseAddress, sections.obligations.count > 0 {
                ccrc32c_prefetch_bytes(p, sections.obligations.count)
            }
        case .userEnrolled, .userWithdrawn, .creditLimitSet:
            break
        }
    }

    /// A line over the event limit: counted and dead-lettered with its first bytes, never decoded.
    func deadLetterTooLarge(_ line: UnsafeRawBufferPointer, _ position: SourcePosition) {
        counters.received += 1
        deadLetter(
            line, position, reason: "too_large",
            message: "line \(position.position) is longer than \(configuration.decoder.maxEventBytes) bytes "
                + "(the dead letter holds its first \(line.count) bytes)")
    }
}
