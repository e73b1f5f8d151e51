import CRdKafka
public import Logging

/// librdkafka's in-process mock cluster: brokers on loopback ports inside this process, for
/// tests and benchmarks. Brokers can be taken down and requests made to fail.
///
/// ```swift
/// let cluster = try KafkaMockCluster(brokers: 3)
/// try cluster.createTopic("payments", partitions: 4)
/// var kafka = KafkaConfiguration(brokers: cluster.bootstrapServers)
/// cluster.pushRequestErrors(.produce, [KafkaError.Codes.notLeaderForPartition])
/// ```
public final class KafkaMockCluster: Sendable {
    private let cluster: Cluster
    /// `host:port,...` of the mock brokers.
    public let bootstrapServers: String

    /// A Kafka protocol request type, for injecting errors.
    public struct APIKey: Sendable, Hashable {
        public let rawValue: Int16
        public init(rawValue: Int16) { self.rawValue = rawValue }
        public static let produce = APIKey(rawValue: 0)
        public static let fetch = APIKey(rawValue: 1)
        public static let listOffsets = APIKey(rawValue: 2)
        public static let metadata = APIKey(rawValue: 3)
        public static let offsetCommit = APIKey(rawValue: 8)
        public static let offsetFetch = APIKey(rawValue: 9)
        public static let findCoordinator = APIKey(rawValue: 10)
        public static let joinGroup = APIKey(rawValue: 11)
        public static let heartbeat = APIKey(rawValue: 12)
        public static let syncGroup = APIKey(rawValue: 14)
        public static let initProducerID = APIKey(rawValue: 22)
    }

    /// The `rd_kafka_mock_cluster_t`. `@unchecked Sendable` is sound: librdkafka's mock API
    /// hands every call to the cluster's own thread, and the pointer is destroyed once, in
    /// `deinit`.
    private final class Cluster: @unchecked Sendable {
        let pointer: OpaquePointer
        // The client whose thread runs the cluster: released only after the cluster is destroyed.
        let owner: KafkaHandle
        init(_ pointer: OpaquePointer, owner: KafkaHandle) {
            self.pointer = pointer
            self.owner = owner
        }
        deinit { rd_kafka_mock_cluster_destroy(pointer) }
    }

    public init(brokers: Int = 3, logger: Logger = Logger(label: "credence.kafka.mock")) throws(KafkaError) {
        guard brokers >= 1 else { throw KafkaError(.configuration, "a mock cluster needs at least one broker") }
        let owner = try KafkaHandle(
            type: RD_KAFKA_PRODUCER, properties: [("client.id", "credence-mock-cluster"), ("log_level", "3")],
            logger: logger)
        guard let c = rd_kafka_mock_cluster_new(owner.pointer, Int32(brokers)) else {
            throw KafkaError(.client, "cannot start a librdkafka mock cluster")
        }
        cluster = Cluster(c, owner: owner)
        bootstrapServers = String(cString: rd_kafka_mock_cluster_bootstraps(c))
        // Groups form as soon as a member joins instead of after the broker default of 3 s.
        _ = credence_rd_kafka_mock_set_initial_rebalance_delay(c, 0)
    }

    public func createTopic(_ name: String, partitions: Int, replicationFactor: Int = 1) throws(KafkaError) {
        let err = rd_kafka_mock_topic_create(cluster.pointer, name, Int32(partitions), Int32(replicationFactor))
        if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(.client, "cannot create mock topic \(name)", err) }
    }

    /// Disconnects broker `id` (1-based) and refuses new connections until ``setBrokerUp(_:)``.
    public func setBrokerDown(_ id: Int32) {
        _ = rd_kafka_mock_broker_set_down(cluster.pointer, id)
    }

    public func setBrokerUp(_ id: Int32) {
        _ = rd_kafka_mock_broker_set_up(cluster.pointer, id)
    }

    /// Makes the next requests of type `api` fail with `errors` (librdkafka error codes), one each.
    public func pushRequestErrors(_ api: APIKey, _ errors: [Int32]) {
        var codes = errors.map { rd_kafka_resp_err_t($0) }
        codes.withUnsafeMutableBufferPointer {
            rd_kafka_mock_push_request_errors_array(cluster.pointer, api.rawValue, $0.count, $0.baseAddress)
        }
    }

    /// Drops errors still queued for `api`.
    public func clearRequestErrors(_ api: APIKey) {
        rd_kafka_mock_clear_request_errors(cluster.pointer, api.rawValue)
    }

    /// Makes broker `id` the leader of `topic`'s `partition`.
    public func setPartitionLeader(_ topic: String, partition: Int32, broker id: Int32) {
        _ = rd_kafka_mock_partition_set_leader(cluster.pointer, topic, partition, id)
    }

    /// Makes broker `id` the group coordinator for `group`.
    public func setGroupCoordinator(_ group: String, broker id: Int32) {
        _ = rd_kafka_mock_coordinator_set(cluster.pointer, "group", group, id)
    }
}
