import CredenceCore
import CredenceSynth
import Foundation

@testable import CredenceEngine

enum Paths {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let spec = packageRoot.deletingLastPathComponent().appendingPathComponent("shared/spec")
    static let exampleEvents = spec.appendingPathComponent("examples/events.ndjson").path

    static func expectedExport(_ month: Month) throws -> [UInt8] {
        Array(try Data(contentsOf: spec.appendingPathComponent("examples/expected/snapshot-\(month).ndjson")))
    }
}

/// A temporary directory removed when the value goes away.
final class TempDir {
    let path: String

    init(_ name: String = "credence-test") {
        path = NSTemporaryDirectory() + "\(name)-\(UUID().uuidString)"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func file(_ name: String, _ contents: [UInt8]) -> String {
        let p = path + "/" + name
        _ = FileManager.default.createFile(atPath: p, contents: Data(contents))
        return p
    }
}

func configuration(_ dir: TempDir, derived: String? = nil) -> EngineConfiguration {
    var c = EngineConfiguration()
    c.dataDirectory = dir.path + "/data"
    c.derivedDirectory = derived
    return c
}

/// Every closed month's export, as bytes.
func exports(_ engine: Engine) throws -> [Month: [UInt8]] {
    var out: [Month: [UInt8]] = [:]
    for m in try engine.store.months(modelVersion: engine.model.modelVersion) {
        out[m.month] = try CredenceExport.bytes(
            store: engine.store, month: m.month, modelVersion: engine.model.modelVersion)
    }
    return out
}

/// A generated stream, in memory.
func generated(users: Int, months: Int, seed: UInt64, clean: Bool = false) -> [UInt8] {
    var c = GeneratorConfiguration(users: users, months: months, seed: seed)
    if clean { c.noise = .none }
    return try! EventStreamGenerator(configuration: c).bytes().bytes
}

func lines(_ bytes: [UInt8]) -> [[UInt8]] {
    bytes.split(separator: 10, omittingEmptySubsequences: true).map(Array.init)
}
