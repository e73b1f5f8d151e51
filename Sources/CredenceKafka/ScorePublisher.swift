import Foundation
public import Kafka
public import Logging
import Synchronization

/// Publishes the outbox (`<outbox>/score-changes.ndjson`, written by the engine) to a topic,
/// keyed by `user_id`, from a byte position persisted in `<outbox>/published`.
///
/// The position advances only after the broker acknowledged every record before it, so a crash
/// loses nothing; it can publish the last chunk again, which downstream recognises by the
/// records' deterministic `event_id`s. The idempotent producer with an endless delivery
/// timeout keeps each user's records in order.
public final class ScorePublisher: Sendable {
    let file: String
    let positionFile: String
    let topic: String
    let producer: KafkaProducer
    let logger: Logger
    let position: Mutex<UInt64>
    /// Records per acknowledged chunk.
    let chunk = 5000

    public init(outboxDirectory: String, topic: String, producer: KafkaProducer, logger: Logger) throws {
        try FileManager.default.createDirectory(atPath: outboxDirectory, withIntermediateDirectories: true)
        file = outboxDirectory + "/score-changes.ndjson"
        positionFile = outboxDirectory + "/published"
        self.topic = topic
        self.producer = producer
        self.logger = logger
        let text = (try? String(contentsOfFile: positionFile, encoding: .utf8)) ?? "0"
        position = Mutex(UInt64(text.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0)
    }

    /// The byte position up to which every record is acknowledged.
    public var publishedPosition: UInt64 { position.withLock { $0 } }

    /// Publishes every complete line after the position; returns how many. Blocking.
    @discardableResult
    public func publishPending() throws -> Int {
        guard let handle = FileHandle(forReadingAtPath: file) else { return 0 }
        defer { try? handle.close() }
        var start = publishedPosition
        try handle.seek(toOffset: start)
        var total = 0
        var carry: [UInt8] = []
        while true {
            guard let data = try handle.read(upToCount: 1 << 20), !data.isEmpty else { break }
            carry.append(contentsOf: data)
            guard let lastNewline = carry.lastIndex(of: UInt8(ascii: "\n")) else { continue }
            var lineStart = 0
            var sent = 0
            for i in 0...lastNewline where carry[i] == UInt8(ascii: "\n") {
                let line = Array(carry[lineStart..<i])
                if !line.isEmpty {
                    try producer.send(topic: topic, key: Self.userID(line).map { Array($0.utf8) }, value: line)
                    sent += 1
                }
                lineStart = i + 1
                if sent >= chunk {
                    try acknowledge(start + UInt64(lineStart))
                    total += sent
                    sent = 0
                }
            }
            try acknowledge(start + UInt64(lineStart))
            total += sent
            start += UInt64(lineStart)
            carry.removeFirst(lineStart)
        }
        return total
    }

    /// Waits for every record sent so far, then persists `newPosition`.
    private func acknowledge(_ newPosition: UInt64) throws {
        guard newPosition > publishedPosition else { return }
        try producer.flush()
        let temporary = positionFile + ".tmp"
        try Data("\(newPosition)\n".utf8).write(to: URL(fileURLWithPath: temporary))
        let fd = open(temporary, O_RDONLY)
        if fd >= 0 {
            fsync(fd)
            close(fd)
        }
        guard rename(temporary, positionFile) == 0 else {
            throw KafkaError(.client, "cannot record the publisher's position in \(positionFile)")
        }
        position.withLock { $0 = newPosition }
    }

    /// The `user_id` of an outbox record.
    static func userID(_ line: [UInt8]) -> String? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else { return nil }
        return object["user_id"] as? String
    }
}
