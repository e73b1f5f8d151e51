import Foundation

/// A fresh directory under the system's temporary directory, removed when the value goes away.
///
/// ```swift
/// let dir = TemporaryDirectory("engine")
/// let input = dir.file("events.ndjson", bytes)
/// ```
public final class TemporaryDirectory: Sendable {
    public let path: String

    public init(_ name: String = "credence-test") {
        path = FileManager.default.temporaryDirectory.path + "/\(name)-\(UUID().uuidString)"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// Writes `contents` to `name` in the directory and returns its path.
    @discardableResult
    public func file(_ name: String, _ contents: [UInt8]) -> String {
        let p = path + "/" + name
        _ = FileManager.default.createFile(atPath: p, contents: Data(contents))
        return p
    }

    /// The bytes of `name` in the directory.
    public func read(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: path + "/" + name)))
    }

    /// Writes `bytes` to `name` in the directory.
    public func write(_ name: String, _ bytes: [UInt8]) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: path + "/" + name))
    }

    /// Removes the directory now, before the value goes away.
    public func remove() { try? FileManager.default.removeItem(atPath: path) }

    /// Runs `body` with a fresh directory's path, then removes the directory.
    public static func with<T>(_ name: String = "credence-test", _ body: (String) throws -> T) rethrows -> T {
        let dir = TemporaryDirectory(name)
        return try withExtendedLifetime(dir) { try body(dir.path) }
    }
}
