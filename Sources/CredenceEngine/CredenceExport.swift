public import CredenceCore
public import SnapshotStore

/// Whole exports in memory, for comparisons and tests.
public enum CredenceExport {
    public static func bytes(store: SnapshotStore, month: Month, modelVersion: String, revision: Int? = nil) throws
        -> [UInt8]
    {
        var out: [UInt8] = []
        try store.exportBytes(month: month, modelVersion: modelVersion, revision: revision) {
            out.append(contentsOf: $0)
        }
        return out
    }
}
