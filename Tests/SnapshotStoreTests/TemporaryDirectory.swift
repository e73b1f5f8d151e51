import Foundation
import SnapshotStore

/// A temporary data directory, removed when the value goes away.
final class TemporaryDirectory {
    let path: String

    init() {
        path = FileManager.default.temporaryDirectory.path + "/snapshot-store-tests-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }

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

extension Array where Element == UInt8 {
    func contains(bytes needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, needle.count <= count else { return false }
        var i = 0
        while i + needle.count <= count {
            if self[i] == needle[0], self[i..<(i + needle.count)].elementsEqual(needle) { return true }
            i += 1
        }
        return false
    }
}
