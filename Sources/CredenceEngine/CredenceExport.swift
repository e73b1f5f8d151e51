public import CredenceCore
public import SnapshotStore

/// Whole exports in memory, for comparisons and tests.
public enum CredenceExport {
    public static func bytes(store: SnapshotStore, month: Month, modelVersion: String, revision: Int? = nil) throws
        -> [UInt8]
    {
        var out: [UInt8] = []
        try store.export(month: month, modelVersion: modelVersion, revision: revision) { line in
            out.append(contentsOf: line.utf8)
            out.append(10)
        }
        return out
    }
}
