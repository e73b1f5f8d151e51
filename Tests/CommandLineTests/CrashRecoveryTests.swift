import CredenceTestSupport
import Foundation
import Testing

/// `kill -9` of a real `credence ingest` child, then the same command again: nothing lost,
/// nothing counted twice.
@Suite(.serialized) struct CrashRecoveryTests {
    @Test func killNineMidIngestThenRestartLosesNothingAndDoublesNothing() throws {
        #expect(CommandRunner.isBuilt, "build the CLI first (`swift build`), or set CREDENCE_BIN")
        guard CommandRunner.isBuilt else { return }
        let dir = TemporaryDirectory()
        let input = dir.path + "/events.ndjson"
        let generate = try CommandRunner.credence([
            "generate", "--users", "800", "--months", "6", "--seed", "11", "--output", input,
        ])
        #expect(generate.status == 0, "\(generate.err)")
        let data = dir.path + "/crashed"
        var killedMidway = 0
        for delay in [0.4, 0.9, 1.5] {
            let status = try CommandRunner.run(
                ["ingest", "--data-dir", data, "--batch-size", "256", input], killAfter: delay)
            if status != 0 { killedMidway += 1 }
        }
        #expect(try CommandRunner.run(["ingest", "--data-dir", data, input]) == 0)
        #expect(killedMidway > 0, "no run was killed before it finished; the input is too small for this machine")

        let clean = dir.path + "/clean"
        #expect(try CommandRunner.run(["ingest", "--data-dir", clean, input]) == 0)
        let expected = try DataDirectory.exports(clean)
        #expect(expected.count >= 6)
        #expect(try DataDirectory.exports(data) == expected)
        // Each accepted event is in the log exactly once.
        let events = try DataDirectory.loggedEvents(clean)
        #expect(events != nil)
        #expect(try DataDirectory.loggedEvents(data) == events)
    }
}
