import CredenceCore
public import CredenceEngine
import Dispatch
import Kafka
public import Logging
public import ServiceLifecycle
import Synchronization

/// Consumes events from Kafka into the engine, effectively once:
///
/// 1. a batch of messages is submitted to the engine with its `kafka:TOPIC/PARTITION` source
///    and offset, then made durable (`Engine.commit`);
/// 2. rejected messages go to the dead-letter topic (flushed);
/// 3. only then are the offsets (+1) committed to Kafka;
/// 4. score changes the batch produced are published from the outbox.
///
/// A batch's fsync runs beside the next poll and that batch's submission
/// (``Engine/commitOverlapped()``); steps 2 to 4 follow once the engine says the batch is
/// durable, in batch order, and always before a rebalance completes, before the idle end and
/// before stopping.
///
/// A crash between 1 and 3 redelivers messages the log already holds: on assignment each
/// partition resumes after the highest offset the log recorded for it (or the group's commit,
/// whichever is later), and `event_id` dedup makes any other redelivery (and producer
/// duplicates) a no-op. On revoke there is nothing left to do: every batch is made durable and
/// committed before the rebalance completes.
///
/// As a `Service` (``run()``), the consume loop runs on a dispatch queue of its own (librdkafka's
/// polls block) until graceful shutdown, which finishes the batch at hand, makes it durable,
/// commits and leaves the group; with `stopWhenIdle` it ends by itself once nothing arrives.
/// ``run(stop:stopWhenIdle:)`` is the same loop for callers on a thread of their own.
public final class KafkaIngest: ServiceLifecycle.Service, Sendable {
    public let configuration: KafkaIngestConfiguration
    let engine: EngineService
    let consumer: KafkaConsumer
    let producer: KafkaProducer?
    /// Publishes the outbox after each batch, when the configuration names a publish topic.
    public let publisher: ScorePublisher?
    let logger: Logger
    /// Set by graceful shutdown; read by the consume loop between polls.
    let stopping = Atomic<Bool>(false)
    /// With ``run()``: stop once nothing arrived for this long, closing the months the input covers.
    let stopWhenIdle: Duration?
    private let queue = DispatchQueue(label: "credence.kafka.ingest")
    let stats = Mutex(Stats())
    /// Offsets whose commit failed, for the next batch's commit.
    let uncommitted = Mutex<[KafkaTopicPartition: Int64]>([:])
    /// Partitions taken over from another member (read from their beginning) and the months this
    /// instance had closed without them: once they have caught up, those months are restated, so
    /// their late-read events count as a single consumer would have counted them.
    let takeover = Mutex<(partitions: Set<KafkaTopicPartition>, months: [Month])?>(nil)
    /// The next offset to read per assigned partition, as this consumer knows it (assigned start
    /// offsets, then each batch's), for the lag where librdkafka has no position yet.
    let positions = Mutex<[KafkaTopicPartition: Int64]>([:])
    /// Partitions a rebalance took from this process (see the takeover of returning partitions).
    let revokedHere = Mutex<Set<KafkaTopicPartition>>([])

    public struct Stats: Sendable {
        public var messages = 0
        public var accepted = 0
        public var duplicates = 0
        public var rejected = 0
        public var batches = 0
        /// Batches acknowledged after the next poll's submission, their fsync overlapped with it.
        public var overlappedBatches = 0
        /// The latest known lag per assigned partition (`topic/partition`), for metrics.
        public var lag: [String: Int64] = [:]
        public var firstMessageAt: ContinuousClock.Instant? = nil
        public var lastBatchAt: ContinuousClock.Instant? = nil
    }

