public import CredenceCore
public import CredenceEngine
public import Kafka

/// How Kafka partitions appear to the engine: as sources named `kafka:TOPIC/PARTITION`, whose
/// positions are offsets. The engine knows sources and positions only; this is the one place
/// that names them for Kafka.
extension KafkaTopicPartition {
    /// The engine's source name of this partition: `kafka:payments/0`.
    public var sourceName: String { "kafka:\(topic)/\(partition)" }
}

extension Engine {
    /// The highest offset of `partition` whose event is in the log, if any: where a consumer
    /// resumes (right after it).
    public func highestOffset(of partition: KafkaTopicPartition) -> UInt64? {
        lastPosition(of: partition.sourceName)
    }

    /// The largest event time read from `partition`, if any.
    public func maxSeen(of partition: KafkaTopicPartition) -> Instant? {
        maxSeen(source: partition.sourceName)
    }
}
