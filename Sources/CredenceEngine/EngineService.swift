import Dispatch

/// The engine for concurrent callers (HTTP handlers, a Kafka consumer, a publisher): every
/// call runs on one serial queue, off the cooperative thread pool, because appends and
/// commits block in `fsync`.
///
/// ```swift
/// let service = try EngineService(configuration)
/// let counters = try await service.run { engine in engine.counters }
/// ```
public final class EngineService: Sendable {
    private let queue = DispatchQueue(label: "credence.engine")
    private let box: Box

    /// Holds the non-`Sendable` engine. `@unchecked Sendable` is sound because the engine is
    /// only ever touched inside `queue`'s serial blocks (`run` is the one way in).
    private final class Box: @unchecked Sendable {
        let engine: Engine
        init(_ engine: Engine) { self.engine = engine }
    }

    /// Opens the engine (recovering and replaying the log) on the calling thread.
    public init(_ configuration: EngineConfiguration, progress: ((ReplayStats) -> Void)? = nil) throws {
        box = Box(try Engine.open(configuration, progress: progress))
    }

    /// Runs `body` with the engine on the engine's queue and returns its result.
    public func run<T: Sendable>(_ body: @escaping @Sendable (Engine) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { [box] in
                continuation.resume(with: Result { try body(box.engine) })
            }
        }
    }

    /// Runs `body` with the engine and waits for it, blocking the calling thread (for start-up
    /// and shutdown paths that are not async).
    public func runSync<T>(_ body: (Engine) throws -> T) rethrows -> T {
        try queue.sync { try body(box.engine) }
    }
}
