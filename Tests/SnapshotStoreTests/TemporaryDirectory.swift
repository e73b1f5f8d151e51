import CredenceTestSupport
import Foundation
import SnapshotStore

/// A temporary data directory with a snapshot store in it.
extension TemporaryDirectory {
    func store(_ configuration: SnapshotStore.Configuration = .init()) throws -> SnapshotStore {
        try SnapshotStore(directory: path, configuration: configuration)
    }

    /// The bytes of the catalogue, of its WAL and shared-memory files, and of every month file.
    func databaseFiles() -> [(name: String, bytes: [UInt8])] {
        let catalogue = path + "/" + SnapshotStore.fileName
        let months = catalogue + ".months"
        let monthFiles = ((try? FileManager.default.contentsOfDirectory(atPath: months)) ?? []).map {
            months + "/" + $0
        }
        return (["", "-wal", "-shm"].map { catalogue + $0 } + monthFiles).compactMap { name in
            FileManager.default.contents(atPath: name).map { (name, [UInt8]($0)) }
        }
    }
}
