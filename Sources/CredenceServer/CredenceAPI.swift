import CredenceCluster
import CredenceCore
import CredenceEngine
import Foundation
import Hummingbird
import Logging
import SnapshotStore

/// The API's handlers and what they share. Reads of closed snapshots go straight to the
/// `Sendable` snapshot store (concurrent readers); the provisional score is read beside the
/// engine's queue while it is idle (``ProvisionalScores``); intake goes through the queue.
struct CredenceAPI: Sendable {
    let configuration: ServerConfiguration
    let service: EngineService
    let store: SnapshotStore
    let model: Scorecard
    let dataDirectory: String
    /// The scoring zone, for months and for writing instants.
    let offset: UTCOffset
    let access: AccessControl
    let metrics: ServerMetrics
    let readiness: Readiness
    let logger: Logger
    let provisional: ProvisionalScores
    let closed: ClosedMonths
    /// The score and eligibility bodies, with the model's pieces rendered once.
    let userJSON: UserJSON
    /// This instance's place in a cluster of `credence run` instances; `nil` alone.
    let cluster: ClusterNode?

    init(
        configuration: ServerConfiguration, service: EngineService, metrics: ServerMetrics, readiness: Readiness,
        logger: Logger, cluster: ClusterNode? = nil
    ) {
        self.configuration = configuration
        self.service = service
        let facts = (
            service.store, service.configuration.model, service.configuration.dataDirectory,
            service.configuration.scoring.offset
        )
        store = facts.0
        model = facts.1
        dataDirectory = facts.2
        offset = facts.3
        access = AccessControl(configuration.access)
        self.metrics = metrics
        self.readiness = readiness
        self.logger = logger
        provisional = ProvisionalScores(service: service, model: facts.1)
        closed = ClosedMonths(store: facts.0, modelVersion: facts.1.modelVersion)
        self.cluster = cluster
        userJSON = UserJSON(model: facts.1, offset: facts.3)
    }

    var modelVersion: String { model.modelVersion }

    // MARK: - Shared checks

    /// The spec's user id rule: 1-64 characters of `[A-Za-z0-9_.:-]`.
    static func isValidUserID(_ id: Substring) -> Bool {
        let bytes = id.utf8
        guard (1...64).contains(bytes.count) else { return false }
        for b in bytes {
            switch b {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: ":"),
                UInt8(ascii: "-"):
                continue
            default:
                return false
            }
        }
        return true
    }

    func userID(_ context: CredenceRequestContext) throws(ServerError) -> String {
        let raw = Self.percentDecoded(context.parameters.get("user_id") ?? "")
        guard let raw, Self.isValidUserID(raw[...]) else {
            throw ServerError(
                .invalidUserID, "a user id is 1 to 64 characters of A-Z, a-z, 0-9, '_', '.', ':' and '-'")
        }
        return raw
    }

    /// A path segment as sent, percent-decoded (`%3A` is `:`); `nil` when an escape is malformed
    /// or the bytes are not UTF-8.
    static func percentDecoded(_ segment: String) -> String? {
        guard segment.utf8.contains(UInt8(ascii: "%")) else { return segment }
        var out: [UInt8] = []
        var it = Array(segment.utf8)[...]
        func hex(_ b: UInt8) -> UInt8? {
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return b - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): return b - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): return b - UInt8(ascii: "A") + 10
            default: return nil
            }
        }
        while let b = it.popFirst() {
            if b == UInt8(ascii: "%") {
                guard let h = it.popFirst().flatMap(hex), let l = it.popFirst().flatMap(hex) else { return nil }
                out.append(h << 4 | l)
            } else {
                out.append(b)
            }
        }
        return String(validating: out, as: UTF8.self)
    }

    /// The `month` query parameter. Most requests have no query: they skip building the
    /// parameter map.
    static func monthParameter(_ request: Request) -> Substring? {
        guard request.uri.query != nil else { return nil }
        return request.uri.queryParameters["month"]
    }

    static func parseMonth(_ text: Substring) throws(ServerError) -> Month {
        guard let m = Month(String(text)) else {
            throw ServerError(.invalidMonth, "a month is written YYYY-MM (for example 2026-11)")
        }
        return m
    }

    /// The summary of a closed month, or a 404 that names the closed range.
    func closedMonth(_ month: Month) throws -> MonthSummary {
        let (summary, months) = try closed.summary(of: month)
        if let summary { return summary }
        let range: String
        if let first = months.first, let last = months.last {
            range =
                first.month == last.month
                ? "only \(first.month) is closed" : "closed months run from \(first.month) to \(last.month)"
        } else {
            range = "no month is closed yet"
        }
        throw ServerError(.monthNotClosed, "month \(month) is not closed: \(range)")
    }

    /// The user's score in the latest closed month that has one.
    func latestClosed(userID: String) throws -> StoredScore? {
        try store.latestEntry(userID: userID, modelVersion: modelVersion, in: closed.revisions())
    }

    /// The user's closed scores, oldest month first.
    func closedHistory(userID: String) throws -> [StoredScore] {
        try store.entries(userID: userID, modelVersion: modelVersion, in: closed.revisions())
    }

    func noScore(_ userID: String) -> ServerError {
        // Unknown and erased users get the same answer, so the API does not tell who withdrew.
        ServerError(.notFound, "no score for user \(userID)")
    }

    var now: Instant {
        configuration.provisionalAsOf
            ?? Instant(millisecondsSinceEpoch: Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)))
    }
}
