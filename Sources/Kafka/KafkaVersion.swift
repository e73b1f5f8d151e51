import CRdKafka

/// The librdkafka loaded at run time (which can differ from the headers compiled against).
public enum KafkaLibrary {
    /// E.g. `2.8.0`.
    public static var version: String { String(cString: rd_kafka_version_str()) }

    /// `0xMMmmrrxx` as librdkafka encodes it.
    public static var versionNumber: Int { Int(rd_kafka_version()) }

    /// Whether this librdkafka can talk to brokers that send flexible (tagged-field) ApiVersions
    /// responses, such as Tansu: 2.0.2 cannot, 2.8.0 can.
    public static var supportsFlexibleAPIVersions: Bool { versionNumber >= 0x0201_0000 }

    /// Whether this librdkafka has `fetch.queue.backoff.ms` (2.2 and later): an older one waits
    /// 1 s before fetching a partition again whenever its local queue filled, and a consumer that
    /// drains the queue faster than that idles for the rest.
    public static var supportsFetchQueueBackoff: Bool { versionNumber >= 0x0202_0000 }
}
