import CredenceEngine
import Kafka

/// A poll's messages as the engine takes them in one call (``Engine/submit(_:sources:)``): read in
/// librdkafka's buffers, each partition one source named `kafka:TOPIC/PARTITION` once per batch.
struct KafkaSubmission: MessageBatch {
    let batch: KafkaMessageBatch
    /// Consecutive messages of one partition, in order.
    let runs: [KafkaMessageBatch.Run]
    /// The batch's partitions, in order of first appearance, and their source names.
    let partitions: [KafkaTopicPartition]
    let sourceNames: [String]
    /// Each message's partition, as an index into `partitions`.
    private let sources: [Int32]

    init(_ batch: KafkaMessageBatch) {
        self.batch = batch
        runs = batch.partitionRuns()
        var slots: [KafkaTopicPartition: Int32] = [:]
        var partitions: [KafkaTopicPartition] = []
        var sources = [Int32](repeating: 0, count: batch.count)
        for run in runs {
            let slot =
                slots[run.partition]
                ?? {
                    partitions.append(run.partition)
                    slots[run.partition] = Int32(partitions.count - 1)
                    return Int32(partitions.count - 1)
                }()
            for i in run.indices { sources[i] = slot }
        }
        self.partitions = partitions
        self.sourceNames = partitions.map(\.sourceName)
        self.sources = sources
    }

    var count: Int { batch.count }

    func message(at index: Int) -> RawMessage {
        let (value, key) = batch.bytes(at: index)
        return RawMessage(
            value: value, key: key, source: Int(sources[index]), position: UInt64(batch.offset(at: index)))
    }

    /// The offset to commit per partition: the last message's + 1.
    var nextOffsets: [KafkaTopicPartition: Int64] {
        var next: [KafkaTopicPartition: Int64] = [:]
        for run in runs { next[run.partition] = batch.offset(at: run.indices.upperBound - 1) + 1 }
        return next
    }
}
