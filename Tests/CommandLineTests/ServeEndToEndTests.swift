import CredenceTestSupport
import Foundation
import Testing

/// `credence serve` as users run it, over a real loopback socket.
@Suite struct ServeEndToEndTests {
    @Test func postEventsSeeTheMonthCloseAndReadTheScoreBack() async throws {
        let dir = TemporaryDirectory()
        let server = try ServeProcess(dataDir: dir.path + "/data")
        defer { server.stop() }

        let health = try await server.request("GET", "/readyz", token: nil)
        #expect(health.status == 200)
        let none = try await server.request("GET", "/v1/snapshots", token: Tokens.read)
        #expect(none.status == 200)
        #expect(none.body.contains("\"months\":[]"))

        // January's events: no month can close yet.
        let laterIDs = ["\"a7\"", "\"d1\"", "\"z1\"", "\"b3\""]
        let early = SmallWorld.events.filter { e in !laterIDs.contains { e.contains($0) } }
        let first = try await server.request(
            "POST", "/v1/events", token: Tokens.write, body: early.joined(separator: "\n"))
        #expect(first.status == 200)
        #expect(first.body.hasPrefix("{\"accepted\":\(early.count),"))
        let notYet = try await server.request("GET", "/v1/users/alice/score?month=2025-01", token: Tokens.read)
        #expect(notYet.status == 404)
        #expect(notYet.body.contains("no month is closed yet"))

        // February and March: the watermark passes end(2025-02) + 48 h, January and February close.
        let late = SmallWorld.events.filter { e in laterIDs.dropLast().contains { e.contains($0) } }
        let second = try await server.request(
            "POST", "/v1/events", token: Tokens.write, body: late.joined(separator: "\n"))
        #expect(second.status == 200)
        let months = try await server.request("GET", "/v1/snapshots", token: Tokens.read)
        #expect(months.body.contains("\"month\":\"2025-01\""))
        #expect(months.body.contains("\"month\":\"2025-02\""))

        let score = try await server.request("GET", "/v1/users/alice/score", token: Tokens.read)
        #expect(score.status == 200)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(score.body.utf8)) as? [String: Any])
        let closed = try #require(json["closed"] as? [String: Any])
        #expect(closed["month"] as? String == "2025-02")
        #expect(closed["score"] is Int)

        let unauthorized = try await server.request("GET", "/v1/users/alice/score", token: nil)
        #expect(unauthorized.status == 401)
        let metrics = try await server.request("GET", "/metrics", token: nil)
        #expect(metrics.body.contains("credence_months_closed_total 2"))

        #expect(server.stop() == 0)
        let log = try String(contentsOfFile: server.stderrPath, encoding: .utf8)
        #expect(log.contains("month closed"))
        #expect(log.contains("restored"))
        #expect(!log.contains(Tokens.read) && !log.contains(Tokens.write))
    }
}
