public import Foundation

/// Paths in the repository, found from this file's path so that tests never depend on the
/// current directory.
public enum Repository {
    /// The package root.
    public static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // CredenceTestSupport
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()

    /// A file or folder under the root.
    public static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }

    /// `Tests/Fixtures/worked-example`: the project's own worked example and its expected exports.
    public static let workedExample = WorkedExample(
        folder: root.appendingPathComponent("Tests/Fixtures/worked-example"))

    /// The default model, `Models/default-scorecard.json`, which the binary embeds.
    public static let defaultModel = path("Models/default-scorecard.json")

    /// `Schemas/openapi.yaml`.
    public static let openAPI = path("Schemas/openapi.yaml")
}

/// An input stream with the exports it must give, byte for byte: `events.ndjson` and
/// `expected/snapshot-YYYY-MM.ndjson`.
public struct WorkedExample: Sendable {
    public let folder: URL

    public var events: String { folder.appendingPathComponent("events.ndjson").path }

    /// The input's lines, the last one empty when the file ends with a newline.
    public var lines: [String] {
        get throws {
            try String(contentsOfFile: events, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
                .map(String.init)
        }
    }

    /// The expected export of `month` (`YYYY-MM`).
    public func expected(_ month: String) throws -> [UInt8] {
        Array(try Data(contentsOf: folder.appendingPathComponent("expected/snapshot-\(month).ndjson")))
    }

    /// The expected exports' months, in order.
    public var months: [String] {
        let names =
            (try? FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("expected").path)) ?? []
        return names.filter { $0.hasPrefix("snapshot-") && $0.hasSuffix(".ndjson") }
            .map { String($0.dropFirst("snapshot-".count).dropLast(".ndjson".count)) }.sorted()
    }
}

/// The shared specification (`../shared/spec` beside the repository), which only the CI
/// machine has. Tests that compare against it are `.enabled(if: SharedSpec.isAvailable)`, so a
/// clone on its own reports them as skipped, with that condition's comment as the reason.
public enum SharedSpec {
    public static let folder: URL = Repository.root.deletingLastPathComponent().appendingPathComponent("shared/spec")

    /// Whether `../shared/spec` is there.
    public static var isAvailable: Bool {
        FileManager.default.fileExists(atPath: folder.appendingPathComponent("SCORING.md").path)
    }

    /// The spec's worked example (`../shared/spec/examples`).
    public static let workedExample = WorkedExample(folder: folder.appendingPathComponent("examples"))

    /// The text of a file under `../shared/spec`.
    public static func text(_ relative: String) throws -> String {
        try String(contentsOf: folder.appendingPathComponent(relative), encoding: .utf8)
    }
}
