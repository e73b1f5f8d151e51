public import CredenceCore

/// A stored month of one model, as of its latest revision.
public struct MonthSummary: Sendable, Hashable {
    public var month: Month
    public var modelVersion: String
    /// The latest revision: 0 for the month's close, then one more per restatement.
    public var latestRevision: Int
    /// Users in the latest revision (erasures included).
    public var userCount: Int
    /// When the latest revision was written (wall time).
    public var closedAt: Instant

    public init(month: Month, modelVersion: String, latestRevision: Int, userCount: Int, closedAt: Instant) {
        self.month = month
        self.modelVersion = modelVersion
        self.latestRevision = latestRevision
        self.userCount = userCount
        self.closedAt = closedAt
    }
}