    public init(
        engine: EngineService, configuration: KafkaIngestConfiguration, stopWhenIdle: Duration? = nil, logger: Logger
    ) throws {
        try configuration.validate()
        self.configuration = configuration
        self.engine = engine
        self.logger = logger
        self.stopWhenIdle = stopWhenIdle
        let needsProducer = configuration.deadLetterTopic != nil || configuration.publishTopic != nil
        let producer = needsProducer ? try KafkaProducer(configuration.producer, logger: logger) : nil
        self.producer = producer
        if let topic = configuration.publishTopic, let producer {
            publisher = ScorePublisher(engine: engine, topic: topic, producer: producer, logger: logger)
        } else {
            publisher = nil
        }
        consumer = try KafkaConsumer(configuration.consumer, logger: logger)
        if !KafkaLibrary.supportsFetchQueueBackoff {
            logger.warning(
                "kafka ingest: librdkafka \(KafkaLibrary.version) cannot shorten its 1 s wait before fetching a partition again once its local queue filled (fetch.queue.backoff.ms, librdkafka 2.2 and later), so this consumer idles for part of every second: the Kafka path measured 134k messages/s with it against 418k with librdkafka 2.8. Run with librdkafka 2.2 or later (`scripts/setup --test` builds 2.8 into .build-deps/librdkafka-2.8; point LD_LIBRARY_PATH at its lib)"
            )
        }
    }

    public var currentStats: Stats { stats.withLock { $0 } }

    /// Records delivered to the publish topic so far.
    public var published: Int { publisher?.published ?? 0 }

    /// The consume loop as a service: on a queue of its own until graceful shutdown (or idle,
    /// with `stopWhenIdle`). Everything consumed is durable and committed when it returns.
    public func run() async throws {
        try await withGracefulShutdownHandler {
            try await withCheckedThrowingContinuation { (done: CheckedContinuation<Void, any Error>) in
                queue.async {
                    done.resume(
                        with: Result {
                            try self.run(
                                stop: { self.stopping.load(ordering: .relaxed) }, stopWhenIdle: self.stopWhenIdle)
                        })
                }
            }
        } onGracefulShutdown: {
            self.stopping.store(true, ordering: .relaxed)
        }
    }

    /// Seconds from the first message to the latest batch's end, for throughput figures.
    public var elapsedSinceFirstMessage: Double? {
        stats.withLock { s in
            guard let first = s.firstMessageAt, let last = s.lastBatchAt else { return nil }
            let d = last - first
            return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
        }
    }

    /// Consumes until `stop` says so, or until nothing arrived for `stopWhenIdle` (then closes
    /// the months the consumed input covers, as `credence ingest` does at the end of a file).
    /// Leaves the group cleanly; everything consumed is durable and committed on return.
    public func run(stop: @Sendable () -> Bool, stopWhenIdle: Duration? = nil) throws {
        var lastMessage = ContinuousClock.now
        // A batch whose commit is still running beside the next poll: acknowledged (dead letters,
        // offsets, publishing) once the engine says it is durable.
        var awaiting: Submitted? = nil
        try publisher?.publishPending()
        while !stop() {
            // With a batch awaiting, only messages already fetched are taken: when none are,
            // the batch is finished at once instead of after a poll's wait.
            let timeout = awaiting == nil ? configuration.pollTimeout : .zero
            let result = try consumer.poll(maxMessages: configuration.maxBatch, timeout: timeout)
            if !result.messages.isEmpty {
                lastMessage = ContinuousClock.now
                let submitted = try submit(result.messages)
                // This batch's commit completed the one before it.
                if let before = awaiting {
                    try acknowledge(before)
                    stats.withLock { $0.overlappedBatches += 1 }
                }
                awaiting = nil
                if submitted.isDurable { try acknowledge(submitted) } else { awaiting = submitted }
            } else {
                try finish(&awaiting)
            }
            if let r = result.rebalance {
                try finish(&awaiting)  // every batch durable and committed before partitions move
                try rebalance(r)
                lastMessage = ContinuousClock.now  // idle counts from the latest assignment
            }
            if result.messages.isEmpty { try updateWatermarkSources(batch: []) }
            if let idle = stopWhenIdle, ContinuousClock.now - lastMessage >= idle, !consumer.assignment.isEmpty {
                logger.info("kafka ingest: nothing for \(idle); closing the months the input covers")
                try finish(&awaiting)
                try engine.runSync { try $0.endOfInput() }
                try publisher?.publishPending()
                break
            }
        }
        try finish(&awaiting)
        try engine.runSync { try $0.commit() }
        try publisher?.publishPending()
        try consumer.close()
    }

