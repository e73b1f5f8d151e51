import CredenceTestSupport
import Foundation
import Testing

/// Three `credence run --http-port` instances in one consumer group on a Tansu broker behave as
/// one Credence: same closed months, the same exports and the same closed scores as one
/// instance that read the whole file, through any instance, after one of them was killed with
/// SIGKILL and replaced by a fresh one. The stream is noisy (duplicates, conflicts, invalid lines,
/// shuffled order) but has no events later than the lateness: whether those count in their month
/// depends on how the partitions' reads interleave, on one instance as on three.
@Suite(.serialized) struct ClusterEndToEndTests {
    static let enabled = TansuBroker.skipReason == nil && CommandRunner.isBuilt

    init() {
        if let reason = TansuBroker.skipReason { print("ClusterEndToEndTests: \(reason)") }
    }

    func setUp(_ broker: TansuBroker) throws {
        try broker.createTopic("payments", partitions: 6)
        try broker.createTopic("payments.dlq", partitions: 1)
        try broker.createTopic("score-changes", partitions: 3)
        try broker.createTopic("credence.cluster", partitions: 1)
    }

    /// Generates, produces with `credence produce` and ingests into `file` the same stream.
    func stream(_ broker: TansuBroker, _ dir: TemporaryDirectory, users: Int, seed: Int) throws -> String {
        let input = dir.path + "/events.ndjson"
        let generated = try CommandRunner.watch([
            "generate", "--users", "\(users)", "--months", "6", "--seed", "\(seed)", "--no-late", "--output", input,
        ])
        #expect(generated.status == 0, "\(generated.output)")
        let produced = try CommandRunner.watch(["produce", input, "--topic", "payments"] + broker.cliArguments)
        #expect(produced.status == 0, "\(produced.output)")
        let ingest = try CommandRunner.watch(["ingest", "--data-dir", dir.path + "/file", input])
        #expect(ingest.status == 0, "\(ingest.output)")
        return input
    }

    static func users(in file: String) throws -> [String] {
        // Lossy: invalid lines may hold bytes that are not UTF-8.
        let text = String(decoding: try Data(contentsOf: URL(fileURLWithPath: file)), as: UTF8.self)
        var users = Set<String>()
        for line in text.split(separator: "\n") {
            guard let r = line.range(of: "\"user_id\":\"") else { continue }
            let user = String(line[r.upperBound...].prefix { $0 != "\"" })
            // Invalid lines may carry ids no route takes; they are dead-lettered everywhere alike.
            guard (1...64).contains(user.utf8.count),
                user.utf8.allSatisfy({
                    $0 < 128
                        && (Character(UnicodeScalar($0)).isLetter || Character(UnicodeScalar($0)).isNumber
                            || "_.:-".utf8.contains($0))
                })
            else { continue }
            users.insert(user)
        }
        return users.sorted()
    }

    /// Waits until every instance reports all partitions owned, caught up and restated, and they
    /// all list the same closed months; returns those months.
    static func settled(_ instances: [ClusterProcess], timeout: Duration) async -> [String]? {
        let deadline = ContinuousClock.now + timeout
        repeat {
            var done = true
            var lists: [[String]] = []
            for i in instances {
                guard let state = await i.clusterState(), let months = await i.closedMonths() else {
                    done = false
                    break
                }
                let live = Set(instances.map(\.baseURL))
                done =
                    done && state.partitions.count == 6
                    && state.partitions.allSatisfy { $0.idle && !$0.restating && live.contains($0.owner ?? "") }
                lists.append(months)
            }
            if done, let first = lists.first, !first.isEmpty, lists.allSatisfy({ $0 == first }) { return first }
            if timeout > .zero { try? await Task.sleep(for: .milliseconds(500)) }
        } while ContinuousClock.now < deadline
        return nil
    }

    /// Prints what each instance says of the cluster and its closed months, and its log's tail.
    static func dump(_ instances: [ClusterProcess]) async {
        for i in instances {
            print("--- \(i.baseURL): /readyz \(await i.get("/readyz").text)")
            print("--- \(i.baseURL): /v1/snapshots \(await i.get("/v1/snapshots").text)")
            print(i.log.split(separator: "\n").suffix(40).joined(separator: "\n"))
        }
    }

