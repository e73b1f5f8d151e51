import ArgumentParser
import CredenceEngine
import CredenceKafka
import CredenceServer
import Dispatch
import Foundation
import Logging
import Metrics
import ServiceLifecycle
import Synchronization

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

        let engineConfiguration = try data.engineConfiguration()
        let service = try EngineService(engineConfiguration)
        let ingest = try KafkaIngest(engine: service, configuration: configuration, logger: logger)

        // The HTTP API beside the consumer: same engine, reads only (intake is Kafka's job here).
        var http: (group: ServiceGroup, task: Task<Void, any Error>)? = nil
        if let httpPort {
            var server = ServerConfiguration()
            server.host = httpHost
            server.port = httpPort
            server.intakeEnabled = false
            server.apply(environment: ProcessInfo.processInfo.environment)
            do { try server.validate() } catch { throw CLIError(error.message) }
            let metrics = ServerMetrics()
            MetricsSystem.bootstrap(metrics.factory)
            let host = server.host
            let app = try buildApplication(
                configuration: server, service: service, logger: logger, metrics: metrics,
                onServerRunning: { port in
                    FileHandle.standardOutput.write(Data("listening on http://\(host):\(port)\n".utf8))
                })
            // Signals stop the consumer below; the server then shuts down gracefully.
            let group = ServiceGroup(
                configuration: .init(services: [app], gracefulShutdownSignals: [], logger: logger))
            http = (group, Task { try await group.run() })
            // Feed what the consumer and the engine know into /metrics every second.
            Task.detached { [service] in
                var published = 0
                while !Task.isCancelled {
                    let s = ingest.currentStats
                    for (partition, lag) in s.lag {
                        let parts = partition.split(separator: "/")
                        metrics.recordConsumerLag(
                            topic: String(parts.first ?? ""), partition: Int(parts.last ?? "") ?? 0, lag: lag)
                    }
                    if s.published > published {
                        metrics.recordPublish(outcome: "delivered", count: s.published - published)
                        published = s.published
                    }
                    if let (counters, watermark) = try? await service.run({ ($0.counters, $0.effectiveWatermark) }) {
                        metrics.record(counters: counters, watermark: watermark)
                    }
                    try? await Task.sleep(for: .seconds(1))
                }
            }
        }

        let stop = StopFlag()
        let sources = [SIGTERM, SIGINT].map { sig -> any DispatchSourceSignal in
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { stop.set() }
            source.resume()
            return source
        }
        defer { sources.forEach { $0.cancel() } }
        logger.notice(
            "credence run: consuming \(configuration.consumer.topics.joined(separator: ",")) as group \(configuration.consumer.groupID) from \(configuration.consumer.kafka.brokers)"
        )
        let idle: Duration? = stopWhenIdle.map { .milliseconds(Int64($0 * 1000)) }
        // The consume loop blocks in librdkafka polls: a thread of its own, off the cooperative pool.
        try await withCheckedThrowingContinuation { (done: CheckedContinuation<Void, any Error>) in
            Thread {
                do {
                    try ingest.run(stop: { stop.isSet }, stopWhenIdle: idle)
                    done.resume()
                } catch {
                    done.resume(throwing: error)
                }
            }.start()
        }
        if let http {
            await http.group.triggerGracefulShutdown()
            _ = try? await http.task.value
        }
        try service.runSync { try $0.close() }
        let s = ingest.currentStats
        print(
            "consumed \(Format.count(s.messages)) messages: \(Format.count(s.accepted)) accepted, "
                + "\(Format.count(s.duplicates)) duplicates, \(Format.count(s.rejected)) rejected; "
                + "published \(Format.count(s.published)) score changes")
    }
}

/// Set by a signal handler, read by the consume loop.
final class StopFlag: Sendable {
    private let value = Atomic<Bool>(false)
    func set() { value.store(true, ordering: .relaxed) }
    var isSet: Bool { value.load(ordering: .relaxed) }
}
