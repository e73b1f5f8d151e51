import Foundation
public import Kafka
public import Logging

/// Helpers shared by the Kafka suites.
public enum KafkaTestSupport {
    public static let logger: Logger = {
        var l = Logger(label: "credence.kafka.test")
        l.logLevel = ProcessInfo.processInfo.environment["CREDENCE_KAFKA_TEST_LOG"] != nil ? .debug : .error
        return l
    }()

    public static func uniqueName(_ prefix: String) -> String {
        "\(prefix)-\(UInt32.random(in: 0...UInt32.max))"
    }

    /// A consumer tuned to join a group quickly.
    public static func consumer(
        brokers: String, group: String, topics: [String], properties: [String: String] = [:]
    ) throws -> KafkaConsumer {
        var c = KafkaConsumerConfiguration(kafka: KafkaConfiguration(brokers: brokers), groupID: group, topics: topics)
        c.kafka.properties = [
            "session.timeout.ms": "6000", "heartbeat.interval.ms": "500", "topic.metadata.refresh.interval.ms": "1000",
        ].merging(properties) { $1 }
        return try KafkaConsumer(c, logger: logger)
    }

    public static func producer(brokers: String, properties: [String: String] = [:]) throws -> KafkaProducer {
        var c = KafkaProducerConfiguration(kafka: KafkaConfiguration(brokers: brokers))
        c.kafka.properties = properties
        return try KafkaProducer(c, logger: logger)
    }

    /// Polls until `count` messages arrived or `timeout` passed; commits what it read after
    /// each batch when `commit` is set. Returns the messages in arrival order.
    public static func consume(
        _ consumer: KafkaConsumer, count: Int, timeout: Duration = .seconds(30), commit: Bool = false
    ) throws -> [KafkaMessage] {
        var out: [KafkaMessage] = []
        let deadline = ContinuousClock.now + timeout
        while out.count < count && ContinuousClock.now < deadline {
            let result = try consumer.poll(maxMessages: min(500, count - out.count), timeout: .milliseconds(200))
            var next: [KafkaTopicPartition: Int64] = [:]
            for m in result.messages.indices.map({ result.messages[$0] }) {
                out.append(m)
                next[m.topicPartition] = m.offset + 1
            }
            if commit { try consumer.commit(next) }
        }
        return out
    }

    /// Waits up to `first` for the first message, then until nothing more arrives for `quiet`;
    /// returns what did.
    public static func drain(_ consumer: KafkaConsumer, quiet: Duration = .seconds(2), first: Duration = .seconds(20))
        throws
        -> [KafkaMessage]
    {
        var out: [KafkaMessage] = []
        let start = ContinuousClock.now
        var last = start
        while out.isEmpty ? ContinuousClock.now - start < first : ContinuousClock.now - last < quiet {
            let result = try consumer.poll(maxMessages: 500, timeout: .milliseconds(200))
            if !result.messages.isEmpty { last = ContinuousClock.now }
            out += result.messages.indices.map { result.messages[$0] }
        }
        return out
    }

    public static func value(_ user: Int, _ seq: Int) -> [UInt8] {
        Array("{\"user\":\"u\(user)\",\"seq\":\(seq)}".utf8)
    }
    public static func key(_ user: Int) -> [UInt8] { Array("u\(user)".utf8) }
}

extension KafkaMessage {
    public var text: String { String(decoding: value, as: UTF8.self) }
}
