import CredenceCore
import CredenceEngine
import CredenceTestSupport
import Foundation
import HummingbirdTesting
import Testing

@testable import CredenceServer

@Suite struct IntakeRouteTests {
    static func enrolled(_ id: String, _ user: String, _ at: String) -> String {
        #"{"event_id":"\#(id)","type":"user.enrolled","user_id":"\#(user)","occurred_at":"\#(at)","identity_verified":true}"#
    }

    @Test func countsAcceptedDuplicateRejectedAndErasedLines() async throws {
        try await withAPI { client in
            let body = [
                Self.enrolled("h1", "erin", "2025-03-21T10:00:00+08:00"),
                "",
                "not json",
                Self.enrolled("h1", "erin", "2025-03-21T10:00:00+08:00"),  // duplicate
                Self.enrolled("z1", "alice", "2025-03-21T10:00:00+08:00"),  // same id, other content: conflict
                #"{"event_id":"h2","type":"payment","user_id":"bad id","occurred_at":"2025-03-21T10:00:00+08:00"}"#,
                Self.enrolled("h3", "bob", "2025-02-01T10:00:00+08:00"),  // before bob's erasure cut
                "   ",
            ].joined(separator: "\n")
            let r = try await client.post("/v1/events", body: body)
            #expect(r.status == .ok)
            let json = r.json
            #expect(json["accepted"] as? Int == 1)
            #expect(json["duplicates"] as? Int == 1)
            #expect(json["rejected"] as? Int == 3)
            #expect(json["erased"] as? Int == 1)
            #expect(json["rejections_truncated"] as? Bool == false)
            let rejections = try #require(json["rejections"] as? [[String: Any]])
            #expect(rejections.map { $0["line"] as? Int } == [3, 5, 6])
            #expect(rejections.map { $0["reason"] as? String } == ["not_json", "conflict", "invalid_value"])
            #expect(rejections.allSatisfy { ($0["message"] as? String)?.isEmpty == false })

            // Accepted and durable: a provisional score now exists for erin.
            #expect(try await client.get("/v1/users/erin/score").status == .ok)
            // The same batch again: nothing new.
            let again = try await client.post("/v1/events", body: body).json
            #expect(again["accepted"] as? Int == 0)
            #expect(again["duplicates"] as? Int == 3)  // h1 twice, and the tombstoned h3
        }
    }

    @Test func eventsPastTheWatermarkCloseTheMonth() async throws {
        try await withAPI { client in
            let r = try await client.post(
                "/v1/events",
                body: Self.enrolled("late-x", "frank", "2025-04-05T10:00:00+08:00") + "\n")
            #expect(r.json["accepted"] as? Int == 1)
            let months = try await client.get("/v1/snapshots").json["months"] as? [[String: Any]]
            #expect(months?.map { $0["month"] as? String } == ["2025-01", "2025-02", "2025-03"])
            let dave = try await client.get("/v1/users/dave/score?month=2025-03")
            #expect(dave.status == .ok)
        }
    }

    @Test func aBodyOverTheLimitIs413() async throws {
        try await withAPI { client in
            let big = String(repeating: Self.enrolled("x", "x", "2025-03-21T10:00:00+08:00") + "\n", count: 1000)
            #expect(big.utf8.count > World.serverConfiguration().maxBodyBytes)
            let r = try await client.post("/v1/events", body: big)
            #expect(r.status == .contentTooLarge)
            #expect(r.errorCode == "payload_too_large")
        }
    }

    @Test func anEmptyBodyIs400() async throws {
        try await withAPI { client in
            let r = try await client.post("/v1/events", body: "")
            #expect(r.status == .badRequest)
        }
    }

    @Test func rejectionListsAreCapped() async throws {
        var configuration = World.serverConfiguration()
        configuration.maxListedRejections = 2
        try await withAPI(configuration: configuration) { client in
            let r = try await client.post("/v1/events", body: "a\nb\nc\nd\n")
            #expect(r.json["rejected"] as? Int == 4)
            #expect((r.json["rejections"] as? [Any])?.count == 2)
            #expect(r.json["rejections_truncated"] as? Bool == true)
        }
    }

    @Test func intakeIsOffUnlessEnabled() async throws {
        try await withAPI(configuration: World.serverConfiguration(intake: false)) { client in
            let r = try await client.post("/v1/events", body: Self.enrolled("q", "q", "2025-03-21T10:00:00+08:00"))
            #expect(r.status == .notFound)
            #expect(r.errorCode == "intake_disabled")
        }
    }

    @Test func rejectedLinesAreDeadLettered() async throws {
        let dir = TempDir()
        let service = try World.service(dir)
        defer { try? service.runSync { try $0.close() } }
        let app = try buildApplication(
            configuration: World.serverConfiguration(), service: service, logger: .init(label: "t"))
        try await app.test(.router) { client in
            _ = try await client.post("/v1/events", body: "{\"nope\":1}\n")
        }
        let deadLetters = try String(contentsOfFile: dir.path + "/data/dead-letter/dead-letter.ndjson", encoding: .utf8)
        #expect(deadLetters.contains("\"source\":\"http:"))
    }
}
