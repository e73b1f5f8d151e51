import ArgumentParser
import CredenceCore
import CredenceEngine
import Foundation
import SnapshotStore
import Synchronization

struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Rebuild every state and snapshot from the event log alone, into a fresh directory.",
        discussion: """
            The log, keys and dead letters of --data-dir are read, never changed (the log is the
            source of truth); the rebuilt snapshot store and outbox go to --into (default:
            <data-dir>/replay, emptied first). Then each month's export is compared with the live
            one, byte for byte.

            With --from-kafka, a whole new data directory (default <data-dir>/replay-kafka) is
            built from the topics from offset 0, in a consumer group of its own, until nothing
            arrives for --idle-seconds; then the same comparison.
            """
    )

    @OptionGroup var data: DataOptions
    @Option(name: .long, help: "Where the rebuilt snapshot store and outbox go.") var into: String?
    @OptionGroup var kafkaReplay: KafkaReplayOptions

    func run() throws {
        var configuration = try data.engineConfiguration()
        let target = into ?? configuration.dataDirectory + (kafkaReplay.fromKafka ? "/replay-kafka" : "/replay")
        if FileManager.default.fileExists(atPath: target) { try FileManager.default.removeItem(atPath: target) }
        if kafkaReplay.fromKafka {
            // A whole new data directory (log, keys, snapshots) from the topics, then the comparison.
            print(try kafkaReplay.rebuild(into: target, data: data))
            var rebuilt = configuration
            rebuilt.dataDirectory = target
            try compare(SnapshotAccess.open(rebuilt), with: configuration)
            return
        }
        configuration.derivedDirectory = target
        let terminal = Terminal.isTerminal
        let engine = try Engine.open(configuration) { stats in
            if terminal { Terminal.status("replaying: \(Format.count(stats.records)) records") }
        }
        if terminal { Terminal.clearStatus() }
        let stats = engine.lastReplay
        try engine.close()
        print(
            "replayed \(Format.count(stats.records)) records (\(Format.count(stats.events)) events, "
                + "\(Format.count(stats.unreadable)) erased) in \(Format.seconds(stats.seconds)) "
                + "(\(Format.rate(Double(stats.events) / max(stats.seconds, 1e-9))) events/s); "
                + "\(stats.monthsClosed) month closes into \(target)")
        // Every model the log closed months with: the configured one, a promoted one, the shadows.
        var versions = [configuration.model.modelVersion]
        let others = [engine.model.modelVersion] + configuration.shadowModels.map(\.modelVersion)
        for v in others where !versions.contains(v) { versions.append(v) }
        try compare(engine.store, with: configuration, versions: versions)
    }

    /// Compares each month of `store` with the live snapshots of the data directory, if any.
    /// Months are rendered and compared on every core (the store reads concurrently), then
    /// reported in order.
    func compare(_ store: SnapshotStore, with configuration: EngineConfiguration, versions: [String]? = nil) throws {
        var live = configuration
        live.derivedDirectory = nil
        guard let liveStore = try? SnapshotAccess.open(live) else { return }
        var differing = 0
        for version in versions ?? [configuration.model.modelVersion] {
            if versions != nil && versions!.count > 1 { print("model \(version):") }
            let months = try store.months(modelVersion: version)
            let identical = try Self.compareMonths(months.map(\.month), store, liveStore, modelVersion: version)
            for (m, same) in zip(months, identical) {
                if !same { differing += 1 }
                print(
                    "  \(m.month): \(m.userCount) users, \(same ? "identical to the live export" : "DIFFERS from the live export")"
                )
            }
        }
        if differing > 0 { throw ExitCode(3) }
    }

    /// Whether each month's export from `store` is byte for byte the one from `liveStore`. A
    /// month whose stored entries are the same in both has the same export, known without
    /// rendering it (`SnapshotStore.holdsSameEntries`, which reads the stored records); any
    /// other month's two exports are rendered and compared.
    static func compareMonths(
        _ months: [Month], _ store: SnapshotStore, _ liveStore: SnapshotStore, modelVersion: String
    ) throws -> [Bool] {
        let results = Mutex<[Result<Bool, any Error>?]>(Array(repeating: nil, count: months.count))
        DispatchQueue.concurrentPerform(iterations: months.count) { i in
            let result = Result {
                try store.holdsSameEntries(month: months[i], modelVersion: modelVersion, as: liveStore)
                    || CredenceExport.bytes(store: store, month: months[i], modelVersion: modelVersion)
                        == CredenceExport.bytes(store: liveStore, month: months[i], modelVersion: modelVersion)
            }
            results.withLock { $0[i] = result }
        }
        return try results.withLock { $0 }.map { try $0!.get() }
    }
}
