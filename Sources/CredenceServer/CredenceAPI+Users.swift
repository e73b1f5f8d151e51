import CredenceCore
import CredenceEngine
import Hummingbird
import SnapshotStore

extension CredenceAPI {
    /// `GET /v1/users/{user_id}/score[?month=YYYY-MM]`
    func score(_ request: Request, _ context: CredenceRequestContext) async throws -> Response {
        try access.authorize(request, .read)
        let userID = try userID(context)
        if let monthText = Self.monthParameter(request) {
            let month = try Self.parseMonth(monthText)
            let summary = try closedMonth(month)
            guard
                let stored = try store.latestEntry(
                    userID: userID, modelVersion: modelVersion, in: [(month, summary.latestRevision)])
            else {
                throw noScore(userID)
            }
            return JSONResponse.ok(bytes: userJSON.score(userID: userID, closed: stored, provisional: nil))
        }
        let closed = try latestClosed(userID: userID)
        let asOf = now
        let provisional = try await self.provisional.score(userID: userID, asOf: asOf)
        if closed == nil && provisional == nil { throw noScore(userID) }
        return JSONResponse.ok(
            bytes: userJSON.score(userID: userID, closed: closed, provisional: provisional.map { (asOf, $0) }))
    }

    /// `GET /v1/users/{user_id}/scores`
    func scores(_ request: Request, _ context: CredenceRequestContext) async throws -> Response {
        try access.authorize(request, .read)
        let userID = try userID(context)
        let version = try requestedModel(request)
        let history =
            version == modelVersion
            ? try closedHistory(userID: userID) : try store.history(userID: userID, modelVersion: version)
        guard !history.isEmpty else { throw noScore(userID) }
        var out = "{\"user_id\":" + JSONText.string(userID) + ",\"model_version\":" + JSONText.string(version)
        out += ",\"scores\":["
        for (i, s) in history.enumerated() {
            if i > 0 { out += "," }
            out += "{\"month\":\"\(s.month)\",\"revision\":\(s.revision),\"score\":\(s.score),\"reasons\":"
            JSONText.appendStringArray(s.reasons, to: &out)
            out += "}"
        }
        out += "]}"
        return JSONResponse.ok(out)
    }

    /// `GET /v1/users/{user_id}/eligibility[?month=YYYY-MM]`: decided on the latest closed score.
    func eligibility(_ request: Request, _ context: CredenceRequestContext) async throws -> Response {
        try access.authorize(request, .read)
        let userID = try userID(context)
        let stored: StoredScore?
        if let monthText = Self.monthParameter(request) {
            let month = try Self.parseMonth(monthText)
            let summary = try closedMonth(month)
            stored = try store.latestEntry(
                userID: userID, modelVersion: modelVersion, in: [(month, summary.latestRevision)])
        } else {
            stored = try latestClosed(userID: userID)
        }
        guard let s = stored else { throw noScore(userID) }
        return JSONResponse.ok(bytes: userJSON.eligibility(userID: userID, s))
    }
}
