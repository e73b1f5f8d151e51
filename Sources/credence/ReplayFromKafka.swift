import ArgumentParser
import CredenceEngine
import CredenceKafka
import Foundation

/// `credence replay --from-kafka`: rebuild a data directory from the topics, from offset 0.
struct KafkaReplayOptions: ParsableArguments {
    @Flag(name: .long, help: "Rebuild from the Kafka topics from offset 0 instead of from the local log.")
    var fromKafka = false
    @OptionGroup var kafka: KafkaConnectionOptions
    @Option(name: .customLong("topic"), help: "A topic to read (repeatable; default payments).")
    var topics: [String] = []
    @Option(name: .long, help: "With --from-kafka: stop once nothing arrived for this many seconds.")
    var idleSeconds: Double = 10

    /// Consumes every partition of the topics from the beginning into the data directory
    /// `target` (which must be new), under a group of its own that commits nothing anyone else
    /// reads, then closes the months the input covers. Returns the stats line to print.
    func rebuild(into target: String, data: DataOptions) throws -> String {
        let logger = try kafka.logger()
        var flags = KafkaSettings()
        if !topics.isEmpty { flags.topics = topics }
        // A fresh group and a fresh log: every partition starts at its beginning.
        flags.group = "credence-replay-\(UUID().uuidString.prefix(8))"
        flags.deadLetterTopic = .some(nil)
        flags.publishTopic = .some(nil)
        var configuration = KafkaIngestConfiguration()
        try kafka.settings(flags: flags).apply(to: &configuration)
        configuration.consumer.autoOffsetReset = "earliest"
        try configuration.validate()
        var engineConfiguration = try data.engineConfiguration()
        engineConfiguration.dataDirectory = target
        engineConfiguration.derivedDirectory = nil
        let service = try EngineService(engineConfiguration)
        let ingest = try KafkaIngest(engine: service, configuration: configuration, logger: logger)
        try ingest.run(stop: { false }, stopWhenIdle: .milliseconds(Int64(idleSeconds * 1000)))
        try service.runSync { try $0.close() }
        let s = ingest.currentStats
        return
            "replayed \(Format.count(s.messages)) messages from \(configuration.consumer.topics.joined(separator: ",")) "
            + "(\(Format.count(s.accepted)) accepted, \(Format.count(s.duplicates)) duplicates, "
            + "\(Format.count(s.rejected)) rejected) into \(target)"
    }
}
