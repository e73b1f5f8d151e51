import CredenceTestSupport
import HummingbirdTesting
import Testing

@testable import CredenceServer

@Suite struct HealthAndMetricsTests {
    @Test func healthzAndReadyz() async throws {
        try await withAPI { client in
            let h = try await client.get("/healthz", token: nil)
            #expect(h.status == .ok)
            #expect(h.json["status"] as? String == "alive")
            let r = try await client.get("/readyz", token: nil)
            #expect(r.status == .ok)
            #expect(r.json["status"] as? String == "ready")
        }
    }

    @Test func readyzWaitsForEveryCondition() async throws {
        let readiness = Readiness(waitingFor: ["consumer_assigned", "state_restored"])
        readiness.set("state_restored")
        try await withAPI(readiness: readiness) { client in
            let r = try await client.get("/readyz", token: nil)
            #expect(r.status == .serviceUnavailable)
            #expect(r.json["waiting_for"] as? [String] == ["consumer_assigned"])
            readiness.set("consumer_assigned")
            #expect(try await client.get("/readyz", token: nil).status == .ok)
        }
    }

    @Test func metricsCoverIntakeLogAndRequests() async throws {
        try await withAPI { client in
            _ = try await client.get("/v1/users/alice/score")
            _ = try await client.get("/v1/users/alice/score", token: nil)
            _ = try await client.post("/v1/events", body: "not json\n")
            let r = try await client.get("/metrics", token: nil)
            #expect(r.status == .ok)
            #expect(r.headers[.contentType]?.hasPrefix("text/plain") == true)
            let text = r.text
            for expected in [
                "credence_events_accepted_total 14", "credence_events_rejected_total{reason=\"not_json\"} 1",
                "credence_events_duplicate_total", "credence_events_late_total 1", "credence_watermark_seconds",
                "credence_log_bytes", "credence_log_segments 1",
                "credence_http_request_duration_seconds_bucket{route=\"/v1/users/{user_id}/score\",method=\"GET\",status=\"200\",le=\"0.001\"}",
                "route=\"/v1/users/{user_id}/score\",method=\"GET\",status=\"401\"",
            ] {
                #expect(text.contains(expected), "\(expected)")
            }
        }
    }

    @Test func unknownRoutesAre404AndOtherMethods405() async throws {
        try await withAPI { client in
            let r = try await client.get("/v2/nothing")
            #expect(r.status == .notFound)
            #expect(r.errorCode == "not_found")
            let m = try await client.execute(uri: "/v1/snapshots", method: .delete)
            #expect(m.status == .methodNotAllowed)
            #expect(m.headers[.allow] == "GET")
        }
    }
}
