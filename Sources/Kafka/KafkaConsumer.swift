import CRdKafka
import Dispatch
public import Logging
import Synchronization

/// A member of a consumer group that commits offsets only when told to (after the work that
/// depends on them is durable).
///
/// Polling blocks: call ``poll(maxMessages:timeout:)`` from a thread of your own, or iterate
/// ``batches(maxMessages:timeout:)``, which polls on the consumer's own dispatch queue, off the
/// cooperative pool.
///
/// ```swift
/// let consumer = try KafkaConsumer(configuration, logger: logger)
/// while running {
///     let result = try consumer.poll(maxMessages: 1000, timeout: .milliseconds(100))
///     for i in result.messages.indices { result.messages.withMessage(at: i) { handle($0) } }
///     makeDurable()
///     try consumer.commit(nextOffsets)              // offset + 1 per partition
///     if let r = result.rebalance { checkpoint(r) } // completed at the next poll
/// }
/// try consumer.close()
/// ```
public final class KafkaConsumer: Sendable {
    let handle: KafkaHandle
    public let configuration: KafkaConsumerConfiguration
    private let queue = DispatchQueue(label: "credence.kafka.consumer")
    /// High watermarks asked of the broker, when no fetch response gave one (see ``lag(_:)``).
    private let queried = Mutex<[KafkaTopicPartition: (at: ContinuousClock.Instant, high: Int64)]>([:])

    /// What one poll returned: messages, then possibly a rebalance that arrived after them.
    public struct PollResult: Sendable {
        public var messages: KafkaMessageBatch
        /// A rebalance the caller should act on (checkpoint revoked partitions, prepare assigned
        /// ones). It is completed at the next ``poll(maxMessages:timeout:)`` unless the caller
        /// completes it first with ``completeRebalance(startOffsets:)``.
        public var rebalance: KafkaRebalance?
    }

