import CredenceTestSupport
import Foundation
import Testing

@testable import EventLog

/// A unique path under the temporary directory, not created.
func temporaryPath() -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("eventlog-\(UUID().uuidString)").path
}

/// A fresh directory under the system's temporary directory, removed after `body`.
func withTemporaryDirectory<T>(_ body: (String) throws -> T) throws -> T {
    try TemporaryDirectory.with("eventlog", body)
}

typealias SeededGenerator = SeededRandom

extension EventLogConfiguration {
    /// Small segments, a dense index and no syncs: many rolls and index entries in a fast test.
    static func small(segmentSize: Int = 4096, indexInterval: Int = 256) -> EventLogConfiguration {
        var configuration = EventLogConfiguration()
        configuration.segmentSize = segmentSize
        configuration.indexInterval = indexInterval
        configuration.durability = .none
        configuration.writeBufferSize = 4096
        configuration.readChunkSize = 4096
        configuration.maxRecordSize = 1 << 20
        return configuration
    }
}

/// Random payloads of the given sizes; byte values depend on the LSN so misplaced records show.
func makePayloads(_ sizes: [Int], rng: inout SeededGenerator) -> [[UInt8]] {
    sizes.map { size in (0..<size).map { _ in UInt8.random(in: 0...255, using: &rng) } }
}

/// Appends `payloads`, committing every `commitEvery` records, and closes the log.
func writeLog(
    _ payloads: [[UInt8]], directory: String, configuration: EventLogConfiguration, commitEvery: Int = 7
) throws {
    let log = try EventLog(directory: directory, configuration: configuration)
    for (i, payload) in payloads.enumerated() {
        let lsn = try log.append(payload)
        #expect(lsn == UInt64(i))
        if i % commitEvery == 0 { try log.commit() }
    }
    try log.close()
}

/// Every record of the log in `directory`, read by a standalone reader.
func readAll(_ directory: String, configuration: EventLogConfiguration, from lsn: UInt64 = 0) throws -> [LogRecord] {
    try EventLogReader(directory: directory, configuration: configuration).read(from: lsn)
}

func segmentPath(_ directory: String, base: UInt64, extension ext: String = ".seg") -> String {
    SegmentFile.path(directory, base: base, extension: ext)
}

func readFile(_ path: String) throws -> [UInt8] {
    Array(try Data(contentsOf: URL(fileURLWithPath: path)))
}

func writeFile(_ path: String, _ bytes: [UInt8]) throws {
    try Data(bytes).write(to: URL(fileURLWithPath: path))
}

/// Byte offsets of the records of a segment file, in order.
func recordOffsets(_ bytes: [UInt8]) -> [Int] {
    var offsets: [Int] = []
    var at = FileHeader.size
    while at + 8 <= bytes.count {
        let length = Int(bytes.loadLittleEndian(UInt32.self, at: at))
        guard at + 8 + length <= bytes.count else { break }
        offsets.append(at)
        at += 8 + length
    }
    return offsets
}

enum FileManagerShim {
    static func remove(_ path: String) throws { try FileManager.default.removeItem(atPath: path) }
    static func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }
}
