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
