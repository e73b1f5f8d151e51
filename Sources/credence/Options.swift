import ArgumentParser
import CredenceCore
import CredenceEngine
import Foundation

/// Options every command that opens a data directory shares.
struct DataOptions: ParsableArguments {
    @Option(name: .long, help: "The data directory (log, keys, snapshots, dead letters, outbox).")
    var dataDir: String = "./credence-data"

    @Option(name: .long, help: "A scorecard model (JSON); default: the embedded default-1.")
    var model: String?

    @Option(
        name: .customLong("shadow-model"),
        help: "A model scored beside the live one at every month close, under its own version (repeatable).")
    var shadowModels: [String] = []

    @Option(name: .long, help: "The deployment currency; payments in others are rejected.")
    var currency: String = "CNY"

    @Option(name: .long, help: "Allowed lateness in hours before a month closes.")
    var latenessHours: Int = 48

    @Option(name: .long, help: "Events per durable batch.")
    var batchSize: Int = 8192

    @Flag(name: .long, help: "Skip fsync (benchmarks and throwaway runs only: a crash can lose the last batches).")
    var noFsync = false

    @Option(
        name: .long,
        help:
            "Write a state checkpoint every N events (and at a clean stop), so a restart replays at most about N; 0: only at a clean stop."
    )
    var checkpointEvery: Int = 1_000_000

    @Option(
        name: .long,
        help:
            "Days of event time an event id stays known to the duplicate check (at least 7). It sets the check's memory: about 50 bytes per event in the window."
    )
    var dedupWindowDays: Int = 35

    @Flag(name: .long, help: "Neither load nor write state checkpoints: every start replays the whole log.")
    var noCheckpoints = false

    @Flag(
        name: .long,
        help: "Decode, seal and append on the engine's own thread (the result is the same; for comparison).")
    var serialDecode = false

    @Option(
        name: .long,
        help:
            "Shards the users' states are kept in, each applied on a thread of its own (1-256; the result is the same for every count). Default: 1 on up to two cores, else one per core, at most 8."
    )
    var shards: Int?

    func engineConfiguration() throws -> EngineConfiguration {
        var c = EngineConfiguration()
        c.dataDirectory = dataDir
        c.decoder.currency = currency
        guard latenessHours >= 0 else { throw ValidationError("--lateness-hours must not be negative") }
        c.scoring.allowedLatenessMilliseconds = Int64(latenessHours) * 3_600_000
        if noFsync { c.log.durability = .none }
        c.batchSize = batchSize
        guard checkpointEvery >= 0 else { throw ValidationError("--checkpoint-every must not be negative") }
        c.checkpoints.everyEvents = checkpointEvery
        c.checkpoints.enabled = !noCheckpoints
        c.parallelDecode = !serialDecode
        if let shards {
            guard (1...256).contains(shards) else {
                throw ValidationError("--shards must be between 1 and 256, got \(shards)")
            }
            c.shards = shards
        }
        guard dedupWindowDays >= 7 else {
            throw ValidationError(
                "--dedup-window-days must be at least 7 (SCORING.md section 2), got \(dedupWindowDays)")
        }
        c.dedupWindowMilliseconds = Int64(dedupWindowDays) * 86_400_000
        if let model {
            guard let data = FileManager.default.contents(atPath: model) else {
                throw ValidationError("cannot read the model file \(model)")
            }
            do {
                c.model = try Scorecard.load(json: Array(data))
            } catch {
                throw ValidationError("\(model): \(error)")
            }
        }
        c.shadowModels = try shadowModels.map(ModelFile.load)
        return c
    }

    func openEngine(quiet: Bool = false) throws -> Engine {
        let configuration = try engineConfiguration()
        let terminal = isatty(2) != 0 && !quiet
        let engine = try Engine.open(configuration) { stats in
            if terminal {
                Terminal.status("replaying the log: \(Format.count(stats.records)) records")
            }
        }
        if terminal { Terminal.clearStatus() }
        for note in engine.recoveryNotes { Terminal.warn(note) }
        if let path = engine.lastReplay.checkpoint.path, terminal {
            Terminal.warn(
                "started from checkpoint \(path) in \(Format.seconds(engine.lastReplay.checkpoint.seconds)), then replayed "
                    + "\(Format.count(engine.lastReplay.events)) events")
        }
        return engine
    }
}

enum Terminal {
    static func status(_ text: String) {
        FileHandle.standardError.write(Data(("\r\u{1B}[2K" + text).utf8))
    }

    static func clearStatus() {
        FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8))
    }

    static func warn(_ text: String) {
        FileHandle.standardError.write(Data(("credence: " + text + "\n").utf8))
    }

    static var isTerminal: Bool { isatty(2) != 0 }
}

enum Format {
    /// 1234567 → "1,234,567".
    static func count(_ n: Int) -> String { BacktestReport.count(n) }

    /// 1234567.0 → "1.23M".
    static func rate(_ v: Double) -> String {
        if v >= 1e6 { return String(format: "%.2fM", v / 1e6) }
        if v >= 1e3 { return String(format: "%.1fk", v / 1e3) }
        return String(format: "%.0f", v)
    }

    static func seconds(_ s: Double) -> String { String(format: "%.2f s", s) }
}

/// A failure to report as one clear line, without the usage text.
struct CLIError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
