import ArgumentParser
import CredenceCore
import CredenceEngine
import Foundation

struct SnapshotCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "snapshot", abstract: "Closed monthly snapshots.",
        subcommands: [Export.self, List.self, Restate.self, Show.self])

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a closed month's export (NDJSON, one line per scored user, by user_id).",
            discussion: """
                With --cluster, the whole cluster's month: the instance at --instance merges every \
                owner's part in user_id byte order, or refuses while a part is missing. It reads \
                with the first token of CREDENCE_READ_TOKENS.
                """)

        @OptionGroup var data: DataOptions
        @Option(name: .long, help: "The month, YYYY-MM.") var month: String
        @Option(name: .long, help: "Write here instead of standard output.") var output: String?
        @Option(name: .long, help: "A restatement revision (default: the latest).") var revision: Int?
        @Option(name: .long, help: "A shadow model's version (default: the live model's).") var modelVersion: String?
        @Flag(name: .long, help: "The whole cluster's month, merged from every instance's part.") var cluster = false
        @Option(name: .long, help: "With --cluster: any instance's URL.") var instance = "http://127.0.0.1:8080"

        func run() async throws {
            guard let m = Month(month) else { throw ValidationError("--month must be YYYY-MM, got \(month)") }
            if cluster {
                try await ClusterExport.write(
                    month: m, instance: instance, modelVersion: modelVersion, revision: revision, output: output)
                return
            }
            let configuration = try data.engineConfiguration()
            let store = try SnapshotAccess.open(configuration)
            let version = modelVersion ?? configuration.model.modelVersion
            guard try store.exists(month: m, modelVersion: version, revision: revision) else {
                throw CLIError(
                    "month \(m) is not closed for model \(version) (see `credence snapshot list`)")
            }
            let sink = try OutputSink(path: output)
            try store.exportBytes(month: m, modelVersion: version, revision: revision) { sink.write($0) }
            try sink.close()
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List closed months with user counts.")

        @OptionGroup var data: DataOptions
        @Option(name: .long, help: "A shadow model's version (default: the live model's).") var modelVersion: String?

        func run() throws {
            let configuration = try data.engineConfiguration()
            let store = try SnapshotAccess.open(configuration)
            let version = modelVersion ?? configuration.model.modelVersion
            let months = try store.months(modelVersion: version)
            if months.isEmpty {
                print("no closed months for model \(version)")
                return
            }
            print("month    revision  users")
            for m in months {
                print(
                    "\(m.month)  \(String(m.latestRevision).padding(toLength: 8, withPad: " ", startingAt: 0))  \(m.userCount)"
                )
            }
        }
    }

    struct Restate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Recompute a closed month from everything accepted so far, as a new revision.",
            discussion: "Late events count in a restatement; the original revision stays as it was.")

        @OptionGroup var data: DataOptions
        @Option(name: .long, help: "The month, YYYY-MM.") var month: String

        func run() throws {
            guard let m = Month(month) else { throw ValidationError("--month must be YYYY-MM, got \(month)") }
            let engine = try data.openEngine()
            try engine.restate(m)
            try engine.close()
            let months = try engine.store.months(modelVersion: engine.model.modelVersion)
            if let s = months.first(where: { $0.month == m }) {
                print("restated \(m): revision \(s.latestRevision), \(s.userCount) users")
            }
        }
    }
}

/// Writes to a file or standard output, buffered.
final class OutputSink {
    private let handle: FileHandle
    private var buffer = Data()
    private let owns: Bool

    init(path: String?) throws {
        if let path {
            guard FileManager.default.createFile(atPath: path, contents: nil) else {
                throw ValidationError("cannot create \(path)")
            }
            handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
            owns = true
        } else {
            handle = FileHandle.standardOutput
            owns = false
        }
    }

    func write(_ s: String) {
        buffer.append(contentsOf: s.utf8)
        if buffer.count > 1 << 20 { flush() }
    }

    func write(_ bytes: UnsafeRawBufferPointer) {
        buffer.append(contentsOf: bytes)
        if buffer.count > 1 << 20 { flush() }
    }

    func flush() {
        handle.write(buffer)
        buffer.removeAll(keepingCapacity: true)
    }

    func close() throws {
        flush()
        if owns { try handle.close() }
    }
}
