import CRdKafka

/// A topic's partition.
public struct KafkaTopicPartition: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var topic: String
    public var partition: Int32

    public init(_ topic: String, _ partition: Int32) {
        self.topic = topic
        self.partition = partition
    }

    public var description: String { "\(topic)/\(partition)" }

    public static func < (a: Self, b: Self) -> Bool { (a.topic, a.partition) < (b.topic, b.partition) }
}

/// Special offsets for start positions.
public enum KafkaOffset {
    /// The partition's first retained message.
    public static let beginning: Int64 = -2
    /// After the partition's last message.
    public static let end: Int64 = -1
}

/// A message header: a name and an optional value.
public struct KafkaHeader: Sendable, Hashable {
    public var name: String
    public var value: [UInt8]?

    public init(_ name: String, _ value: [UInt8]?) {
        self.name = name
        self.value = value
    }

    public init(_ name: String, _ value: String) {
        self.init(name, Array(value.utf8))
    }
}

/// A consumed message, copied out of librdkafka's buffers.
public struct KafkaMessage: Sendable, Hashable {
    public var topic: String
    public var partition: Int32
    public var offset: Int64
    public var key: [UInt8]?
    public var value: [UInt8]
    public var headers: [KafkaHeader]
    /// Milliseconds since the epoch, when the broker or producer set it.
    public var timestamp: Int64?

    public var topicPartition: KafkaTopicPartition { KafkaTopicPartition(topic, partition) }
}

/// A group rebalance: partitions given to this consumer or taken from it.
///
/// The consumer completes it at the start of the next `poll` (or on
/// ``KafkaConsumer/completeRebalance(startOffsets:)``), so the caller finishes and checkpoints
/// the messages it already has before a revoked partition goes to another member.
public struct KafkaRebalance: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        case assigned
        case revoked
        /// The assignment was lost (an error in the group protocol): treat as revoked, but the
        /// partitions may already be owned by another member, so commits can fail.
        case lost
    }

    public var kind: Kind
    public var partitions: [KafkaTopicPartition]
    /// Whether the group uses the cooperative protocol (incremental assign/unassign).
    var cooperative: Bool
}

/// The messages one poll returned, kept in librdkafka's buffers until the batch is released.
///
/// Read a message's bytes without copying through ``withMessage(at:_:)``; ``subscript(_:)``
/// copies one out as a ``KafkaMessage``.
///
/// `@unchecked Sendable` is sound: the batch is immutable after creation, librdkafka's message
/// buffers are only read, and `rd_kafka_message_destroy` runs once, in `deinit`.
public final class KafkaMessageBatch: @unchecked Sendable, RandomAccessCollection {
    private let messages: [UnsafeMutablePointer<rd_kafka_message_t>]
    private let topics: [String]
    // Keeps the client alive while its messages are.
    private let handle: KafkaHandle?

    init(_ messages: [UnsafeMutablePointer<rd_kafka_message_t>], handle: KafkaHandle?) {
        self.messages = messages
        self.handle = handle
        var names: [String] = []
        names.reserveCapacity(messages.count)
        var lastTopic: OpaquePointer? = nil
        var lastName = ""
        for m in messages {
            let rkt = m.pointee.rkt
            if rkt != lastTopic {
                lastTopic = rkt
                lastName = rkt.map { String(cString: rd_kafka_topic_name($0)) } ?? ""
            }
            names.append(lastName)
        }
        self.topics = names
    }

