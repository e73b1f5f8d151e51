import CredenceCore
import Foundation
import Testing

@testable import CredenceEngine

/// `kill -9` of a real `credence ingest` child, then the same command again: nothing lost,
/// nothing counted twice.
@Suite(.serialized) struct CrashRecoveryTests {
    static var binary: String {
        if let b = ProcessInfo.processInfo.environment["CREDENCE_BIN"] { return b }
        return Paths.packageRoot.appendingPathComponent(".build/debug/credence").path
    }

    func run(_ args: [String], killAfter: Double? = nil) throws -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Self.binary)
        p.arguments = args
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        if let killAfter {
            Thread.sleep(forTimeInterval: killAfter)
            kill(p.processIdentifier, SIGKILL)
        }
        p.waitUntilExit()
        return p.terminationStatus
    }

    @Test func killNineMidIngestThenRestartLosesNothingAndDoublesNothing() throws {
        #expect(
            FileManager.default.isExecutableFile(atPath: Self.binary),
            "build the CLI first (`swift build`), or set CREDENCE_BIN")
        guard FileManager.default.isExecutableFile(atPath: Self.binary) else { return }
        let dir = TempDir()
        let input = dir.file("events.ndjson", generated(users: 800, months: 6, seed: 11))
        let data = dir.path + "/crashed"
        var killedMidway = 0
        for delay in [0.4, 0.9, 1.5] {
            let status = try run(["ingest", "--data-dir", data, "--batch-size", "256", input], killAfter: delay)
            if status != 0 { killedMidway += 1 }
        }
        #expect(try run(["ingest", "--data-dir", data, input]) == 0)
        #expect(killedMidway > 0, "no run was killed before it finished; the input is too small for this machine")

        let clean = TempDir()
        let reference = try Engine.open(configuration(clean))
        _ = try reference.ingest(files: [input])
        let expected = try exports(reference)
        try reference.close()
        let referenceLog = try Engine.open(configuration(clean)).lastReplay

        var c = EngineConfiguration()
        c.dataDirectory = data
        let recovered = try Engine.open(c)
        #expect(try exports(recovered) == expected)
        // Each accepted event is in the log exactly once.
        #expect(recovered.lastReplay.events == referenceLog.events)
        try recovered.close()
    }
}
