import CredenceCore
import CredenceEngine
import Foundation
import Hummingbird
import SnapshotStore

/// The web console: server-rendered pages with inline SVG charts, behind the read token.
///
/// A browser cannot send a bearer header on its own, so the console also takes the read token
/// once as `?token=...`: the answer is a redirect to the same page without it, setting the
/// `credence_console` cookie (`HttpOnly`, `SameSite=Strict`, path `/console`). Later pages send
/// the cookie. An `Authorization: Bearer` header works as on every other route.
extension CredenceAPI {
    static let consoleCookie = "credence_console"

    /// Checks the read token of a console request. Returns a redirect when the token came in the
    /// query (the cookie is set, the token leaves the address bar), `nil` when the request may go on.
    func consoleAccess(_ request: Request) throws(ServerError) -> Response? {
        if request.headers[.authorization] != nil {
            try access.authorize(request, .read)
            return nil
        }
        let fromQuery = request.uri.queryParameters["token"].map(String.init)
        guard let token = fromQuery ?? Self.cookieToken(request) else {
            throw ServerError(
                .unauthorized, "the console needs the read token: open /console?token=<read token> once")
        }
        // The same check as a bearer header, on a copy of the request head that carries one.
        var head = request.head
        head.headerFields[.authorization] = "Bearer " + token
        try access.authorize(Request(head: head, body: RequestBody(buffer: ByteBuffer())), .read)
        guard fromQuery != nil else { return nil }
        var query = request.uri.queryParameters.filter { $0.key != "token" }
            .map { "\($0.key)=\($0.value)" }.joined(separator: "&")
        if !query.isEmpty { query = "?" + query }
        var response = Response.redirect(to: request.uri.path + query, type: .normal)
        let hex = token.utf8.map { String(format: "%02x", $0) }.joined()
        response.headers[.setCookie] = "\(Self.consoleCookie)=\(hex); Path=/console; HttpOnly; SameSite=Strict"
        return response
    }

    /// The token in the console cookie (hex of its bytes), if any.
    static func cookieToken(_ request: Request) -> String? {
        for field in request.headers[values: .cookie] {
            for part in field.split(separator: ";") {
                let kv = part.trimmingASCIISpaces()
                guard kv.hasPrefix(consoleCookie + "=") else { continue }
                let hex = Array(kv.utf8.dropFirst(consoleCookie.utf8.count + 1))
                guard hex.count % 2 == 0, !hex.isEmpty else { return nil }
                var bytes = [UInt8]()
                var i = 0
                while i < hex.count {
                    guard let b = UInt8(String(decoding: hex[i..<i + 2], as: UTF8.self), radix: 16) else { return nil }
                    bytes.append(b)
                    i += 2
                }
                return String(validating: bytes, as: UTF8.self)
            }
        }
        return nil
    }

    // MARK: - Pages

    /// `GET /console`: closed months, eligibility shares over time.
    func console(_ request: Request, _ context: CredenceRequestContext) async throws -> Response {
        if let redirect = try consoleAccess(request) { return redirect }
        let months = try closed.refresh()
        var body = "<h1>Closed months, model \(ConsolePage.escape(modelVersion))</h1>"
        if months.isEmpty {
            body += "<p class=\"note\">No month is closed yet: ingest events first.</p>"
            return ConsolePage.render(title: "Overview", modelVersion: modelVersion, body: body)
        }
        var rows = [[String]]()
        var shares = Array(repeating: [Double?](), count: model.services.count)
        for m in months {
            let scores = try MonthScores.load(store, month: m.month, modelVersion: modelVersion)
            let d = scores.distribution
            var row = [
                "<a href=\"/console/months/\(m.month)\">\(m.month)</a>", "\(m.latestRevision)", "\(m.userCount)",
                [d.p10, d.p50, d.p90].map { $0.map(String.init) ?? "-" }.joined(separator: " / "),
            ]
            for (i, s) in model.services.enumerated() {
                let share = scores.share(s.threshold)
                shares[i].append(share.map { $0 * 100 })
                row.append(ConsolePage.percent(share))
            }
            rows.append(row)
        }
        body += "<div class=\"card\" id=\"shares-chart\">"
        body += ScoreCharts.lines(
            title: "Share eligible per service", months: months.map(\.month.description),
            series: model.services.enumerated().map { ($1.name, shares[$0]) }, yRange: 0...100,
            yFormat: { String(format: "%.0f%%", $0) })
        body += "</div>"
        body += "<h2>Months</h2>"
        body += ConsolePage.table(
            ["month", "revision", "users", "p10 / p50 / p90"]
                + model.services.map { "\(ConsolePage.escape($0.name)) &ge; \($0.threshold)" }, rows, id: "months")
        return ConsolePage.render(title: "Overview", modelVersion: modelVersion, body: body)
    }

