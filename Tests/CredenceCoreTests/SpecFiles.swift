import Foundation

enum SpecFiles {
    /// `../shared/spec` beside the repository.
    static let spec = TestSupport.specFolder

    static func text(_ relative: String) throws -> String {
        try String(contentsOf: spec.appendingPathComponent(relative), encoding: .utf8)
    }

    static var exampleLines: [String] {
        get throws {
            try text("examples/events.ndjson").split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        }
    }
}
