import ArgumentParser
import CredenceCore
import CredenceEngine
import Foundation

struct ModelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model", abstract: "Model governance: try a candidate scorecard on the history.",
        subcommands: [Backtest.self, Validate.self, Promote.self])

    struct Backtest: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Score every closed month with a candidate model beside the live one.",
            discussion: """
                Replays the event log of --data-dir with the candidate as the model into a throwaway
                snapshot store (nothing is published; the live store and log are only read), then
                compares each closed month with the live snapshots: score distributions, the share
                eligible per service, swap-ins (eligible under the candidate only) and swap-outs
                (under the live model only), the population stability index (PSI) between the models
                and from month to month, and the largest movers with their reasons. The log's writer
                lock is taken while replaying: stop `serve` / `run` on the directory first.
                """)

        @Option(name: .long, help: "The data directory.") var dataDir: String = "./credence-data"
        @Option(name: .long, help: "The candidate scorecard model (JSON).") var model: String
        @Option(name: .long, help: "The live model (JSON) if not the embedded default-1.") var liveModel: String?
        @Option(name: .long, help: "Only months A..B (YYYY-MM..YYYY-MM, either end may be left out).")
        var months: String?
        @Option(name: .long, help: "Largest movers listed per month.") var movers: Int = 5
        @Option(name: .long, help: "The deployment currency of the live run.") var currency: String = "CNY"
        @Option(name: .long, help: "Allowed lateness in hours of the live run.") var latenessHours: Int = 48
        @Flag(name: .long, help: "One JSON document on standard output instead of the table.") var json = false

        func run() throws {
            var engine = EngineConfiguration()
            engine.dataDirectory = dataDir
            engine.decoder.currency = currency
            guard latenessHours >= 0 else { throw ValidationError("--lateness-hours must not be negative") }
            engine.scoring.allowedLatenessMilliseconds = Int64(latenessHours) * 3_600_000
            if let liveModel { engine.model = try ModelFile.load(liveModel) }
            var c = BacktestConfiguration(engine: engine, candidate: try ModelFile.load(model))
            c.movers = movers
            if let months { c.months = try Self.range(months) }
            let terminal = Terminal.isTerminal
            let report = try CredenceEngine.Backtest.run(c) { p in
                guard terminal else { return }
                switch p {
                case .replaying(let records):
                    Terminal.status(
                        "replaying the log with \(c.candidate.modelVersion): \(Format.count(records)) records")
                case .comparing(let month, let done, let of):
                    Terminal.status("comparing \(month) (\(done + 1) of \(of))")
                }
            }
            if terminal { Terminal.clearStatus() }
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .withoutEscapingSlashes]
                print(String(decoding: try encoder.encode(report), as: UTF8.self))
            } else {
                print(report.text(baselineModel: engine.model, candidateModel: c.candidate))
            }
        }

        /// `A..B`, `A..` or `..B`.
        static func range(_ text: String) throws -> ClosedRange<Month> {
            let parts = text.components(separatedBy: "..")
            guard parts.count == 2 else {
                throw ValidationError("--months must be A..B (YYYY-MM..YYYY-MM), got \(text)")
            }
            func month(_ s: String, _ fallback: Month) throws -> Month {
                if s.isEmpty { return fallback }
                guard let m = Month(s) else { throw ValidationError("--months: \(s) is not YYYY-MM") }
                return m
            }
            let a = try month(parts[0], Month(index: .min / 2))
            let b = try month(parts[1], Month(index: .max / 2))
            guard a <= b else { throw ValidationError("--months: \(parts[0]) is after \(parts[1])") }
            return a...b
        }
    }

    struct Validate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a scorecard model file; prints where it is wrong, exit code 1 if it is.")

        @Argument(help: "The model (JSON).") var file: String

        func run() throws {
            let m = try ModelFile.load(file)
            print(
                "\(file): model \(m.modelVersion) is valid: \(m.characteristics.count) characteristics, "
                    + "scores \(m.minScore)...\(m.maxScore), services "
                    + m.services.map { "\($0.name) >= \($0.threshold)" }.joined(separator: ", "))
        }
    }
}

extension ModelCommand {
    struct Promote: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make a model the live one from the next closed month on, recorded in the event log.",
            discussion: """
                The model's JSON goes into the log, so replay switches at the same point. Months
                closed already keep their snapshots. Later starts need no --model: the log says which
                model is live. Stop `serve` / `run` on the directory first (the log's lock).
                """)

        @OptionGroup var data: DataOptions
        @Argument(help: "The model to promote (JSON).") var file: String

        func run() throws {
            guard let json = FileManager.default.contents(atPath: file) else {
                throw CLIError("cannot read the model file \(file)")
            }
            _ = try ModelFile.load(file)
            let engine = try data.openEngine()
            let before = engine.model.modelVersion
            let promoted = try engine.promote(json: Array(json))
            try engine.close()
            let next =
                engine.scoring.closedMonths.last.map { String(describing: $0.advanced(by: 1)) } ?? "the first month"
            print("promoted \(promoted.modelVersion) (was \(before)): live from the close of \(next) on")
        }
    }
}

/// Reads and validates a scorecard model file, with the model's path-precise error.
enum ModelFile {
    static func load(_ path: String) throws -> Scorecard {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CLIError("cannot read the model file \(path)")
        }
        do {
            return try Scorecard.load(json: Array(data))
        } catch {
            throw CLIError("\(path): \(error)")
        }
    }
}
