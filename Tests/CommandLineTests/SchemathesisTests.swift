import CredenceTestSupport
import Foundation
import Testing

/// The API fuzzed against its own document: schemathesis (PyPI) over `Schemas/openapi.yaml`
/// and a live `credence serve`. Fails on any 5xx or any response that does not conform.
///
/// `.ci/run` installs schemathesis; without it this test fails and says how to install it.
@Suite struct SchemathesisTests {
    @Test(.timeLimit(.minutes(3)))
    func theAPIConformsToItsDocument() async throws {
        guard let schemathesis = which("schemathesis") ?? which("st") else {
            Issue.record(
                "schemathesis is not installed: `python3 -m pip install schemathesis==4.32.5` (scripts/setup --test does this)"
            )
            return
        }
        let binary = CommandRunner.binary
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            Issue.record("no credence binary at \(binary): run `swift build` first, or set CREDENCE_BIN")
            return
        }
        // A small data directory with the users (u1...) and months (2025-01) the document's examples name.
        let dir = TemporaryDirectory()
        let events = dir.path + "/events.ndjson"
        let generate = try runProgram(
            binary, ["generate", "--users", "40", "--months", "3", "--output", events], timeout: 60)
        #expect(generate.status == 0, "\(generate.output)")
        let ingest = try runProgram(
            binary, ["ingest", "--data-dir", dir.path + "/data", "--no-fsync", events], timeout: 120)
        #expect(ingest.status == 0, "\(ingest.output)")

        let server = try ServeProcess(dataDir: dir.path + "/data")
        defer { server.stop() }
        let seed = ProcessInfo.processInfo.environment["SCHEMATHESIS_SEED"] ?? "20261125"
        var environment = ProcessInfo.processInfo.environment
        environment["SCHEMATHESIS_TELEMETRY"] = "false"
        let run = try runProgram(
            schemathesis,
            [
                "run", Repository.openAPI, "--url", server.baseURL,
                "-H", "Authorization: Bearer \(ServeProcess.bothToken)",
                "--max-examples", "25", "--seed", seed, "--request-timeout", "10", "--no-color",
            ],
            timeout: 90, environment: environment)
        #expect(!run.timedOut, "schemathesis ran past 90 s")
        #expect(run.status == 0, "schemathesis found problems:\n\(run.output.suffix(6000))")
        #expect(!run.output.contains("Failures:"), "\(run.output.suffix(3000))")
        #expect(server.stop() == 0)
    }
}