    /// `GET /console/months/{month}`: the histogram with the thresholds, shares, migration.
    func consoleMonth(_ request: Request, _ context: CredenceRequestContext) async throws -> Response {
        if let redirect = try consoleAccess(request) { return redirect }
        let month = try Self.parseMonth(Self.percentDecoded(context.parameters.get("month") ?? "")?[...] ?? "")
        let summary = try closedMonth(month)
        let scores = try MonthScores.load(store, month: month, modelVersion: modelVersion)
        let d = scores.distribution
        var body = "<h1>\(month): \(scores.scores.count) users, model \(ConsolePage.escape(modelVersion))"
        body += summary.latestRevision > 0 ? ", revision \(summary.latestRevision)</h1>" : "</h1>"
        body += "<div class=\"card\" id=\"histogram\">"
        body += ScoreCharts.histogram(
            title: "Scores of \(month)",
            series: [.init(name: modelVersion, distribution: d, color: ScoreCharts.palette[0])],
            thresholds: model.services)
        body += "</div>"
        body += "<h2>Eligibility</h2>"
        body += ConsolePage.table(
            ["service", "threshold", "eligible", "share"],
            model.services.map { s in
                [
                    ConsolePage.escape(s.name), "\(s.threshold)", "\(scores.eligible(s.threshold))",
                    ConsolePage.percent(scores.share(s.threshold)),
                ]
            }, id: "eligibility")
        body += "<h2>Score bands</h2>"
        let labels = PopulationStability.bandLabels(d)
        let counts = PopulationStability.bands(d)
        body += ConsolePage.table(
            ["band", "users"], zip(labels, counts).map { [$0, "\($1)"] }, id: "bands")
        let all = try closed.list()
        if let i = all.firstIndex(where: { $0.month == month }), i > 0 {
            let previous = all[i - 1].month
            let earlier = try MonthScores.load(store, month: previous, modelVersion: modelVersion)
            let matrix = scores.migration(from: earlier)
            let used = labels.indices.filter { k in matrix[k].contains { $0 > 0 } || matrix.contains { $0[k] > 0 } }
            var up = 0
            var down = 0
            var same = 0
            for a in matrix.indices {
                for b in matrix[a].indices {
                    if a < b { up += matrix[a][b] } else if a > b { down += matrix[a][b] } else { same += matrix[a][b] }
                }
            }
            body += "<h2>Migration from \(previous)</h2>"
            body += "<p class=\"note\">Users scored in both months: \(up + down + same); "
            body += "\(up) moved to a higher band, \(down) to a lower one, \(same) stayed. "
            body += "Rows: band in \(previous); columns: band in \(month).</p>"
            body += ConsolePage.table(
                ["\(previous) \\ \(month)"] + used.map { labels[$0] },
                used.map { a in [labels[a]] + used.map { b in matrix[a][b] == 0 ? "" : "\(matrix[a][b])" } },
                id: "migration")
        }
        body += "<p class=\"note\">The export: <code>GET /v1/snapshots/\(month)/export</code>.</p>"
        return ConsolePage.render(title: "\(month)", modelVersion: modelVersion, body: body)
    }

    /// `GET /console/users?user_id=ID`: the search form's target, a redirect to the user's page.
    func consoleUserSearch(_ request: Request, _ context: CredenceRequestContext) async throws -> Response {
        if let redirect = try consoleAccess(request) { return redirect }
        let raw = request.uri.queryParameters["user_id"].map(String.init) ?? ""
        guard Self.isValidUserID(raw[...]) else {
            throw ServerError(
                .invalidUserID, "a user id is 1 to 64 characters of A-Z, a-z, 0-9, '_', '.', ':' and '-'")
        }
        return Response.redirect(to: "/console/users/" + raw, type: .normal)
    }

