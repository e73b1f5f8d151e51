import CredenceTestSupport
import Foundation
import Testing

/// The cluster's settings, as a user meets them on the command line: bad input is refused
/// before anything connects, with what to do instead.
@Suite struct ClusterCommandLineTests {
    static var environment: [String: String] {
        ProcessInfo.processInfo.environment.merging(["CREDENCE_READ_TOKENS": Tokens.read]) { $1 }
    }

    @Test(.enabled(if: CommandRunner.isBuilt, "run `swift build` first"))
    func anUnknownPartitionerIsRefusedWithTheChoices() throws {
        let dir = TemporaryDirectory()
        let input = dir.path + "/one.ndjson"
        try Data("{\"user_id\":\"u1\"}\n".utf8).write(to: URL(fileURLWithPath: input))
        let produce = try CommandRunner.credence(
            ["produce", input, "--brokers", "127.0.0.1:1", "--partitioner", "fnv1a_random"])
        #expect(produce.status != 0)
        #expect(produce.err.contains("consistent_random") && produce.err.contains("murmur2_random"), "\(produce.err)")
        let run = try CommandRunner.credence(
            [
                "run", "--data-dir", dir.path + "/d", "--brokers", "127.0.0.1:1", "--http-port", "18998",
                "--partitioner", "random",
            ], environment: Self.environment)
        #expect(run.status != 0)
        #expect(run.err.contains("consistent_random"), "\(run.err)")
    }

    @Test(.enabled(if: CommandRunner.isBuilt, "run `swift build` first"))
    func aClusterNeedsAnAddressOthersCanReach() throws {
        let dir = TemporaryDirectory()
        let port0 = try CommandRunner.credence(
            ["run", "--data-dir", dir.path + "/d", "--brokers", "127.0.0.1:1", "--http-port", "0"],
            environment: Self.environment)
        #expect(port0.status != 0)
        #expect(port0.err.contains("--advertise"), "\(port0.err)")
        let badURL = try CommandRunner.credence(
            [
                "run", "--data-dir", dir.path + "/d", "--brokers", "127.0.0.1:1", "--http-port", "18997",
                "--advertise", "node-1:8080",
            ], environment: Self.environment)
        #expect(badURL.status != 0)
        #expect(badURL.err.contains("http://HOST:PORT"), "\(badURL.err)")
        let twoTopics = try CommandRunner.credence(
            [
                "run", "--data-dir", dir.path + "/d", "--brokers", "127.0.0.1:1", "--http-port", "18996",
                "--topic", "a", "--topic", "b",
            ], environment: Self.environment)
        #expect(twoTopics.status != 0)
        #expect(twoTopics.err.contains("exactly one topic"), "\(twoTopics.err)")
    }

    @Test(.enabled(if: CommandRunner.isBuilt, "run `swift build` first"))
    func aClusterExportSaysWhereItLookedWhenNobodyAnswers() throws {
        let r = try CommandRunner.credence(
            ["snapshot", "export", "--cluster", "--instance", "http://127.0.0.1:9", "--month", "2025-01"],
            environment: Self.environment)
        #expect(r.status != 0)
        #expect(r.err.contains("http://127.0.0.1:9") && r.err.contains("--instance"), "\(r.err)")
        let revision = try CommandRunner.credence(
            ["snapshot", "export", "--cluster", "--month", "2025-01", "--revision", "1"], environment: Self.environment)
        #expect(revision.status != 0)
        #expect(revision.err.contains("--revision cannot be combined with --cluster"), "\(revision.err)")
    }
}
