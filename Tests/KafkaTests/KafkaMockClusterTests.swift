import CredenceTestSupport
import Foundation
import Kafka
import Testing

/// The clients against librdkafka's in-process mock cluster: no broker process needed.
@Suite(.serialized) struct KafkaMockClusterTests {
    typealias S = KafkaTestSupport

    /// `count` messages over `users` keys, each user's in sequence order.
    func produce(_ producer: KafkaProducer, topic: String, users: Int, count: Int, headers: [KafkaHeader] = []) throws {
        for i in 0..<count {
            try producer.send(
                topic: topic, key: S.key(i % users), value: S.value(i % users, i / users), headers: headers)
        }
        try producer.flush(timeout: .seconds(30))
    }

    /// Every message exactly once, and each user's in the order produced.
    func expectExactlyOnceInOrder(_ messages: [KafkaMessage], users: Int, count: Int) {
        #expect(messages.count == count)
        #expect(Set(messages.map(\.text)).count == count)
        var lastSeq: [String: Int] = [:]
        for m in messages {
            let key = String(decoding: m.key ?? [], as: UTF8.self)
            let seq = Int(m.text.split(separator: ":").last!.dropLast())!
            #expect(seq == (lastSeq[key] ?? -1) + 1, "out of order for \(key): \(seq) after \(lastSeq[key] ?? -1)")
            lastSeq[key] = seq
        }
    }

    @Test func produceThenConsumeRoundTrip() throws {
        let cluster = try KafkaMockCluster(brokers: 3, logger: S.logger)
        defer { withExtendedLifetime(cluster) {} }  // the brokers must outlive every client
        try cluster.createTopic("rt", partitions: 4)
        let producer = try S.producer(brokers: cluster.bootstrapServers)
        try produce(
            producer, topic: "rt", users: 10, count: 2000,
            headers: [KafkaHeader("source", "test"), KafkaHeader("empty", nil)])
        let consumer = try S.consumer(brokers: cluster.bootstrapServers, group: "g1", topics: ["rt"])
        let messages = try S.consume(consumer, count: 2000)
        expectExactlyOnceInOrder(messages, users: 10, count: 2000)
        #expect(messages.first?.headers == [KafkaHeader("source", "test"), KafkaHeader("empty", nil)])
        #expect(Set(messages.map(\.partition)).count > 1)
        // One key, one partition.
        var partitionOfKey: [[UInt8]: Int32] = [:]
        for m in messages {
            #expect(partitionOfKey[m.key!, default: m.partition] == m.partition)
            partitionOfKey[m.key!] = m.partition
        }
        #expect(consumer.assignment.count == 4)
        try consumer.close()
    }

    @Test func resumesFromCommittedOffsets() throws {
        let cluster = try KafkaMockCluster(brokers: 1, logger: S.logger)
        defer { withExtendedLifetime(cluster) {} }  // the brokers must outlive every client
        try cluster.createTopic("resume", partitions: 2)
        let producer = try S.producer(brokers: cluster.bootstrapServers)
        try produce(producer, topic: "resume", users: 4, count: 1000)

        let first = try S.consumer(brokers: cluster.bootstrapServers, group: "g-resume", topics: ["resume"])
        let part1 = try S.consume(first, count: 400, commit: true)
        #expect(part1.count == 400)
        let committed = try first.committed([KafkaTopicPartition("resume", 0), KafkaTopicPartition("resume", 1)])
        var expected: [KafkaTopicPartition: Int64] = [:]
        for m in part1 { expected[m.topicPartition] = m.offset + 1 }
        #expect(committed == expected)
        try first.close()

        let second = try S.consumer(brokers: cluster.bootstrapServers, group: "g-resume", topics: ["resume"])
        let part2 = try S.drain(second)
        #expect(part2.count == 600)
        #expect(Set(part1.map(\.text)).isDisjoint(with: part2.map(\.text)))
        expectExactlyOnceInOrder(part1 + part2, users: 4, count: 1000)
        try second.close()
    }

    @Test func startOffsetsGivenOnAssignWinOverCommitted() throws {
        let cluster = try KafkaMockCluster(brokers: 1, logger: S.logger)
        defer { withExtendedLifetime(cluster) {} }  // the brokers must outlive every client
        try cluster.createTopic("start", partitions: 1)
        let producer = try S.producer(brokers: cluster.bootstrapServers)
        try produce(producer, topic: "start", users: 1, count: 100)
        let consumer = try S.consumer(brokers: cluster.bootstrapServers, group: "g-start", topics: ["start"])
        var assigned: KafkaRebalance? = nil
        let deadline = ContinuousClock.now + .seconds(20)
        while assigned == nil && ContinuousClock.now < deadline {
            let r = try consumer.poll(maxMessages: 10, timeout: .milliseconds(200))
            #expect(r.messages.isEmpty)
            if let rb = r.rebalance, rb.kind == .assigned { assigned = rb }
        }
        #expect(assigned?.partitions == [KafkaTopicPartition("start", 0)])
        try consumer.completeRebalance(startOffsets: [KafkaTopicPartition("start", 0): 90])
        let rest = try S.drain(consumer)
        #expect(rest.map(\.offset) == Array(90..<100))
        // Seek back within the assignment.
        try consumer.seek([KafkaTopicPartition("start", 0): 95])
        let again = try S.drain(consumer)
        #expect(again.map(\.offset) == Array(95..<100))
        try consumer.close()
    }

