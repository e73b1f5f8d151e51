public import CredenceCore
import Foundation
public import SnapshotStore

/// What a backtest compares: a data directory (with its live model) and a candidate model.
public struct BacktestConfiguration: Sendable {
    /// The live data directory and its live model (`engine.model`). Its log, keys and snapshot
    /// store are read, never written.
    public var engine: EngineConfiguration
    /// The model to try on the history.
    public var candidate: Scorecard
    /// Only these months (both ends included). Default: `nil`, every closed month.
    public var months: ClosedRange<Month>? = nil
    /// How many of the largest movers each month lists. Default: 10.
    public var movers: Int = 10
    /// Where the candidate's throwaway snapshot store goes; removed afterwards.
    /// Default: `nil`, a new directory under the system's temporary directory.
    public var workDirectory: String? = nil

    public init(engine: EngineConfiguration, candidate: Scorecard) {
        self.engine = engine
        self.candidate = candidate
    }

    public func validate() throws(EngineError) {
        try engine.validate()
        guard movers >= 0 else { throw EngineError(.configuration, "the number of movers must not be negative") }
    }
}

/// Tries a candidate scorecard on the whole history, beside the live model.
///
/// The candidate's snapshots come from a replay of the event log with the candidate as a
/// shadow model (Engine+Models.swift), into a throwaway snapshot store: the log's month-close
/// records close every month at exactly the point the live run closed it, so each candidate
/// snapshot is the one a data directory with the candidate as its live model would hold (and a
/// test checks this against such a directory). Nothing is published and the live snapshot store is only read. The
/// log's single-writer lock is taken while replaying, so stop `credence serve` / `run` on the
/// data directory first.
///
/// ```swift
/// let report = try Backtest.run(BacktestConfiguration(engine: live, candidate: model))
/// for m in report.months { print(m.month, m.psi ?? 0) }
/// ```
public enum Backtest {
    /// Where a backtest is, for a progress line.
    public enum Progress: Sendable {
        case replaying(records: Int)
        case comparing(month: Month, done: Int, of: Int)
    }

    public static func run(
        _ configuration: BacktestConfiguration, progress: ((Progress) -> Void)? = nil
    ) throws(EngineError) -> BacktestReport {
        try configuration.validate()
        let baseline = configuration.engine.model
        let candidate = configuration.candidate
        let live: SnapshotStore
        do {
            live = try SnapshotAccess.open(configuration.engine)
        } catch let e as EngineError {
            throw e
        } catch {
            throw EngineError(.snapshots, "cannot open the live snapshot store", underlying: error)
        }
        var months: [Month]
        do {
            months = try live.months(modelVersion: baseline.modelVersion).map(\.month)
        } catch {
            throw EngineError(.snapshots, "cannot list the live model's months", underlying: error)
        }
        guard !months.isEmpty else {
            throw EngineError(
                .input,
                "no closed month for the live model \(baseline.modelVersion) in \(configuration.engine.dataDirectory): "
                    + "ingest events first, or name the live model with --live-model")
        }
        if let range = configuration.months {
            let all = months
            months = months.filter { range.contains($0) }
            guard !months.isEmpty else {
                throw EngineError(
                    .input, "no closed month in the range asked for: closed months run from \(all[0]) to \(all.last!)")
            }
        }

        let work = configuration.workDirectory ?? NSTemporaryDirectory() + "credence-backtest-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: work) }
        var replay = configuration.engine
        replay.derivedDirectory = work
        replay.checkpoints.enabled = false  // a throwaway directory: a full replay, nothing to keep
        if candidate.modelVersion == baseline.modelVersion {
            replay.model = candidate
            replay.shadowModels = []
        } else {
            // As a shadow: every month close scores the candidate too, even after a promotion
            // record in the log has changed the live model.
            replay.shadowModels = [candidate]
        }
        let engine = try Engine.open(replay) { stats in progress?(.replaying(records: stats.records)) }
        try engine.close()
        return try compare(
            months: months, baseline: baseline, in: live, candidate: candidate, in: engine.store,
            movers: configuration.movers, progress: progress)
    }

    /// Compares the stored snapshots of two models month by month: a backtest's, or a shadow
    /// model's beside the live one in one store.
    public static func compare(
        months: [Month], baseline: Scorecard, in live: SnapshotStore, candidate: Scorecard,
        in store: SnapshotStore, movers: Int = 10, progress: ((Progress) -> Void)? = nil
    ) throws(EngineError) -> BacktestReport {
        var report = BacktestReport(
            baseline: baseline.modelVersion, candidate: candidate.modelVersion,
            bands: PopulationStability.bandLabels(ScoreDistribution(scoreCounts: [])), months: [])
        var previous: MonthComparison? = nil
        for (i, month) in months.enumerated() {
            progress?(.comparing(month: month, done: i, of: months.count))
            let a = try scores(live, month, baseline.modelVersion)
            let b = try scores(store, month, candidate.modelVersion)
            var m = try compare(
                month, a, b, baseline: baseline, candidate: candidate, movers: movers)
            if let p = previous {
                m.baselinePSIPreviousMonth = PopulationStability.index(p.baselineDistribution, m.baselineDistribution)
                m.candidatePSIPreviousMonth = PopulationStability.index(
                    p.candidateDistribution, m.candidateDistribution)
            }
            report.months.append(m)
            previous = m
        }
        return report
    }

