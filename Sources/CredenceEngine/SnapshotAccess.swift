public import SnapshotStore

/// Read-only access to a data directory's snapshots, without replaying the log.
public enum SnapshotAccess {
    public static func open(_ configuration: EngineConfiguration) throws -> SnapshotStore {
        let path = configuration.derived + "/snapshots.sqlite"
        guard Files.exists(path) else {
            throw EngineError(
                .snapshots, "no snapshots in \(configuration.derived): ingest events first (`credence ingest FILE`)")
        }
        return try SnapshotStore(path: path)
    }
}
