import CredenceCore
import Foundation
import SnapshotStore
import Synchronization

/// The closed months of the served model, cached for a short time.
///
/// Every user route needs the list (which months, which revision) and it only changes when a
/// month closes or is restated. The cache is refreshed after `maxAge`, right after an intake
/// batch, and whenever a month is asked for that it does not hold, so a month never answers
/// "not closed" from a stale list. Only the list is cached: scores are always read from the
/// store, so an erasure shows at once.
final class ClosedMonths: Sendable {
    private let store: SnapshotStore
    private let modelVersion: String
    private let maxAge: Duration
    private let cache = Mutex<Listing?>(nil)

    /// The list as read at `at`, and as the revisions to read (built once per refresh, not per request).
    private struct Listing {
        var at: ContinuousClock.Instant
        var months: [MonthSummary]
        var revisions: [SnapshotStore.MonthRevision]
    }

    init(store: SnapshotStore, modelVersion: String, maxAge: Duration = .seconds(1)) {
        self.store = store
        self.modelVersion = modelVersion
        self.maxAge = maxAge
    }

    /// Closed months, oldest first.
    func list() throws -> [MonthSummary] {
        try listing().months
    }

    /// The months as revisions to read.
    func revisions() throws -> [SnapshotStore.MonthRevision] {
        try listing().revisions
    }

    private func listing() throws -> Listing {
        let now = ContinuousClock.now
        if let cached = cache.withLock({ $0 }), now - cached.at < maxAge { return cached }
        return try load()
    }

    /// The summary of `month`, re-reading the store before saying it is not closed.
    func summary(of month: Month) throws -> (MonthSummary?, all: [MonthSummary]) {
        if let hit = try list().first(where: { $0.month == month }) { return (hit, []) }
        let fresh = try refresh()
        return (fresh.first(where: { $0.month == month }), fresh)
    }

    @discardableResult
    func refresh() throws -> [MonthSummary] {
        try load().months
    }

    private func load() throws -> Listing {
        let months = try store.months(modelVersion: modelVersion)
        let listing = Listing(
            at: ContinuousClock.now, months: months, revisions: months.map { ($0.month, $0.latestRevision) })
        cache.withLock { $0 = listing }
        return listing
    }

    func invalidate() {
        cache.withLock { $0 = nil }
    }
}
