import CredenceEngine
import Hummingbird

/// The web console's page frame: one HTML document per page, its style inline and its charts
/// inline SVG, so a page needs nothing from the network (no CDN, no fonts, no script files).
enum ConsolePage {
    static let style = """
        body { font-family: sans-serif; margin: 0; color: #222; background: #f6f7f9; }
        header { background: #1f3a5f; color: #fff; padding: 10px 20px; display: flex; gap: 24px; align-items: center; }
        header a { color: #fff; text-decoration: none; font-weight: 600; }
        header form { margin-left: auto; }
        header input { padding: 3px 6px; }
        main { padding: 16px 20px; max-width: 1100px; }
        h1 { font-size: 20px; margin: 4px 0 12px; }
        h2 { font-size: 16px; margin: 22px 0 8px; }
        table { border-collapse: collapse; background: #fff; margin-bottom: 8px; }
        th, td { border: 1px solid #d8dbe0; padding: 4px 8px; text-align: right; font-size: 13px; }
        th { background: #eef1f5; }
        td.l, th.l { text-align: left; white-space: nowrap; }
        .reasons { text-align: left; }
        .card { background: #fff; border: 1px solid #d8dbe0; padding: 8px; display: inline-block; margin: 4px 8px 8px 0; }
        .note { color: #555; font-size: 13px; }
        .yes { color: #1e7b3a; font-weight: 600; }
        .no { color: #a33; }
        .side { display: flex; flex-wrap: wrap; gap: 8px; }
        """

    /// A whole page; `body` is HTML already escaped where needed.
    static func render(title: String, modelVersion: String, body: String) -> Response {
        var html = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        html += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        // An empty icon: the browser asks for none, so a page loads without a 404 in its console.
        html += "<link rel=\"icon\" href=\"data:,\">"
        html += "<title>" + escape(title) + " - Credence console</title><style>" + style + "</style></head><body>"
        html += "<header><a href=\"/console\">Credence console</a><a href=\"/console/compare\">Compare models</a>"
        html += "<span class=\"note\" style=\"color:#cfd8e3\">live model " + escape(modelVersion) + "</span>"
        html += "<form id=\"user-search\" action=\"/console/users\" method=\"get\">"
        html += "<input name=\"user_id\" placeholder=\"user id\" aria-label=\"user id\"> <button>Show user</button>"
        html += "</form></header><main>" + body + "</main></body></html>\n"
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        headers[.cacheControl] = "no-store"
        // Nothing but this document's own inline style and images.
        headers[.contentSecurityPolicy] =
            "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'"
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: html)))
    }

    static func escape(_ s: String) -> String { ScoreCharts.escape(s) }

    static func percent(_ share: Double?) -> String {
        share.map { String(format: "%.1f%%", 100 * $0) } ?? "-"
    }

    /// A table: header cells, then rows; the first column is left-aligned.
    static func table(_ head: [String], _ rows: [[String]], id: String? = nil) -> String {
        var s = "<table" + (id.map { " id=\"\($0)\"" } ?? "") + "><tr>"
        for (i, h) in head.enumerated() { s += "<th" + (i == 0 ? " class=\"l\"" : "") + ">" + h + "</th>" }
        s += "</tr>"
        for row in rows {
            s += "<tr>"
            for (i, c) in row.enumerated() { s += "<td" + (i == 0 ? " class=\"l\"" : "") + ">" + c + "</td>" }
            s += "</tr>"
        }
        return s + "</table>"
    }
}
