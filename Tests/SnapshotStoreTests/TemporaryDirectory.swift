import CredenceTestSupport
import Foundation
import SnapshotStore

/// A temporary data directory with a snapshot store in it.
extension TemporaryDirectory {
    func store(_ configuration: SnapshotStore.Configuration = .init()) throws -> SnapshotStore {
        try SnapshotStore(directory: path, configuration: configuration)
    }

    /// The bytes of the database and of its WAL and shared-memory files.
    func databaseFiles() -> [(name: String, bytes: [UInt8])] {
        ["", "-wal", "-shm"].compactMap { suffix in
            let name = path + "/" + SnapshotStore.fileName + suffix
            return FileManager.default.contents(atPath: name).map { (name, [UInt8]($0)) }
        }
    }
}
