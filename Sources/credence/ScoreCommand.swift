import ArgumentParser
import CredenceCore
import CredenceEngine
import Foundation

struct ScoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "score",
        abstract: "A user's latest closed score with reasons, and a provisional score as of now.")

    @OptionGroup var data: DataOptions
    @Argument(help: "The user id.") var userID: String
    @Flag(name: .long, help: "Print everything as JSON.") var json = false
    @Option(name: .long, help: "The instant of the provisional score (RFC 3339); default: now.") var asOf: String?

    func run() throws {
        let engine = try data.openEngine(quiet: json)
        let model = engine.model
        let now: Instant
        if let asOf {
            guard case .success(let t) = RFC3339.parse(asOf) else { throw ValidationError("--as-of must be RFC 3339") }
            now = t
        } else {
            now = Instant(millisecondsSinceEpoch: Int64(Date().timeIntervalSince1970 * 1000))
        }
        let report = try UserReport.make(engine: engine, userID: userID, asOf: now)
        guard let report else {
            // Unknown and erased users look the same.
            throw CLIError("no score for user \(userID)")
        }
        print(json ? report.json(model: model) : report.text(model: model))
        // A clean close: a checkpoint the start wrote after replaying the log is on disk before
        // the process ends (it was cut off, and the next start replayed the log again).
        try engine.close()
    }
}
