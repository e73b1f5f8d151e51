/// Where each input source got to, so a Kafka consumer can resume right after what the log
/// already holds and redelivered messages cost nothing.
extension Engine {
    /// The highest position recorded in the log (committed at start-up, plus what this run
    /// submitted since) for each source whose name starts with `prefix`, by source name.
    ///
    /// ```swift
    /// engine.highestPositions(prefix: "kafka:")   // ["kafka:payments/0": 4711, ...]
    /// ```
    ///
    /// Only accepted events count (rejected and duplicate messages leave no record), so a
    /// consumer should resume from the larger of this + 1 and its group's committed offset.
    public func highestPositions(prefix: String = "") -> [String: UInt64] {
        var out: [String: UInt64] = [:]
        for (id, position) in sourceHighest {
            guard let name = sourceNames[id], name.hasPrefix(prefix) else { continue }
            out[name] = position
        }
        return out
    }

    /// The highest recorded offset of Kafka `topic`'s `partition` (source `kafka:TOPIC/PARTITION`).
    public func highestKafkaOffset(topic: String, partition: Int32) -> UInt64? {
        guard let id = sourceIDs["kafka:\(topic)/\(partition)"] else { return nil }
        return sourceHighest[id]
    }

    func recordPosition(_ header: EngineRecord.EventHeader) {
        guard header.sourceID != 0 else { return }
        if let seen = sourceHighest[header.sourceID], seen >= header.position { return }
        sourceHighest[header.sourceID] = header.position
    }
}
