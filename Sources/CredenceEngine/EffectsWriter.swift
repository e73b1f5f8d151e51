import CredenceCore
import Dispatch
import Foundation
import SnapshotStore
import Synchronization

/// Writes a batch's effects outside the state on a thread of its own, in the order handed over:
/// the months it closes and the erased users it removes from the snapshot store, and the lines
/// of the two side files (dead letters, the outbox, with the outbox's position), which an
/// erasure also blanks.
///
/// The store's writes were done on the engine's thread when the batch's effects ran (at the
/// next commit, for an overlapped one), where they took about 7% of its samples in the r30k
/// ingest (an erasure rewrites the user's block in every stored month and fsyncs each month
/// file). The side files' writes followed them there: their fsyncs (the dead letters of about
/// every batch, the outbox's with its position file at each month close) and an erasure's
/// blanking of the user's written lines, which reads what was appended since the one before,
/// about 5% of the thread's samples and a second of its time blocked in fsync. Handed over,
/// they run beside the next batch's work.
///
/// The engine does not wait for the writer batch by batch: what it hands over queues up to the
/// hand-over's capacity (64 items; a batch hands over a few, a month close one snapshot), and
/// the writer catches up beside it. The engine keeps the promises of these files by waiting
/// (``wait()``) before a checkpoint (one must never run ahead of what the store and the outbox
/// hold, or a crash after it would lose a month or its `score.changed` lines: a restart replays
/// only the log after the checkpoint, and writes outbox lines only after the outbox's recorded
/// position); before the outbox is read or compacted; and at the end of every commit in full, a
/// replay and a close, so that what a caller reads after those is written. An erased subject's
/// key is destroyed once the writer has passed the user's removal, which the engine learns
/// without waiting (``ticket``, ``isDone(_:)``).
///
/// A write that fails stops the writer: the rest are dropped (each file's order matters, and
/// the engine stops at the failure), and every later ``wait()`` throws it.
final class EffectsWriter: Sendable {
    /// A line file the writer appends to.
    enum SideFile: Sendable {
        case deadLetters, outbox
    }

    private enum Item: Sendable {
        case write(Snapshot, revision: Int)
        case deleteUser(String, through: Month)
        case lines(SideFile, [UInt8], durable: Bool)
        case removeLines(SideFile, userID: String, user: @Sendable (ArraySlice<UInt8>) -> String?)
        /// A small file replaced atomically (the outbox's position).
        case replace(path: String, [UInt8])
        /// Answered once everything before it is done or dropped.
        case fence(DispatchSemaphore)
    }

    /// The side files, touched by the writer's thread, or by the engine's after a ``wait()``
    /// (``withFile(_:_:)``).
    private struct SideFiles {
        var deadLetters: AppendFile
        var outbox: AppendFile

        subscript(_ file: SideFile) -> AppendFile {
            switch file {
            case .deadLetters: deadLetters
            case .outbox: outbox
            }
        }
    }

    private let handoff = Handoff<Item>(capacity: 64)
    private let files: Mutex<SideFiles>
    private let failure = Mutex<EngineError?>(nil)
    private let finished = DispatchSemaphore(value: 0)
    /// Whether anything was handed over since the last ``wait()``: a wait with nothing in flight
    /// costs no round trip to the thread. Touched by the engine's thread only.
    private let pending = Atomic<Bool>(false)
    /// Items handed over so far (written by the engine's thread only) and items done or dropped
    /// (by the writer's): a ``ticket`` and ``isDone(_:)`` tell the engine, without waiting,
    /// whether what it handed over up to some point is written.
    private let handedOver = Atomic<Int>(0)
    private let completed = Atomic<Int>(0)
    /// Line buffers written and emptied, kept for the engine to render the next lines into
    /// (``spareLines()``). Each hand-over of lines left the engine a new buffer of the old one's
    /// capacity, and the old one was freed once written: the next lines' first touch of every
    /// page was a fault (2% of a replay's applying thread), the buffers being a megabyte or more.
    private let spares = SpareBuffers(limit: 2, minimumCapacity: EffectsWriter.spareMinimumCapacity)
    /// The least capacity of a line buffer worth keeping.
    static let spareMinimumCapacity = 64 << 10

    /// Opens the side files for appending and starts the writer's thread, which runs at the
    /// stage threads' lowered priority (``StagePriority``): below the engine's, which is the one
    /// every other waits for.
    init(store: SnapshotStore, deadLetterPath: String, outboxPath: String) throws(EngineError) {
        files = Mutex(
            SideFiles(deadLetters: try AppendFile(path: deadLetterPath), outbox: try AppendFile(path: outboxPath)))
        // The thread holds the writer until ``stop()`` ends it.
        let thread = Thread { [self] in
            StagePriority.lowerCurrentThread()
            while let item = handoff.take() { run(item, on: store) }
            finished.signal()
        }
        thread.name = "credence-effects"
        thread.start()
    }

