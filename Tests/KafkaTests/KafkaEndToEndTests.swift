import Foundation
import Synchronization
import Testing

/// `credence produce` and `credence run` as child processes against a Tansu broker, compared
/// with `credence ingest` of the same file.
@Suite(.serialized) struct KafkaEndToEndTests {
    static let enabled = TansuBroker.skipReason == nil && CLI.binary != nil

    init() {
        if let reason = TansuBroker.skipReason { print("KafkaEndToEndTests: \(reason)") }
        if CLI.binary == nil { print("KafkaEndToEndTests: no credence binary (run `swift build` or set CREDENCE_BIN)") }
    }

    func setUp(_ broker: TansuBroker) throws {
        try broker.createTopic("payments", partitions: 3)
        try broker.createTopic("payments.dlq", partitions: 1)
        try broker.createTopic("score-changes", partitions: 3)
    }

    func kafkaArgs(_ broker: TansuBroker) -> [String] {
        ["--brokers", broker.brokers, "-X", "session.timeout.ms=6000", "-X", "heartbeat.interval.ms=500"]
    }

    /// Each closed month's export of a data directory.
    func exports(_ data: String) throws -> [String: String] {
        let list = try CLI.run(["snapshot", "list", "--data-dir", data]).output
        var out: [String: String] = [:]
        for line in list.split(separator: "\n").dropFirst() {
            let month = String(line.split(separator: " ")[0])
            out[month] = try CLI.run(["snapshot", "export", "--data-dir", data, "--month", month]).output
        }
        return out
    }

    func loggedEvents(_ data: String) throws -> Int? {
        let text = try CLI.run(["log", "verify", "--data-dir", data]).output
        for line in text.split(separator: "\n") where line.trimmingCharacters(in: .whitespaces).hasPrefix("event:") {
            return Int(line.split(separator: ":")[1].trimmingCharacters(in: .whitespaces))
        }
        return nil
    }

    @Test(.enabled(if: enabled, "needs CREDENCE_TANSU, librdkafka >= 2.1 and the credence binary"))
    func producedEventsEndUpInTheSameSnapshotsAsIngest() throws {
        let dir = try TemporaryDirectory()
        let broker = try TansuBroker()
        defer { broker.stop() }
        try setUp(broker)
        let input = dir.path + "/events.ndjson"
        _ = try CLI.run(["generate", "--users", "200", "--months", "6", "--seed", "7", "--clean", "--output", input])
        let produced = try CLI.run(["produce", input, "--topic", "payments"] + kafkaArgs(broker))
        #expect(produced.status == 0, "\(produced.output)")
        let run = try CLI.run(["run", "--data-dir", dir.path + "/kafka", "--stop-when-idle", "5"] + kafkaArgs(broker))
        #expect(run.status == 0, "\(run.output)")
        let ingest = try CLI.run(["ingest", "--data-dir", dir.path + "/file", input])
        #expect(ingest.status == 0)
        let fromKafka = try exports(dir.path + "/kafka")
        let fromFile = try exports(dir.path + "/file")
        #expect(fromFile.count >= 6)
        #expect(fromKafka == fromFile)
        // Every score change was published.
        let outbox = try String(contentsOfFile: dir.path + "/kafka/outbox/score-changes.ndjson", encoding: .utf8)
        #expect(run.output.contains("published \(outbox.split(separator: "\n").count) score changes"), "\(run.output)")
        // `replay --from-kafka` rebuilds a new data directory from the topics, from offset 0,
        // with the same snapshots.
        let replay = try CLI.run(
            [
                "replay", "--from-kafka", "--data-dir", dir.path + "/kafka", "--into", dir.path + "/from-topics",
                "--idle-seconds", "3",
            ] + kafkaArgs(broker))
        #expect(replay.status == 0, "\(replay.output)")
        #expect(!replay.output.contains("DIFFERS"), "\(replay.output)")
        #expect(try exports(dir.path + "/from-topics") == fromKafka)
    }

    func logBytes(_ data: String) -> Int {
        let dir = data + "/log"
        let files = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        return files.filter { $0.hasSuffix(".seg") }.reduce(0) { total, f in
            total + ((try? FileManager.default.attributesOfItem(atPath: dir + "/" + f)[.size] as? Int) ?? 0)
        }
    }

