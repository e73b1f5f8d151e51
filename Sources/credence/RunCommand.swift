import ArgumentParser
import CredenceCluster
import CredenceEngine
import CredenceKafka
import CredenceServer
import CredenceServices
import Foundation
import Logging
import Metrics

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Consume events from Kafka into the log, keep scores, close months, publish score changes.",
        discussion: """
            Each batch is made durable in the log before its offsets are committed to Kafka; a
            restart resumes after what the log holds, and duplicates (same event_id) are dropped.
            Rejected messages go to the dead-letter topic with the reason in headers. SIGTERM or
            SIGINT finishes the batch, makes it durable, commits and leaves the group.
            """
    )

    @OptionGroup var data: DataOptions
    @OptionGroup var kafka: KafkaConnectionOptions

    @Option(name: .customLong("topic"), help: "A topic to consume (repeatable; default payments).")
    var topics: [String] = []
    @Option(name: .long, help: "The consumer group (default credence).") var group: String?
    @Option(name: .long, help: "The dead-letter topic (default payments.dlq; empty: none).") var dlqTopic: String?
    @Option(name: .long, help: "Where score changes go (default score-changes; empty: do not publish).")
    var publishTopic: String?
    @Option(name: .long, help: "Stop once nothing arrived for this many seconds, closing the months the input covers.")
    var stopWhenIdle: Double?
    @Option(
        name: .long,
        help: "Serve the HTTP API (read-only: no intake) on this port beside the consumer; tokens as for `serve`.")
    var httpPort: Int?
    @Option(name: .long, help: "The address the HTTP API binds.") var httpHost: String = "127.0.0.1"
    @Option(
        name: .long,
        help: "The URL other instances reach this one's HTTP API at (default http://<http-host>:<http-port>).")
    var advertise: String?
    @Option(
        name: .long,
        help:
            "How producers partition by key: consistent_random (librdkafka's default), murmur2_random (Java's), consistent, murmur2."
    )
    var partitioner: String?
    @Option(name: .long, help: "The cluster's control topic (default credence.cluster).") var clusterTopic: String?
    @Flag(name: .long, help: "Answer only from this instance's own partitions: no forwarding, no merged exports.")
    var noCluster = false
    @Flag(name: .long, help: "In a cluster, close months on this instance's partitions rather than on all of them.")
    var localWatermark = false

    func run() async throws {
        let logger = try kafka.logger()
        var flags = KafkaSettings()
        if !topics.isEmpty { flags.topics = topics }
        if let group { flags.group = group }
        if let dlqTopic { flags.deadLetterTopic = .some(dlqTopic.isEmpty ? nil : dlqTopic) }
        if let publishTopic { flags.publishTopic = .some(publishTopic.isEmpty ? nil : publishTopic) }
        if let partitioner { flags.partitioner = partitioner }
        var configuration = KafkaIngestConfiguration()
        try kafka.settings(flags: flags).apply(to: &configuration)
        try configuration.validate()

        // The HTTP API beside the consumer: same engine, reads only (intake is Kafka's job here).
        var server: ServerConfiguration? = nil
        let metrics = ServerMetrics()
        if let httpPort {
            var s = ServerConfiguration()
            s.host = httpHost
            s.port = httpPort
            s.intakeEnabled = false
            s.apply(environment: ProcessInfo.processInfo.environment)
            do { try s.validate() } catch { throw CLIError(error.message) }
            MetricsSystem.bootstrap(metrics.factory)
            server = s
        }

        // With the HTTP API, the instance is one of a cluster (alone, it owns every partition).
        var cluster: ClusterNode? = nil
        if let httpPort, !noCluster {
            if httpPort == 0 && advertise == nil {
                throw CLIError("--http-port 0 cannot be advertised to other instances: pick a port, or --advertise URL")
            }
            var c = ClusterConfiguration(advertise: advertise ?? "http://\(Self.urlHost(httpHost)):\(httpPort)")
            c.topic = configuration.consumer.topics.first ?? "payments"
            if let clusterTopic { c.controlTopic = clusterTopic }
            c.globalWatermark = !localWatermark
            do {
                c.partitioner = try Partitioner(named: configuration.partitioner)
                try c.validate()
            } catch { throw CLIError(error.message) }
            if configuration.consumer.topics.count != 1 {
                throw CLIError("a cluster consumes exactly one topic; give one --topic, or --no-cluster")
            }
            cluster = ClusterNode(c, member: UUID().uuidString.lowercased())
            // Cooperative rebalances: a member keeps serving the partitions a rebalance leaves it.
            if configuration.consumer.kafka.properties["partition.assignment.strategy"] == nil {
                configuration.consumer.kafka.properties["partition.assignment.strategy"] = "cooperative-sticky"
            }
        }

        let engine = try await EngineService.open(try data.engineConfiguration())
        let host = httpHost
        let deployment = try Deployment.run(
            engine: engine, kafka: configuration, stopWhenIdle: stopWhenIdle.map { .milliseconds(Int64($0 * 1000)) },
            server: server, metrics: metrics, cluster: cluster, signals: .terminate, logger: logger,
            onServerRunning: { port in
                FileHandle.standardOutput.write(Data("listening on http://\(host):\(port)\n".utf8))
            })
        logger.notice(
            "credence run: consuming \(configuration.consumer.topics.joined(separator: ",")) as group \(configuration.consumer.groupID) from \(configuration.consumer.kafka.brokers)"
        )
        if let cluster {
            logger.notice("credence run: advertising \(cluster.advertise) on \(cluster.configuration.controlTopic)")
        }
        try await deployment.run()
        let ingest = deployment.ingest!
        let s = ingest.currentStats
        print(
            "consumed \(Format.count(s.messages)) messages: \(Format.count(s.accepted)) accepted, "
                + "\(Format.count(s.duplicates)) duplicates, \(Format.count(s.rejected)) rejected; "
                + "published \(Format.count(ingest.published)) score changes")
    }

    /// A host as a URL writes it (an IPv6 address in brackets; `0.0.0.0` is not reachable, so
    /// loopback stands in for it).
    static func urlHost(_ host: String) -> String {
        if host == "0.0.0.0" || host == "::" { return "127.0.0.1" }
        return host.contains(":") ? "[\(host)]" : host
    }
}
