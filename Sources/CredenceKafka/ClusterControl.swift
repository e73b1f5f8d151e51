public import CredenceCluster
import CredenceCore
public import CredenceEngine
import Dispatch
import Foundation
import Kafka
public import Logging
public import ServiceLifecycle
import Synchronization

/// Keeps this instance's ``ClusterNode`` current through the control topic:
///
/// - reads the whole control topic (plain assign, no group) and applies every record, so the
///   node knows each input partition's owner, progress and idleness;
/// - publishes a record for each partition this instance's consumer owns, when something
///   changed and every heartbeat, keyed `TOPIC/PARTITION` (a compacted topic keeps the latest);
/// - with the global watermark on, closes months when the cluster's watermark (over every
///   partition of the topic) passes them; the consumer then closes nothing on its own.
///
/// Runs on a dispatch queue of its own (librdkafka's polls block) until graceful shutdown.
public final class ClusterControl: ServiceLifecycle.Service, Sendable {
    public let node: ClusterNode
    let ingest: KafkaIngest
    let engine: EngineService
    let kafka: KafkaIngestConfiguration
    let logger: Logger
    let stopping = Atomic<Bool>(false)
    private let queue = DispatchQueue(label: "credence.cluster.control")

    public init(node: ClusterNode, ingest: KafkaIngest, engine: EngineService, logger: Logger) {
        self.node = node
        self.ingest = ingest
        self.engine = engine
        self.kafka = ingest.configuration
        self.logger = logger
        let topic = node.configuration.topic
        let partitioner = node.configuration.partitioner
        ingest.publisher?.publishOnly { [ingest, node] user in
            let count = node.partitionCount
            guard count > 0 else { return true }
            let p = partitioner.partition(ofUser: user, partitionCount: count)
            return ingest.consumer.assignment.contains(KafkaTopicPartition(topic, p))
        }
    }

    public func run() async throws {
        try await withGracefulShutdownHandler {
            try await withCheckedThrowingContinuation { (done: CheckedContinuation<Void, any Error>) in
                queue.async { done.resume(with: Result { try self.loop() }) }
            }
        } onGracefulShutdown: {
            self.stopping.store(true, ordering: .relaxed)
        }
    }

    var configuration: ClusterConfiguration { node.configuration }

    func loop() throws {
        let admin = try KafkaAdmin(kafka.consumer.kafka, logger: logger)
        do {
            try admin.createTopics([KafkaAdmin.NewTopic(configuration.controlTopic, partitions: 1)])
        } catch {
            logger.warning(
                "cluster: cannot create the control topic \(configuration.controlTopic) (\(error)); create it with one partition and cleanup.policy=compact"
            )
        }
        var inputPartitions: Int? = nil
        var controlPartitions: Int? = nil
        let waiting = ContinuousClock.now
        var warned = false
        while !stopping.load(ordering: .relaxed) && (inputPartitions == nil || controlPartitions == nil) {
            inputPartitions = try? admin.partitionCount(of: configuration.topic)
            controlPartitions = try? admin.partitionCount(of: configuration.controlTopic)
            if inputPartitions == nil || controlPartitions == nil { Thread.sleep(forTimeInterval: 0.5) }
            if !warned && ContinuousClock.now - waiting > .seconds(10) {
                warned = true
                logger.warning(
                    "cluster: \(inputPartitions == nil ? configuration.topic : configuration.controlTopic) does not exist yet; create it (the control topic with one partition and cleanup.policy=compact)"
                )
            }
        }
        guard let inputPartitions, let controlPartitions else { return }
        node.setPartitionCount(inputPartitions)
        let reader = try KafkaTailReader(
            kafka.consumer.kafka, topic: configuration.controlTopic, partitions: controlPartitions, logger: logger)
        let producer = try KafkaProducer(kafka.producer, logger: logger)
        logger.notice(
            "cluster: \(node.advertise) in a cluster over \(configuration.topic) (\(inputPartitions) partitions, \(configuration.partitioner)), control topic \(configuration.controlTopic)"
        )
        var published: [Int32: (record: PartitionRecord, at: ContinuousClock.Instant)] = [:]
        var lastTick = ContinuousClock.now - configuration.publishInterval
        while !stopping.load(ordering: .relaxed) {
            for m in try reader.poll(timeout: .milliseconds(100)) {
                if let r = PartitionRecord.decode(m.value) { node.apply(r) }
            }
            guard ContinuousClock.now - lastTick >= configuration.publishInterval else { continue }
            lastTick = .now
            try publish(producer: producer, partitionCount: inputPartitions, published: &published)
            try closeOnGlobalWatermark(partitionCount: inputPartitions)
        }
        try handOver(reader: reader, producer: producer, partitionCount: inputPartitions)
        _ = try? producer.flush(timeout: .seconds(5))
    }

