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
    /// The user's export line, byte for byte as exported, without the newline.
    public var line: String

    public init(
        userID: String, modelVersion: String, month: Month, revision: Int, score: Int64, reasons: [String],
        line: String
    ) {
        self.userID = userID
        self.modelVersion = modelVersion
        self.month = month
        self.revision = revision
        self.score = score
        self.reasons = reasons
        self.line = line
    }
}