    /// A batch submitted to the engine, with what its acknowledgement needs.
    struct Submitted {
        let batch: KafkaMessageBatch
        let outcomes: [Engine.SubmitOutcome]
        let next: [KafkaTopicPartition: Int64]
        /// `false`: its commit runs beside the next poll, and the engine's next commit ends it.
        let isDurable: Bool
    }

    /// Submits a batch and commits it, overlapped with the next poll when the engine can
    /// (``Engine/commitOverlapped()``).
    func submit(_ batch: KafkaMessageBatch) throws -> Submitted {
        let started = ContinuousClock.now
        stats.withLock { if $0.firstMessageAt == nil { $0.firstMessageAt = started } }
        let messages = KafkaSubmission(batch)
        try updateWatermarkSources(batch: Set(messages.partitions))
        let (outcomes, durable) = try engine.runSync { engine in
            let outcomes = try engine.submit(messages, sources: messages.sourceNames)
            return (outcomes, try engine.commitOverlapped())
        }
        return Submitted(batch: batch, outcomes: outcomes, next: messages.nextOffsets, isDurable: durable)
    }

    /// Makes the awaiting batch durable, if any, and acknowledges it.
    func finish(_ awaiting: inout Submitted?) throws {
        guard let submitted = awaiting else { return }
        awaiting = nil
        try engine.runSync { try $0.commit() }
        try acknowledge(submitted)
    }

    /// Once a batch is durable: its rejected messages to the dead-letter topic (flushed), then
    /// its offsets (+1) to Kafka, then the outbox to the publish topic.
    func acknowledge(_ submitted: Submitted) throws {
        let batch = submitted.batch
        let outcomes = submitted.outcomes
        var next = submitted.next
        var rejects: [(index: Int, reason: String, message: String)] = []
        var accepted = 0
        var duplicates = 0
        for (i, outcome) in outcomes.enumerated() {
            switch outcome {
            case .accepted, .erased: accepted += 1
            case .duplicate: duplicates += 1
            case .rejected(let reason, let message): rejects.append((i, reason, message))
            }
        }
        if let dlq = configuration.deadLetterTopic, let producer, !rejects.isEmpty {
            for r in rejects {
                let m = batch[r.index]
                try producer.send(
                    topic: dlq, key: m.key, value: m.value,
                    headers: [
                        KafkaHeader("credence.reason", r.reason), KafkaHeader("credence.message", r.message),
                        KafkaHeader("credence.source", KafkaTopicPartition(m.topic, m.partition).sourceName),
                        KafkaHeader("credence.offset", "\(m.offset)"),
                    ])
            }
            try producer.flush()
        }
        let retry = uncommitted.withLock { u in
            defer { u = [:] }
            return u
        }
        positions.withLock { $0.merge(next) { max($0, $1) } }
        next.merge(retry.filter { consumer.assignment.contains($0.key) }) { max($0, $1) }
        do {
            try consumer.commit(next)
        } catch {
            // Harmless: the batch is durable and a restart resumes from the log; the next
            // batch's commit covers these offsets too.
            logger.warning("kafka ingest: offset commit failed, retried with the next batch: \(error)")
            uncommitted.withLock { $0.merge(next) { max($0, $1) } }
        }
        try publisher?.publishPending()
        stats.withLock {
            $0.messages += batch.count
            $0.accepted += accepted
            $0.duplicates += duplicates
            $0.rejected += rejects.count
            $0.batches += 1
            $0.lastBatchAt = .now
        }
    }