    /// `GET /console/users/{user_id}`: score history, reasons with their texts, eligibility.
    func consoleUser(_ request: Request, _ context: CredenceRequestContext) async throws -> Response {
        if let redirect = try consoleAccess(request) { return redirect }
        let userID = try userID(context)
        let history = try closedHistory(userID: userID)
        guard !history.isEmpty else { throw noScore(userID) }
        var body = "<h1>User \(ConsolePage.escape(userID))</h1>"
        body += "<div class=\"card\" id=\"score-history\">"
        body += ScoreCharts.lines(
            title: "Score by closed month", months: history.map(\.month.description),
            series: [(userID, history.map { Double($0.score) })],
            yRange: Double(model.minScore)...Double(model.maxScore))
        body += "</div><h2>Months</h2>"
        var rows = [[String]]()
        for s in history.reversed() {
            let reasons = s.reasons.map { code in
                "<b>\(ConsolePage.escape(code))</b> " + ConsolePage.escape(model.text(forReason: code) ?? "")
            }.joined(separator: "<br>")
            var row = [
                "\(s.month)", "<span class=\"score\">\(s.score)</span>",
                "<div class=\"reasons\">" + (reasons.isEmpty ? "-" : reasons) + "</div>",
            ]
            for service in model.services {
                row.append(
                    s.score >= service.threshold ? "<span class=\"yes\">yes</span>" : "<span class=\"no\">no</span>")
            }
            rows.append(row)
        }
        body += ConsolePage.table(
            ["month", "score", "reasons"]
                + model.services.map { "\(ConsolePage.escape($0.name)) &ge; \($0.threshold)" },
            rows, id: "user-months")
        return ConsolePage.render(title: "User \(userID)", modelVersion: modelVersion, body: body)
    }

    /// `GET /console/compare`: a backtest (``ServerConfiguration/backtestReportPath``) side by side with the live model.
    func consoleCompare(_ request: Request, _ context: CredenceRequestContext) async throws -> Response {
        if let redirect = try consoleAccess(request) { return redirect }
        var body = ""
        // Shadow models (`--shadow-model`): their stored snapshots beside the live ones.
        let shadows = try await service.run { $0.shadowModels }
        let live = try closed.list().map(\.month)
        for shadow in shadows {
            let stored = Set(try store.months(modelVersion: shadow.modelVersion).map(\.month))
            let months = live.filter { stored.contains($0) }
            guard !months.isEmpty else { continue }
            let report = try Backtest.compare(
                months: months, baseline: model, in: store, candidate: shadow, in: store, movers: 5)
            // The report's JSON is what `model backtest --json` prints: one renderer for both.
            let decoded = try JSONDecoder().decode(ConsoleBacktest.self, from: JSONEncoder().encode(report))
            body += "<h1>Shadow model \(ConsolePage.escape(shadow.modelVersion)) beside the live model</h1>"
            body += ConsoleBacktest.render(decoded, anchor: "shadow-" + ConsolePage.escape(shadow.modelVersion))
        }
        guard let path = configuration.backtestReportPath else {
            if body.isEmpty {
                body += "<h1>Candidate model beside the live model</h1>"
                body += "<p class=\"note\">No comparison loaded. Run <code>credence model backtest --model "
                body += "CANDIDATE.json --json &gt; report.json</code>, then start <code>credence serve "
                body += "--backtest-report report.json</code>; or start it with <code>--shadow-model FILE</code>.</p>"
            }
            return ConsolePage.render(title: "Compare", modelVersion: modelVersion, body: body)
        }
        guard let data = FileManager.default.contents(atPath: path),
            let report = try? JSONDecoder().decode(ConsoleBacktest.self, from: data)
        else {
            throw ServerError(
                .internalError,
                "the backtest report \(path) cannot be read: write it with `credence model backtest --json`")
        }
        body = "<h1>Backtest: candidate model beside the live model</h1>" + ConsoleBacktest.render(report) + body
        return ConsolePage.render(title: "Compare", modelVersion: modelVersion, body: body)
    }
}