    /// Does one item on the writer's thread; after a failure, only fences are answered.
    private func run(_ item: consuming Item, on store: SnapshotStore) {
        if case .fence(let answer) = item {
            answer.signal()
            return
        }
        defer { completed.add(1, ordering: .releasing) }
        guard failure.withLock({ $0 == nil }) else { return }
        do throws(EngineError) {
            switch consume item {
            case .write(let snapshot, let revision):
                do {
                    // A restart replaying what an earlier run stored finds it there.
                    guard
                        !(try store.exists(
                            month: snapshot.month, modelVersion: snapshot.modelVersion, revision: revision))
                    else { return }
                    try store.write(snapshot, revision: revision, closedAt: nil)
                } catch {
                    throw EngineError(.snapshots, "cannot store the snapshot of \(snapshot.month)", underlying: error)
                }
            case .deleteUser(let userID, let through):
                do {
                    _ = try store.deleteUser(userID, through: through)
                } catch {
                    throw EngineError(
                        .snapshots, "cannot remove an erased user from the snapshot store", underlying: error)
                }
            case .lines(let file, var bytes, let durable):
                try files.withLock { (f) throws(EngineError) in try f[file].write(bytes, durable: durable) }
                spares.keep(&bytes)
            case .removeLines(let file, let userID, let user):
                _ = try files.withLock { (f) throws(EngineError) in try f[file].removeLines(of: userID, user: user) }
            case .replace(let path, let bytes):
                try Files.writeAtomically(path, bytes)
            case .fence:
                break
            }
        } catch {
            failure.withLock { $0 = $0 ?? error }
        }
    }

    private func put(_ item: Item) {
        pending.store(true, ordering: .relaxed)
        handedOver.add(1, ordering: .relaxed)
        _ = handoff.put(item)
    }

    /// A ticket for everything handed over so far (see ``isDone(_:)``).
    var ticket: Int { handedOver.load(ordering: .relaxed) }

    /// Whether everything handed over before `ticket` was taken is written, without waiting:
    /// `false` after a failure (which ``throwIfFailed()`` and ``wait()`` throw).
    func isDone(_ ticket: Int) -> Bool {
        completed.load(ordering: .acquiring) >= ticket && failure.withLock({ $0 == nil })
    }

    /// Throws the first failure, if any, without waiting for what is in flight.
    func throwIfFailed() throws(EngineError) {
        if let error = failure.withLock({ $0 }) { throw error }
    }

    /// Hands over a month's revision to store, unless the store has it already.
    func write(_ snapshot: Snapshot, revision: Int) {
        put(.write(snapshot, revision: revision))
    }

    /// Hands over the removal of an erased user from every stored month up to `through`.
    func deleteUser(_ userID: String, through: Month) {
        put(.deleteUser(userID, through: through))
    }

    /// An emptied line buffer whose pages were touched before, if one is kept: for a
    /// ``LineBuffer/take(prefix:spare:)`` to leave behind.
    func spareLines() -> [UInt8]? {
        spares.take()
    }

    /// Hands over whole lines to append to `file`, fsynced with `durable`.
    func append(_ file: SideFile, lines: [UInt8], durable: Bool) {
        put(.lines(file, lines, durable: durable))
    }

    /// Hands over the blanking of the lines of `file` written so far that `user(line)` says
    /// belong to `userID` (``AppendFile/removeLines(of:user:)``).
    func removeLines(_ file: SideFile, of userID: String, user: @escaping @Sendable (ArraySlice<UInt8>) -> String?) {
        put(.removeLines(file, userID: userID, user: user))
    }

    /// Hands over the atomic replacement of a small file (a temporary file, fsync, rename).
    func replace(_ path: String, with bytes: [UInt8]) {
        put(.replace(path: path, bytes))
    }

    /// Waits until everything handed over is written; throws the first failure (every time).
    func wait() throws(EngineError) {
        if pending.exchange(false, ordering: .relaxed) {
            let answer = DispatchSemaphore(value: 0)
            _ = handoff.put(.fence(answer))
            answer.wait()
        }
        if let error = failure.withLock({ $0 }) { throw error }
    }

    /// Waits for what was handed over, then gives `body` the side file (the outbox's compaction).
    func withFile(_ file: SideFile, _ body: (AppendFile) throws(EngineError) -> Void) throws(EngineError) {
        try wait()
        try files.withLock { (f) throws(EngineError) in try body(f[file]) }
    }

    /// Finishes what was handed over and stops the thread (``wait()`` first to see a failure).
    func stop() {
        handoff.finish()
        finished.wait()
        finished.signal()  // a second stop (a close, then the engine's deinit) returns at once
    }
}
