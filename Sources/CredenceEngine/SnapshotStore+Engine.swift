public import CredenceCore
public import SnapshotStore

extension SnapshotStore {
    /// Whether the month is stored for the model (with at least `revision`, when given).
    public func exists(month: Month, modelVersion: String, revision: Int? = nil) throws -> Bool {
        guard let summary = try months(modelVersion: modelVersion).first(where: { $0.month == month }) else {
            return false
        }
        return summary.latestRevision >= (revision ?? 0)
    }
}
