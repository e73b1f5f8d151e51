import CRdKafka

/// A Kafka failure: what kind, librdkafka's own error (code and name) when it came from there,
/// and a message that says what to do.
public struct KafkaError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure, for callers that branch on it.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        public let name: String
        public var description: String { name }
        /// A property or option is unknown or has a bad value.
        public static let configuration = Code(name: "configuration")
        /// librdkafka refused or failed an operation (see `errorName`).
        public static let client = Code(name: "client")
        /// An operation did not finish in time (brokers unreachable?).
        public static let timeout = Code(name: "timeout")
        /// A produced message was not delivered.
        public static let delivery = Code(name: "delivery")
        /// A consumer offset commit failed.
        public static let commit = Code(name: "commit")
        /// The client hit an unrecoverable error and must be recreated (e.g. an idempotent
        /// producer's sequence gap).
        public static let fatal = Code(name: "fatal")
        /// The handle was closed.
        public static let closed = Code(name: "closed")
    }

    public var code: Code
    /// librdkafka's `rd_kafka_resp_err_t`, or 0.
    public var errorCode: Int32
    /// librdkafka's name for `errorCode` (`rd_kafka_err2name`), e.g. `_TRANSPORT`, or "".
    public var errorName: String
    public var message: String

    public init(_ code: Code, _ message: String, errorCode: Int32 = 0) {
        self.code = code
        self.message = message
        self.errorCode = errorCode
        self.errorName = errorCode == 0 ? "" : String(cString: rd_kafka_err2name(rd_kafka_resp_err_t(errorCode)))
    }

    /// An error from a librdkafka return code, with its text.
    init(_ code: Code, _ message: String, _ err: rd_kafka_resp_err_t) {
        self.init(code, "\(message): \(String(cString: rd_kafka_err2str(err)))", errorCode: err.rawValue)
    }

    public var description: String {
        errorName.isEmpty ? "\(code): \(message)" : "\(code) (\(errorName)): \(message)"
    }

    /// librdkafka error codes tests and callers refer to.
    public enum Codes {
        public static let noError: Int32 = 0
        public static let notLeaderForPartition: Int32 = RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION.rawValue
        public static let requestTimedOut: Int32 = RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT.rawValue
        public static let notEnoughReplicas: Int32 = RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS.rawValue
        public static let coordinatorNotAvailable: Int32 = RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE.rawValue
        public static let notCoordinator: Int32 = RD_KAFKA_RESP_ERR_NOT_COORDINATOR.rawValue
        public static let coordinatorLoadInProgress: Int32 = RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS.rawValue
        public static let topicAlreadyExists: Int32 = RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS.rawValue
        public static let unknownTopicOrPartition: Int32 = RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART.rawValue
        public static let rebalanceInProgress: Int32 = RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS.rawValue
        public static let leaderNotAvailable: Int32 = RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE.rawValue
    }
}
