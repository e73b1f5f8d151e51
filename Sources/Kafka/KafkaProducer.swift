import CRdKafka
public import Logging

/// A producer, idempotent by default: librdkafka retries without duplicating or reordering a
/// partition's messages, and with the default endless delivery timeout it keeps retrying
/// through a broker outage instead of dropping messages.
///
/// ``send(topic:key:value:headers:partition:)`` enqueues; ``flush(timeout:)`` waits for the
/// delivery reports and throws if any message since the previous flush failed. Both block:
/// call them from a thread of your own, not from the cooperative pool.
///
/// ```swift
/// let producer = try KafkaProducer(KafkaProducerConfiguration(kafka: kafka))
/// try producer.send(topic: "score-changes", key: Array(userID.utf8), value: line)
/// try producer.flush()    // every message above is in the broker's log now
/// ```
public final class KafkaProducer: Sendable {
    let handle: KafkaHandle
    public let configuration: KafkaProducerConfiguration

    public init(_ configuration: KafkaProducerConfiguration, logger: Logger = Logger(label: "credence.kafka"))
        throws(KafkaError)
    {
        try configuration.validate()
        self.configuration = configuration
        handle = try KafkaHandle(type: RD_KAFKA_PRODUCER, properties: configuration.properties, logger: logger) {
            conf in
            rd_kafka_conf_set_dr_msg_cb(conf) { _, message, opaque in
                guard let message, let opaque else { return }
                let context = Unmanaged<KafkaHandleContext>.fromOpaque(opaque).takeUnretainedValue()
                KafkaProducer.deliveryReport(message, context: context)
            }
        }
    }

    static func deliveryReport(_ message: UnsafePointer<rd_kafka_message_t>, context: KafkaHandleContext) {
        let err = message.pointee.err
        if err == RD_KAFKA_RESP_ERR_NO_ERROR {
            context.state.withLock { $0.delivered += 1 }
            return
        }
        let topic = message.pointee.rkt.map { String(cString: rd_kafka_topic_name($0)) } ?? "?"
        let error = KafkaError(.delivery, "a message to \(topic) was not delivered", err)
        context.logger.error("\(error)")
        context.state.withLock {
            $0.failed += 1
            if $0.firstFailure == nil { $0.firstFailure = error }
        }
    }

    /// Enqueues one message (key and value are copied). Waits, serving delivery reports, while
    /// librdkafka's local queue is full. `partition` nil lets the key choose it.
    public func send(
        topic: String, key: [UInt8]?, value: [UInt8], headers: [KafkaHeader] = [], partition: Int32? = nil
    ) throws(KafkaError) {
        var failure: KafkaError? = nil
        value.withUnsafeBytes { v in
            do throws(KafkaError) {
                try send(topic: topic, key: key, value: v, headers: headers, partition: partition)
            } catch { failure = error }
        }
        if let failure { throw failure }
    }

    /// Enqueues one message from a buffer (copied).
    public func send(
        topic: String, key: [UInt8]?, value: UnsafeRawBufferPointer, headers: [KafkaHeader] = [],
        partition: Int32? = nil
    ) throws(KafkaError) {
        try handle.checkFatal()
        let rk = handle.pointer
        let part = partition ?? credence_rd_kafka_partition_unassigned()
        while true {
            var hdrs: OpaquePointer? = nil
            if !headers.isEmpty {
                hdrs = rd_kafka_headers_new(headers.count)
                for h in headers {
                    if let v = h.value {
                        v.withUnsafeBytes { _ = rd_kafka_header_add(hdrs, h.name, -1, $0.baseAddress, $0.count) }
                    } else {
                        _ = rd_kafka_header_add(hdrs, h.name, -1, nil, 0)
                    }
                }
            }
            let err: rd_kafka_resp_err_t
            if let key {
                err = key.withUnsafeBytes { k in
                    credence_rd_kafka_produce(
                        rk, topic, part, k.baseAddress, k.count, value.baseAddress, value.count, hdrs, nil)
                }
            } else {
                err = credence_rd_kafka_produce(rk, topic, part, nil, 0, value.baseAddress, value.count, hdrs, nil)
            }
            if err == RD_KAFKA_RESP_ERR_NO_ERROR {
                rd_kafka_poll(rk, 0)
                return
            }
            if let hdrs { rd_kafka_headers_destroy(hdrs) }
            guard err == RD_KAFKA_RESP_ERR__QUEUE_FULL else {
                throw KafkaError(.client, "cannot enqueue a message to \(topic)", err)
            }
            rd_kafka_poll(rk, 100)
            try handle.checkFatal()
        }
    }

    /// Serves delivery reports without waiting.
    public func poll() {
        rd_kafka_poll(handle.pointer, 0)
    }

    /// Messages enqueued and not yet reported delivered or failed.
    public var outstanding: Int { Int(rd_kafka_outq_len(handle.pointer)) }

    /// Waits until every message sent so far is delivered or failed, then throws the first
    /// failure since the previous flush, if any. Returns how many were delivered since then.
    @discardableResult
    public func flush(timeout: Duration = .seconds(60)) throws(KafkaError) -> Int {
        let err = rd_kafka_flush(handle.pointer, timeout.kafkaMilliseconds)
        try handle.checkFatal()
        let (delivered, failure) = handle.context.state.withLock { s -> (Int, KafkaError?) in
            defer {
                s.delivered = 0
                s.failed = 0
                s.firstFailure = nil
            }
            return (s.delivered, s.firstFailure)
        }
        if let failure { throw failure }
        if err == RD_KAFKA_RESP_ERR__TIMED_OUT {
            throw KafkaError(
                .timeout, "\(outstanding) messages still undelivered after \(timeout); are the brokers reachable?", err)
        }
        return delivered
    }
}
