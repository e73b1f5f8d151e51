import CredenceCore
import Dispatch
import Foundation
import SnapshotStore
import Synchronization

/// Writes to the snapshot store on a thread of its own, in the order handed over: the months a
/// batch closes and the erased users it removes from the stored months.
///
/// They were done on the engine's thread when the batch's effects ran (at the next commit, for
/// an overlapped one), where they took about 7% of its samples in the r30k ingest (an erasure
/// rewrites the user's block in every stored month and fsyncs each month file) and the
/// applying thread's in a replay. Handed over, they run beside the next batch's work.
///
/// The engine keeps the store's promises by waiting (``wait()``) before each batch's effects, so
/// at most one batch's writes run beside it; before a checkpoint (one must never run ahead of
/// what the store holds, or a crash after it would lose a month: a restart replays only the log
/// after the checkpoint); before an erased subject's key is destroyed; and at the end of every
/// commit in full, a replay and a close, so that what a caller reads after those is stored.
///
/// A write that fails stops the writer: the rest are dropped (the store's order matters, and
/// the engine stops at the failure), and every later ``wait()`` throws it.
final class SnapshotStoreWriter: Sendable {
    private enum Item: Sendable {
        case write(Snapshot, revision: Int)
        case deleteUser(String, through: Month)
        /// Answered once everything before it is done or dropped.
        case fence(DispatchSemaphore)
    }

    private let handoff = Handoff<Item>(capacity: 64)
    private let failure = Mutex<EngineError?>(nil)
    private let finished = DispatchSemaphore(value: 0)
    /// Whether anything was handed over since the last ``wait()``: a wait with nothing in flight
    /// costs no round trip to the thread. Touched by the engine's thread only.
    private let pending = Atomic<Bool>(false)

    /// Starts the writer's thread, which runs at the stage threads' lowered priority
    /// (``StagePriority``): below the engine's, which is the one every other waits for.
    init(store: SnapshotStore) {
        // The thread holds the writer until ``stop()`` ends it.
        let thread = Thread { [self] in
            StagePriority.lowerCurrentThread()
            while let item = handoff.take() { run(item, on: store) }
            finished.signal()
        }
        thread.name = "credence-snapshot-store"
        thread.start()
    }

    /// Does one item on the writer's thread; after a failure, only fences are answered.
    private func run(_ item: Item, on store: SnapshotStore) {
        if case .fence(let answer) = item {
            answer.signal()
            return
        }
        guard failure.withLock({ $0 == nil }) else { return }
        switch item {
        case .write(let snapshot, let revision):
            do {
                // A restart replaying what an earlier run stored finds it there.
                guard
                    !(try store.exists(month: snapshot.month, modelVersion: snapshot.modelVersion, revision: revision))
                else { return }
                try store.write(snapshot, revision: revision, closedAt: nil)
            } catch {
                fail(EngineError(.snapshots, "cannot store the snapshot of \(snapshot.month)", underlying: error))
            }
        case .deleteUser(let userID, let through):
            do {
                _ = try store.deleteUser(userID, through: through)
            } catch {
                fail(EngineError(.snapshots, "cannot remove an erased user from the snapshot store", underlying: error))
            }
        case .fence:
            break
        }
    }

    private func fail(_ error: EngineError) {
        failure.withLock { $0 = $0 ?? error }
    }

    /// Hands over a month's revision to store, unless the store has it already.
    func write(_ snapshot: Snapshot, revision: Int) {
        pending.store(true, ordering: .relaxed)
        _ = handoff.put(.write(snapshot, revision: revision))
    }

    /// Hands over the removal of an erased user from every stored month up to `through`.
    func deleteUser(_ userID: String, through: Month) {
        pending.store(true, ordering: .relaxed)
        _ = handoff.put(.deleteUser(userID, through: through))
    }

    /// Waits until everything handed over is stored; throws the first failure (every time).
    func wait() throws(EngineError) {
        if pending.exchange(false, ordering: .relaxed) {
            let answer = DispatchSemaphore(value: 0)
            _ = handoff.put(.fence(answer))
            answer.wait()
        }
        if let error = failure.withLock({ $0 }) { throw error }
    }

    /// Finishes what was handed over and stops the thread (``wait()`` first to see a failure).
    func stop() {
        handoff.finish()
        finished.wait()
        finished.signal()  // a second stop (a close, then the engine's deinit) returns at once
    }
}
