import CredenceCore
import CredenceEngine
import CredenceKafka
import CredenceServer
import CredenceServices
import CredenceTestSupport
import Foundation
import Kafka
import Logging
import Synchronization
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The deployments that `credence serve` and `credence run` build, driven in-process: started,
/// used, and shut down gracefully as SIGTERM would, without spawning the binary.
@Suite(.serialized) struct DeploymentTests {
    static let logger: Logger = {
        var l = Logger(label: "credence.deployment.test")
        l.logLevel = .error
        return l
    }()

    func engineConfiguration(_ dir: TemporaryDirectory) -> EngineConfiguration {
        var c = EngineConfiguration()
        c.dataDirectory = dir.path + "/data"
        c.log.durability = .none
        return c
    }

    /// The port the server reported, once it listens.
    final class Port: Sendable {
        let value = Mutex<Int?>(nil)
        func wait() async throws -> Int {
            for _ in 0..<600 {
                if let p = value.withLock({ $0 }) { return p }
                try await Task.sleep(for: .milliseconds(50))
            }
            throw CancellationError()
        }
    }

    @Test func serveAnswersOverASocketAndShutsDownGracefully() async throws {
        let dir = TemporaryDirectory("deployment")
        let engine = try await EngineService.open(engineConfiguration(dir))
        var server = ServerConfiguration()
        server.port = 0
        server.access.readTokens = [Tokens.read]
        server.access.writeTokens = [Tokens.write]
        server.intakeEnabled = true
        let port = Port()
        let deployment = try Deployment.serve(
            engine: engine, server: server, signals: .none, logger: Self.logger,
            onServerRunning: { p in port.value.withLock { $0 = p } })
        let running = Task { try await deployment.run() }

        let base = "http://127.0.0.1:\(try await port.wait())"
        var post = URLRequest(url: URL(string: base + "/v1/events")!)
        post.httpMethod = "POST"
        post.setValue("Bearer \(Tokens.write)", forHTTPHeaderField: "Authorization")
        post.httpBody = Data(SmallWorld.events.joined(separator: "\n").utf8)
        let (body, response) = try await URLSession.shared.data(for: post)
        #expect((response as? HTTPURLResponse)?.statusCode == 200)
        #expect(String(decoding: body, as: UTF8.self).hasPrefix("{\"accepted\":\(SmallWorld.events.count),"))

        await deployment.shutDown()
        try await running.value
        // The engine was closed: the log's single-writer lock is free for a new engine, which
        // finds every event durable (a full replay: the clean close's checkpoint would replay nothing).
        var full = engineConfiguration(dir)
        full.checkpoints.enabled = false
        let reopened = try EngineService(full)
        #expect(reopened.runSync { $0.lastReplay.events } > 0)
        #expect(reopened.runSync { $0.scoring.closedMonths.map(\.description) } == ["2025-01", "2025-02"])
        try reopened.runSync { try $0.close() }
    }

    /// Topics on the mock cluster, `lines` produced into `payments`, and a consumer configuration for them.
    func loaded(_ cluster: KafkaMockCluster, partitions: Int, lines: [[UInt8]], group: String) throws
        -> KafkaIngestConfiguration
    {
        try cluster.createTopic("payments", partitions: partitions)
        try cluster.createTopic("score-changes", partitions: 1)
        let producer = try KafkaTestSupport.producer(brokers: cluster.bootstrapServers)
        for line in lines { try producer.send(topic: "payments", key: nil, value: line) }
        _ = try producer.flush()
        var kafka = KafkaIngestConfiguration()
        kafka.consumer.kafka.brokers = cluster.bootstrapServers
        kafka.consumer.groupID = group
        kafka.consumer.kafka.properties = ["session.timeout.ms": "6000", "heartbeat.interval.ms": "500"]
        kafka.deadLetterTopic = nil
        return kafka
    }

    @Test func runConsumesPublishesAndStopsWhenIdle() async throws {
        let dir = TemporaryDirectory("deployment")
        let cluster = try KafkaMockCluster(brokers: 1, logger: Self.logger)
        defer { withExtendedLifetime(cluster) {} }  // the brokers must outlive every client
        let lines = Repository.workedExampleLines
        let kafka = try loaded(cluster, partitions: 2, lines: lines, group: "deployment-test")
        let engine = try await EngineService.open(engineConfiguration(dir))
        let deployment = try Deployment.run(
            engine: engine, kafka: kafka, stopWhenIdle: .seconds(3), signals: .none, logger: Self.logger)
        try await deployment.run()  // ends by itself once idle

        let ingest = try #require(deployment.ingest)
        #expect(ingest.currentStats.messages == lines.count)
        // Every score change reached the topic, and the delivered lines left the outbox.
        let consumer = try KafkaTestSupport.consumer(
            brokers: cluster.bootstrapServers, group: "reader", topics: ["score-changes"],
            properties: ["auto.offset.reset": "earliest"])
        let published = try KafkaTestSupport.drain(consumer)
        try consumer.close()
        #expect(published.count == ingest.published)
        #expect(published.count > 0)
        #expect(published.contains { $0.text.contains(#""type":"score.deleted","user_id":"dee""#) })
        let outbox = try String(contentsOfFile: dir.path + "/data/outbox/score-changes.ndjson", encoding: .utf8)
        #expect(outbox.isEmpty)
    }

    @Test func runStopsGracefullyOnShutdownWithEverythingDurable() async throws {
        let dir = TemporaryDirectory("deployment")
        let cluster = try KafkaMockCluster(brokers: 1, logger: Self.logger)
        defer { withExtendedLifetime(cluster) {} }  // the brokers must outlive every client
        let lines = Repository.workedExampleLines
        let kafka = try loaded(cluster, partitions: 1, lines: lines, group: "deployment-shutdown")
        var server = ServerConfiguration()
        server.port = 0
        server.access.readTokens = [Tokens.read]
        let engine = try await EngineService.open(engineConfiguration(dir))
        let deployment = try Deployment.run(
            engine: engine, kafka: kafka, server: server, signals: .none, logger: Self.logger)
        let running = Task { try await deployment.run() }
        let ingest = try #require(deployment.ingest)
        for _ in 0..<600 where ingest.currentStats.messages < lines.count {
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(ingest.currentStats.messages == lines.count)
        await deployment.shutDown()
        try await running.value
        // Everything is in the log: a full replay (not the clean close's checkpoint) finds it.
        var full = engineConfiguration(dir)
        full.checkpoints.enabled = false
        let reopened = try EngineService(full)
        #expect(reopened.runSync { $0.lastReplay.events } > 0)
        #expect(
            reopened.runSync { $0.highestOffset(of: KafkaTopicPartition("payments", 0)) } == UInt64(lines.count - 1))
        try reopened.runSync { try $0.close() }
    }
}

extension Repository {
    /// The worked example's non-empty lines, as message values.
    static var workedExampleLines: [[UInt8]] {
        ((try? workedExample.lines) ?? []).filter { !$0.isEmpty }.map { Array($0.utf8) }
    }
}
