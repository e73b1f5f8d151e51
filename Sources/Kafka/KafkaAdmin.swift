import CRdKafka
public import Logging

/// Cluster administration: creating topics, reading how many partitions a topic has.
/// Every call blocks until the brokers answer: not for the cooperative pool.
public final class KafkaAdmin: Sendable {
    let handle: KafkaHandle

    /// A topic to create.
    public struct NewTopic: Sendable, Hashable {
        public var name: String
        /// Default: 1.
        public var partitions: Int
        /// Default: 1 (a single broker).
        public var replicationFactor: Int

        public init(_ name: String, partitions: Int = 1, replicationFactor: Int = 1) {
            self.name = name
            self.partitions = partitions
            self.replicationFactor = replicationFactor
        }
    }

    public init(_ configuration: KafkaConfiguration, logger: Logger = Logger(label: "credence.kafka"))
        throws(KafkaError)
    {
        try configuration.validate()
        let properties =
            configuration.baseProperties
            + configuration.properties.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        handle = try KafkaHandle(type: RD_KAFKA_PRODUCER, properties: properties, logger: logger)
    }

    /// Creates `topics`; topics that already exist are left as they are.
    public func createTopics(_ topics: [NewTopic], timeout: Duration = .seconds(30)) throws(KafkaError) {
        guard !topics.isEmpty else { return }
        let rk = handle.pointer
        var errstr = [CChar](repeating: 0, count: 512)
        var newTopics: [OpaquePointer?] = []
        defer { for t in newTopics { rd_kafka_NewTopic_destroy(t) } }
        for t in topics {
            guard
                let nt = rd_kafka_NewTopic_new(
                    t.name, Int32(t.partitions), Int32(t.replicationFactor), &errstr, errstr.count)
            else {
                throw KafkaError(.configuration, "topic \(t.name): \(String(cBuffer: errstr))")
            }
            newTopics.append(nt)
        }
        let queue = rd_kafka_queue_new(rk)
        defer { rd_kafka_queue_destroy(queue) }
        let options = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS)
        defer { rd_kafka_AdminOptions_destroy(options) }
        _ = rd_kafka_AdminOptions_set_operation_timeout(options, timeout.kafkaMilliseconds, &errstr, errstr.count)
        _ = rd_kafka_AdminOptions_set_request_timeout(options, timeout.kafkaMilliseconds, &errstr, errstr.count)
        newTopics.withUnsafeMutableBufferPointer { buffer in
            rd_kafka_CreateTopics(rk, buffer.baseAddress, buffer.count, options, queue)
        }
        guard let event = rd_kafka_queue_poll(queue, timeout.kafkaMilliseconds + 5000) else {
            throw KafkaError(.timeout, "creating topics took longer than \(timeout); are the brokers reachable?")
        }
        defer { rd_kafka_event_destroy(event) }
        let err = rd_kafka_event_error(event)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw KafkaError(
                .client, "cannot create topics: \(String(cString: rd_kafka_event_error_string(event)))",
                errorCode: err.rawValue)
        }
        guard let result = rd_kafka_event_CreateTopics_result(event) else { return }
        var count = 0
        guard let results = rd_kafka_CreateTopics_result_topics(result, &count) else { return }
        for i in 0..<count {
            let r = results[i]
            let e = rd_kafka_topic_result_error(r)
            if e == RD_KAFKA_RESP_ERR_NO_ERROR || e == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS { continue }
            let name = String(cString: rd_kafka_topic_result_name(r))
            let text = rd_kafka_topic_result_error_string(r).map { String(cString: $0) } ?? ""
            throw KafkaError(.client, "cannot create topic \(name): \(text)", errorCode: e.rawValue)
        }
    }

    /// The number of partitions of `topic`, or nil when the brokers do not know it.
    public func partitionCount(of topic: String, timeout: Duration = .seconds(10)) throws(KafkaError) -> Int? {
        let rk = handle.pointer
        guard let rkt = rd_kafka_topic_new(rk, topic, nil) else {
            throw KafkaError(.client, "cannot make a topic handle for \(topic)")
        }
        defer { rd_kafka_topic_destroy(rkt) }
        var metadata: UnsafePointer<rd_kafka_metadata>? = nil
        let err = rd_kafka_metadata(rk, 0, rkt, &metadata, timeout.kafkaMilliseconds)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata else {
            throw KafkaError(
                err == RD_KAFKA_RESP_ERR__TIMED_OUT ? .timeout : .client, "cannot read the metadata of \(topic)", err)
        }
        defer { rd_kafka_metadata_destroy(metadata) }
        for i in 0..<Int(metadata.pointee.topic_cnt) {
            let t = metadata.pointee.topics[i]
            guard String(cString: t.topic) == topic else { continue }
            if t.err != RD_KAFKA_RESP_ERR_NO_ERROR { return nil }
            return Int(t.partition_cnt)
        }
        return nil
    }
}
