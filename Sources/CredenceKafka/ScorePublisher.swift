public import CredenceEngine
import Dispatch
public import Kafka
public import Logging
public import ServiceLifecycle
import Synchronization

/// Publishes the engine's outbox (`score.changed`, `score.deleted`) to a topic, keyed by
/// `user_id`.
///
/// Lines are taken from the outbox in chunks; a chunk is acknowledged to the engine (which
/// compacts delivered lines away) only after the broker acknowledged every record of it, so a
/// crash loses nothing; it can publish the last chunk again, which downstream recognises by the
/// records' deterministic `event_id`s. The idempotent producer with an endless delivery timeout
/// keeps each user's records in order.
///
/// The ingest publishes after each durable batch (``publishPending()``). As a `Service` it also
/// publishes every `interval` (what an ingest that failed to publish left) and once more on
/// graceful shutdown; put it before the ingest in a `ServiceGroup`, so that it shuts down after it.
public final class ScorePublisher: ServiceLifecycle.Service, Sendable {
    let engine: EngineService
    let topic: String
    let producer: KafkaProducer
    let logger: Logger
    let interval: Duration
    /// Delivered records; held while publishing, so that two callers never send the same chunk.
    private let count = Mutex(0)
    /// Which users this instance publishes for (in a cluster: those of the partitions it owns);
    /// `nil` publishes every line. See ``publishOnly(_:)``.
    private let filter = Mutex<(@Sendable (String) -> Bool)?>(nil)
    private let skipped = Mutex(0)
    private let queue = DispatchQueue(label: "credence.kafka.publisher")
    /// Records per acknowledged chunk.
    let chunk = 5000

    public init(
        engine: EngineService, topic: String, producer: KafkaProducer, logger: Logger,
        interval: Duration = .seconds(1)
    ) {
        self.engine = engine
        self.topic = topic
        self.producer = producer
        self.logger = logger
        self.interval = interval
    }

    /// How many records this publisher has delivered.
    public var published: Int { count.withLock { $0 } }

    /// Publishes every outbox line not yet delivered; returns how many. Blocking: for a thread or
    /// queue of its own (the ingest's loop), never the cooperative pool.
    @discardableResult
    public func publishPending() throws -> Int {
        try count.withLock { published in
            var total = 0
            while true {
                let batch = try engine.runSync { try $0.unpublishedScoreChanges(max: chunk) }
                if batch.lines.isEmpty { break }
                let sent = try send(batch)
                try engine.runSync { try $0.acknowledgePublished(batch) }
                total += sent
                published += sent
            }
            return total
        }
    }

    public func run() async throws {
        try await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(for: self.interval)
                if Task.isCancelled { break }
                try await self.publishAll()
            }
        }
        // Whatever the services shut down before this one left in the outbox.
        try await publishAll()
    }

    /// `publishPending` on a queue of its own: its flushes block.
    private func publishAll() async throws {
        let _: Int = try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try self.publishPending() }) }
        }
    }

    /// Publishes only the lines of users `accepts` says yes to; the others are acknowledged
    /// without being sent. A cluster member keeps what it consumed of partitions it no longer
    /// owns; their owner publishes their score changes, so that each is published once.
    public func publishOnly(_ accepts: @escaping @Sendable (String) -> Bool) {
        filter.withLock { $0 = accepts }
    }

    /// Lines acknowledged without being sent (users of partitions another instance owns).
    public var skippedForOtherOwners: Int { skipped.withLock { $0 } }

    /// Sends the batch's lines (those the filter accepts) and waits for them; returns how many.
    private func send(_ batch: OutboxBatch) throws -> Int {
        var sent = 0
        let accepts = filter.withLock { $0 }
        for line in batch.lines {
            let user = Self.userID(line)
            if let accepts, let user, !accepts(user) {
                skipped.withLock { $0 += 1 }
                continue
            }
            try producer.send(topic: topic, key: user.map { Array($0.utf8) }, value: line)
            sent += 1
        }
        try producer.flush()
        return sent
    }

    /// The `user_id` of an outbox record: the engine writes them with this member unescaped.
    static func userID(_ line: [UInt8]) -> String? {
        let key = Array(#""user_id":""#.utf8)
        guard line.count > key.count else { return nil }
        for i in 0...(line.count - key.count) where line[i..<(i + key.count)].elementsEqual(key) {
            let start = i + key.count
            guard let end = line[start...].firstIndex(of: UInt8(ascii: "\"")) else { return nil }
            return String(decoding: line[start..<end], as: UTF8.self)
        }
        return nil
    }
}