    /// One user's score in a stored month, with the export line for the movers' reasons.
    struct Scored {
        var userID: Substring
        var score: Int64
        var line: String
    }

    static func scores(_ store: SnapshotStore, _ month: Month, _ version: String) throws(EngineError) -> [Scored] {
        var out = [Scored]()
        do {
            try store.export(month: month, modelVersion: version) { line in
                guard let s = ExportLineFields.parse(line) else {
                    throw EngineError(.snapshots, "a stored line of \(month) is not an export line: \(line.prefix(80))")
                }
                out.append(s)
            }
        } catch let e as EngineError {
            throw e
        } catch {
            throw EngineError(.snapshots, "cannot read \(month) of model \(version)", underlying: error)
        }
        return out
    }

    /// Joins the two exports of a month (both sorted by user id) and counts what differs.
    static func compare(
        _ month: Month, _ a: [Scored], _ b: [Scored], baseline: Scorecard, candidate: Scorecard, movers: Int
    ) throws(EngineError) -> MonthComparison {
        guard a.count == b.count, zip(a, b).allSatisfy({ $0.userID == $1.userID }) else {
            throw EngineError(
                .snapshots,
                "month \(month): the replay scored \(b.count) users where the live store holds \(a.count); "
                    + "restore the snapshot store with `credence replay`, or check that --lateness-hours and "
                    + "--currency match the live run")
        }
        var names = baseline.services.map(\.name)
        for s in candidate.services where !names.contains(s.name) { names.append(s.name) }
        var services = names.map { name in
            ServiceComparison(
                service: name, baselineThreshold: baseline.services.first { $0.name == name }?.threshold,
                candidateThreshold: candidate.services.first { $0.name == name }?.threshold, baselineEligible: 0,
                candidateEligible: 0, swapIn: 0, swapOut: 0)
        }
        var moved = [(index: Int, change: Int64)]()
        for i in a.indices {
            let x = a[i].score
            let y = b[i].score
            if x != y { moved.append((i, y - x)) }
            for j in services.indices {
                let inA = services[j].baselineThreshold.map { x >= $0 } ?? false
                let inB = services[j].candidateThreshold.map { y >= $0 } ?? false
                if inA { services[j].baselineEligible += 1 }
                if inB { services[j].candidateEligible += 1 }
                if inB && !inA { services[j].swapIn += 1 }
                if inA && !inB { services[j].swapOut += 1 }
            }
        }
        moved.sort { abs($0.change) != abs($1.change) ? abs($0.change) > abs($1.change) : $0.index < $1.index }
        let top = moved.prefix(movers).map { m in
            Mover(
                userID: String(a[m.index].userID), baselineScore: a[m.index].score, candidateScore: b[m.index].score,
                baselineReasons: ExportLineFields.reasons(a[m.index].line),
                candidateReasons: ExportLineFields.reasons(b[m.index].line))
        }
        let da = distribution(a)
        let db = distribution(b)
        return MonthComparison(
            month: month, users: a.count, psi: PopulationStability.index(da, db), baselinePSIPreviousMonth: nil,
            candidatePSIPreviousMonth: nil, baselineDistribution: da, candidateDistribution: db, services: services,
            movers: top)
    }

    static func distribution(_ scores: [Scored]) -> ScoreDistribution {
        var counts: [Int64: Int] = [:]
        for s in scores { counts[s.score, default: 0] += 1 }
        return ScoreDistribution(scoreCounts: counts.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
    }
}

/// Reads the fields a comparison needs from an export line (SCORING.md section 7), whose
/// layout is fixed: `{"user_id":"…","month":"…","score":N,"model_version":…,"reasons":[…],…}`.
enum ExportLineFields {
    static func parse(_ line: String) -> Backtest.Scored? {
        let u = line.utf8
        let prefix = #"{"user_id":""#.utf8
        guard u.starts(with: prefix) else { return nil }
        // User ids are [A-Za-z0-9_.:-] (SCORING.md section 2): no escapes, so the next quote ends it.
        let idStart = u.index(u.startIndex, offsetBy: prefix.count)
        guard let idEnd = u[idStart...].firstIndex(of: UInt8(ascii: "\"")) else { return nil }
        let scoreKey = #","score":"#
        guard let keyRange = line.range(of: scoreKey, range: idEnd..<line.endIndex) else { return nil }
        var score: Int64 = 0
        var negative = false
        var any = false
        for c in line.utf8[keyRange.upperBound...] {
            if c == UInt8(ascii: "-") && !any && !negative {
                negative = true
                continue
            }
            guard c >= UInt8(ascii: "0"), c <= UInt8(ascii: "9") else { break }
            score = score * 10 + Int64(c - UInt8(ascii: "0"))
            any = true
        }
        guard any else { return nil }
        return Backtest.Scored(userID: line[idStart..<idEnd], score: negative ? -score : score, line: line)
    }

    /// The reason codes of an export line.
    static func reasons(_ line: String) -> [String] {
        guard let o = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { return [] }
        return o["reasons"] as? [String] ?? []
    }
}
