import Kafka

extension KafkaIngest {
    /// What this consumer owns of `topic` now, for the cluster's control records.
    public struct Ownership: Sendable, Hashable {
        /// Messages not read yet; `nil` while unknown.
        public var lag: Int64?
        /// Taken over after closing months without it; restated once caught up.
        public var restating: Bool
    }

    /// The partitions of `topic` assigned to this consumer, with their lag and whether a takeover
    /// restatement is pending for them.
    public func ownership(topic: String) -> [Int32: Ownership] {
        let assigned = consumer.assignment.filter { $0.topic == topic }
        let lag = stats.withLock { $0.lag }
        let pending = takeover.withLock { $0?.partitions } ?? []
        var out: [Int32: Ownership] = [:]
        for tp in assigned {
            out[tp.partition] = Ownership(lag: lag["\(tp.topic)/\(tp.partition)"], restating: pending.contains(tp))
        }
        return out
    }
}