    func rebalance(_ r: KafkaRebalance) throws {
        switch r.kind {
        case .assigned:
            // This instance's state is its own log: a partition resumes right after the highest
            // offset the log holds for it, or from the beginning when the log has none (another
            // member consumed it so far, into its own log). The group's commits only show lag.
            let logged = engine.runSync { engine in
                r.partitions.map { ($0, engine.highestOffset(of: $0)) }
            }
            var start: [KafkaTopicPartition: Int64] = [:]
            for (tp, highest) in logged { start[tp] = highest.map { Int64($0) + 1 } ?? KafkaOffset.beginning }
            // A partition this process lost and now gets back, that another member read further
            // meanwhile (the group committed past this log), is taken over too: its users missed
            // the months closed here in between. (A fresh process closed nothing without it.)
            let returning = r.partitions.filter { tp in revokedHere.withLock { $0.contains(tp) } }
            let committed = returning.isEmpty ? [:] : ((try? consumer.committed(returning)) ?? [:])
            let regained = logged.filter { tp, highest in
                guard let highest, let c = committed[tp] else { return false }
                return c > Int64(highest) + 1
            }.map(\.0)
            let newcomers = Set(logged.filter { $0.1 == nil }.map(\.0)).union(regained)
            let closed = engine.runSync { $0.scoring.closedMonths }
            if !newcomers.isEmpty && !closed.isEmpty {
                takeover.withLock { t in
                    let months = Array(Set(closed + (t?.months ?? []))).sorted()
                    t = (newcomers.union(t?.partitions ?? []), months)
                }
                logger.notice(
                    "kafka ingest: took over \(newcomers.sorted().map(\.description).joined(separator: ", ")) after closing \(closed.count) months; they are restated once it has caught up"
                )
            }
            logger.info(
                "kafka ingest: assigned \(start.sorted { $0.key < $1.key }.map { "\($0.key)@\($0.value == KafkaOffset.beginning ? "beginning" : String($0.value))" }.joined(separator: ", "))"
            )
            // Applied so far: a partition read from its beginning counts from 0 (never less than the
            // truth), so it does not look caught up before its messages are in the log.
            positions.withLock { p in for (tp, offset) in start { p[tp] = max(offset, 0) } }
            try consumer.completeRebalance(startOffsets: start)
        case .revoked, .lost:
            // Every batch was durable and committed before this poll: nothing is in flight.
            positions.withLock { p in for tp in r.partitions { p[tp] = nil } }
            revokedHere.withLock { $0.formUnion(r.partitions) }
            try consumer.completeRebalance()
        }
        try updateWatermarkSources(batch: [])
    }

    /// The watermark spans the assigned partitions that are not idle (caught up) plus those in
    /// the batch at hand (SCORING.md section 5).
    func updateWatermarkSources(batch: Set<KafkaTopicPartition>) throws {
        let assigned = consumer.assignment
        // Nothing assigned is not "every partition idle": nothing may close until partitions
        // are assigned and their lag is known.
        if assigned.isEmpty && batch.isEmpty { return }
        let lag = consumer.lag(Array(assigned), positions: positions.withLock { $0 })
        try restateAfterTakeover(lag: lag)
        stats.withLock { s in
            s.lag = [:]
            for (tp, l) in lag { if let l { s.lag["\(tp.topic)/\(tp.partition)"] = l } }
        }
        var active = batch
        for tp in assigned where (lag[tp] ?? nil).map({ $0 > 0 }) ?? true { active.insert(tp) }
        var names = Set(active.map(\.sourceName))
        if configuration.externalWatermark { names.insert(Engine.externalWatermarkSource) }
        let changed = engine.runSync { engine -> Bool in
            let before = engine.watermarkSources
            engine.watermarkSources = names
            return before != names
        }
        if changed && batch.isEmpty { try engine.runSync { try $0.closeMonthsAtWatermark() } }
    }
}

extension KafkaIngest {
    /// Restates the months closed before a takeover once every taken-over partition is caught up.
    func restateAfterTakeover(lag: [KafkaTopicPartition: Int64?]) throws {
        guard let pending = takeover.withLock({ $0 }) else { return }
        let caughtUp = pending.partitions.allSatisfy { tp in
            !consumer.assignment.contains(tp) || (lag[tp] ?? nil).map { $0 <= 0 } == true
        }
        guard caughtUp else { return }
        takeover.withLock { $0 = nil }
        try engine.runSync { engine in
            for month in pending.months where engine.scoring.isClosed(month) { try engine.restate(month) }
        }
        logger.notice("kafka ingest: restated \(pending.months.count) months after the takeover caught up")
    }
}
