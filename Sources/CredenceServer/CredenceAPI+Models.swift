import CredenceCore
import Hummingbird
import SnapshotStore

/// `?model=VERSION` on the snapshot and score-history routes: a shadow model's snapshots
/// (`credence serve --shadow-model FILE`) instead of the live model's. Eligibility is always
/// the live model's.
extension CredenceAPI {
    /// The model version a request asks for: `?model=`, else the live model.
    func requestedModel(_ request: Request) throws(ServerError) -> String {
        guard let raw = request.uri.queryParameters["model"] else { return modelVersion }
        let version = String(raw)
        // The document's minLength / maxLength count code points.
        guard !version.isEmpty, version.unicodeScalars.count <= 128 else {
            throw ServerError(.badRequest, "?model= names a model version, for example default-1")
        }
        return version
    }

    /// The summary of a closed month of any stored model, or a 404 that says what is stored.
    func closedMonth(_ month: Month, modelVersion version: String) throws -> MonthSummary {
        if version == modelVersion { return try closedMonth(month) }
        let months = try store.months(modelVersion: version)
        if let hit = months.first(where: { $0.month == month }) { return hit }
        if months.isEmpty {
            throw ServerError(
                .notFound, "no snapshots of model \(version): start the server with --shadow-model for it")
        }
        throw ServerError(
            .monthNotClosed,
            "month \(month) is not closed for model \(version): its months run from \(months[0].month) to "
                + "\(months[months.count - 1].month)")
    }
}