    /// On graceful shutdown (the consumer has left the group by now: it stops first): waits,
    /// up to the peer timeout, until other instances have claimed the partitions this one still
    /// claims, while the API (stopped after this service) keeps answering what is forwarded to
    /// it. Without the wait, queries for those partitions would find their owner gone.
    func handOver(reader: KafkaTailReader, producer: KafkaProducer, partitionCount: Int) throws {
        node.setOwned([:])
        func mine() -> [Int32] {
            let view = node.view
            return (0..<Int32(partitionCount)).filter { view.owner(of: $0)?.member == node.member }
        }
        let start = ContinuousClock.now
        var left = mine()
        while !left.isEmpty && ContinuousClock.now - start < configuration.peerTimeout {
            for m in try reader.poll(timeout: .milliseconds(100)) {
                if let r = PartitionRecord.decode(m.value) { node.apply(r) }
            }
            left = mine()
        }
        if left.isEmpty {
            logger.notice("cluster: its partitions have new owners after \(ContinuousClock.now - start)")
        } else {
            // Released, so that nobody forwards to an instance that is gone.
            let view = node.view
            let now = Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
            for p in left {
                guard let release = view.owner(of: p)?.released(at: now) else { continue }
                try producer.send(
                    topic: configuration.controlTopic, key: Array(release.key.utf8), value: release.encoded())
            }
            logger.warning(
                "cluster: partitions \(left.map(String.init).joined(separator: ",")) have no new owner yet; released them"
            )
        }
    }

    /// Publishes this instance's partitions: changed records at once, the others every heartbeat.
    func publish(
        producer: KafkaProducer, partitionCount: Int,
        published: inout [Int32: (record: PartitionRecord, at: ContinuousClock.Instant)]
    ) throws {
        let topic = configuration.topic
        let ownership = ingest.ownership(topic: topic)
        let maxSeen = engine.runSync { engine in
            ownership.keys.map { ($0, engine.maxSeen(of: KafkaTopicPartition(topic, $0))?.millisecondsSinceEpoch) }
        }
        var owned: [Int32: ClusterNode.OwnedPartition] = [:]
        for (p, max) in maxSeen {
            let o = ownership[p]!
            owned[p] = ClusterNode.OwnedPartition(lag: o.lag, restating: o.restating, maxEventTimeMilliseconds: max)
        }
        node.setOwned(owned)
        let now = Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
        for (p, o) in owned.sorted(by: { $0.key < $1.key }) {
            let record = PartitionRecord(
                topic: topic, partition: p, partitionCount: partitionCount, owner: node.advertise, member: node.member,
                maxEventTimeMilliseconds: o.maxEventTimeMilliseconds, idle: o.idle, lag: o.lag, restating: o.restating,
                atMilliseconds: now)
            if let last = published[p], last.record.sameFacts(as: record),
                ContinuousClock.now - last.at < configuration.heartbeat
            {
                continue
            }
            try producer.send(topic: configuration.controlTopic, key: Array(record.key.utf8), value: record.encoded())
            published[p] = (record, .now)
            // Our own claim counts at once, before it comes back from the topic.
            node.apply(record)
        }
        // Partitions a rebalance took away: released, so nobody forwards to this instance for them.
        for (p, last) in published where owned[p] == nil {
            let release = last.record.released(at: now)
            try producer.send(topic: configuration.controlTopic, key: Array(release.key.utf8), value: release.encoded())
            node.apply(release)
            published[p] = nil
        }
        producer.poll()
    }

    /// Closes the months the cluster's watermark has passed.
    func closeOnGlobalWatermark(partitionCount: Int) throws {
        let lateness = engine.configuration.scoring.allowedLatenessMilliseconds
        let w = node.view.globalWatermark(partitionCount: partitionCount, latenessMilliseconds: lateness)
        node.setGlobalWatermark(w)
        guard configuration.globalWatermark, let w else { return }
        try engine.runSync { try $0.closeMonths(atWatermark: Instant(millisecondsSinceEpoch: w)) }
    }
}
