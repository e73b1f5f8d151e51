extension Engine {
    /// Up to `max` outbox lines that the publisher has not delivered yet, oldest first.
    ///
    /// ```swift
    /// let batch = try engine.unpublishedScoreChanges(max: 5000)
    /// // send batch.lines, wait for the broker's acknowledgements, then:
    /// try engine.acknowledgePublished(batch)
    /// ```
    public func unpublishedScoreChanges(max: Int) throws(EngineError) -> OutboxBatch {
        try outbox.unpublished(max: max)
    }

    /// Records that a batch was delivered; delivered lines are compacted out of the outbox.
    public func acknowledgePublished(_ batch: OutboxBatch) throws(EngineError) {
        try outbox.acknowledge(batch)
    }
}
