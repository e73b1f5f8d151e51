import CCRC32C
import CredenceCore
import EventLog
import Foundation
import Shredding
import Synchronization

/// Reads the event log and hands the engine its records decoded and its events decrypted, on
/// threads of their own while the engine applies what came before: the stateless half of a
/// replay. Records arrive in log order, in chunks.
///
/// - The **reader** checks each frame, decodes each record's head, checks that its subject has a
///   key and rebuilds the intake indexes (``ReplayIndexes``: they depend on the records alone). An
///   event's sealed bytes go into the chunk, to be opened.
/// - An **opener** (two, taking the reader's chunks in turns: ``OrderedWorkers``) reads each
///   event's key, decrypts (ChaCha20-Poly1305) and decodes the chunk's events. It was the larger
///   half of the reader's work (swift-crypto's `open` alone about 40% of it), and the reader was
///   the replay's slower thread. It reads the keys, not the reader:
///   knowing the chunk's subjects, it asks for a key a few events before it needs it, where the
///   reader met each key as a miss (the log streaming past evicts them: 16% of its samples).
///
/// The stage decrypts with a snapshot of the key store taken when the replay starts. A replay
/// only ever destroys keys (a crash between an erasure's commit and its key's destruction), never
/// creates them, and every record of a destroyed subject precedes the erasure that destroys it,
/// so the snapshot opens exactly what the live key store would have opened at each record.
struct ReplayStage {
    /// One log record, decoded: a value with nothing to release (its event is a
    /// ``ScoredEvent``, any other record is kept beside the items in ``Chunk/records``), so the
    /// engine reads it out of its chunk as a plain copy and the chunk's array is freed without
    /// visiting each one. With an ``Event`` and the record in it, copying, consuming and
    /// destroying items was an eighth of the applying thread's samples.
    enum Item: Sendable {
        /// An event record (``Replayed``).
        case event(lsn: UInt64, Replayed)
        /// Any other record: where it is in the chunk's ``Chunk/records``.
        case record(lsn: UInt64, index: Int)
    }

    /// What a replay's apply reads of an event record: its head's subject, instant and whether
    /// it is an erasure's copy, and what the scoring reads of its event. Not the whole head (the
    /// duplicate and conflict keys, the source and its position are the reader's, for the intake
    /// indexes): an item is 88 bytes instead of 152, and the applying thread reads every one of
    /// them from the other core's cache.
    struct Replayed: Sendable, BitwiseCopyable {
        var subject: UInt64
        var occurredAt: Instant
        var isCopy: Bool
        /// The event, its spans in the chunk's ``Chunk/plaintext``, or `nil` when its subject's key
        /// is destroyed.
        var event: ScoredEvent?

        /// What the apply reads of `header`, its event not opened yet.
        init(_ header: EngineRecord.EventHeader) {
            subject = header.subject
            occurredAt = header.occurredAt
            isCopy = header.isCopy
            event = nil
        }
    }

    /// A record that is not an event; for an erasure, the user id it names (`nil`: its key is
    /// destroyed too).
    struct Record: Sendable {
        var record: EngineRecord
        var userID: String?
    }

    /// Records in log order, with where the commit records are among them (ascending): the engine
    /// applies a batch's records once its commit has arrived, and holds the chunks until then
    /// rather than copying their records aside.
    struct Chunk: Sendable {
        var items: [Item] = []
        /// The items' subjects, one each (0 for a record that is not an event): what the engine
        /// looks a few items ahead at costs 8 bytes to read, not a copy of an item.
        var subjects: [UInt64] = []
        /// Where the commit records are in ``items``, ascending.
        var commits: [Int] = []
        /// The records that are not events, in order (``Item/record(lsn:index:)``).
        var records: [Record] = []
        /// The opened events' plaintext, back to back: what their ``ScoredEvent`` spans count from.
        var plaintext: [UInt8] = []
        /// The items' kinds, one each: an opened event's ``EventKind`` raw value, 0 for anything
        /// else. The engine's look-ahead reads it to ask only for the part of the user's state
        /// the event's apply reads (``Engine/prefetch(_:kind:)``).
        var kinds: [UInt8] = []
    }

    enum Output: Sendable {
        /// A chunk of records (``Chunk``).
        case chunk(Chunk)
        /// The log could not be read or a record is damaged: nothing after it is trusted.
        case failure(EngineError)
        /// The end of the log: the intake indexes the reader rebuilt.
        case indexes(ReplayIndexes)
    }

