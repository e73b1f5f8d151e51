import CRdKafka
public import Logging

/// Reads every partition of a topic from its beginning, outside any consumer group (plain
/// assign, nothing committed): for small control topics that every instance reads whole.
///
/// ```swift
/// let reader = try KafkaTailReader(kafka, topic: "credence.cluster", partitions: 1)
/// while running { for m in try reader.poll(timeout: .milliseconds(100)) { apply(m) } }
/// ```
///
/// Polling blocks: call it from a thread of your own.
public final class KafkaTailReader: Sendable {
    let handle: KafkaHandle
    public let topic: String

    public init(
        _ kafka: KafkaConfiguration, topic: String, partitions: Int, logger: Logger = Logger(label: "credence.kafka")
    ) throws(KafkaError) {
        try kafka.validate()
        guard partitions > 0 else { throw KafkaError(.configuration, "\(topic) has no partitions to read") }
        self.topic = topic
        // librdkafka's assign needs a group id, but an assign-only consumer never joins the group
        // (no subscription) and this one never commits: the id names nothing shared.
        let properties =
            kafka.baseProperties + [
                ("group.id", "credence.tail.\(topic)"),
                ("enable.auto.commit", "false"), ("enable.auto.offset.store", "false"),
                ("enable.partition.eof", "false"), ("fetch.wait.max.ms", "50"),
            ] + kafka.properties.filter { Self.passed.contains($0.key) }.sorted { $0.key < $1.key }.map { ($0, $1) }
        handle = try KafkaHandle(type: RD_KAFKA_CONSUMER, properties: properties, logger: logger)
        rd_kafka_poll_set_consumer(handle.pointer)
        let list = PartitionList.make(
            (0..<Int32(partitions)).map { (KafkaTopicPartition(topic, $0), KafkaOffset.beginning) })
        defer { rd_kafka_topic_partition_list_destroy(list) }
        let err = rd_kafka_assign(handle.pointer, list)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw KafkaError(.client, "cannot read \(topic) from its beginning", err)
        }
    }

    /// The connection-level properties a reader takes from the deployment's (not group settings).
    static let passed: Set<String> = [
        "security.protocol", "sasl.mechanisms", "sasl.username", "sasl.password", "ssl.ca.location",
        "socket.timeout.ms", "api.version.request", "broker.address.family",
    ]

    /// Waits up to `timeout` for the first message, then takes what else is ready (up to `max`).
    public func poll(timeout: Duration = .milliseconds(100), max: Int = 1000) throws(KafkaError) -> [KafkaMessage] {
        try handle.checkFatal()
        var out: [KafkaMessage] = []
        var wait = timeout.kafkaMilliseconds
        while out.count < max, let m = rd_kafka_consumer_poll(handle.pointer, wait) {
            wait = 0
            if m.pointee.err == RD_KAFKA_RESP_ERR_NO_ERROR {
                let batch = KafkaMessageBatch([m], handle: handle)
                out.append(batch[0])
            } else {
                rd_kafka_message_destroy(m)
            }
        }
        return out
    }

    deinit {
        _ = rd_kafka_consumer_close(handle.pointer)
    }
}
