import Foundation

/// What the owner of one input partition says about it on the control topic, keyed
/// `TOPIC/PARTITION` (a compacted topic keeps the latest per partition).
///
/// ```json
/// {"topic":"payments","partition":3,"partition_count":6,"owner":"http://127.0.0.1:8081",
///  "member":"4f0c...","max_event_time_ms":1767225600000,"idle":false,"lag":120,
///  "restating":false,"at_ms":1767225601234}
/// ```
public struct PartitionRecord: Sendable, Hashable, Codable {
    public var topic: String
    public var partition: Int32
    /// The input topic's partition count when the record was written.
    public var partitionCount: Int
    /// The owner's advertised HTTP base URL (`http://host:port`).
    public var owner: String
    /// The owner process's id (one per start), to tell a restarted owner from the old one.
    public var member: String
    /// The largest event time the owner has accepted from the partition; `nil` before the first.
    public var maxEventTimeMilliseconds: Int64?
    /// Caught up (nothing left to read): the watermark does not wait for an idle partition.
    public var idle: Bool
    /// Messages the owner has not read yet; `nil` while unknown.
    public var lag: Int64?
    /// The owner took the partition over after closing months without it, and restates them once
    /// it has caught up: until then its closed months lack this partition's users.
    public var restating: Bool
    /// The owner's wall clock when it wrote the record.
    public var atMilliseconds: Int64

    enum CodingKeys: String, CodingKey {
        case topic, partition, owner, member, idle, lag, restating
        case partitionCount = "partition_count"
        case maxEventTimeMilliseconds = "max_event_time_ms"
        case atMilliseconds = "at_ms"
    }

    public init(
        topic: String, partition: Int32, partitionCount: Int, owner: String, member: String,
        maxEventTimeMilliseconds: Int64?, idle: Bool, lag: Int64?, restating: Bool, atMilliseconds: Int64
    ) {
        self.topic = topic
        self.partition = partition
        self.partitionCount = partitionCount
        self.owner = owner
        self.member = member
        self.maxEventTimeMilliseconds = maxEventTimeMilliseconds
        self.idle = idle
        self.lag = lag
        self.restating = restating
        self.atMilliseconds = atMilliseconds
    }

    /// A member that no longer owns the partition says so with an empty `owner`.
    public var isRelease: Bool { owner.isEmpty }

    /// The release of this record's partition by its member.
    public func released(at milliseconds: Int64) -> PartitionRecord {
        var r = self
        r.owner = ""
        r.lag = nil
        r.idle = false
        r.restating = false
        r.atMilliseconds = milliseconds
        return r
    }

    /// The control topic's key for a partition.
    public static func key(topic: String, partition: Int32) -> String { "\(topic)/\(partition)" }
    public var key: String { Self.key(topic: topic, partition: partition) }

    public func encoded() -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Array((try? encoder.encode(self)) ?? Data())
    }

    public static func decode(_ bytes: [UInt8]) -> PartitionRecord? {
        try? JSONDecoder().decode(PartitionRecord.self, from: Data(bytes))
    }

    /// The same facts, ignoring when they were written (to publish only on change).
    public func sameFacts(as other: PartitionRecord) -> Bool {
        var a = self
        var b = other
        a.atMilliseconds = 0
        b.atMilliseconds = 0
        return a == b
    }
}