    @Test func brokerDownForAWhileLosesAndDoublesNothing() throws {
        let cluster = try KafkaMockCluster(brokers: 3, logger: S.logger)
        defer { withExtendedLifetime(cluster) {} }  // the brokers must outlive every client
        try cluster.createTopic("outage", partitions: 3)
        for p in Int32(0)..<3 { cluster.setPartitionLeader("outage", partition: p, broker: p + 1) }
        let producer = try S.producer(brokers: cluster.bootstrapServers)
        try produce(producer, topic: "outage", users: 6, count: 300)
        cluster.setBrokerDown(2)
        let background = Thread {
            Thread.sleep(forTimeInterval: 3)
            cluster.setBrokerUp(2)
        }
        background.start()
        for i in 300..<900 { try producer.send(topic: "outage", key: S.key(i % 6), value: S.value(i % 6, i / 6)) }
        try producer.flush(timeout: .seconds(60))
        let consumer = try S.consumer(brokers: cluster.bootstrapServers, group: "g-outage", topics: ["outage"])
        let messages = try S.consume(consumer, count: 900, timeout: .seconds(60))
        let extra = try S.drain(consumer, quiet: .seconds(1), first: .seconds(1))
        expectExactlyOnceInOrder(messages + extra, users: 6, count: 900)
        try consumer.close()
    }

    @Test func produceRequestErrorsAreRetriedWithoutDuplicates() throws {
        let cluster = try KafkaMockCluster(brokers: 1, logger: S.logger)
        defer { withExtendedLifetime(cluster) {} }  // the brokers must outlive every client
        try cluster.createTopic("flaky", partitions: 2)
        let producer = try S.producer(brokers: cluster.bootstrapServers)
        try produce(producer, topic: "flaky", users: 4, count: 100)
        // Retriable errors on the next produce requests; the idempotent producer retries them
        // with the same sequence numbers, so the broker keeps one copy of each message.
        cluster.pushRequestErrors(
            .produce,
            [
                KafkaError.Codes.notEnoughReplicas, KafkaError.Codes.requestTimedOut,
                KafkaError.Codes.notLeaderForPartition, KafkaError.Codes.leaderNotAvailable,
                KafkaError.Codes.requestTimedOut,
            ])
        for i in 100..<1000 { try producer.send(topic: "flaky", key: S.key(i % 4), value: S.value(i % 4, i / 4)) }
        try producer.flush(timeout: .seconds(60))
        let consumer = try S.consumer(brokers: cluster.bootstrapServers, group: "g-flaky", topics: ["flaky"])
        let messages = try S.consume(consumer, count: 1000)
        let extra = try S.drain(consumer, quiet: .seconds(1), first: .seconds(1))
        expectExactlyOnceInOrder(messages + extra, users: 4, count: 1000)
        try consumer.close()
    }

    @Test func commitRequestErrorsAreReportedAndARetrySucceeds() throws {
        let cluster = try KafkaMockCluster(brokers: 1, logger: S.logger)
        defer { withExtendedLifetime(cluster) {} }  // the brokers must outlive every client
        try cluster.createTopic("commits", partitions: 1)
        let producer = try S.producer(brokers: cluster.bootstrapServers)
        try produce(producer, topic: "commits", users: 1, count: 50)
        let consumer = try S.consumer(brokers: cluster.bootstrapServers, group: "g-commits", topics: ["commits"])
        let messages = try S.consume(consumer, count: 50)
        #expect(messages.count == 50)
        let tp = KafkaTopicPartition("commits", 0)
        cluster.pushRequestErrors(.offsetCommit, [KafkaError.Codes.rebalanceInProgress])
        var failures = 0
        var committed = false
        for _ in 0..<5 where !committed {
            do {
                try consumer.commit([tp: 50])
                committed = true
            } catch {
                #expect(error.code == .commit)
                #expect(!error.errorName.isEmpty)
                failures += 1
            }
        }
        #expect(committed)
        #expect(try consumer.committed([tp]) == [tp: 50])
        try consumer.close()
    }

    // The mock cluster has no controller, so CreateTopics is tested against Tansu.
    @Test func adminReportsPartitions() throws {
        let cluster = try KafkaMockCluster(brokers: 1, logger: S.logger)
        defer { withExtendedLifetime(cluster) {} }  // the brokers must outlive every client
        try cluster.createTopic("made", partitions: 5)
        let admin = try KafkaAdmin(KafkaConfiguration(brokers: cluster.bootstrapServers), logger: S.logger)
        #expect(try admin.partitionCount(of: "made") == 5)
    }

    @Test func badPropertyIsAClearConfigurationError() throws {
        var c = KafkaProducerConfiguration()
        c.kafka.properties["no.such.property"] = "1"
        #expect {
            _ = try KafkaProducer(c, logger: S.logger)
        } throws: { error in
            guard let e = error as? KafkaError else { return false }
            return e.code == .configuration && e.message.contains("no.such.property")
        }
        var bad = KafkaConsumerConfiguration()
        bad.topics = []
        #expect(throws: KafkaError.self) { try bad.validate() }
    }
}
