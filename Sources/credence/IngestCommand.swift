import ArgumentParser
import CredenceCore
import CredenceEngine
import Foundation

struct IngestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Read NDJSON events into the log, update features and close the months the input covers.",
        discussion: """
            Rejected lines go to <data-dir>/dead-letter/dead-letter.ndjson with their raw bytes and
            the reason; duplicates (same event_id) are dropped and counted. Running it again on the
            same file after a crash loses nothing and counts nothing twice.
            """
    )

    @OptionGroup var data: DataOptions

    @Argument(help: "NDJSON files; - reads standard input.")
    var files: [String]

    @Flag(name: .long, help: "Read files from their first line even if an earlier run took some of it.")
    var fromStart = false

    func validate() throws {
        for file in files where file != "-" && !FileManager.default.isReadableFile(atPath: file) {
            throw ValidationError("cannot read \(file): no such file, or no permission")
        }
    }

    func run() throws {
        let engine = try data.openEngine()
        let terminal = Terminal.isTerminal
        let seconds = try engine.ingest(files: files, fromStart: fromStart) { counters, elapsed in
            if terminal {
                Terminal.status(
                    "\(Format.count(counters.received)) lines, \(Format.count(counters.accepted)) accepted, "
                        + "\(Format.rate(Double(counters.received) / max(elapsed, 1e-9))) lines/s")
            }
        }
        if terminal { Terminal.clearStatus() }
        try engine.close()
        print(IngestSummary(counters: engine.counters, seconds: seconds, engine: engine).text)
    }
}

struct IngestSummary {
    var counters: IngestCounters
    var seconds: Double
    var engine: Engine

    var text: String {
        let c = counters
        var lines: [String] = []
        let rate = Double(c.received) / max(seconds, 1e-9)
        let mb = Double(c.bytes) / 1e6 / max(seconds, 1e-9)
        lines.append(
            "read \(Format.count(c.received)) events in \(Format.seconds(seconds)) "
                + "(\(Format.rate(rate)) events/s, \(String(format: "%.1f", mb)) MB/s)")
        if c.resumedPast > 0 {
            lines.append(
                "  skipped            \(Format.count(c.resumedPast)) lines an earlier run took (resumed after them)")
        }
        lines.append("  accepted           \(Format.count(c.accepted))")
        lines.append("  duplicates         \(Format.count(c.duplicates))")
        lines.append("  rejected           \(Format.count(c.rejectedTotal))")
        for (reason, n) in c.rejected.sorted(by: { $0.key < $1.key }) {
            lines.append("    \(reason.padding(toLength: 22, withPad: " ", startingAt: 0)) \(Format.count(n))")
        }
        lines.append("  erased on arrival  \(Format.count(c.erasedOnArrival))")
        lines.append("  late               \(Format.count(c.late))")
        lines.append("  erasures           \(Format.count(c.erasures))")
        let closed = engine.scoring.closedMonths
        if let first = closed.first, let last = closed.last {
            lines.append("  months closed      \(closed.count) in all, \(first) to \(last) (\(c.monthsClosed) now)")
        } else {
            lines.append("  months closed      none yet")
        }
        if c.rejectedTotal > 0 {
            lines.append("dead letters: \(engine.configuration.dataDirectory)/dead-letter/dead-letter.ndjson")
        }
        return lines.joined(separator: "\n")
    }
}
