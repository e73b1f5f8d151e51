import CredenceCluster
import Foundation
import Kafka
public import Logging

/// Loads an NDJSON file into a topic, one message per line, keyed by the line's `user_id`
/// (lines without one are sent without a key; the consumer dead-letters them).
public enum KafkaFileProducer {
    public struct Summary: Sendable {
        public var messages = 0
        public var unkeyed = 0
        public var seconds = 0.0
    }

    /// Reads `path` (`-` for standard input) and produces every non-empty line to `topic`,
    /// then waits until all are acknowledged. Blocking.
    public static func produce(
        path: String, topic: String, settings: KafkaSettings, logger: Logger
    ) throws -> Summary {
        var ingest = KafkaIngestConfiguration()
        settings.apply(to: &ingest)
        do { _ = try Partitioner(named: ingest.partitioner) } catch { throw KafkaError(.configuration, error.message) }
        let producer = try KafkaProducer(ingest.producer, logger: logger)
        let handle: FileHandle
        if path == "-" {
            handle = .standardInput
        } else {
            guard let h = FileHandle(forReadingAtPath: path) else {
                throw KafkaError(.configuration, "cannot read \(path)")
            }
            handle = h
        }
        let start = ContinuousClock.now
        var summary = Summary()
        var carry: [UInt8] = []
        func send(_ line: ArraySlice<UInt8>) throws {
            var bytes = Array(line)
            if bytes.last == UInt8(ascii: "\r") { bytes.removeLast() }
            if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { return }
            let key = userID(bytes)
            if key == nil { summary.unkeyed += 1 }
            try producer.send(topic: topic, key: key, value: bytes)
            summary.messages += 1
        }
        while let data = try handle.read(upToCount: 1 << 20), !data.isEmpty {
            carry.append(contentsOf: data)
            var lineStart = 0
            while let nl = carry[lineStart...].firstIndex(of: UInt8(ascii: "\n")) {
                try send(carry[lineStart..<nl])
                lineStart = nl + 1
            }
            carry.removeFirst(lineStart)
        }
        if !carry.isEmpty { try send(carry[...]) }
        try producer.flush(timeout: .seconds(300))
        summary.seconds =
            Double((ContinuousClock.now - start).components.attoseconds) / 1e18
            + Double((ContinuousClock.now - start).components.seconds)
        return summary
    }

    /// The `user_id` string of a JSON object line, found without decoding the whole event.
    static func userID(_ line: [UInt8]) -> [UInt8]? {
        let needle = Array("\"user_id\"".utf8)
        guard line.count > needle.count else { return nil }
        var i = 0
        while i + needle.count <= line.count {
            if line[i] == needle[0] && Array(line[i..<i + needle.count]) == needle {
                var j = i + needle.count
                while j < line.count, line[j] == 0x20 || line[j] == 0x09 { j += 1 }
                guard j < line.count, line[j] == UInt8(ascii: ":") else { i += 1; continue }
                j += 1
                while j < line.count, line[j] == 0x20 || line[j] == 0x09 { j += 1 }
                guard j < line.count, line[j] == UInt8(ascii: "\"") else { return nil }
                j += 1
                var out: [UInt8] = []
                while j < line.count, line[j] != UInt8(ascii: "\"") {
                    if line[j] == UInt8(ascii: "\\") { return fallbackUserID(line) }
                    out.append(line[j])
                    j += 1
                }
                return j < line.count ? out : nil
            }
            i += 1
        }
        return nil
    }

    static func fallbackUserID(_ line: [UInt8]) -> [UInt8]? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any],
            let id = object["user_id"] as? String
        else { return nil }
        return Array(id.utf8)
    }
}
