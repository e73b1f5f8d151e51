import CredenceTestSupport
import Hummingbird
import HummingbirdTesting
import Testing

@testable import CredenceServer

@Suite struct AccessTests {
    static let readRoutes = [
        "/v1/users/alice/score", "/v1/users/alice/scores", "/v1/users/alice/eligibility", "/v1/snapshots",
        "/v1/snapshots/2025-01", "/v1/snapshots/2025-01/export",
    ]

    @Test func readRoutesNeedAToken() async throws {
        try await withAPI { client in
            for uri in Self.readRoutes {
                let r = try await client.get(uri, token: nil)
                #expect(r.status == .unauthorized, "\(uri)")
                #expect(r.errorCode == "unauthorized")
                #expect(r.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true)
            }
        }
    }

    @Test func anUnknownTokenIs401AndAWriteTokenOnAReadRouteIs403() async throws {
        try await withAPI { client in
            for uri in Self.readRoutes {
                do {
                    let status = try await client.get(uri, token: Tokens.unknown).status;
                    #expect(status == .unauthorized, "\(uri)")
                }
                do {
                    let status = try await client.get(uri, token: Tokens.write).status;
                    #expect(status == .forbidden, "\(uri)")
                }
                do {
                    let status = try await client.get(uri, token: Tokens.read).status; #expect(status == .ok, "\(uri)")
                }
            }
        }
    }

    @Test func intakeNeedsAWriteToken() async throws {
        try await withAPI { client in
            #expect(try await client.post("/v1/events", body: "{}", token: nil).status == .unauthorized)
            #expect(try await client.post("/v1/events", body: "{}", token: Tokens.unknown).status == .unauthorized)
            let r = try await client.post("/v1/events", body: "{}", token: Tokens.read)
            #expect(r.status == .forbidden)
            #expect(r.errorCode == "forbidden")
        }
    }

    @Test func aMalformedAuthorizationHeaderIs401() async throws {
        try await withAPI { client in
            for value in ["Basic abc", "Bearer", "Bearer  " + Tokens.read, Tokens.read, "bearer" + Tokens.read] {
                var headers = HTTPFields()
                headers[.authorization] = value
                let r = try await client.execute(uri: "/v1/snapshots", method: .get, headers: headers)
                #expect(r.status == .unauthorized, "\(value)")
            }
            var headers = HTTPFields()
            headers[.authorization] = "bEaReR " + Tokens.read
            #expect(try await client.execute(uri: "/v1/snapshots", method: .get, headers: headers).status == .ok)
        }
    }

    @Test func healthAndMetricsAreOpen() async throws {
        try await withAPI { client in
            for uri in ["/healthz", "/readyz", "/metrics"] {
                do { let status = try await client.get(uri, token: nil).status; #expect(status == .ok, "\(uri)") }
            }
        }
    }

    @Test func tokensNeverAppearInResponses() async throws {
        try await withAPI { client in
            for token in [Tokens.unknown, Tokens.write] {
                let r = try await client.get("/v1/snapshots", token: token)
                #expect(!r.text.contains(token))
            }
        }
    }

    @Test func constantTimeEquality() {
        func eq(_ a: String, _ b: String) -> Bool { AccessControl.equal(Array(a.utf8), Array(b.utf8)[...]) }
        #expect(eq("secret-token", "secret-token"))
        #expect(!eq("secret-token", "secret-tokeN"))
        #expect(!eq("secret-token", "secret-toke"))
        #expect(!eq("secret-token", "secret-token-"))
        #expect(!eq("secret-token", ""))
        #expect(!eq("a", String(repeating: "a", count: 257)))
    }
}
