import CredenceTestSupport
import Foundation
import Kafka
import Testing

/// The lag a consumer reports, which a cluster uses to tell an idle (caught-up) partition.
@Suite struct KafkaConsumerLagTests {
    typealias S = KafkaTestSupport

    /// Messages a poll returned are not "read" for the caller until it says it applied them:
    /// a partition must not look caught up while its last batch is still in hand.
    @Test func theCallersAppliedPositionWinsOverWhatPollReturned() throws {
        let cluster = try KafkaMockCluster(brokers: 1, logger: S.logger)
        defer { withExtendedLifetime(cluster) {} }  // the brokers must outlive every client
        try cluster.createTopic("lag", partitions: 1)
        let producer = try S.producer(brokers: cluster.bootstrapServers)
        for i in 0..<10 { try producer.send(topic: "lag", key: S.key(i), value: S.value(i, 0)) }
        try producer.flush()
        let consumer = try S.consumer(
            brokers: cluster.bootstrapServers, group: S.uniqueName("g-lag"), topics: ["lag"],
            properties: ["auto.offset.reset": "earliest"])
        let read = try S.consume(consumer, count: 10)
        #expect(read.count == 10)
        let tp = KafkaTopicPartition("lag", 0)
        #expect(consumer.lag([tp])[tp] == .some(0), "librdkafka: everything returned")
        #expect(consumer.lag([tp], positions: [tp: 3])[tp] == .some(7), "the caller applied 3")
        #expect(consumer.lag([tp], positions: [tp: 10])[tp] == .some(0))
        try consumer.close()
    }
}