    /// A chunk as the reader leaves it: its events not yet opened.
    struct SealedChunk: Sendable {
        /// The chunk's records; an event still to open is there with no event yet.
        var items: [Item] = []
        /// The subject of each of ``SealedChunk/items``: an event's, or 0 (``Chunk/subjects``).
        var subjects: [UInt64] = []
        /// The records that are not events (``Chunk/records``).
        var records: [Record] = []
        /// The events to open, in order.
        var sealed: [Sealed] = []
        /// Their sealed bytes, back to back.
        var bytes: [UInt8] = []
        /// Where the commit records are in ``SealedChunk/items``, ascending.
        var commits: [Int] = []

        /// How many events ahead the opener asks for a key and the event's item: an event's open
        /// and decode take a few hundred nanoseconds, a miss to memory about one.
        static let keyPrefetchDistance = 4

        struct Sealed: Sendable {
            /// Where the event is in ``SealedChunk/items``.
            var index: Int
            var start: Int
            var count: Int
            /// What its item holds besides the event (the opener makes the item again from
            /// these, without reading it); its subject has a key in the stage's snapshot.
            var lsn: UInt64
            var replayed: Replayed
        }

        init(reservingFor count: Int) {
            items.reserveCapacity(count)
            subjects.reserveCapacity(count)
            sealed.reserveCapacity(count)
            bytes.reserveCapacity(count * 128)
        }

        /// The chunk with its events opened under `keys`; on a record that fails, the items
        /// before it and the failure (nothing after a damaged record is trusted).
        ///
        /// Consuming, so the items are opened in place: a second reference to them (the chunk
        /// kept) would make the first change copy all of them, 4,096 records.
        consuming func opened(keys: KeySnapshot) -> (chunk: Chunk, failure: EngineError?) {
            var chunk = Chunk(
                items: self.items, subjects: self.subjects, commits: self.commits, records: self.records, plaintext: [])
            self.items = []
            self.subjects = []
            // A plaintext is its sealed bytes less their tag: room for all of them at once.
            chunk.plaintext.reserveCapacity(bytes.count)
            chunk.kinds = [UInt8](repeating: 0, count: chunk.items.count)
            let sealed = self.sealed
            let failed = bytes.withUnsafeBytes { raw -> (index: Int, error: EngineError)? in
                chunk.items.withUnsafeMutableBufferPointer { slots -> (index: Int, error: EngineError)? in
                    sealed.withUnsafeBufferPointer { sealed -> (index: Int, error: EngineError)? in
                        for j in sealed.indices {
                            if j + Self.keyPrefetchDistance < sealed.count {
                                let ahead = sealed.baseAddress! + j + Self.keyPrefetchDistance
                                if let address = keys.keyAddress(for: SubjectID(ahead.pointee.replayed.subject)) {
                                    ccrc32c_prefetch_bytes(address, SubjectKey.byteCount)
                                }
                                // The item the reader wrote on the other core, which this one rewrites.
                                ccrc32c_prefetch_bytes(
                                    slots.baseAddress! + ahead.pointee.index, MemoryLayout<Item>.stride)
                            }
                            let s = sealed.baseAddress! + j
                            do throws(EngineError) {
                                // Only what the scoring reads: a replay rebuilds the state, and writes
                                // no event again (its erasures' copies are in the log already).
                                let event = try Engine.unsealScored(
                                    UnsafeRawBufferPointer(
                                        rebasing: raw[s.pointee.start..<(s.pointee.start + s.pointee.count)]),
                                    key: keys.key(for: SubjectID(s.pointee.replayed.subject)), lsn: s.pointee.lsn,
                                    into: &chunk.plaintext)
                                var replayed = s.pointee.replayed
                                replayed.event = event
                                if let event { chunk.kinds[s.pointee.index] = event.kind.rawValue }
                                slots[s.pointee.index] = .event(lsn: s.pointee.lsn, replayed)
                            } catch {
                                return (s.pointee.index, error)
                            }
                        }
                        return nil
                    }
                }
            }
            guard let failed else { return (chunk, nil) }
            // A failure cuts the items short: only the commits before it stand.
            chunk.items.removeSubrange(failed.index...)
            chunk.subjects.removeSubrange(failed.index...)
            chunk.kinds.removeSubrange(failed.index...)
            chunk.commits.removeAll { $0 >= failed.index }
            return (chunk, failed.error)
        }
    }

    /// What the reader hands the opener.
    enum SealedOutput: Sendable {
        case chunk(SealedChunk)
        case failure(EngineError)
        case indexes(ReplayIndexes)

        /// The chunk, moved out: once this returns, nothing else refers to its items. (A chunk
        /// bound in a `switch` over the output stays referenced by the output until the switch
        /// ends, and opening its items in place then copied all 4,096 of them.)
        consuming func takeChunk() -> SealedChunk? {
            switch consume self {
            case .chunk(let chunk): return chunk
            case .failure, .indexes: return nil
            }
        }
    }

