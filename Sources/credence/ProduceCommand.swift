import ArgumentParser
import CredenceKafka

struct ProduceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "produce",
        abstract: "Load NDJSON events into a Kafka topic, one message per line, keyed by user_id.",
        discussion: """
            Waits until the brokers acknowledged every message. The producer is idempotent, so
            its retries never duplicate a message.
            """
    )

    @Argument(help: "An NDJSON file; - reads standard input.") var file: String
    @Option(name: .long, help: "The topic.") var topic: String = "payments"
    @Option(
        name: .long,
        help:
            "How keys pick partitions: consistent_random (librdkafka's default, CRC-32), murmur2_random (the Java client's), consistent, murmur2; `credence run` must use the same."
    )
    var partitioner: String?
    @OptionGroup var kafka: KafkaConnectionOptions

    func run() throws {
        let logger = try kafka.logger()
        var flags = KafkaSettings()
        if let partitioner { flags.partitioner = partitioner }
        let summary = try KafkaFileProducer.produce(
            path: file, topic: topic, settings: kafka.settings(flags: flags), logger: logger)
        var line =
            "produced \(Format.count(summary.messages)) messages to \(topic) in \(Format.seconds(summary.seconds))"
        if summary.unkeyed > 0 { line += " (\(Format.count(summary.unkeyed)) without a user_id, sent unkeyed)" }
        print(line)
    }
}
