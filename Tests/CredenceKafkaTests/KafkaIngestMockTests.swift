import CredenceCore
import CredenceEngine
import CredenceSynth
import CredenceTestSupport
import Foundation
import Kafka
import Testing

@testable import CredenceKafka

/// `KafkaIngest` into a real engine, against librdkafka's mock cluster: faults. (Its throughput
/// against a plain consumer of the same topic is `credence bench kafka`.)
@Suite(.serialized) struct KafkaIngestMockTests {
    typealias S = KafkaTestSupport

    static func events(users: Int, months: Int, seed: UInt64) -> [[UInt8]] {
        var c = GeneratorConfiguration(users: users, months: months, seed: seed)
        c.noise = .none
        let bytes = try! EventStreamGenerator(configuration: c).bytes().bytes
        return bytes.split(separator: 10, omittingEmptySubsequences: true).map(Array.init)
    }

    func produce(_ lines: [[UInt8]], to topic: String, brokers: String) throws {
        let producer = try S.producer(brokers: brokers, properties: ["linger.ms": "20", "batch.num.messages": "10000"])
        for line in lines { try producer.send(topic: topic, key: KafkaFileProducer.userID(line), value: line) }
        try producer.flush(timeout: .seconds(120))
    }

    func engineConfiguration(_ dir: String, fsync: Bool = true) -> EngineConfiguration {
        var c = EngineConfiguration()
        c.dataDirectory = dir
        if !fsync { c.log.durability = .none }
        return c
    }

    func ingestConfiguration(_ brokers: String, group: String) -> KafkaIngestConfiguration {
        var c = KafkaIngestConfiguration()
        c.consumer.kafka.brokers = brokers
        c.consumer.groupID = group
        c.consumer.kafka.properties = ["session.timeout.ms": "6000", "heartbeat.interval.ms": "500"]
        c.publishTopic = nil
        return c
    }

    func exports(_ engine: EngineService) throws -> [Month: [String]] {
        try engine.runSync { e in
            var out: [Month: [String]] = [:]
            for m in try e.store.months(modelVersion: e.model.modelVersion) {
                var lines: [String] = []
                try e.store.export(month: m.month, modelVersion: e.model.modelVersion) { lines.append($0) }
                out[m.month] = lines
            }
            return out
        }
    }

    func reference(_ lines: [[UInt8]], dir: String) throws -> (exports: [Month: [String]], accepted: Int) {
        let file = dir + "/input.ndjson"
        _ = FileManager.default.createFile(atPath: file, contents: Data(lines.flatMap { $0 + [10] }))
        let service = try EngineService(engineConfiguration(dir + "/file", fsync: false))
        _ = try service.runSync { try $0.ingest(files: [file]) }
        try service.runSync { try $0.endOfInput() }
        return (try exports(service), service.runSync { $0.counters.accepted })
    }

    @Test func ingestThroughABrokerOutageAndRequestErrorsLosesAndDoublesNothing() throws {
        let dir = TemporaryDirectory("credence-kafka")
        let cluster = try KafkaMockCluster(brokers: 3, logger: S.logger)
        defer { withExtendedLifetime(cluster) {} }  // the brokers must outlive every client
        try cluster.createTopic("payments", partitions: 3)
        try cluster.createTopic("payments.dlq", partitions: 1)
        for p in Int32(0)..<3 { cluster.setPartitionLeader("payments", partition: p, broker: p + 1) }
        let lines = Self.events(users: 150, months: 5, seed: 5)
        // Producer retries under request errors; then the last 300 events again (duplicates,
        // within the duplicate window) and a line that is not an event.
        cluster.pushRequestErrors(
            .produce,
            [KafkaError.Codes.notEnoughReplicas, KafkaError.Codes.requestTimedOut, KafkaError.Codes.leaderNotAvailable])
        try produce(lines, to: "payments", brokers: cluster.bootstrapServers)
        try produce(
            Array(lines.suffix(300)) + [Array("not json".utf8)], to: "payments", brokers: cluster.bootstrapServers)

        let service = try EngineService(engineConfiguration(dir.path + "/kafka"))
        var configuration = ingestConfiguration(cluster.bootstrapServers, group: "g-faults")
        configuration.maxBatch = 500
        let ingest = try KafkaIngest(engine: service, configuration: configuration, logger: S.logger)
        // Offset commits fail now and then; broker 2 goes away for a while mid-stream.
        cluster.pushRequestErrors(
            .offsetCommit, [KafkaError.Codes.coordinatorNotAvailable, KafkaError.Codes.rebalanceInProgress])
        let faults = Thread {
            Thread.sleep(forTimeInterval: 1.0)
            cluster.setBrokerDown(2)
            Thread.sleep(forTimeInterval: 3.0)
            cluster.setBrokerUp(2)
        }
        faults.start()
        try ingest.run(stop: { false }, stopWhenIdle: .seconds(8))
        let stats = ingest.currentStats
        let ref = try reference(lines, dir: dir.path)
        #expect(stats.accepted == ref.accepted)
        #expect(stats.duplicates == 300)
        #expect(stats.rejected == 1)
        #expect(stats.overlappedBatches > 0, "batches were committed beside the next poll")
        #expect(try exports(service) == ref.exports)

        // The reject is in the dead-letter topic with its reason.
        let dlq = try S.consumer(brokers: cluster.bootstrapServers, group: "g-dlq", topics: ["payments.dlq"])
        let dead = try S.consume(dlq, count: 1)
        #expect(dead.first?.value == Array("not json".utf8))
        #expect(dead.first?.headers.contains { $0.name == "credence.reason" } == true)
        try dlq.close()

        // A restart consumes nothing twice: every partition resumes after what the log holds.
        let again = try KafkaIngest(
            engine: service, configuration: ingestConfiguration(cluster.bootstrapServers, group: "g-faults-2"),
            logger: S.logger)
        try again.run(stop: { false }, stopWhenIdle: .seconds(3))
        #expect(again.currentStats.accepted == 0)
        #expect(again.currentStats.messages <= 301)  // at most the trailing duplicates and the reject
    }
}