    /// Hands the indexes to the stage's thread without a second reference to their tables, which
    /// would make the first change copy them whole.
    private final class Parcel: Sendable {
        let content: Mutex<ReplayIndexes?>
        init(_ indexes: consuming ReplayIndexes) { content = Mutex(indexes) }
        func take() -> ReplayIndexes { content.withLock { $0.take()! } }
    }

    /// What an opener makes of one output of the reader: an output to hand on, or a chunk that a
    /// record cut short (its items before the record) and the failure.
    enum Opened: Sendable {
        case output(Output)
        case cut(Chunk, EngineError)
    }

    /// The openers' results, in the reader's order.
    private var opened: OrderedWorkers.Collector<Opened>
    /// The failure that cut the chunk ``take()`` returned last: the next output.
    private var failureAfterCut: EngineError?

    /// How many threads open the reader's chunks: each chunk is opened by one, in turns. The
    /// opening (decrypting and decoding every event) is the stage's largest part; with one opener
    /// a replay kept two cores 80% busy, the applying thread waiting for the opener while the
    /// reader waited for room.
    static let openers = 2

    /// Starts reading `directory` from `start` on a new thread, which also rebuilds `indexes`
    /// (``ReplayIndexes``) and hands them back after the last record, and opening its events on
    /// ``openers`` others, a chunk each in turn.
    ///
    /// - Parameter depth: chunks read ahead of the openers, and opened ahead of the engine, at most.
    static func start(
        directory: String, configuration: EventLogConfiguration, watermark: CommitWatermark, from start: UInt64,
        keys: KeySnapshot, indexes: consuming ReplayIndexes, itemsPerChunk: Int = 4_096, depth: Int = 4
    ) -> ReplayStage {
        let (feeder, collector) = OrderedWorkers.start(
            workers: openers, depth: max(1, depth / openers), name: "credence-replay-open"
        ) { { (next: consuming SealedOutput) in open(next, keys: keys) } }
        let parcel = Parcel(indexes)
        let reader = Thread {
            StagePriority.lowerCurrentThread()
            var feeder = feeder
            readSealed(
                directory: directory, configuration: configuration, watermark: watermark, from: start, keys: keys,
                indexes: parcel.take(), itemsPerChunk: itemsPerChunk
            ) { feeder.put($0) }
            feeder.finish()
        }
        reader.name = "credence-replay"
        reader.start()
        return ReplayStage(opened: collector)
    }

    /// The next output in the log's order; `nil` after the last (the indexes, or a failure).
    mutating func take() -> Output? {
        if let failure = failureAfterCut.take() { return .failure(failure) }
        guard let next = opened.take() else { return nil }
        switch consume next {
        case .output(let output):
            return output
        case .cut(let chunk, let failure):
            // Nothing after a damaged record is wanted: the other openers stop too.
            opened.cancel()
            if chunk.items.isEmpty { return .failure(failure) }
            failureAfterCut = failure
            return .chunk(chunk)
        }
    }

    /// The consumer stops: the stage's threads stop too.
    func cancel() { opened.cancel() }

    /// Reads the log from `start` into `consume` until it returns `false`: on the stage's threads
    /// when `parallel` (stopped as soon as `consume` declines), else on the calling thread. The
    /// engine's replay, and the tests that hold the two ways to each other.
    static func run(
        parallel: Bool, directory: String, configuration: EventLogConfiguration, watermark: CommitWatermark,
        from start: UInt64, keys: KeySnapshot, indexes: consuming ReplayIndexes, itemsPerChunk: Int, depth: Int = 4,
        consume deliver: (consuming Output) -> Bool
    ) {
        guard parallel else {
            read(
                directory: directory, configuration: configuration, watermark: watermark, from: start, keys: keys,
                indexes: indexes, itemsPerChunk: itemsPerChunk, emit: deliver)
            return
        }
        var stage = Self.start(
            directory: directory, configuration: configuration, watermark: watermark, from: start, keys: keys,
            indexes: indexes, itemsPerChunk: itemsPerChunk, depth: depth)
        while let output = stage.take() {
            if !deliver(consume output) {
                stage.cancel()
                break
            }
        }
    }

    /// Opens a chunk's events; any other output of the reader is handed on as it is.
    private static func open(_ next: consuming SealedOutput, keys: KeySnapshot) -> Opened {
        switch next {
        case .chunk:
            break
        case .failure(let failure):
            return .output(.failure(failure))
        case .indexes(let indexes):
            return .output(.indexes(indexes))
        }
        // Consumed: a binding still holding the chunk made the opening copy its items.
        let chunk = next.takeChunk()!
        let (opened, failure) = chunk.opened(keys: keys)
        if let failure { return .cut(opened, failure) }
        return .output(.chunk(opened))
    }

