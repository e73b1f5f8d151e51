import CredenceCore
import CredenceTestSupport
import Foundation
import HummingbirdTesting
import Testing

@testable import CredenceServer

@Suite struct UserRouteTests {
    @Test func scoreHasTheLatestClosedAndTheProvisionalScore() async throws {
        try await withAPI { client in
            let r = try await client.get("/v1/users/alice/score")
            #expect(r.status == .ok)
            #expect(r.headers[.contentType] == "application/json")
            let json = r.json
            #expect(json["user_id"] as? String == "alice")
            #expect(json["model_version"] as? String == "default-1")
            let closed = try #require(json["closed"] as? [String: Any])
            #expect(closed["month"] as? String == "2025-02")
            #expect(closed["revision"] as? Int == 0)
            let reasons = try #require(closed["reasons"] as? [[String: Any]])
            #expect(!reasons.isEmpty)
            for reason in reasons {
                let code = try #require(reason["code"] as? String)
                #expect(reason["text"] as? String == Scorecard.default.text(forReason: code))
            }
            let features = try #require(closed["features"] as? [String: Any])
            #expect(features.count == 17)
            #expect(features["payments_12m"] as? Int == 3)
            let provisional = try #require(json["provisional"] as? [String: Any])
            #expect(provisional["as_of"] as? String == "2025-03-25T00:00:00+08:00")
            #expect(provisional["month"] as? String == "2025-03")
            let pf = try #require(provisional["features"] as? [String: Any])
            #expect(pf["payments_12m"] as? Int == 4)
        }
    }

    @Test func scoreOfAGivenClosedMonth() async throws {
        try await withAPI { client in
            let r = try await client.get("/v1/users/alice/score?month=2025-01")
            #expect(r.status == .ok)
            let closed = try #require(r.json["closed"] as? [String: Any])
            #expect(closed["month"] as? String == "2025-01")
            #expect((closed["features"] as? [String: Any])?["payments_12m"] as? Int == 2)
            #expect(r.json["provisional"] is NSNull)
        }
    }

    @Test func aMonthThatIsNotClosedIs404NamingTheClosedRange() async throws {
        try await withAPI { client in
            for uri in [
                "/v1/users/alice/score?month=2025-03", "/v1/users/alice/eligibility?month=2024-12",
                "/v1/snapshots/2025-03", "/v1/snapshots/2025-03/export",
            ] {
                let r = try await client.get(uri)
                #expect(r.status == .notFound, "\(uri)")
                #expect(r.errorCode == "month_not_closed", "\(uri)")
                #expect(r.errorMessage?.contains("closed months run from 2025-01 to 2025-02") == true, "\(uri)")
            }
        }
    }

    @Test(arguments: ["2025-13", "2025-1", "25-01", "2025_01", "abcd-ef", "2025-00"])
    func aMalformedMonthIs400(month: String) async throws {
        try await withAPI { client in
            for uri in ["/v1/users/alice/score?month=\(month)", "/v1/snapshots/\(month)"] {
                let r = try await client.get(uri)
                #expect(r.status == .badRequest, "\(uri)")
                #expect(r.errorCode == "invalid_month", "\(uri)")
            }
        }
    }

    @Test(arguments: [
        "bad%20id", "caf%C3%A9", "semi;colon", "a%2Fb", String(repeating: "x", count: 65), "quote%22s", "%00",
    ])
    func anInvalidUserIDIs400(id: String) async throws {
        try await withAPI { client in
            for route in ["score", "scores", "eligibility"] {
                let r = try await client.get("/v1/users/\(id)/\(route)")
                #expect(r.status == .badRequest, "\(route) \(id)")
                #expect(r.errorCode == "invalid_user_id", "\(route) \(id)")
            }
        }
    }

    @Test func theLongestAndOddestValidIDsAreAccepted() async throws {
        try await withAPI { client in
            for id in [String(repeating: "x", count: 64), "a.b:c_d-e", "0", "%3A", "a%2Db"] {
                let r = try await client.get("/v1/users/\(id)/score")
                #expect(r.status == .notFound, "\(id)")
                #expect(r.errorCode == "not_found")
            }
        }
    }

    @Test func unknownAndErasedUsersGetTheSame404() async throws {
        try await withAPI { client in
            for route in ["score", "scores", "eligibility", "score?month=2025-01"] {
                let erased = try await client.get("/v1/users/bob/\(route)")
                let unknown = try await client.get("/v1/users/nobody/\(route)")
                #expect(erased.status == .notFound, "\(route)")
                #expect(unknown.status == .notFound, "\(route)")
                #expect(
                    erased.text.replacingOccurrences(of: "bob", with: "X")
                        == unknown.text.replacingOccurrences(of: "nobody", with: "X"), "\(route)")
            }
        }
    }

    @Test func theErasedUserIsNotInAnyExport() async throws {
        try await withAPI { client in
            for month in ["2025-01", "2025-02"] {
                let r = try await client.get("/v1/snapshots/\(month)/export")
                #expect(r.status == .ok)
                #expect(r.text.contains("\"alice\""))
                #expect(!r.text.contains("bob"))
            }
        }
    }

    @Test func aUserWithOnlyAProvisionalScore() async throws {
        try await withAPI { client in
            let r = try await client.get("/v1/users/dave/score")
            #expect(r.status == .ok)
            #expect(r.json["closed"] is NSNull)
            #expect(r.json["provisional"] is [String: Any])
            #expect(try await client.get("/v1/users/dave/scores").status == .notFound)
            #expect(try await client.get("/v1/users/dave/eligibility").status == .notFound)
        }
    }

    @Test func scoresListEveryClosedMonth() async throws {
        try await withAPI { client in
            let r = try await client.get("/v1/users/alice/scores")
            #expect(r.status == .ok)
            let scores = try #require(r.json["scores"] as? [[String: Any]])
            #expect(scores.map { $0["month"] as? String } == ["2025-01", "2025-02"])
            #expect(scores.allSatisfy { $0["score"] is Int && $0["reasons"] is [String] })
        }
    }

    @Test func eligibilityNamesThresholdsAndTheReasonsHoldingAUserBack() async throws {
        try await withAPI { client in
            let r = try await client.get("/v1/users/carol/eligibility")
            #expect(r.status == .ok)
            let json = r.json
            let score = try #require(json["score"] as? Int)
            #expect(json["month"] as? String == "2025-02")
            let services = try #require(json["services"] as? [[String: Any]])
            #expect(services.map { $0["service"] as? String } == Scorecard.default.services.map(\.name))
            var sawIneligible = false
            for (s, model) in zip(services, Scorecard.default.services) {
                #expect(s["threshold"] as? Int == Int(model.threshold))
                let eligible = try #require(s["eligible"] as? Bool)
                #expect(eligible == (score >= model.threshold))
                if eligible {
                    #expect(s["reasons"] == nil)
                } else {
                    sawIneligible = true
                    #expect(s["points_short"] as? Int == Int(model.threshold) - score)
                    let reasons = try #require(s["reasons"] as? [[String: Any]])
                    #expect(!reasons.isEmpty)
                    #expect(reasons.allSatisfy { $0["code"] is String && $0["text"] is String })
                }
            }
            #expect(sawIneligible, "carol's overdue obligation should keep her from some service (score \(score))")
        }
    }
}
