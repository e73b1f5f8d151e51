import CredenceCluster
public import Kafka

/// What `credence run` consumes, where rejects go and where score changes are published.
public struct KafkaIngestConfiguration: Sendable {
    /// Brokers, group, topics (default `payments`) and librdkafka properties.
    public var consumer = KafkaConsumerConfiguration()
    /// Where rejected messages go, with the raw bytes and the reason in headers; `nil` keeps
    /// them in the data directory's dead-letter file only. Default: `payments.dlq`.
    public var deadLetterTopic: String? = "payments.dlq"
    /// Where `score.changed` and `score.deleted` records go, keyed by user id; `nil` does not
    /// publish. Default: `score-changes`.
    public var publishTopic: String? = "score-changes"
    /// Most messages handled per durable batch (one poll: submitted, made durable, offsets
    /// committed). Each batch pays fsyncs (log, new keys, dead letters, outbox) and an offset
    /// commit round trip, so it matches the engine's own batch (`EngineConfiguration.batchSize`).
    /// Default: 8192.
    public var maxBatch: Int = 8192
    /// How long one poll waits for a first message. Default: 200 ms.
    public var pollTimeout: Duration = .milliseconds(200)

    /// How producers pick a partition from a message's key (librdkafka's `partitioner`: one of
    /// `consistent_random`, `consistent`, `murmur2_random`, `murmur2`); `credence produce` and
    /// the publisher use it, and a cluster routes queries with the same function.
    /// Default: `consistent_random` (librdkafka's default, CRC-32 of the key).
    public var partitioner: String = "consistent_random"
    /// Leave month closes to a watermark computed elsewhere (a cluster's, through
    /// `Engine.closeMonths(atWatermark:)`) instead of this consumer's partitions. Default: `false`.
    public var externalWatermark: Bool = false

    public init() {}

    public func validate() throws(KafkaError) {
        try consumer.validate()
        guard maxBatch >= 1 else { throw KafkaError(.configuration, "the batch must hold at least one message") }
        if deadLetterTopic == "" { throw KafkaError(.configuration, "the dead-letter topic name must not be empty") }
        if publishTopic == "" { throw KafkaError(.configuration, "the publish topic name must not be empty") }
        do { _ = try Partitioner(named: partitioner) } catch { throw KafkaError(.configuration, error.message) }
    }

    /// A producer on the same brokers, with the same extra librdkafka properties minus the
    /// consumer-only ones.
    var producer: KafkaProducerConfiguration {
        var p = KafkaProducerConfiguration(kafka: consumer.kafka)
        let consumerOnly: Set<String> = [
            "group.id", "session.timeout.ms", "heartbeat.interval.ms", "auto.offset.reset", "enable.auto.commit",
            "enable.auto.offset.store", "max.poll.interval.ms", "partition.assignment.strategy", "group.instance.id",
            "fetch.wait.max.ms", "fetch.min.bytes", "fetch.max.bytes", "max.partition.fetch.bytes",
            "queued.min.messages", "fetch.queue.backoff.ms",
            "queued.max.messages.kbytes", "enable.partition.eof", "isolation.level", "check.crcs",
            "topic.metadata.refresh.interval.ms",
        ]
        p.kafka.properties = consumer.kafka.properties.filter {
            !consumerOnly.contains($0.key) || $0.key == "topic.metadata.refresh.interval.ms"
        }
        p.kafka.properties["partitioner"] = partitioner
        return p
    }
}
