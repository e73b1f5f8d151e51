import CredenceCore
import CredenceEngine
import CredenceSynth
import CredenceTestSupport
import Foundation
import Kafka
import Testing

@testable import CredenceKafka

/// `KafkaIngest` into a real engine, against librdkafka's mock cluster: faults, and the
/// throughput of the Kafka path compared with a raw consume of the same topic.
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

    /// The Kafka path into the log (decode, validate, append, fsync per batch, commit offsets)
    /// against a raw librdkafka consume of the same topic, in the same run. Set
    /// CREDENCE_KAFKA_BENCH=USERS to run it (e.g. 2000); the goal is a ratio of 0.8.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["CREDENCE_KAFKA_BENCH"] != nil))
    func benchmarkKafkaPathAgainstRawConsume() throws {
        let users = Int(ProcessInfo.processInfo.environment["CREDENCE_KAFKA_BENCH"] ?? "") ?? 2000
        let dir = TemporaryDirectory("credence-kafka")
        let cluster = try KafkaMockCluster(brokers: 1, logger: S.logger)
        defer { withExtendedLifetime(cluster) {} }  // the brokers must outlive every client
        // The mock keeps about 5 MB per partition: enough partitions that nothing is dropped.
        let lines = Self.events(users: users, months: 6, seed: 3)
        try cluster.createTopic("payments", partitions: max(4, lines.reduce(0) { $0 + $1.count } / 2_000_000 + 1))
        try produce(lines, to: "payments", brokers: cluster.bootstrapServers)

        // Raw: poll batches and touch every message, commit per batch.
        let raw = try S.consumer(brokers: cluster.bootstrapServers, group: "bench-raw", topics: ["payments"])
        var rawCount = 0
        var rawBytes = 0
        var rawStart: ContinuousClock.Instant? = nil
        let deadline = ContinuousClock.now + .seconds(300)
        while rawCount < lines.count && ContinuousClock.now < deadline {
            let r = try raw.poll(maxMessages: 2000, timeout: .milliseconds(100))
            if r.messages.isEmpty { continue }
            if rawStart == nil { rawStart = .now }
            var next: [KafkaTopicPartition: Int64] = [:]
            for i in r.messages.indices {
                r.messages.withMessage(at: i) { m in
                    rawBytes += m.value.count
                    next[KafkaTopicPartition(m.topic, m.partition)] = m.offset + 1
                }
            }
            rawCount += r.messages.count
            try raw.commit(next)
        }
        let rawSeconds = (ContinuousClock.now - rawStart!).seconds
        try raw.close()

        let service = try EngineService(engineConfiguration(dir.path + "/kafka"))
        let ingest = try KafkaIngest(
            engine: service, configuration: ingestConfiguration(cluster.bootstrapServers, group: "bench-ingest"),
            logger: S.logger)
        let total = lines.count
        try ingest.run(stop: { ingest.currentStats.messages >= total })
        let ingestSeconds = ingest.elapsedSinceFirstMessage ?? 0
        let rawRate = Double(rawCount) / rawSeconds
        let ingestRate = Double(ingest.currentStats.messages) / ingestSeconds
        print(
            "kafka bench: \(lines.count) events; raw consume \(Int(rawRate)) msg/s; Kafka path into the log "
                + "\(Int(ingestRate)) msg/s; ratio \(String(format: "%.2f", ingestRate / rawRate)) (goal 0.8)")
        #expect(ingest.currentStats.accepted == lines.count)
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
