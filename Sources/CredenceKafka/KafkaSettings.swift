import Foundation
public import Kafka

/// Kafka settings from a config file, environment variables and flags, later ones winning.
///
/// The file has `key=value` lines (`#` starts a comment). Keys:
/// `brokers`, `group`, `topics` (comma-separated), `dlq-topic`, `publish-topic` (empty turns
/// either off), `partitioner`; any other key is a librdkafka property (`session.timeout.ms=6000`).
///
/// Environment: `CREDENCE_KAFKA_BROKERS`, `CREDENCE_KAFKA_GROUP`, `CREDENCE_KAFKA_TOPICS`,
/// `CREDENCE_KAFKA_DLQ_TOPIC`, `CREDENCE_KAFKA_PUBLISH_TOPIC`, `CREDENCE_KAFKA_PARTITIONER`, and
/// `CREDENCE_KAFKA_PROPERTIES` (`name=value` pairs separated by `;`).
public struct KafkaSettings: Sendable, Hashable {
    public var brokers: String?
    public var group: String?
    public var topics: [String]?
    public var deadLetterTopic: String??
    public var publishTopic: String??
    /// How producers pick a partition from the key (librdkafka's `partitioner`), also used to
    /// route queries in a cluster.
    public var partitioner: String?
    public var properties: [String: String] = [:]

    public init() {}

    /// Settings from a config file's text.
    public static func parse(file text: String, name: String) throws(KafkaError) -> KafkaSettings {
        var s = KafkaSettings()
        for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line =
                raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { continue }
            guard let eq = trimmed.firstIndex(of: "=") else {
                throw KafkaError(.configuration, "\(name):\(n + 1): expected key=value, got \"\(trimmed)\"")
            }
            let key = trimmed[..<eq].trimmingCharacters(in: .whitespaces)
            let value = trimmed[trimmed.index(after: eq)...].trimmingCharacters(in: .whitespaces)
            s.set(key, value)
        }
        return s
    }

    /// Settings from `CREDENCE_KAFKA_*` environment variables.
    public static func parse(environment: [String: String]) -> KafkaSettings {
        var s = KafkaSettings()
        if let v = environment["CREDENCE_KAFKA_BROKERS"] { s.set("brokers", v) }
        if let v = environment["CREDENCE_KAFKA_GROUP"] { s.set("group", v) }
        if let v = environment["CREDENCE_KAFKA_TOPICS"] { s.set("topics", v) }
        if let v = environment["CREDENCE_KAFKA_DLQ_TOPIC"] { s.set("dlq-topic", v) }
        if let v = environment["CREDENCE_KAFKA_PUBLISH_TOPIC"] { s.set("publish-topic", v) }
        if let v = environment["CREDENCE_KAFKA_PARTITIONER"] { s.set("partitioner", v) }
        if let v = environment["CREDENCE_KAFKA_PROPERTIES"] {
            for pair in v.split(separator: ";") {
                guard let eq = pair.firstIndex(of: "=") else { continue }
                s.properties[String(pair[..<eq]).trimmingCharacters(in: .whitespaces)] =
                    String(pair[pair.index(after: eq)...]).trimmingCharacters(in: .whitespaces)
            }
        }
        return s
    }

    mutating func set(_ key: String, _ value: String) {
        switch key {
        case "brokers", "bootstrap.servers": brokers = value
        case "group", "group.id": group = value
        case "topics":
            topics = value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        case "dlq-topic": deadLetterTopic = .some(value.isEmpty ? nil : value)
        case "publish-topic": publishTopic = .some(value.isEmpty ? nil : value)
        case "partitioner": partitioner = value
        default: properties[key] = value
        }
    }

    /// `other`'s settings over these.
    public func overridden(by other: KafkaSettings) -> KafkaSettings {
        var s = self
        if let v = other.brokers { s.brokers = v }
        if let v = other.group { s.group = v }
        if let v = other.topics { s.topics = v }
        if let v = other.deadLetterTopic { s.deadLetterTopic = v }
        if let v = other.publishTopic { s.publishTopic = v }
        if let v = other.partitioner { s.partitioner = v }
        s.properties.merge(other.properties) { $1 }
        return s
    }

    /// Applies the settings to an ingest configuration's defaults.
    public func apply(to c: inout KafkaIngestConfiguration) {
        if let v = brokers { c.consumer.kafka.brokers = v }
        if let v = group { c.consumer.groupID = v }
        if let v = topics { c.consumer.topics = v }
        if let v = deadLetterTopic { c.deadLetterTopic = v }
        if let v = publishTopic { c.publishTopic = v }
        if let v = partitioner { c.partitioner = v }
        c.consumer.kafka.properties.merge(properties) { $1 }
    }
}
