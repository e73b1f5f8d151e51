/// How an instance takes part in a cluster of `credence run` instances in one consumer group.
///
/// ```swift
/// var cluster = ClusterConfiguration(advertise: "http://10.0.0.5:8080")
/// cluster.partitioner = .murmur2Random      // the producers are Java clients
/// try cluster.validate()
/// ```
public struct ClusterConfiguration: Sendable {
    /// The base URL other instances reach this one's HTTP API at. Default: none (the CLI
    /// advertises `http://<http-host>:<http-port>`).
    public var advertise: String
    /// The input topic whose partitions the instances split. Default: `payments`.
    public var topic: String = "payments"
    /// The small compacted topic where owners publish their partitions' progress. Default:
    /// `credence.cluster`.
    public var controlTopic: String = "credence.cluster"
    /// How producers chose partitions; routing uses the same function. Default: librdkafka's
    /// `consistent_random` (CRC-32 of the key).
    public var partitioner: Partitioner = .consistentRandom
    /// How often an owner publishes what changed about its partitions. Default: 500 ms.
    public var publishInterval: Duration = .milliseconds(500)
    /// How often an owner re-publishes unchanged records, so readers see it is alive. Default: 5 s.
    public var heartbeat: Duration = .seconds(5)
    /// How long a forwarded query or an export part may take. Default: 10 s.
    public var peerTimeout: Duration = .seconds(10)
    /// Close months on the cluster's watermark (every partition of the topic) rather than on this
    /// instance's partitions alone. Default: `true`.
    public var globalWatermark: Bool = true

    public init(advertise: String) {
        self.advertise = advertise
    }

    public func validate() throws(ClusterError) {
        _ = try PeerClient.endpoint(advertise)
        guard !topic.isEmpty, !controlTopic.isEmpty, topic != controlTopic else {
            throw ClusterError(
                .configuration, "the input topic and the control topic must be two different, non-empty names")
        }
        guard publishInterval > .zero, heartbeat >= publishInterval, peerTimeout > .zero else {
            throw ClusterError(.configuration, "the publish interval, heartbeat and peer timeout must be positive")
        }
    }
}
