import CredenceEngine
import CredenceKafka
import Foundation
import Kafka
import Logging

/// `credence bench kafka`: the Kafka path into the durable log (poll, decode, checks, append,
/// fsync per batch, offsets committed) against a plain librdkafka group consumer that polls,
/// touches every message and commits per batch: the same topic, the same broker (librdkafka's
/// in-process mock cluster, so no broker's own speed is measured), the same run, alternating.
/// Both are timed from their first message (a group join is not throughput).
///
/// The plain consumer runs twice: with the consumer settings the Kafka path has (a 10 ms fetch
/// backoff, see `KafkaConsumerConfiguration`), and with librdkafka's own 1 s backoff, which
/// bounds a consumer that drains its prefetched messages quickly (earlier figures measured that).
struct KafkaBench {
    let input: String
    let lines: Int
    let runs: Int
    let noFsync: Bool
    let shards: Int
    let work: String

    func run(table: BenchTable) throws {
        var logger = Logger(label: "credence.bench.kafka")
        logger.logLevel = .error
        var ratios: [Double] = []
        var raws: [Double] = []
        var slowRaws: [Double] = []
        var slowRatios: [Double] = []
        var paths: [Double] = []
        for i in 0..<max(runs, 1) {
            let cluster = try KafkaMockCluster(brokers: 1, logger: logger)
            let bytes = (try? FileManager.default.attributesOfItem(atPath: input)[.size] as? Int) ?? 0
            // The mock keeps about 5 MB a partition: enough partitions that nothing is dropped.
            try cluster.createTopic("payments", partitions: max(4, bytes / 2_000_000 + 1))
            var settings = KafkaSettings()
            settings.brokers = cluster.bootstrapServers
            settings.properties = ["linger.ms": "20", "batch.num.messages": "10000"]
            let produced = try KafkaFileProducer.produce(
                path: input, topic: "payments", settings: settings, logger: logger)
            let raw = try rawConsume(
                cluster.bootstrapServers, group: "bench-raw-\(i)", expect: produced.messages, logger)
            let slowRaw = try rawConsume(
                cluster.bootstrapServers, group: "bench-raw-1s-\(i)", expect: produced.messages,
                properties: KafkaLibrary.supportsFetchQueueBackoff ? ["fetch.queue.backoff.ms": "1000"] : [:], logger
            )
            let path = try kafkaPath(
                cluster.bootstrapServers, group: "bench-ingest-\(i)", expect: produced.messages,
                directory: work + "/kafka-\(i)", logger)
            try? FileManager.default.removeItem(atPath: work + "/kafka-\(i)")
            withExtendedLifetime(cluster) {}  // the brokers outlive every client
            print(
                "kafka run \(i + 1): \(Format.count(produced.messages)) messages; plain consumer "
                    + "\(Format.rate(raw)) msg/s, the Kafka path into the log \(Format.rate(path)) msg/s, "
                    + String(format: "ratio %.2f", path / raw)
                    + "; the plain consumer with librdkafka's 1 s fetch backoff \(Format.rate(slowRaw)) msg/s, "
                    + String(format: "ratio %.2f", path / slowRaw))
            raws.append(raw)
            slowRaws.append(slowRaw)
            slowRatios.append(path / slowRaw)
            paths.append(path)
            ratios.append(path / raw)
        }
        func median(_ v: [Double]) -> Double { v.sorted()[v.count / 2] }
        table.add("plain librdkafka group consumer (mock broker)", "\(Format.rate(median(raws))) msg/s", goal: "")
        table.add(
            "  the same with librdkafka's 1 s fetch backoff", "\(Format.rate(median(slowRaws))) msg/s", goal: "")
        table.add("the Kafka path into the durable log", "\(Format.rate(median(paths))) msg/s", goal: "")
        table.add("  ratio, taken in each run", String(format: "%.2f", median(ratios)), goal: ">= 0.8")
        table.add("  ratio to the consumer with the 1 s backoff", String(format: "%.2f", median(slowRatios)), goal: "")
    }

    /// Polls batches, touches every message, commits per batch; messages/s from the first message.
    func rawConsume(
        _ brokers: String, group: String, expect: Int, properties: [String: String] = [:], _ logger: Logger
    ) throws -> Double {
        var c = KafkaConsumerConfiguration(
            kafka: KafkaConfiguration(brokers: brokers), groupID: group, topics: ["payments"])
        c.kafka.properties = ["session.timeout.ms": "6000", "heartbeat.interval.ms": "500"]
        c.kafka.properties.merge(properties) { $1 }
        let consumer = try KafkaConsumer(c, logger: logger)
        defer { try? consumer.close() }
        var count = 0
        var touched = 0
        var start: ContinuousClock.Instant? = nil
        let deadline = ContinuousClock.now + .seconds(600)
        while count < expect && ContinuousClock.now < deadline {
            let r = try consumer.poll(maxMessages: 2000, timeout: .milliseconds(100))
            if r.messages.isEmpty { continue }
            if start == nil { start = .now }
            var next: [KafkaTopicPartition: Int64] = [:]
            for i in r.messages.indices {
                r.messages.withMessage(at: i) { m in
                    touched &+= m.value.count
                    next[KafkaTopicPartition(m.topic, m.partition)] = m.offset + 1
                }
            }
            count += r.messages.count
            try consumer.commit(next)
        }
        guard let start, count == expect else {
            throw CLIError("the plain consumer got \(count) of \(expect) messages in 600 s")
        }
        precondition(touched > 0)
        return Double(count) / (ContinuousClock.now - start).secondsDouble
    }

    /// `KafkaIngest` into a fresh data directory until every message is in; messages/s from the first.
    func kafkaPath(_ brokers: String, group: String, expect: Int, directory: String, _ logger: Logger) throws
        -> Double
    {
        var ec = EngineConfiguration()
        ec.dataDirectory = directory
        ec.shards = shards
        if noFsync { ec.log.durability = .none }
        let service = try EngineService(ec)
        var c = KafkaIngestConfiguration()
        c.consumer.kafka.brokers = brokers
        c.consumer.groupID = group
        c.consumer.kafka.properties = ["session.timeout.ms": "6000", "heartbeat.interval.ms": "500"]
        c.publishTopic = nil
        c.deadLetterTopic = nil
        let ingest = try KafkaIngest(engine: service, configuration: c, logger: logger)
        let deadline = ContinuousClock.now + .seconds(600)
        try ingest.run(stop: { ingest.currentStats.messages >= expect || ContinuousClock.now > deadline })
        try service.runSync { try $0.close() }
        let s = ingest.currentStats
        guard s.messages >= expect, let seconds = ingest.elapsedSinceFirstMessage else {
            throw CLIError("the Kafka path got \(s.messages) of \(expect) messages in 600 s")
        }
        return Double(s.messages) / seconds
    }
}
