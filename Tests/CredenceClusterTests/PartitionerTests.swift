import CredenceTestSupport
import Kafka
import Testing

@testable import CredenceCluster

/// Routing computes a user's partition exactly as the producer did.
@Suite struct PartitionerTests {
    @Test func crc32MatchesThePublishedCheckValue() {
        #expect(Array("123456789".utf8).withUnsafeBytes { KeyHash.crc32($0) } == 0xCBF4_3926)
    }

    /// The Java client's own test vectors (`UtilsTest.testMurmur2`).
    @Test(arguments: [
        ("21", -973_932_308), ("foobar", -790_332_482), ("a-little-bit-long-string", -985_981_536),
        ("a-little-bit-longer-string", -1_486_304_829),
        ("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58_897_971), ("abc", 479_470_107),
    ])
    func murmur2MatchesTheJavaClient(key: String, expected: Int) {
        #expect(Int32(bitPattern: Array(key.utf8).withUnsafeBytes { KeyHash.murmur2($0) }) == Int32(expected))
    }

    @Test func unknownPartitionerIsRefusedWithTheChoices() throws {
        #expect(throws: ClusterError.self) { try Partitioner(named: "fnv1a_random") }
        do {
            _ = try Partitioner(named: "random")
        } catch {
            #expect(error.message.contains("consistent_random") && error.message.contains("murmur2_random"))
        }
        #expect(try Partitioner(named: "murmur2_random") == .murmur2Random)
    }

    /// librdkafka, configured with each partitioner, puts every key where ours says.
    @Test(arguments: Partitioner.all)
    func librdkafkaPutsEveryKeyWhereRoutingLooks(partitioner: Partitioner) throws {
        let cluster = try KafkaMockCluster(brokers: 1, logger: KafkaTestSupport.logger)
        defer { withExtendedLifetime(cluster) {} }
        try cluster.createTopic("keys", partitions: 6)
        let producer = try KafkaTestSupport.producer(
            brokers: cluster.bootstrapServers, properties: ["partitioner": partitioner.name])
        let users = (0..<300).map { "u\($0)" } + ["user:with.colon-and_underscore", "x"]
        for u in users { try producer.send(topic: "keys", key: Array(u.utf8), value: Array(u.utf8)) }
        try producer.flush()
        let reader = try KafkaTailReader(
            KafkaConfiguration(brokers: cluster.bootstrapServers), topic: "keys", partitions: 6,
            logger: KafkaTestSupport.logger)
        var seen: [String: Int32] = [:]
        let deadline = ContinuousClock.now + .seconds(20)
        while seen.count < users.count && ContinuousClock.now < deadline {
            for m in try reader.poll(timeout: .milliseconds(200)) { seen[m.text] = m.partition }
        }
        #expect(seen.count == users.count)
        var spread = Set<Int32>()
        for u in users {
            #expect(seen[u] == partitioner.partition(ofUser: u, partitionCount: 6), "\(u) with \(partitioner)")
            spread.insert(partitioner.partition(ofUser: u, partitionCount: 6))
        }
        #expect(spread.count == 6)
    }
}
