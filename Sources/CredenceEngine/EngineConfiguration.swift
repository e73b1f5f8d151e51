public import CredenceCore
public import EventLog
import Foundation

/// Everything an engine needs to know, with defaults that run on a laptop.
public struct EngineConfiguration: Sendable {
    /// Where the log, keys, snapshots, dead letters and outbox live. Default: `./credence-data`.
    public var dataDirectory: String = "./credence-data"
    /// Where derived state (snapshot database, outbox, checkpoints) goes, and the dead letters the
    /// engine writes or clears. Default: `nil`, the data directory. `replay` points it at a fresh
    /// directory, so a replay that meets an erasure leaves the data directory's dead letters alone.
    public var derivedDirectory: String? = nil
    /// Scoring zone and allowed lateness. Default: `+08:00`, 48 hours.
    public var scoring = ScoringConfiguration()
    /// Decoder limits and the deployment currency. Default: `CNY`, 1 MiB per event.
    public var decoder = EventDecoder.Configuration()
    /// The scorecard model. Default: the spec's `default-1`.
    public var model: Scorecard = .default
    /// Models scored beside the live one at every month close, stored under their own versions,
    /// never published and never used for eligibility (see Engine+Models.swift). Default: none.
    public var shadowModels: [Scorecard] = []
    /// Log segment size, durability and buffers. Default: fsync before a batch counts as done.
    public var log = EventLogConfiguration()
    /// Events per batch before the engine commits on its own. Default: 8192.
    public var batchSize: Int = 8192
    /// How long an event id stays known to the duplicate check, in event time behind the
    /// newest event. The spec asks for at least 7 days. Default: 35 days.
    public var dedupWindowMilliseconds: Int64 = 35 * 86_400_000
    /// State checkpoints, so a restart replays only the log after the newest one. Default: one
    /// every 1,000,000 events and at a clean close, two kept.
    public var checkpoints = CheckpointConfiguration()
    /// Whether the engine works on three threads: file ingest and replay decode (and decrypt) on
    /// one of their own, records are sealed and appended on another (``LogWriterStage``, for every
    /// input: files, Kafka, HTTP), beside the one that checks and applies. The result is the same
    /// either way, byte for byte. Default: `true`.
    public var parallelDecode = true
    /// How many shards the users' states are kept in, each applied on a thread of its own while
    /// a batch is open (``ShardAppliers``); users go to shards by a stable hash of their id. The
    /// result is the same for every count, byte for byte; 1 applies every event on the engine's
    /// own thread. Default: ``defaultShards``.
    public var shards = EngineConfiguration.defaultShards

    /// Whether a replay applies on the shards' threads too; when not, the engine's thread applies
    /// while it replays (the states in their shards all the same). A replay's reader, opener and
    /// applying thread fill three cores: on two, the shards' threads only added their handoffs to
    /// the CPU both cores were already busy with (slower in three alternating pairs of four on
    /// the r30k log). Default: `true` with more than three active cores.
    public var shardThreadsInReplay = ProcessInfo.processInfo.activeProcessorCount > 3

    /// One shard (the engine's thread applies) on up to two active cores, else one per core, at
    /// most 8. On two cores the decoding stage and the log writer already keep the second core
    /// busy, and two shards' threads were no faster (docs/performance.md, "Shards"); more cores
    /// were not measured.
    public static var defaultShards: Int {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        return cores <= 2 ? 1 : min(cores, 8)
    }

    public init() {}

    /// Checks the configuration; the message says what to change.
    public func validate() throws(EngineError) {
        guard !dataDirectory.isEmpty else { throw EngineError(.configuration, "the data directory must not be empty") }
        guard (1...256).contains(shards) else {
            throw EngineError(.configuration, "shards must be between 1 and 256, got \(shards)")
        }
        guard batchSize >= 1 else {
            throw EngineError(.configuration, "batch size must be at least 1, got \(batchSize)")
        }
        guard dedupWindowMilliseconds >= 7 * 86_400_000 else {
            throw EngineError(.configuration, "the duplicate window must cover at least 7 days of event time")
        }
        guard scoring.allowedLatenessMilliseconds >= 0 else {
            throw EngineError(.configuration, "allowed lateness must not be negative")
        }
        var versions: Set<String> = [model.modelVersion]
        for s in shadowModels where !versions.insert(s.modelVersion).inserted {
            throw EngineError(
                .configuration,
                "model version \(s.modelVersion) is named twice among the live and shadow models; give each its own")
        }
        do { try decoder.validate() } catch { throw EngineError(.configuration, error.message) }
        do { try log.validate() } catch { throw EngineError(.configuration, "\(error)") }
    }

    var derived: String { derivedDirectory ?? dataDirectory }
}

/// An engine failure, with a message that says what to do.
public struct EngineError: Error, Sendable, CustomStringConvertible {
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        public let name: String
        public var description: String { name }
        public static let configuration = Code(name: "configuration")
        public static let io = Code(name: "io")
        public static let corruptLog = Code(name: "corrupt_log")
        public static let keys = Code(name: "keys")
        public static let snapshots = Code(name: "snapshots")
        public static let input = Code(name: "input")
    }

    public var code: Code
    public var message: String
    public var underlying: (any Error & Sendable)?

    public init(_ code: Code, _ message: String, underlying: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.underlying = underlying
    }

    public var description: String {
        if let underlying { return "\(message) (\(underlying))" }
        return message
    }
}
