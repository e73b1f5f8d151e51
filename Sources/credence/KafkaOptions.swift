import ArgumentParser
import CredenceKafka
import CredenceServer
import Foundation
import Logging

/// Where the brokers are and any librdkafka property, shared by the Kafka commands. Flags win
/// over `CREDENCE_KAFKA_*` environment variables, which win over the config file.
struct KafkaConnectionOptions: ParsableArguments {
    @Option(name: .long, help: "Bootstrap brokers, host:port[,host:port...] (default 127.0.0.1:9092).")
    var brokers: String?

    @Option(
        name: .customShort("X"),
        help: ArgumentHelp("A librdkafka property, name=value (repeatable).", valueName: "name=value"))
    var properties: [String] = []

    @Option(
        name: .long,
        help:
            "A config file of key=value lines: brokers, group, topics, dlq-topic, publish-topic, or any librdkafka property."
    )
    var kafkaConfig: String?

    @Option(name: .long, help: "Log level of the Kafka clients: trace, debug, info, notice, warning, error.")
    var logLevel: String = "notice"

    /// File, then environment, then flags.
    func settings(flags extra: KafkaSettings = KafkaSettings()) throws -> KafkaSettings {
        var s = KafkaSettings()
        if let path = kafkaConfig {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw ValidationError("cannot read the Kafka config file \(path)")
            }
            s = try KafkaSettings.parse(file: text, name: path)
        }
        s = s.overridden(by: KafkaSettings.parse(environment: ProcessInfo.processInfo.environment))
        var flags = extra
        if let brokers { flags.brokers = brokers }
        for p in properties {
            guard let eq = p.firstIndex(of: "="), eq != p.startIndex else {
                throw ValidationError("-X takes name=value, got \(p)")
            }
            flags.properties[String(p[..<eq])] = String(p[p.index(after: eq)...])
        }
        return s.overridden(by: flags)
    }

    func logger() throws -> Logger {
        guard let level = Logger.Level(rawValue: logLevel) else {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical")
        }
        LoggingSystem.bootstrap { label in DeferredMetadataLogHandler(label: label, level: level) }
        var logger = Logger(label: "credence")
        logger.logLevel = level
        return logger
    }
}
