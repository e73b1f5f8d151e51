import ArgumentParser
import CredenceCore
import CredenceEngine
import Foundation

struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Rebuild every state and snapshot from the event log alone, into a fresh directory.",
        discussion: """
            The log, keys and dead letters of --data-dir are read, never changed (the log is the
            source of truth); the rebuilt snapshot store and outbox go to --into (default:
            <data-dir>/replay, emptied first). Then each month's export is compared with the live
            one, byte for byte.
            """
    )

    @OptionGroup var data: DataOptions
    @Option(name: .long, help: "Where the rebuilt snapshot store and outbox go.") var into: String?

    func run() throws {
        var configuration = try data.engineConfiguration()
        let target = into ?? configuration.dataDirectory + "/replay"
        if FileManager.default.fileExists(atPath: target) { try FileManager.default.removeItem(atPath: target) }
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
        // Compare with the live snapshots, if there are any.
        var live = configuration
        live.derivedDirectory = nil
        guard let liveStore = try? SnapshotAccess.open(live) else { return }
        let version = configuration.model.modelVersion
        var differing = 0
        for m in try engine.store.months(modelVersion: version) {
            let a = try CredenceExport.bytes(store: engine.store, month: m.month, modelVersion: version)
            let b = try CredenceExport.bytes(store: liveStore, month: m.month, modelVersion: version)
            if a != b { differing += 1 }
            print(
                "  \(m.month): \(m.userCount) users, \(a == b ? "identical to the live export" : "DIFFERS from the live export")"
            )
        }
        if differing > 0 { throw ExitCode(3) }
    }
}
