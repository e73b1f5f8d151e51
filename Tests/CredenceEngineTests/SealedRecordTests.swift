import CredenceCore
import CredenceTestSupport
import EventLog
import Foundation
import Testing

@testable import CredenceEngine

/// The log's sealed records are authenticated, not only checksummed.
@Suite struct SealedRecordTests {
    /// The frames of a segment file: (offset of the frame, payload length).
    static func frames(_ bytes: [UInt8]) -> [(offset: Int, length: Int)] {
        var out: [(Int, Int)] = []
        var at = 24  // the segment header
        while at + 8 <= bytes.count {
            let n = Int(bytes[at]) | Int(bytes[at + 1]) << 8 | Int(bytes[at + 2]) << 16 | Int(bytes[at + 3]) << 24
            guard n > 0, at + 8 + n <= bytes.count else { break }
            out.append((at, n))
            at += 8 + n
        }
        return out
    }

    /// Flips a byte of the ciphertext of the `n`th event record of the first segment and mends
    /// the frame's CRC-32C, as someone who rewrites the log on purpose would.
    static func damageEvent(_ n: Int, in dir: TempDir) throws {
        let logDir = dir.path + "/data/log"
        let segment = try #require(
            try FileManager.default.contentsOfDirectory(atPath: logDir).filter { $0.hasSuffix(".seg") }.min())
        var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: logDir + "/" + segment)))
        let events = Self.frames(bytes).filter { bytes[$0.offset + 8] == 1 }
        let frame = try #require(events.count > n ? events[n] : nil)
        let end = frame.offset + 8 + frame.length
        bytes[end - SealedRecordLayout.tag - 3] ^= 0x20
        var crc = CRC32C.checksum(bytes[frame.offset..<frame.offset + 4])
        crc = CRC32C.checksum(bytes[frame.offset + 8..<end], continuing: crc)
        for i in 0..<4 { bytes[frame.offset + 4 + i] = UInt8(truncatingIfNeeded: crc >> (8 * UInt32(i))) }
        try Data(bytes).write(to: URL(fileURLWithPath: logDir + "/" + segment))
    }

    @Test func aRecordAlteredWithAValidChecksumFailsAuthentication() throws {
        let dir = TempDir()
        do {
            let engine = try Engine.open(configuration(dir))
            _ = try engine.ingest(files: [Repository.workedExample.events])
            try engine.close()
        }
        // The first event record: a byte of its ciphertext flipped, the frame's CRC-32C mended.
        try Self.damageEvent(0, in: dir)

        // A full replay reads every record (a restart from the checkpoint the clean close left
        // reads none before it; `credence replay` always replays in full).
        var full = configuration(dir)
        full.checkpoints.enabled = false
        let error = #expect(throws: EngineError.self) { try Engine.open(full) }
        #expect(error?.code == .corruptLog)
        #expect("\(error.map { "\($0)" } ?? "")".contains("fails authentication"))
    }
}

enum SealedRecordLayout {
    static let tag = 16
}
