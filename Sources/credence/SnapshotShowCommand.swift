import ArgumentParser
import CredenceCore
import CredenceEngine
import Foundation

extension SnapshotCommand {
    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "A closed month's score histogram and the share of users eligible per service.",
            discussion: "With --svg FILE, the same histogram with the service thresholds as an SVG image.")

        @OptionGroup var data: DataOptions
        @Option(name: .long, help: "The month, YYYY-MM (default: the latest closed).") var month: String?
        @Option(name: .long, help: "A model version stored beside the live one (a shadow model).")
        var modelVersion: String?
        @Option(name: .long, help: "Also write the histogram as SVG to this file.") var svg: String?

        func run() throws {
            let configuration = try data.engineConfiguration()
            let store = try SnapshotAccess.open(configuration)
            let version = modelVersion ?? configuration.model.modelVersion
            let m: Month
            if let month {
                guard let parsed = Month(month) else { throw ValidationError("--month must be YYYY-MM, got \(month)") }
                m = parsed
            } else {
                guard let last = try store.months(modelVersion: version).last else {
                    throw CLIError("no closed month for model \(version): ingest events first")
                }
                m = last.month
            }
            guard try store.exists(month: m, modelVersion: version) else {
                throw CLIError("month \(m) is not closed for model \(version) (see `credence snapshot list`)")
            }
            let scores = try MonthScores.load(store, month: m, modelVersion: version)
            let model = configuration.model
            print("scores of \(m) (model \(version))")
            print(MonthText.render(scores.scores.map(\.score), model: model))
            if let svg {
                let chart = ScoreCharts.histogram(
                    title: "Scores of \(m), model \(version), \(scores.scores.count) users",
                    series: [.init(name: version, distribution: scores.distribution, color: ScoreCharts.palette[0])],
                    thresholds: model.services)
                guard FileManager.default.createFile(atPath: svg, contents: Data(chart.utf8)) else {
                    throw CLIError("cannot write \(svg): check that its directory exists and is writable")
                }
                print("histogram written to \(svg)")
            }
        }
    }
}

/// The histogram and the shares above each service threshold, as `credence demo` prints them.
enum MonthText {
    static func render(_ scores: [Int64], model: Scorecard) -> String {
        var out = [Histogram.render(scores, lower: model.minScore, upper: model.maxScore, width: 50)]
        out.append("   share of \(Format.count(scores.count)) scored users at or above each service threshold:")
        for s in model.services {
            let n = scores.filter { $0 >= s.threshold }.count
            let share = scores.isEmpty ? 0 : 100 * Double(n) / Double(scores.count)
            out.append(
                "     \(s.name.padding(toLength: 28, withPad: " ", startingAt: 0)) >= \(s.threshold): "
                    + String(format: "%5.1f%%", share))
        }
        return out.joined(separator: "\n")
    }
}
