import CredenceTestSupport
import Foundation
import Synchronization
import Testing

/// `credence produce` and `credence run` as child processes against a Tansu broker, compared
/// with `credence ingest` of the same file.
@Suite(.serialized) struct KafkaEndToEndTests {
    static let enabled = TansuBroker.skipReason == nil && CommandRunner.isBuilt

    init() {
        if let reason = TansuBroker.skipReason { print("KafkaEndToEndTests: \(reason)") }
        if !CommandRunner.isBuilt {
            print("KafkaEndToEndTests: no credence binary (run `swift build` or set CREDENCE_BIN)")
        }
    }

    func setUp(_ broker: TansuBroker) throws {
        try broker.createTopic("payments", partitions: 3)
        try broker.createTopic("payments.dlq", partitions: 1)
        try broker.createTopic("score-changes", partitions: 3)
    }

    /// Generates a clean stream of `users` users over 6 months into `dir` and produces it to
    /// `payments`; returns the file's path.
    func produceStream(_ broker: TansuBroker, in dir: TemporaryDirectory, users: Int, seed: Int) throws -> String {
        let input = dir.path + "/events.ndjson"
        _ = try CommandRunner.watch([
            "generate", "--users", "\(users)", "--months", "6", "--seed", "\(seed)", "--clean", "--output", input,
        ])
        let produced = try CommandRunner.watch(["produce", input, "--topic", "payments"] + broker.cliArguments)
        #expect(produced.status == 0, "\(produced.output)")
        return input
    }

    @Test(.enabled(if: enabled, "needs CREDENCE_TANSU, librdkafka >= 2.1 and the credence binary"))
    func producedEventsEndUpInTheSameSnapshotsAsIngest() throws {
        let dir = TemporaryDirectory("credence-kafka")
        let broker = try TansuBroker()
        defer { broker.stop() }
        try setUp(broker)
        let input = try produceStream(broker, in: dir, users: 200, seed: 7)
        let run = try CommandRunner.watch(
            ["run", "--data-dir", dir.path + "/kafka", "--stop-when-idle", "5"] + broker.cliArguments)
        #expect(run.status == 0, "\(run.output)")
        let ingest = try CommandRunner.watch(["ingest", "--data-dir", dir.path + "/file", input])
        #expect(ingest.status == 0)
        let fromKafka = try DataDirectory.exports(dir.path + "/kafka")
        let fromFile = try DataDirectory.exports(dir.path + "/file")
        #expect(fromFile.count >= 6)
        #expect(fromKafka == fromFile)
        // Every score change was published: the topic holds what the run says it published,
        // at least every line that `ingest` of the file left queued (an erasure removes a
        // withdrawn user's unpublished score.changed lines, so the file's outbox can hold fewer),
        // and the delivered lines were compacted out of the run's outbox.
        let reader = try KafkaTestSupport.consumer(
            brokers: broker.brokers, group: KafkaTestSupport.uniqueName("reader"), topics: ["score-changes"],
            properties: ["auto.offset.reset": "earliest"])
        let onTopic = try KafkaTestSupport.drain(reader).count
        try reader.close()
        #expect(run.output.contains("published \(onTopic) score changes"), "\(run.output)")
        let queued = try String(contentsOfFile: dir.path + "/file/outbox/score-changes.ndjson", encoding: .utf8)
        #expect(onTopic >= queued.split(separator: "\n").count)
        let left = try String(contentsOfFile: dir.path + "/kafka/outbox/score-changes.ndjson", encoding: .utf8)
        #expect(left.isEmpty)
        // `replay --from-kafka` rebuilds a new data directory from the topics, from offset 0,
        // with the same snapshots.
        let replay = try CommandRunner.watch(
            [
                "replay", "--from-kafka", "--data-dir", dir.path + "/kafka", "--into", dir.path + "/from-topics",
                "--idle-seconds", "3",
            ] + broker.cliArguments)
        #expect(replay.status == 0, "\(replay.output)")
        #expect(!replay.output.contains("DIFFERS"), "\(replay.output)")
        #expect(try DataDirectory.exports(dir.path + "/from-topics") == fromKafka)
    }

