/// What every Kafka client needs: where the brokers are, and any librdkafka property.
///
/// ```swift
/// var kafka = KafkaConfiguration()
/// kafka.brokers = "127.0.0.1:9092"
/// kafka.properties["socket.keepalive.enable"] = "true"
/// ```
public struct KafkaConfiguration: Sendable, Hashable {
    /// Bootstrap servers, `host:port` separated by commas. Default: `127.0.0.1:9092`.
    public var brokers: String = "127.0.0.1:9092"
    /// The client id brokers see in their logs. Default: `credence`.
    public var clientID: String = "credence"
    /// Any librdkafka property (its CONFIGURATION.md), applied after everything else, so it
    /// overrides what the typed options set. Default: none.
    public var properties: [String: String] = [:]

    public init(brokers: String = "127.0.0.1:9092") {
        self.brokers = brokers
    }

    /// Checks what can be checked without librdkafka (which checks each property when a client
    /// is created).
    public func validate() throws(KafkaError) {
        let list = brokers.split(separator: ",").map { $0.trimmingCharacters(in: " ") }
        guard !list.isEmpty, list.allSatisfy({ !$0.isEmpty }) else {
            throw KafkaError(.configuration, "brokers must list at least one host:port, got \"\(brokers)\"")
        }
        for key in properties.keys where key.isEmpty {
            throw KafkaError(.configuration, "a librdkafka property name must not be empty")
        }
    }

    /// The properties a client is created with, before the client type's own.
    var baseProperties: [(String, String)] {
        [("bootstrap.servers", brokers), ("client.id", clientID)]
    }
}

/// A consumer in a consumer group that commits offsets itself (after its work is durable).
public struct KafkaConsumerConfiguration: Sendable, Hashable {
    public var kafka = KafkaConfiguration()
    /// The consumer group. Default: `credence`.
    public var groupID: String = "credence"
    /// Topics to subscribe to. Default: `["payments"]`.
    public var topics: [String] = ["payments"]
    /// Where a partition without a committed offset starts: `earliest` or `latest`.
    /// Default: `earliest` (an ingest must not skip what was produced before it started).
    public var autoOffsetReset: String = "earliest"

    public init(
        kafka: KafkaConfiguration = KafkaConfiguration(), groupID: String = "credence", topics: [String] = ["payments"]
    ) {
        self.kafka = kafka
        self.groupID = groupID
        self.topics = topics
    }

    public func validate() throws(KafkaError) {
        try kafka.validate()
        guard !groupID.isEmpty else { throw KafkaError(.configuration, "the consumer group id must not be empty") }
        guard !topics.isEmpty, topics.allSatisfy({ !$0.isEmpty }) else {
            throw KafkaError(.configuration, "subscribe to at least one topic (empty names are not allowed)")
        }
        guard ["earliest", "latest", "smallest", "largest", "beginning", "end", "error"].contains(autoOffsetReset)
        else {
            throw KafkaError(.configuration, "auto offset reset must be earliest or latest, got \"\(autoOffsetReset)\"")
        }
    }

    var properties: [(String, String)] {
        kafka.baseProperties + [
            ("group.id", groupID),
            ("enable.auto.commit", "false"),
            ("enable.auto.offset.store", "false"),
            ("auto.offset.reset", autoOffsetReset),
            ("enable.partition.eof", "false"),
        ] + Self.fetchBackoff + kafka.properties.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    /// librdkafka stops fetching a partition once its local queue holds `queued.min.messages`
    /// (100,000) or `queued.max.messages.kbytes` (64 MB), then waits `fetch.queue.backoff.ms`
    /// (1 s by default) before fetching it again. A consumer that drains the queue in less than
    /// that (the Kafka path drains 100,000 messages in about 0.5 s) then sits idle for the rest:
    /// measured, half of the Kafka path's time went that way. 10 ms keeps the queue bounded as
    /// before and the consumer fed. The property exists from librdkafka 2.2 on; an older
    /// library (whose backoff cannot be changed) is left as it is. A configured value wins.
    static var fetchBackoff: [(String, String)] {
        KafkaLibrary.supportsFetchQueueBackoff ? [("fetch.queue.backoff.ms", "10")] : []
    }
}

/// A producer; idempotent by default, so retries never duplicate or reorder a partition's
/// messages.
public struct KafkaProducerConfiguration: Sendable, Hashable {
    public var kafka = KafkaConfiguration()
    /// `enable.idempotence`. Default: `true`.
    public var idempotent: Bool = true
    /// How long librdkafka keeps retrying a message before reporting it undelivered
    /// (`message.timeout.ms`); `nil` retries forever, which keeps per-key order even across a
    /// long broker outage. Default: `nil`.
    public var deliveryTimeout: Duration? = nil
    /// `linger.ms`: how long to wait to fill a batch. Default: 5 ms.
    public var lingerMilliseconds: Int = 5

    public init(kafka: KafkaConfiguration = KafkaConfiguration()) {
        self.kafka = kafka
    }

    public func validate() throws(KafkaError) {
        try kafka.validate()
        guard lingerMilliseconds >= 0 else { throw KafkaError(.configuration, "linger must not be negative") }
        if let t = deliveryTimeout, t <= .zero {
            throw KafkaError(.configuration, "the delivery timeout must be positive (nil means forever)")
        }
    }

    var properties: [(String, String)] {
        let timeout =
            deliveryTimeout.map {
                String(Int64($0.components.seconds * 1000 + $0.components.attoseconds / 1_000_000_000_000_000))
            } ?? "0"
        return kafka.baseProperties + [
            ("enable.idempotence", idempotent ? "true" : "false"),
            ("message.timeout.ms", timeout),
            ("linger.ms", String(lingerMilliseconds)),
        ] + kafka.properties.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }
}

extension Substring {
    func trimmingCharacters(in set: Character) -> Substring {
        var s = self
        while s.first == set { s = s.dropFirst() }
        while s.last == set { s = s.dropLast() }
        return s
    }
}
