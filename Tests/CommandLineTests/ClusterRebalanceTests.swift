import CredenceTestSupport
import Foundation
import Testing

extension ClusterEndToEndTests {
    /// While a third instance joins a cluster of two (a rebalance, then its catch-up from offset
    /// 0) and leaves again gracefully, queries through the first two are answered: never a 5xx
    /// or a dropped connection, and an answer that says less than one instance would (a 404 for
    /// a user it has) is marked stale.
    @Test(.enabled(if: enabled, "needs CREDENCE_TANSU, librdkafka >= 2.1 and the credence binary"))
    func aQueryDuringARebalanceIsAnsweredNotA5xx() async throws {
        let dir = TemporaryDirectory("credence-cluster")
        let broker = try TansuBroker()
        defer { broker.stop() }
        try setUp(broker)
        let input = try stream(broker, dir, users: 400, seed: 33)
        let args = broker.cliArguments + ["--log-level", "info"]
        let a = try ClusterProcess(dataDir: dir.path + "/a", port: ClusterProcess.freePort(), arguments: args)
        let b = try ClusterProcess(dataDir: dir.path + "/b", port: ClusterProcess.freePort(), arguments: args)
        defer {
            a.stop()
            b.stop()
        }
        let firstSettle = await Self.settled([a, b], timeout: .seconds(180))
        if firstSettle == nil { await Self.dump([a, b]) }
        try #require(firstSettle != nil, "two instances did not settle")
        let serve = try ServeProcess(dataDir: dir.path + "/file")
        defer { serve.stop() }
        let users = try Self.users(in: input)
        var expected: [String: Int] = [:]
        for user in users {
            expected[user] = try await serve.request("GET", "/v1/users/\(user)/score", token: Tokens.read).status
        }

        var answers = 0
        var stale: [String: Int] = [:]
        var failures: [String] = []
        var next = 0
        /// Queries users round robin through `a` and `b` until `done` says so (checked each round).
        func query(_ phase: String, until done: () async -> Bool, atMost limit: Duration) async {
            let start = ContinuousClock.now
            while ContinuousClock.now - start < limit {
                for _ in 0..<20 {
                    let user = users[next % users.count]
                    let via = next % 2 == 0 ? a : b
                    next += 1
                    let reply = await via.get("/v1/users/\(user)/score", timeout: 15)
                    answers += 1
                    if let s = reply.headers["credence-stale"] { stale[s, default: 0] += 1 }
                    if reply.status == 0 || reply.status >= 500 {
                        failures.append(
                            "\(phase): \(user) via \(via.baseURL): \(reply.status) \(reply.text.prefix(200))")
                    } else if reply.status == 404 && expected[user] == 200 && reply.headers["credence-stale"] == nil {
                        failures.append("\(phase): \(user) via \(via.baseURL): an unmarked 404 for a user with a score")
                    }
                }
                if await done() { return }
            }
        }

        // A third member joins: a rebalance, then it reads its partitions from offset 0.
        let c = try ClusterProcess(dataDir: dir.path + "/c", port: ClusterProcess.freePort(), arguments: args)
        defer { c.stop() }
        await query(
            "joining",
            until: {
                let owned = await c.clusterState()?.owned ?? []
                if owned.isEmpty { return false }
                return await Self.settled([a, b, c], timeout: .zero) != nil
            },
            atMost: .seconds(150))
        let joined = await c.clusterState()?.owned ?? []
        let answeredWhileJoining = answers
        // It leaves gracefully: another rebalance gives its partitions back.
        let leaving = Task.detached { c.stop() }
        await query("leaving", until: { await Self.settled([a, b], timeout: .zero) != nil }, atMost: .seconds(90))
        #expect(await leaving.value == 0)
        print(
            "ClusterEndToEndTests: \(answers) queries during the rebalances (\(answeredWhileJoining) while joining), stale: \(stale)"
        )
        #expect(!joined.isEmpty, "the third member never got partitions: no rebalance was exercised")
        #expect(answeredWhileJoining > 40, "too few queries ran during the rebalance")
        #expect(failures.isEmpty, "\(failures.prefix(10))")
    }
}
