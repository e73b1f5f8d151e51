import CCRC32C
import CredenceCore
import Foundation

/// The threads that apply events to users' states, one per shard of ``ScoringState``.
///
/// A user's shard is a stable hash of their id modulo the shard count (``ScoringState/place(ofSlot:)``).
/// While a batch is open, each shard's states are lent to its thread (``ScoringState/lendShard(_:)``):
/// the engine's thread does the intake checks, finds users and moves the watermark, and hands
/// each accepted event to its user's shard in small runs; the shard's thread applies them in the
/// order they came. An event changes only its user's state, so the states end as one thread would
/// leave them. An erasure's rebuilt state goes the same way, after the user's events before it.
/// ``settle(_:)`` is the barrier: it waits until every shard has applied what it was given and
/// takes the states back. The engine settles before anything reads a state (a month close, a
/// restatement, a checkpoint, any caller's read of ``Engine/scoring``).
///
/// Owned by the engine's thread (not `Sendable`); its threads share nothing with it but the
/// messages they pass, each ``Handoff``ed whole: the states move, they are never shared.
final class ShardAppliers {
    /// One change to a user's state, by the user's index in the shard.
    enum Item: Sendable {
        /// Apply an event.
        case event(local: Int32, Event)
        /// Replace the state (an erasure's rebuild, ``ScoringState/rebuiltState(userID:erasureCut:survivors:)``).
        case replace(local: Int32, UserState)

        var local: Int32 {
            switch self {
            case .event(let local, _), .replace(let local, _): local
            }
        }
    }

    enum Message: Sendable {
        /// The shard's states, for the thread to keep until ``giveBack``.
        case lend([UserState])
        /// Changes to make, in order.
        case apply([Item])
        /// Hand the states back.
        case giveBack
    }

    /// One shard's thread and its two queues.
    final class Worker: Sendable {
        let inbox = Handoff<Message>(capacity: 8)
        let outbox = Handoff<[UserState]>(capacity: 1)
    }

    /// Events handed to a shard's thread at a time: enough that a run's handoff is noise (a few
    /// microseconds), few enough that the shards start while the engine still reads the batch.
    static let itemsPerRun = 512
    /// How far ahead in its run a shard's thread asks the CPU for a user's state.
    static let prefetchDistance = 8

    private let workers: [Worker]
    private var runs: [[Item]]
    /// Whether the shards' states are with their threads.
    private(set) var isLent = false

    /// - Parameters:
    ///   - shards: the state's shard count.
    ///   - offset: the scoring zone, which `UserState.apply` needs.
    init(shards: Int, offset: UTCOffset) {
        workers = (0..<shards).map { _ in Worker() }
        runs = Array(repeating: [], count: shards)
        for (k, worker) in workers.enumerated() {
            let thread = Thread { Self.work(worker, offset: offset) }
            thread.name = "credence-shard-\(k)"
            thread.start()
        }
    }

    deinit {
        for worker in workers { worker.inbox.finish() }
    }

    /// Applies `event` of the user in `slot` on its shard's thread, lending every shard first
    /// if they are at home.
    func apply(_ event: Event, slot: Int, in scoring: inout ScoringState) {
        enqueue(slot: slot, in: &scoring) { .event(local: $0, event) }
    }

    /// Replaces the state of the user in `slot` on its shard's thread, after the events handed
    /// to it before: an erasure's rebuild, without waiting for the shards.
    func replace(slot: Int, with state: UserState, in scoring: inout ScoringState) {
        enqueue(slot: slot, in: &scoring) { .replace(local: $0, state) }
    }

    /// Queues the change `item` makes of the local index of the user in `slot` on their shard's
    /// run, lending every shard first if they are at home, and sends a full run.
    private func enqueue(slot: Int, in scoring: inout ScoringState, _ item: (Int32) -> Item) {
        if !isLent { lend(&scoring) }
        let (shard, local) = scoring.place(ofSlot: slot)
        runs[shard].append(item(Int32(local)))
        if runs[shard].count >= Self.itemsPerRun { send(shard) }
    }

    /// Waits until every shard has applied what it was given, and takes the states back.
    func settle(_ scoring: inout ScoringState) {
        guard isLent else { return }
        for k in workers.indices {
            if !runs[k].isEmpty { send(k) }
            _ = workers[k].inbox.put(.giveBack)
        }
        for (k, worker) in workers.enumerated() {
            guard let states = worker.outbox.take() else {
                preconditionFailure("shard \(k)'s thread ended holding its states")
            }
            scoring.returnShard(k, states)
        }
        isLent = false
    }

    private func lend(_ scoring: inout ScoringState) {
        precondition(
            scoring.shardCount == workers.count, "the state has \(scoring.shardCount) shards, not \(workers.count)")
        for (k, worker) in workers.enumerated() {
            _ = worker.inbox.put(.lend(scoring.lendShard(k)))
            runs[k].reserveCapacity(Self.itemsPerRun)
        }
        isLent = true
    }

    private func send(_ shard: Int) {
        let run = runs[shard]
        runs[shard] = []
        runs[shard].reserveCapacity(Self.itemsPerRun)
        _ = workers[shard].inbox.put(.apply(run))
    }

    /// A shard's thread: keeps the states lent to it, applies runs of events to them in order,
    /// gives them back when asked.
    private static func work(_ worker: Worker, offset: UTCOffset) {
        var states: [UserState] = []
        while let message = worker.inbox.take() {
            switch consume message {
            case .lend(let lent):
                states = lent
            case .apply(let items):
                apply(items, to: &states, offset: offset)
            case .giveBack:
                _ = worker.outbox.put(states)
                states = []
            }
        }
    }

    /// Applies `items` in order; a user met for the first time gets an empty state (the engine
    /// gave them their index when it first saw them, in the same order).
    static func apply(_ items: [Item], to states: inout [UserState], offset: UTCOffset) {
        for i in items.indices {
            let ahead = i + prefetchDistance
            if ahead < items.count {
                let l = Int(items[ahead].local)
                if l < states.count, let p = states[l].storageAddress {
                    ccrc32c_prefetch_bytes(p, UserState.headPrefetchBytes)
                }
            }
            let local = Int(items[i].local)
            while states.count <= local { states.append(UserState()) }
            switch items[i] {
            case .event(_, let event):
                // A withdrawal answers `.rebuildRequired`; the engine's erasure step follows.
                _ = states[local].apply(event, offset: offset)
            case .replace(_, let state):
                states[local] = state
            }
        }
    }
}
