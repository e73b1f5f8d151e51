import CredenceCore
import CredenceSynth
import CredenceTestSupport
import Foundation

@testable import CredenceEngine

/// The spec's worked example (`../shared/spec/examples`), when it is beside the clone.
enum Paths {
    static let exampleEvents = SharedSpec.workedExample.events

    static func expectedExport(_ month: Month) throws -> [UInt8] {
        try SharedSpec.workedExample.expected(month.description)
    }
}

typealias TempDir = TemporaryDirectory

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