    /// Creates the consumer and subscribes to the configured topics.
    public init(_ configuration: KafkaConsumerConfiguration, logger: Logger = Logger(label: "credence.kafka"))
        throws(KafkaError)
    {
        try configuration.validate()
        self.configuration = configuration
        handle = try KafkaHandle(type: RD_KAFKA_CONSUMER, properties: configuration.properties, logger: logger) {
            conf in
            rd_kafka_conf_set_rebalance_cb(conf) { rk, err, partitions, opaque in
                guard let rk, let opaque else { return }
                let context = Unmanaged<KafkaHandleContext>.fromOpaque(opaque).takeUnretainedValue()
                KafkaConsumer.rebalanceCallback(rk: rk, err: err, partitions: partitions, context: context)
            }
        }
        rd_kafka_poll_set_consumer(handle.pointer)
        let list = PartitionList.make(configuration.topics.map { (KafkaTopicPartition($0, -1), nil) })
        defer { rd_kafka_topic_partition_list_destroy(list) }
        let err = rd_kafka_subscribe(handle.pointer, list)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw KafkaError(.client, "cannot subscribe to \(configuration.topics.joined(separator: ", "))", err)
        }
    }

    /// Waits up to `timeout` for a first message, then takes whatever else is ready, up to
    /// `maxMessages`. A rebalance ends the batch early. Blocking: not for the cooperative pool.
    public func poll(maxMessages: Int = 1000, timeout: Duration = .milliseconds(100)) throws(KafkaError) -> PollResult {
        try handle.checkFatal()
        try completeRebalance()
        let rk = handle.pointer
        var messages: [UnsafeMutablePointer<rd_kafka_message_t>] = []
        messages.reserveCapacity(min(maxMessages, 4096))
        let deadline = ContinuousClock.now + timeout
        var rebalance: KafkaRebalance? = nil
        while messages.count < maxMessages {
            let wait: Int32 = messages.isEmpty ? max((deadline - ContinuousClock.now).kafkaMilliseconds, 0) : 0
            let m = rd_kafka_consumer_poll(rk, wait)
            if let r = handle.context.state.withLock({ $0.pendingRebalance }) {
                rebalance = r
            }
            if let m {
                if m.pointee.err != RD_KAFKA_RESP_ERR_NO_ERROR {
                    reportError(m)
                    rd_kafka_message_destroy(m)
                } else {
                    messages.append(m)
                }
            } else if messages.isEmpty && rebalance == nil && ContinuousClock.now < deadline {
                continue
            }
            if rebalance != nil || m == nil { break }
        }
        return PollResult(messages: KafkaMessageBatch(messages, handle: handle), rebalance: rebalance)
    }

    private func reportError(_ m: UnsafeMutablePointer<rd_kafka_message_t>) {
        let err = m.pointee.err
        if err == RD_KAFKA_RESP_ERR__PARTITION_EOF { return }
        let text =
            m.pointee.payload.map {
                String(decoding: UnsafeRawBufferPointer(start: $0, count: m.pointee.len), as: UTF8.self)
            } ?? ""
        let name = String(cString: rd_kafka_err2name(err))
        handle.context.logger.warning("kafka consumer: \(text)", metadata: ["rdkafka.error": "\(name)"])
    }

    /// Completes a pending rebalance: assigns (from `startOffsets` where given, else from the
    /// committed offsets) or unassigns. ``poll(maxMessages:timeout:)`` calls it first thing.
    public func completeRebalance(startOffsets: [KafkaTopicPartition: Int64] = [:]) throws(KafkaError) {
        guard
            let r = handle.context.state.withLock({ s -> KafkaRebalance? in
                defer { s.pendingRebalance = nil }
                return s.pendingRebalance
            })
        else { return }
        try Self.apply(r, rk: handle.pointer, context: handle.context, startOffsets: startOffsets)
    }

    static func rebalanceCallback(
        rk: OpaquePointer, err: rd_kafka_resp_err_t, partitions: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?,
        context: KafkaHandleContext
    ) {
        let cooperative = String(cString: rd_kafka_rebalance_protocol(rk)) == "COOPERATIVE"
        let list = PartitionList.read(partitions).map { $0.0 }
        let kind: KafkaRebalance.Kind
        switch err {
        case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS: kind = .assigned
        case RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS: kind = rd_kafka_assignment_lost(rk) != 0 ? .lost : .revoked
        default:
            context.logger.warning("kafka consumer: rebalance failed: \(String(cString: rd_kafka_err2str(err)))")
            kind = .lost
        }
        let rebalance = KafkaRebalance(kind: kind, partitions: list, cooperative: cooperative)
        context.logger.info(
            "kafka consumer: \(kind) \(list.map(\.description).joined(separator: ", "))")
        let immediately = context.state.withLock { s -> Bool in
            if s.rebalanceImmediately { return true }
            s.pendingRebalance = rebalance
            return false
        }
        if immediately {
            do { try apply(rebalance, rk: rk, context: context, startOffsets: [:]) } catch {
                context.logger.error("kafka consumer: \(error)")
            }
        }
    }

    static func apply(
        _ r: KafkaRebalance, rk: OpaquePointer, context: KafkaHandleContext, startOffsets: [KafkaTopicPartition: Int64]
    ) throws(KafkaError) {
        let list = PartitionList.make(r.partitions.map { ($0, startOffsets[$0]) })
        defer { rd_kafka_topic_partition_list_destroy(list) }
        var failure: String? = nil
        switch (r.kind, r.cooperative) {
        case (.assigned, false):
            let err = rd_kafka_assign(rk, list)
            if err != RD_KAFKA_RESP_ERR_NO_ERROR { failure = String(cString: rd_kafka_err2str(err)) }
        case (.assigned, true):
            if let e = rd_kafka_incremental_assign(rk, list) {
                failure = String(cString: rd_kafka_error_string(e))
                rd_kafka_error_destroy(e)
            }
        case (_, false):
            let err = rd_kafka_assign(rk, nil)
            if err != RD_KAFKA_RESP_ERR_NO_ERROR { failure = String(cString: rd_kafka_err2str(err)) }
        case (_, true):
            if let e = rd_kafka_incremental_unassign(rk, list) {
                failure = String(cString: rd_kafka_error_string(e))
                rd_kafka_error_destroy(e)
            }
        }
        context.state.withLock { s in
            switch r.kind {
            case .assigned:
                if !r.cooperative { s.assignment = [] }
                s.assignment.formUnion(r.partitions)
            case .revoked, .lost:
                if r.cooperative { s.assignment.subtract(r.partitions) } else { s.assignment = [] }
            }
        }
        if let failure { throw KafkaError(.client, "cannot complete the \(r.kind) rebalance: \(failure)") }
    }

    /// The partitions assigned to this consumer now.
    public var assignment: Set<KafkaTopicPartition> {
        handle.context.state.withLock { $0.assignment }
    }

    /// Commits `offsets` (the next offset to read: the last processed offset + 1) and waits for
    /// the broker's answer. Blocking.
    public func commit(_ offsets: [KafkaTopicPartition: Int64]) throws(KafkaError) {
        guard !offsets.isEmpty else { return }
        try handle.checkFatal()
        let list = PartitionList.make(offsets.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
        defer { rd_kafka_topic_partition_list_destroy(list) }
        let err = rd_kafka_commit(handle.pointer, list, 0)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR {
            throw KafkaError(.commit, "cannot commit offsets \(Self.describe(offsets))", err)
        }
        for (tp, _, e) in PartitionList.read(list) where e != 0 {
            throw KafkaError(.commit, "cannot commit the offset of \(tp)", rd_kafka_resp_err_t(e))
        }
    }

    /// The group's committed offsets for `partitions` (absent where none is committed). Blocking.
    public func committed(_ partitions: [KafkaTopicPartition], timeout: Duration = .seconds(10)) throws(KafkaError)
        -> [KafkaTopicPartition: Int64]
    {
        let list = PartitionList.make(partitions.map { ($0, nil) })
        defer { rd_kafka_topic_partition_list_destroy(list) }
        let err = rd_kafka_committed(handle.pointer, list, timeout.kafkaMilliseconds)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR {
            throw KafkaError(
                err == RD_KAFKA_RESP_ERR__TIMED_OUT ? .timeout : .client, "cannot read committed offsets", err)
        }
        var out: [KafkaTopicPartition: Int64] = [:]
        for (tp, offset, _) in PartitionList.read(list) where offset >= 0 { out[tp] = offset }
        return out
    }

    /// Moves assigned partitions' fetch positions. Blocking.
    public func seek(_ offsets: [KafkaTopicPartition: Int64], timeout: Duration = .seconds(10)) throws(KafkaError) {
        guard !offsets.isEmpty else { return }
        let list = PartitionList.make(offsets.map { ($0.key, $0.value) })
        defer { rd_kafka_topic_partition_list_destroy(list) }
        if let e = rd_kafka_seek_partitions(handle.pointer, list, timeout.kafkaMilliseconds) {
            let error = KafkaError(.client, "cannot seek: \(String(cString: rd_kafka_error_string(e)))")
            rd_kafka_error_destroy(e)
            throw error
        }
        for (tp, _, e) in PartitionList.read(list) where e != 0 {
            throw KafkaError(.client, "cannot seek \(tp)", rd_kafka_resp_err_t(e))
        }
    }

    /// How many messages each partition has that this consumer has not yet returned, from the
    /// high watermarks librdkafka last saw in fetch responses (no broker round trip); `nil`
    /// where that is not known yet.
    ///
    /// `positions`, where given, are the caller's: the next offset it has *applied*. They win over
    /// librdkafka's, which counts messages a poll returned that the caller may not have applied
    /// yet (a partition would look caught up while its last batch is still in hand), and which a
    /// partition assigned at an explicit offset lacks until its first message.
    public func lag(_ partitions: [KafkaTopicPartition], positions known: [KafkaTopicPartition: Int64] = [:])
        -> [KafkaTopicPartition: Int64?]
    {
        guard !partitions.isEmpty else { return [:] }
        let list = PartitionList.make(partitions.map { ($0, nil) })
        defer { rd_kafka_topic_partition_list_destroy(list) }
        _ = rd_kafka_position(handle.pointer, list)
        var out: [KafkaTopicPartition: Int64?] = [:]
        for (tp, librdkafkaPosition, _) in PartitionList.read(list) {
            let position = known[tp] ?? librdkafkaPosition
            var low: Int64 = -1
            var high: Int64 = -1
            let err = rd_kafka_get_watermark_offsets(handle.pointer, tp.topic, tp.partition, &low, &high)
            if (err != RD_KAFKA_RESP_ERR_NO_ERROR || high < 0) && position >= 0 {
                // No fetch response has told librdkafka the high watermark (yet): ask the broker,
                // at most once a second per partition.
                high = queriedHighWatermark(tp) ?? -1
            }
            if high < 0 {
                out[tp] = .some(nil)
            } else if position >= 0 {
                out[tp] = max(high - position, 0)
            } else {
                out[tp] = high == low ? 0 : nil
            }
        }
        return out
    }

    /// The partition's high watermark from the broker, remembered for a second.
    private func queriedHighWatermark(_ tp: KafkaTopicPartition) -> Int64? {
        let now = ContinuousClock.now
        if let (at, high) = queried.withLock({ $0[tp] }), now - at < .seconds(1) { return high }
        var low: Int64 = -1
        var high: Int64 = -1
        let err = rd_kafka_query_watermark_offsets(handle.pointer, tp.topic, tp.partition, &low, &high, 500)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR, high >= 0 else { return nil }
        queried.withLock { $0[tp] = (now, high) }
        return high
    }

    /// Leaves the group (revoking the assignment at once, without waiting for a poll). Call it
    /// after the last commit. Blocking.
    public func close() throws(KafkaError) {
        handle.context.state.withLock { $0.rebalanceImmediately = true }
        try completeRebalance()
        let err = rd_kafka_consumer_close(handle.pointer)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR {
            throw KafkaError(.client, "cannot leave the consumer group cleanly", err)
        }
    }

    /// Polls on the consumer's own queue and yields each non-empty batch or rebalance, until
    /// the task is cancelled.
    public func batches(maxMessages: Int = 1000, timeout: Duration = .milliseconds(100)) -> Batches {
        Batches(consumer: self, maxMessages: maxMessages, timeout: timeout)
    }

    public struct Batches: AsyncSequence, Sendable {
        public typealias Element = PollResult
        let consumer: KafkaConsumer
        let maxMessages: Int
        let timeout: Duration

        public func makeAsyncIterator() -> Iterator { Iterator(base: self) }

        public struct Iterator: AsyncIteratorProtocol {
            let base: Batches
            public mutating func next() async throws -> PollResult? {
                while !Task.isCancelled {
                    let base = self.base
                    let result = try await withCheckedThrowingContinuation {
                        (c: CheckedContinuation<PollResult, any Error>) in
                        base.consumer.queue.async {
                            c.resume(
                                with: Result { () throws(KafkaError) -> PollResult in
                                    try base.consumer.poll(maxMessages: base.maxMessages, timeout: base.timeout)
                                })
                        }
                    }
                    if !result.messages.isEmpty || result.rebalance != nil { return result }
                }
                return nil
            }
        }
    }

    static func describe(_ offsets: [KafkaTopicPartition: Int64]) -> String {
        offsets.sorted { $0.key < $1.key }.map { "\($0.key)@\($0.value)" }.joined(separator: ", ")
    }
}
