import ArgumentParser
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

    func run() async throws {
        let logger = try kafka.logger()
        var flags = KafkaSettings()
        if !topics.isEmpty { flags.topics = topics }
        if let group { flags.group = group }
        if let dlqTopic { flags.deadLetterTopic = .some(dlqTopic.isEmpty ? nil : dlqTopic) }
        if let publishTopic { flags.publishTopic = .some(publishTopic.isEmpty ? nil : publishTopic) }
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

        let engine = try await EngineService.open(try data.engineConfiguration())
        let host = httpHost
        let deployment = try Deployment.run(
            engine: engine, kafka: configuration, stopWhenIdle: stopWhenIdle.map { .milliseconds(Int64($0 * 1000)) },
            server: server, metrics: metrics, signals: .terminate, logger: logger,
            onServerRunning: { port in
                FileHandle.standardOutput.write(Data("listening on http://\(host):\(port)\n".utf8))
            })
        logger.notice(
            "credence run: consuming \(configuration.consumer.topics.joined(separator: ",")) as group \(configuration.consumer.groupID) from \(configuration.consumer.kafka.brokers)"
        )
        try await deployment.run()
        let ingest = deployment.ingest!
        let s = ingest.currentStats
        print(
            "consumed \(Format.count(s.messages)) messages: \(Format.count(s.accepted)) accepted, "
                + "\(Format.count(s.duplicates)) duplicates, \(Format.count(s.rejected)) rejected; "
                + "published \(Format.count(ingest.published)) score changes")
    }
}