    static func logBytes(_ data: String) -> Int {
        let dir = data + "/log"
        let files = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        return files.filter { $0.hasSuffix(".seg") }.reduce(0) { total, f in
            total + ((try? FileManager.default.attributesOfItem(atPath: dir + "/" + f)[.size] as? Int) ?? 0)
        }
    }

    @Test(.enabled(if: enabled, "needs CREDENCE_TANSU, librdkafka >= 2.1 and the credence binary"))
    func killedWithSigkillMidStreamThenRestartedLosesAndDoublesNothing() throws {
        let dir = TemporaryDirectory("credence-kafka")
        let broker = try TansuBroker()
        defer { broker.stop() }
        try setUp(broker)
        let input = try produceStream(broker, in: dir, users: 600, seed: 11)
        let data = dir.path + "/kafka"
        var killed = 0
        // Kill when the log has grown past a mark (mid-stream by construction), then wait out the
        // session timeout so the dead member has left the group before the next run joins.
        for mark in [150_000, 600_000] {
            let r = try CommandRunner.watch(
                ["run", "--data-dir", data, "--batch-size", "256", "--stop-when-idle", "5"] + broker.cliArguments,
                killWhen: { Self.logBytes(data) > mark })
            if r.status != 0 { killed += 1 }
            Thread.sleep(forTimeInterval: 7)
        }
        let last = try CommandRunner.watch(["run", "--data-dir", data, "--stop-when-idle", "5"] + broker.cliArguments)
        #expect(last.status == 0, "\(last.output)")
        #expect(killed >= 1, "no run was killed mid-stream; the test proves nothing")
        #expect(try CommandRunner.watch(["ingest", "--data-dir", dir.path + "/file", input]).status == 0)
        #expect(try DataDirectory.loggedEvents(data) == DataDirectory.loggedEvents(dir.path + "/file"))
        #expect(try DataDirectory.exports(data) == DataDirectory.exports(dir.path + "/file"))
    }
}

extension KafkaEndToEndTests {
    @Test(.enabled(if: enabled, "needs CREDENCE_TANSU, librdkafka >= 2.1 and the credence binary"))
    func twoInstancesSplitThePartitionsAndTheSurvivorOfAKillFinishesWithTheSameSnapshots() throws {
        let dir = TemporaryDirectory("credence-kafka")
        let broker = try TansuBroker()
        defer { broker.stop() }
        try setUp(broker)
        let input = try produceStream(broker, in: dir, users: 600, seed: 13)
        let a = dir.path + "/a"
        let b = dir.path + "/b"
        let args = ["--batch-size", "256", "--stop-when-idle", "12", "--publish-topic", ""] + broker.cliArguments
        // A runs to the end on another thread; B, in the same group, is killed once it has
        // taken part of its share. A then takes B's partitions over, reads them from their
        // beginning, and restates the months it had closed without them.
        let first = Mutex<CommandRunner.Watched?>(nil)
        let done = DispatchSemaphore(value: 0)
        Thread {
            first.withLock { $0 = try? CommandRunner.watch(["run", "--data-dir", a] + args, timeout: 300) }
            done.signal()
        }.start()
        let second = try CommandRunner.watch(["run", "--data-dir", b] + args, killWhen: { Self.logBytes(b) > 30_000 })
        done.wait()
        let survivor = try #require(first.withLock { $0 })
        #expect(second.status != 0, "B was never killed: it got no partitions before A finished")
        #expect(survivor.status == 0, "\(survivor.output)")
        #expect(Self.logBytes(a) > 0 && Self.logBytes(b) > 0, "both members consumed a share")
        #expect(try CommandRunner.watch(["ingest", "--data-dir", dir.path + "/file", input]).status == 0)
        #expect(try DataDirectory.exports(a) == DataDirectory.exports(dir.path + "/file"))
    }
}
