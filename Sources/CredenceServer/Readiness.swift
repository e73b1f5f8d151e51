import Synchronization

/// What `GET /readyz` waits for: named conditions that all have to hold.
///
/// `credence serve` is ready once the data directory is loaded; `credence run` also waits for
/// the Kafka consumer's partition assignment:
///
/// ```swift
/// let readiness = Readiness(waitingFor: ["state_restored", "consumer_assigned"])
/// readiness.set("state_restored")
/// ```
public final class Readiness: Sendable {
    private let pending: Mutex<Set<String>>

    public init(waitingFor conditions: Set<String> = []) {
        pending = Mutex(conditions)
    }

    /// Ready at once (the engine was opened before the server started).
    public static var ready: Readiness { Readiness() }

    /// Marks a condition as met.
    public func set(_ condition: String) {
        _ = pending.withLock { $0.remove(condition) }
    }

    /// Marks a condition as no longer met (a consumer that lost its partitions).
    public func unset(_ condition: String) {
        _ = pending.withLock { $0.insert(condition) }
    }

    /// The conditions still missing, sorted; empty when ready.
    public var missing: [String] { pending.withLock { $0.sorted() } }
}
