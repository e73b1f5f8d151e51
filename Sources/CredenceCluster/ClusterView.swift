/// What an instance knows of the whole cluster: the latest control record of every input
/// partition. A pure value, rebuilt from the control topic; every instance that has read the
/// same records computes the same owners and the same global watermark.
public struct ClusterView: Sendable, Hashable {
    /// The latest record per partition of the input topic.
    public private(set) var partitions: [Int32: PartitionRecord] = [:]
    /// The input topic's partition count (the largest any record reported).
    public private(set) var partitionCount: Int = 0

    public init() {}

    /// Takes a record read from the control topic: a claim replaces the partition's record; a
    /// release (``PartitionRecord/isRelease``) removes it only if it is still the releasing
    /// member's claim, so a release that lands after the next owner's claim changes nothing.
    public mutating func apply(_ record: PartitionRecord) {
        partitionCount = max(partitionCount, record.partitionCount, Int(record.partition) + 1)
        if record.isRelease {
            if partitions[record.partition]?.member == record.member { partitions[record.partition] = nil }
        } else {
            partitions[record.partition] = record
        }
    }

    /// The owner's record of `partition`, if any instance has claimed it.
    public func owner(of partition: Int32) -> PartitionRecord? { partitions[partition] }

    /// Partitions in `0..<count` nobody has claimed yet.
    public func unclaimed(count: Int) -> [Int32] {
        (0..<Int32(count)).filter { partitions[$0] == nil }
    }

    /// The cluster's watermark: the smallest largest-event-time over the partitions that are not
    /// idle, minus `latenessMilliseconds`, exactly as one consumer of the whole topic computes
    /// it. When every partition is idle it is the largest event time of all, minus the lateness
    /// (one input that is caught up). `nil` while a partition is unclaimed, or a busy partition
    /// has no event yet (its first events may be old).
    public func globalWatermark(partitionCount count: Int, latenessMilliseconds: Int64) -> Int64? {
        guard count > 0 else { return nil }
        var low: Int64? = nil
        var high: Int64? = nil
        for p in 0..<Int32(count) {
            guard let r = partitions[p] else { return nil }
            if let t = r.maxEventTimeMilliseconds { high = max(high ?? t, t) }
            if r.idle { continue }
            guard let t = r.maxEventTimeMilliseconds else { return nil }
            low = min(low ?? t, t)
        }
        guard let w = low ?? high else { return nil }
        return w - latenessMilliseconds
    }
}
