import Dispatch
public import SnapshotStore

/// The engine for concurrent callers (HTTP handlers, a Kafka consumer, a publisher): every
/// call runs on one serial queue, off the cooperative thread pool, because appends and
/// commits block in `fsync`.
///
/// ```swift
/// let service = try await EngineService.open(configuration)
/// let counters = try await service.run { engine in engine.counters }
/// ```
public final class EngineService: Sendable {
    private let queue = DispatchQueue(label: "credence.engine")
    private let box: Box
    private let access = EngineAccess()
    /// The engine's configuration (the model, directories, the scoring offset): fixed once open.
    public let configuration: EngineConfiguration
    /// The snapshot store, which serves reads on its own.
    public let store: SnapshotStore

    /// Holds the non-`Sendable` engine. `@unchecked Sendable` is sound because the engine is
    /// only ever touched inside `queue`'s serial blocks (`run` and `runSync`, which hold
    /// ``EngineAccess`` exclusively), or by `read`'s non-mutating bodies under its shared side,
    /// which excludes them.
    private final class Box: @unchecked Sendable {
        let engine: Engine
        init(_ engine: Engine) { self.engine = engine }
    }

    /// Opens the engine (recovering and replaying the log) on the calling thread; from async
    /// code, use ``open(_:progress:)``.
    public init(_ configuration: EngineConfiguration, progress: ((ReplayStats) -> Void)? = nil) throws {
        let engine = try Engine.open(configuration, progress: progress)
        box = Box(engine)
        self.configuration = engine.configuration
        store = engine.store
    }

    /// Opens the engine on a queue of its own, off the cooperative thread pool: the replay of a
    /// large log takes a while and blocks in reads.
    public static func open(_ configuration: EngineConfiguration) async throws -> EngineService {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue(label: "credence.engine.open").async {
                continuation.resume(with: Result { try EngineService(configuration) })
            }
        }
    }

    /// Runs `body` with the engine on the engine's queue and returns its result.
    public func run<T: Sendable>(_ body: @escaping @Sendable (Engine) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { [box, access] in
                continuation.resume(with: access.exclusive { Result { try body(box.engine) } })
            }
        }
    }

    /// Runs `body` with the engine and waits for it, blocking the calling thread: for code that
    /// runs on a thread or queue of its own (the Kafka consume loop), never from async code.
    public func runSync<T>(_ body: (Engine) throws -> T) rethrows -> T {
        try queue.sync { try access.exclusive { try body(box.engine) } }
    }

    /// Runs a read-only `body` on the calling thread beside other readers when the engine's
    /// queue is idle, without a hop to the queue; when the queue is busy (a batch, a commit's
    /// `fsync`), on the queue after it, like ``run(_:)``. `body` must not change the engine.
    ///
    /// ```swift
    /// let entry = try await service.read { $0.scoring.provisional(userID: id, asOf: now, model: model) }
    /// ```
    ///
    /// While a batch is open with the users' states lent to the shards' threads, a read goes
    /// through the queue too: taking them back changes the engine, which readers beside each
    /// other must not do (``Engine/scoring``).
    public func read<T: Sendable>(_ body: @escaping @Sendable (Engine) -> T) async throws -> T {
        let engine = box.engine
        let beside: T?? = access.shared { engine.shardsAtHome ? body(engine) : nil }
        if let beside, let value = beside { return value }
        return try await run(body)
    }
}