    @Test(.enabled(if: enabled, "needs CREDENCE_TANSU, librdkafka >= 2.1 and the credence binary"))
    func killedWithSigkillMidStreamThenRestartedLosesAndDoublesNothing() throws {
        let dir = try TemporaryDirectory()
        let broker = try TansuBroker()
        defer { broker.stop() }
        try setUp(broker)
        let input = dir.path + "/events.ndjson"
        _ = try CLI.run(["generate", "--users", "600", "--months", "6", "--seed", "11", "--clean", "--output", input])
        #expect(try CLI.run(["produce", input, "--topic", "payments"] + kafkaArgs(broker)).status == 0)
        let data = dir.path + "/kafka"
        var killed = 0
        // Kill when the log has grown past a mark (mid-stream by construction), then wait out the
        // session timeout so the dead member has left the group before the next run joins.
        for mark in [150_000, 600_000] {
            let r = try CLI.run(
                ["run", "--data-dir", data, "--batch-size", "256", "--stop-when-idle", "5"] + kafkaArgs(broker),
                killWhen: { logBytes(data) > mark })
            if r.status != 0 { killed += 1 }
            Thread.sleep(forTimeInterval: 7)
        }
        let last = try CLI.run(["run", "--data-dir", data, "--stop-when-idle", "5"] + kafkaArgs(broker))
        #expect(last.status == 0, "\(last.output)")
        #expect(killed >= 1, "no run was killed mid-stream; the test proves nothing")
        #expect(try CLI.run(["ingest", "--data-dir", dir.path + "/file", input]).status == 0)
        #expect(try loggedEvents(data) == loggedEvents(dir.path + "/file"))
        #expect(try exports(data) == exports(dir.path + "/file"))
    }
}

extension KafkaEndToEndTests {
    @Test(.enabled(if: enabled, "needs CREDENCE_TANSU, librdkafka >= 2.1 and the credence binary"))
    func twoInstancesSplitThePartitionsAndTheSurvivorOfAKillFinishesWithTheSameSnapshots() throws {
        let dir = try TemporaryDirectory()
        let broker = try TansuBroker()
        defer { broker.stop() }
        try setUp(broker)
        let input = dir.path + "/events.ndjson"
        _ = try CLI.run(["generate", "--users", "600", "--months", "6", "--seed", "13", "--clean", "--output", input])
        #expect(try CLI.run(["produce", input, "--topic", "payments"] + kafkaArgs(broker)).status == 0)
        let a = dir.path + "/a"
        let b = dir.path + "/b"
        let args = ["--batch-size", "256", "--stop-when-idle", "12", "--publish-topic", ""] + kafkaArgs(broker)
        // A runs to the end on another thread; B, in the same group, is killed once it has
        // taken part of its share. A then takes B's partitions over, reads them from their
        // beginning, and restates the months it had closed without them.
        let first = Mutex<CLI.Result?>(nil)
        let done = DispatchSemaphore(value: 0)
        Thread {
            first.withLock { $0 = try? CLI.run(["run", "--data-dir", a] + args, timeout: 300) }
            done.signal()
        }.start()
        let second = try CLI.run(["run", "--data-dir", b] + args, killWhen: { logBytes(b) > 30_000 })
        done.wait()
        let survivor = try #require(first.withLock { $0 })
        #expect(second.status != 0, "B was never killed: it got no partitions before A finished")
        #expect(survivor.status == 0, "\(survivor.output)")
        #expect(logBytes(a) > 0 && logBytes(b) > 0, "both members consumed a share")
        #expect(try CLI.run(["ingest", "--data-dir", dir.path + "/file", input]).status == 0)
        #expect(try exports(a) == exports(dir.path + "/file"))
    }
}

/// Runs the `credence` binary.
enum CLI {
    static let binary: String? = {
        if let b = ProcessInfo.processInfo.environment["CREDENCE_BIN"] { return b }
        let candidates = [".build/debug/credence", ".build-kafka/debug/credence"].map {
            TansuBroker.repositoryRoot + "/" + $0
        }
        let fm = FileManager.default
        return candidates.filter { fm.isExecutableFile(atPath: $0) }.max { a, b in
            let da = (try? fm.attributesOfItem(atPath: a)[.modificationDate] as? Date) ?? .distantPast
            let db = (try? fm.attributesOfItem(atPath: b)[.modificationDate] as? Date) ?? .distantPast
            return da < db
        }
    }()

    struct Result {
        var status: Int32
        var output: String
    }

    static func run(_ args: [String], killWhen: (() -> Bool)? = nil, timeout: Double = 120) throws -> Result {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary!)
        p.arguments = args
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("credence-cli-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        let handle = try FileHandle(forWritingTo: out)
        p.standardOutput = handle
        p.standardError = handle
        try p.run()
        let deadline = Date().addingTimeInterval(timeout)
        while p.isRunning {
            if let killWhen, killWhen() {
                kill(p.processIdentifier, SIGKILL)
                break
            }
            if Date() > deadline {
                kill(p.processIdentifier, SIGKILL)
                break
            }
            Thread.sleep(forTimeInterval: 0.02)
        }
        p.waitUntilExit()
        try handle.close()
        let text = (try? String(contentsOf: out, encoding: .utf8)) ?? ""
        try? FileManager.default.removeItem(at: out)
        return Result(status: p.terminationStatus, output: text)
    }
}

final class TemporaryDirectory {
    let path: String
    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("credence-kafka-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
}
