import ArgumentParser
import CredenceCore
import CredenceEngine
import CredenceSynth
import Foundation
import SnapshotStore

struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "The whole pipeline on a generated population, in a temporary data directory (no Kafka needed).",
        discussion: """
            Generates users and months of events, ingests them (validation, duplicates, dead letters,
            the durable log, features, month close, snapshots), then shows the latest month's score
            histogram, the share of users above each service threshold and two example users.
            """
    )

    @Option(name: .long, help: "Users.") var users: Int = 2000
    @Option(name: .long, help: "Months.") var months: Int = 12
    @Option(name: .long, help: "Seed.") var seed: UInt64 = 42
    @Option(name: .long, help: "Keep the data directory here instead of a temporary one.") var dataDir: String?

    func run() throws {
        let dir = dataDir ?? NSTemporaryDirectory() + "credence-demo-\(getpid())"
        if FileManager.default.fileExists(atPath: dir) { try FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { if dataDir == nil { try? FileManager.default.removeItem(atPath: dir) } }

        print("1. generating \(users) users x \(months) months (seed \(seed))")
        let c = GeneratorConfiguration(users: users, months: months, seed: seed)
        let generator: EventStreamGenerator
        do { generator = try EventStreamGenerator(configuration: c) } catch { throw ValidationError("\(error)") }
        let input = dir + "/events.ndjson"
        let sink = try OutputSink(path: input)
        let summary = generator.write { sink.write($0) }
        try sink.close()
        print("   \(Format.count(summary.lines)) lines, \(Format.count(summary.bytes / 1000)) kB")

        print("2. ingesting into \(dir)")
        var configuration = EngineConfiguration()
        configuration.dataDirectory = dir + "/data"
        let engine = try Engine.open(configuration)
        let seconds = try engine.ingest(files: [input])
        try engine.close()
        print(
            IngestSummary(counters: engine.counters, seconds: seconds, engine: engine).text
                .split(separator: "\n").map { "   " + $0 }.joined(separator: "\n"))

        let model = engine.model
        guard let month = engine.scoring.closedMonths.last else {
            print("no month closed: try more --months")
            return
        }
        print("3. scores of \(month) (model \(model.modelVersion))")
        var scores: [(String, Int64)] = []
        try engine.store.export(month: month, modelVersion: model.modelVersion, revision: nil) { line in
            if let e = ExportLine(line) { scores.append((e.userID, e.score)) }
        }
        print(MonthText.render(scores.map(\.1), model: model))
        let sorted = scores.sorted { $0.1 < $1.1 }
        for (title, pick) in [("a user near the top", sorted.last), ("a user near the bottom", sorted.first)] {
            guard let pick, let report = try UserReport.make(engine: engine, userID: pick.0, asOf: nil) else {
                continue
            }
            print("4. \(title):")
            print(report.text(model: model).split(separator: "\n").map { "   " + $0 }.joined(separator: "\n"))
        }
        if dataDir != nil { print("data kept in \(dir)/data; try `credence snapshot list --data-dir \(dir)/data`") }
    }
}

/// The user id and score of an export line.
struct ExportLine {
    var userID: String
    var score: Int64

    init?(_ line: String) {
        guard let o = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
            let u = o["user_id"] as? String, let s = o["score"] as? Int
        else { return nil }
        userID = u
        score = Int64(s)
    }
}

enum Histogram {
    /// The score bands of ``ScoreDistribution`` (50 points from `lower`, the last one taking
    /// `upper`), the bands of the SVG chart and of the PSI, scaled to `width` characters.
    static func render(_ values: [Int64], lower: Int64, upper: Int64, width: Int) -> String {
        var counts: [Int64: Int] = [:]
        for v in values { counts[v, default: 0] += 1 }
        let d = ScoreDistribution(
            scoreCounts: counts.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }, range: lower...max(lower, upper))
        let top = max(d.buckets.map(\.count).max() ?? 1, 1)
        return d.buckets.map { b in
            let bar = String(repeating: "█", count: Int((Double(b.count) / Double(top) * Double(width)).rounded()))
            return "   \(b.lower)-\(b.upper) │\(bar) \(b.count)"
        }.joined(separator: "\n")
    }
}
