import CredenceEngine
import Foundation

/// Resident memory of a restart measured in a process of its own: `credence bench` runs itself
/// with `--probe-restart DIR`, which opens the engine on `DIR` from its checkpoint, reports the
/// process's resident bytes and the user count on one line, and exits.
///
/// Measured inside the benchmark's own process, the figure was the resident growth over the
/// open, and the open reused memory that the benchmark's earlier ingest and replays had freed:
/// runs of one build gave 2,066, 1,086 and -233 B a user. A fresh process holds only what the
/// open made; an empty data directory opened the same way is the baseline that is taken off.
enum RestartProbe {
    /// What one probe saw.
    struct Reading: Equatable {
        var residentBytes: Int
        var users: Int
    }

    /// Runs in the probing process: opens the engine `configuration` names, prints the reading,
    /// closes.
    static func report(_ configuration: EngineConfiguration) throws {
        let engine = try Engine.open(configuration)
        ProcessMemory.releaseFreedPages()
        print("resident=\(ProcessMemory.residentBytes()) users=\(engine.scoring.userCount)")
        try engine.close()
    }

    /// Runs this executable as a probe of `directory` and reads its line.
    static func measure(directory: String, shards: Int, dedupWindowDays: Int) throws -> Reading {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe")
        process.arguments = [
            "bench", "--probe-restart", directory, "--shards", "\(shards)", "--dedup-window-days", "\(dedupWindowDays)",
        ]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let bytes = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: bytes, as: UTF8.self)
        guard process.terminationStatus == 0, let reading = parse(text) else {
            throw CLIError(
                "the restart probe of \(directory) failed (exit status \(process.terminationStatus)): \(text)")
        }
        return reading
    }

    /// Reads the probe's line (`resident=N users=M`).
    static func parse(_ text: String) -> Reading? {
        var values: [String: Int] = [:]
        for field in text.split(whereSeparator: \.isWhitespace) {
            let parts = field.split(separator: "=", maxSplits: 1)
            if parts.count == 2, let value = Int(parts[1]) { values[String(parts[0])] = value }
        }
        guard let resident = values["resident"], let users = values["users"] else { return nil }
        return Reading(residentBytes: resident, users: users)
    }
}