    /// The `closed` object of a score answer, without its revision (a takeover restates a month
    /// as revision 1 where one instance has revision 0; the score, reasons and features agree).
    static func closedScore(_ body: Data) -> String? {
        guard var object = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] else { return nil }
        guard var closed = object["closed"] as? [String: Any] else { return "null" }
        closed["revision"] = nil
        object = closed
        return (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]))
            .map { String(decoding: $0, as: UTF8.self) }
    }

    @Test(.enabled(if: enabled, "needs CREDENCE_TANSU, librdkafka >= 2.1 and the credence binary"))
    func threeInstancesWithOneKilledAndReplacedAnswerAsOne() async throws {
        let dir = TemporaryDirectory("credence-cluster")
        let broker = try TansuBroker()
        defer { broker.stop() }
        try setUp(broker)
        let input = try stream(broker, dir, users: 900, seed: 21)
        let fileLog = KafkaEndToEndTests.logBytes(dir.path + "/file")
        let ports = (0..<3).map { _ in ClusterProcess.freePort() }
        var instances = try (0..<3).map { i in
            try ClusterProcess(
                dataDir: dir.path + "/i\(i)", port: ports[i], arguments: broker.cliArguments + ["--log-level", "info"])
        }
        defer { for i in instances { i.stop() } }
        // Kill instance 1 a third of the way through the stream, once it has consumed a share.
        let start = ContinuousClock.now
        var killedAt: ContinuousClock.Instant? = nil
        while ContinuousClock.now - start < .seconds(180) {
            let consumed = instances.reduce(0) { $0 + KafkaEndToEndTests.logBytes($1.dataDir) }
            if consumed > fileLog / 3 && KafkaEndToEndTests.logBytes(instances[1].dataDir) > 0 {
                instances[1].kill9()
                killedAt = .now
                break
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        let killed = try #require(killedAt, "instance 1 never consumed a share: \(instances[1].log)")
        let consumedAtKill = instances.reduce(0) { $0 + KafkaEndToEndTests.logBytes($1.dataDir) }
        #expect(consumedAtKill < fileLog, "the stream was consumed before the kill; the test proves nothing")
        // A fresh instance (new data directory) in its place. At a new address, so that the dead
        // member's claims cannot pass for the new one's.
        instances[1] = try ClusterProcess(
            dataDir: dir.path + "/fresh", port: ClusterProcess.freePort(),
            arguments: broker.cliArguments + ["--log-level", "info"])
        let settledMonths = await Self.settled(instances, timeout: .seconds(180))
        if settledMonths == nil { await Self.dump(instances) }
        let months = try #require(settledMonths, "the cluster did not settle (its state is printed above)")
        let takeover = ContinuousClock.now - killed
        let fresh = await instances[1].clusterState()?.owned ?? []
        #expect(!fresh.isEmpty, "the fresh instance owns no partition: it replaced nothing")
        print("ClusterEndToEndTests: settled \(takeover) after the kill (fresh instance joined and caught up)")

        // The same closed months everywhere, each a month the single instance closed too.
        let single = try DataDirectory.exports(dir.path + "/file")
        #expect(Set(months).isSubset(of: Set(single.keys)), "\(months) vs \(single.keys.sorted())")
        #expect(months.count >= single.count - 1, "\(months) vs \(single.keys.sorted())")
        // Every month's export from every instance is the single instance's, byte for byte.
        for month in months {
            for i in instances {
                let reply = await i.get("/v1/snapshots/\(month)/export")
                #expect(reply.status == 200, "\(i.baseURL) \(month): \(reply.text.prefix(300))")
                #expect(reply.text == single[month], "\(i.baseURL) \(month) differs from ingest")
            }
        }
        // Every user's closed score through every instance is the single instance's.
        let serve = try ServeProcess(dataDir: dir.path + "/file")
        defer { serve.stop() }
        var forwarded = 0
        for user in try Self.users(in: input) {
            let expected = try await serve.request("GET", "/v1/users/\(user)/score", token: Tokens.read)
            let want = Self.closedScore(Data(expected.body.utf8))
            for i in instances {
                let reply = await i.get("/v1/users/\(user)/score")
                #expect(reply.status == expected.status, "\(user) via \(i.baseURL): \(reply.text.prefix(300))")
                #expect(reply.status != 200 || Self.closedScore(reply.body) == want, "\(user) via \(i.baseURL)")
                #expect(reply.headers["credence-stale"] == nil, "\(user) via \(i.baseURL): stale after settling")
                if let owner = reply.headers["credence-instance"], owner != i.baseURL { forwarded += 1 }
            }
        }
        #expect(forwarded > 0, "no query was forwarded: the test did not exercise routing")
        // Score changes: a copy of one (a crash re-sends) is the same bytes; an instance never
        // publishes for users of partitions it does not own (its copy could be stale).
        let reader = try KafkaTestSupport.consumer(
            brokers: broker.brokers, group: KafkaTestSupport.uniqueName("reader"), topics: ["score-changes"],
            properties: ["auto.offset.reset": "earliest"])
        var byEventID: [String: Set<String>] = [:]
        for m in try KafkaTestSupport.drain(reader) {
            guard let r = m.text.range(of: "\"event_id\":\"") else { continue }
            byEventID[String(m.text[r.upperBound...].prefix { $0 != "\"" }), default: []].insert(m.text)
        }
        try reader.close()
        #expect(!byEventID.isEmpty, "no score change was published")
        #expect(byEventID.values.allSatisfy { $0.count == 1 }, "\(byEventID.filter { $0.value.count > 1 }.prefix(3))")
        // The merged export through the CLI, too.
        let cli = try CommandRunner.credence(
            ["snapshot", "export", "--cluster", "--instance", instances[0].baseURL, "--month", months.last!],
            environment: ProcessInfo.processInfo.environment.merging(["CREDENCE_READ_TOKENS": Tokens.read]) { $1 })
        #expect(cli.status == 0, "\(cli.err)")
        #expect(cli.out == single[months.last!])
    }
}
