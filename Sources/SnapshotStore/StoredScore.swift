public import CredenceCore

/// One user's score in one stored revision of a month.
public struct StoredScore: Sendable, Hashable {
    public var userID: String
    public var modelVersion: String
    public var month: Month
    public var revision: Int
    public var score: Int64
    /// Reason codes, most important first (SCORING.md section 6).
    public var reasons: [String]
    /// The features the score was computed from.
    public var features: Features

    /// The user's export line, byte for byte as exported, without the newline: rendered when
    /// asked for, by the function that renders the export, so a point lookup that needs only
    /// the score or the features renders nothing.
    public var line: String {
        SnapshotEntry(userID: userID, score: score, reasons: reasons, features: features)
            .exportLine(month: month, modelVersion: modelVersion)
    }

    public init(
        userID: String, modelVersion: String, month: Month, revision: Int, score: Int64, reasons: [String],
        features: Features
    ) {
        self.userID = userID
        self.modelVersion = modelVersion
        self.month = month
        self.revision = revision
        self.score = score
        self.reasons = reasons
        self.features = features
    }
}