    deinit {
        for m in messages { rd_kafka_message_destroy(m) }
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { messages.count }

    /// A view of one message, valid only inside the closure.
    public struct View {
        public let topic: String
        public let partition: Int32
        public let offset: Int64
        public let key: UnsafeRawBufferPointer?
        public let value: UnsafeRawBufferPointer
    }

    /// Reads message `index` in place.
    public func withMessage<R>(at index: Int, _ body: (View) throws -> R) rethrows -> R {
        let m = messages[index].pointee
        let value = UnsafeRawBufferPointer(start: m.payload, count: m.payload == nil ? 0 : m.len)
        let key = m.key.map { UnsafeRawBufferPointer(start: $0, count: m.key_len) }
        return try body(View(topic: topics[index], partition: m.partition, offset: m.offset, key: key, value: value))
    }

    /// Message `index`'s value and key, in librdkafka's buffers: valid as long as the batch is.
    public func bytes(at index: Int) -> (value: UnsafeRawBufferPointer, key: UnsafeRawBufferPointer?) {
        let m = messages[index].pointee
        return (
            UnsafeRawBufferPointer(start: m.payload, count: m.payload == nil ? 0 : m.len),
            m.key.map { UnsafeRawBufferPointer(start: $0, count: m.key_len) }
        )
    }

    /// Consecutive messages of one partition.
    public struct Run: Sendable {
        public var partition: KafkaTopicPartition
        public var indices: Range<Int>
    }

    /// The batch as runs of one partition's messages, in order: librdkafka hands each fetched
    /// partition's messages over together, so a batch has few runs, and a caller that works per
    /// partition does it per run instead of per message.
    public func partitionRuns() -> [Run] {
        var runs: [Run] = []
        var i = 0
        while i < messages.count {
            let first = messages[i].pointee
            var end = i + 1
            while end < messages.count, messages[end].pointee.rkt == first.rkt,
                messages[end].pointee.partition == first.partition
            {
                end += 1
            }
            runs.append(Run(partition: KafkaTopicPartition(topics[i], first.partition), indices: i..<end))
            i = end
        }
        return runs
    }

    public func topic(at index: Int) -> String { topics[index] }
    public func partition(at index: Int) -> Int32 { messages[index].pointee.partition }
    public func offset(at index: Int) -> Int64 { messages[index].pointee.offset }

    /// Message `index`, copied (with its headers).
    public subscript(index: Int) -> KafkaMessage {
        let pointer = messages[index]
        let m = pointer.pointee
        let value = m.payload == nil ? [] : Array(UnsafeRawBufferPointer(start: m.payload, count: m.len))
        let key = m.key.map { Array(UnsafeRawBufferPointer(start: $0, count: m.key_len)) }
        var timestampType = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
        let ts = rd_kafka_message_timestamp(pointer, &timestampType)
        return KafkaMessage(
            topic: topics[index], partition: m.partition, offset: m.offset, key: key, value: value,
            headers: Self.headers(of: pointer), timestamp: timestampType == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE ? nil : ts)
    }

    static func headers(of message: UnsafeMutablePointer<rd_kafka_message_t>) -> [KafkaHeader] {
        var hdrs: OpaquePointer? = nil
        guard rd_kafka_message_headers(message, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR, let hdrs else { return [] }
        var out: [KafkaHeader] = []
        var index = 0
        while true {
            var name: UnsafePointer<CChar>? = nil
            var value: UnsafeRawPointer? = nil
            var size = 0
            guard rd_kafka_header_get_all(hdrs, index, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR else {
                break
            }
            let bytes = value.map { Array(UnsafeRawBufferPointer(start: $0, count: size)) }
            out.append(KafkaHeader(name.map { String(cString: $0) } ?? "", bytes))
            index += 1
        }
        return out
    }
}

/// Topic partition lists, to and from librdkafka.
enum PartitionList {
    /// A new list (destroy it with `rd_kafka_topic_partition_list_destroy`).
    static func make(_ entries: [(KafkaTopicPartition, Int64?)]) -> UnsafeMutablePointer<
        rd_kafka_topic_partition_list_t
    > {
        let list = rd_kafka_topic_partition_list_new(Int32(max(entries.count, 1)))!
        for (tp, offset) in entries {
            let element = rd_kafka_topic_partition_list_add(list, tp.topic, tp.partition)!
            if let offset { element.pointee.offset = offset }
        }
        return list
    }

    static func read(_ list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?) -> [(
        KafkaTopicPartition, Int64, Int32
    )] {
        guard let list else { return [] }
        var out: [(KafkaTopicPartition, Int64, Int32)] = []
        for i in 0..<Int(list.pointee.cnt) {
            let e = credence_rd_kafka_tpl_at(list, Int32(i))!.pointee
            out.append((KafkaTopicPartition(String(cString: e.topic), e.partition), e.offset, e.err.rawValue))
        }
        return out
    }
}
