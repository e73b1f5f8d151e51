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
    @OptionGroup var kafka: KafkaConnectionOptions

    func run() throws {
        let logger = try kafka.logger()
        let summary = try KafkaFileProducer.produce(
            path: file, topic: topic, settings: kafka.settings(), logger: logger)
        var line =
            "produced \(Format.count(summary.messages)) messages to \(topic) in \(Format.seconds(summary.seconds))"
        if summary.unkeyed > 0 { line += " (\(Format.count(summary.unkeyed)) without a user_id, sent unkeyed)" }
        print(line)
    }
}