    /// Opens a chunk's events and hands on the result; `false` once nothing more is wanted (the
    /// consumer stopped, or a record failed).
    private static func forward(
        _ next: consuming SealedOutput, keys: KeySnapshot, emit: (consuming Output) -> Bool
    ) -> Bool {
        switch open(next, keys: keys) {
        case .output(let output):
            if case .failure = output {
                _ = emit(output)
                return false
            }
            return emit(output)
        case .cut(let chunk, let failure):
            if !chunk.items.isEmpty, !emit(.chunk(chunk)) { return false }
            _ = emit(.failure(failure))
            return false
        }
    }

    /// Reads, decodes and opens the log from `start` on the calling thread, handing chunks to
    /// `emit` until it returns `false`, and rebuilds `indexes` from its records; they are the last
    /// output, unless a failure is.
    static func read(
        directory: String, configuration: EventLogConfiguration, watermark: CommitWatermark, from start: UInt64,
        keys: KeySnapshot, indexes: consuming ReplayIndexes, itemsPerChunk: Int, emit: (consuming Output) -> Bool
    ) {
        readSealed(
            directory: directory, configuration: configuration, watermark: watermark, from: start, keys: keys,
            indexes: indexes, itemsPerChunk: itemsPerChunk
        ) { forward($0, keys: keys, emit: emit) }
    }

    /// Reads the log from `start`, handing chunks with their events still sealed to `emit` until
    /// it returns `false`, and rebuilds `indexes` from its records; they are the last output,
    /// unless a failure is.
    static func readSealed(
        directory: String, configuration: EventLogConfiguration, watermark: CommitWatermark, from start: UInt64,
        keys: KeySnapshot, indexes: consuming ReplayIndexes, itemsPerChunk: Int,
        emit: (consuming SealedOutput) -> Bool
    ) {
        var indexes = indexes
        var chunk = SealedChunk(reservingFor: itemsPerChunk)
        var failure: EngineError? = nil
        var stopped = false
        do {
            let reader = try EventLogReader(directory: directory, configuration: configuration, watermark: watermark)
            try reader.forEach(from: start) { lsn, payload in
                if failure != nil || stopped { return }
                do {
                    if let (h, sealed) = try EngineRecord.decodeEvent(payload) {
                        let hasKey = keys.holdsKey(for: SubjectID(h.subject))
                        let replayed = Replayed(h)
                        if hasKey {
                            chunk.sealed.append(
                                .init(
                                    index: chunk.items.count, start: chunk.bytes.count, count: sealed.count, lsn: lsn,
                                    replayed: replayed))
                            chunk.bytes.append(contentsOf: sealed)
                        }
                        indexes.note(h, lsn: lsn, hasKey: hasKey)
                        chunk.items.append(.event(lsn: lsn, replayed))
                        chunk.subjects.append(h.subject)
                    } else {
                        let record = try EngineRecord.decode(payload)
                        var user: String? = nil
                        switch record {
                        case .erasure(let m):
                            user = try Engine.unsealUserID(
                                m.sealedUserID, key: keys.key(for: SubjectID(m.newSubject)), lsn: lsn)
                        case .tombstone(let h):
                            indexes.note(h, lsn: lsn, hasKey: keys.holdsKey(for: SubjectID(h.subject)))
                        case .source(let id, let name):
                            indexes.noteSource(id: id, name: name, lsn: lsn)
                        case .commit(let first):
                            indexes.commit(first: first)
                            chunk.commits.append(chunk.items.count)
                        default:
                            break
                        }
                        chunk.items.append(.record(lsn: lsn, index: chunk.records.count))
                        chunk.records.append(Record(record: record, userID: user))
                        chunk.subjects.append(0)
                    }
                } catch let e as EngineError {
                    failure = e
                    return
                } catch {
                    failure = EngineError(
                        .corruptLog,
                        "record \(lsn) of the event log is not an engine record (\(error)); "
                            + "run `credence log verify` and restore the data directory from a backup")
                    return
                }
                if chunk.items.count >= itemsPerChunk {
                    // Handed over whole, and moved, not copied: the opener changes its items in
                    // place, and a reference still held here made that a copy of all of them.
                    var full = SealedChunk(reservingFor: itemsPerChunk)
                    swap(&full, &chunk)
                    stopped = !emit(.chunk(consume full))
                }
            }
        } catch {
            failure = EngineError(.io, "cannot read the event log: \(error)")
        }
        if stopped { return }
        if !chunk.items.isEmpty, !emit(.chunk(consume chunk)) { return }
        if let failure {
            _ = emit(.failure(failure))
        } else {
            indexes.finish()
            _ = emit(.indexes(indexes))
        }
    }
}
