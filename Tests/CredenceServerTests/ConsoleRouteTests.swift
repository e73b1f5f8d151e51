import CredenceCore
import CredenceEngine
import CredenceTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import CredenceServer

/// The console through the router: access, and what each page holds. The browser test
/// (Tests/console/test_console.py) drives the same pages in headless Chromium.
@Suite struct ConsoleRouteTests {
    @Test func theConsoleNeedsTheReadToken() async throws {
        try await withAPI { client in
            let s1 = try await client.get("/console", token: nil)
            #expect(s1.status == .unauthorized)
            let s2 = try await client.get("/console", token: Tokens.write)
            #expect(s2.status == .forbidden)
            let s3 = try await client.get("/console?token=\(Tokens.unknown)", token: nil)
            #expect(s3.status == .unauthorized)
            let s4 = try await client.get("/console", token: Tokens.read)
            #expect(s4.status == .ok)
        }
    }

    @Test func aTokenInTheQueryBecomesACookieAndLeavesTheAddress() async throws {
        try await withAPI { client in
            let r = try await client.get("/console/months/2025-02?token=\(Tokens.read)", token: nil)
            #expect(r.status == .seeOther)
            #expect(r.headers[.location] == "/console/months/2025-02")
            let cookie = try #require(r.headers[.setCookie])
            #expect(
                cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.contains("Path=/console"))
            #expect(!cookie.contains(Tokens.read), "the cookie holds the token hex-encoded")
            var headers = HTTPFields()
            headers[.cookie] = String(cookie.prefix { $0 != ";" })
            let page = try await client.execute(uri: "/console/months/2025-02", method: .get, headers: headers)
            #expect(page.status == .ok)
            #expect(page.headers[.contentType]?.hasPrefix("text/html") == true)
            headers[.cookie] = "credence_console=00ff"
            let s5 = try await client.execute(uri: "/console", method: .get, headers: headers)
            #expect(s5.status == .unauthorized)
        }
    }

    @Test func theMonthPageDrawsOneBarPerBandWithTheExportsCounts() async throws {
        try await withAPI { client in
            let r = try await client.get("/console/months/2025-02")
            #expect(r.status == .ok)
            let html = r.text
            #expect(!html.contains("<script"), "no scripts")
            #expect(!html.contains("http://") || !html.contains("src=\"http"), "nothing from the network")
            let bars = Self.attributes("data-count", in: html)
            #expect(bars.count == 11)
            #expect(bars.reduce(0) { $0 + Int($1)! } == 2)  // alice and carol
            let thresholds = Self.attributes("data-threshold", in: html).map { Int($0)! }.sorted()
            #expect(thresholds == [550, 600, 600, 650])
            #expect(html.contains("id=\"migration\""), "2025-01 is the previous closed month")
            let s6 = try await client.get("/console/months/2025-03")
            #expect(s6.status == .notFound)
            let s7 = try await client.get("/console/months/2025-3")
            #expect(s7.status == .badRequest)
        }
    }

    @Test func theUserPageShowsScoresReasonTextsAndEligibility() async throws {
        try await withAPI { client in
            let history = try await client.get("/v1/users/alice/scores").json["scores"] as? [[String: Any]] ?? []
            let r = try await client.get("/console/users/alice")
            #expect(r.status == .ok)
            let values = Self.attributes("data-value", in: r.text)
            #expect(values == history.map { "\($0["score"] as! Int)" })
            #expect(r.text.contains("Short time since activation"))
            #expect(r.text.contains("class=\"yes\"") || r.text.contains("class=\"no\""))
            // Unknown and erased users get the same 404.
            let s8 = try await client.get("/console/users/bob")
            #expect(s8.status == .notFound)
            let s9 = try await client.get("/console/users/nobody")
            #expect(s9.status == .notFound)
            let search = try await client.get("/console/users?user_id=alice")
            #expect(search.status == .seeOther)
            #expect(search.headers[.location] == "/console/users/alice")
            let s10 = try await client.get("/console/users?user_id=a%20b")
            #expect(s10.status == .badRequest)
        }
    }

    @Test func theOverviewAndTheComparePage() async throws {
        try await withAPI { client in
            let overview = try await client.get("/console")
            #expect(overview.text.contains("/console/months/2025-01"))
            #expect(Self.attributes("data-series", in: overview.text).contains("pay_later"))
            let compare = try await client.get("/console/compare")
            #expect(compare.status == .ok)
            #expect(compare.text.contains("--backtest-report"))
        }
    }

    /// Every value of `name="..."` in `html`, in order.
    static func attributes(_ name: String, in html: String) -> [String] {
        html.components(separatedBy: name + "=\"").dropFirst().map { String($0.prefix { $0 != "\"" }) }
    }
}
