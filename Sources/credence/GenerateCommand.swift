import ArgumentParser
import CredenceCore
import CredenceSynth
import Foundation

struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Write a realistic synthetic event stream (NDJSON) that exercises every rule.",
        discussion: """
            Arrival order is perturbed within the allowed lateness; a few duplicates, conflicting
            duplicates, invalid lines and late events are mixed in. The same seed gives the same bytes.
            """
    )

    @Option(name: .long, help: "Users.") var users: Int = 1000
    @Option(name: .long, help: "Months of history.") var months: Int = 12
    @Option(name: .long, help: "Seed.") var seed: UInt64 = 42
    @Option(name: .long, help: "First month, YYYY-MM.") var start: String = "2025-01"
    @Option(name: .long, help: "Write here instead of standard output.") var output: String?
    @Flag(name: .long, help: "No duplicates, invalid lines or late events.") var clean = false
    @Flag(
        name: .long,
        help: """
            No events later than the allowed lateness; the rest of the noise stays (duplicates, \
            conflicts, invalid lines, arrival order shuffled within the lateness). Whether such a \
            late event counts in its month depends on arrival order, which partitions change.
            """)
    var noLate = false

    func run() throws {
        guard let first = Month(start) else { throw ValidationError("--start must be YYYY-MM, got \(start)") }
        var c = GeneratorConfiguration(users: users, months: months, seed: seed, start: first)
        if clean { c.noise = .none }
        if noLate { c.noise.lateEventRate = 0 }
        let generator: EventStreamGenerator
        do { generator = try EventStreamGenerator(configuration: c) } catch { throw ValidationError("\(error)") }
        let sink = try OutputSink(path: output)
        let summary = generator.write { sink.write($0) }
        try sink.close()
        if output != nil {
            print("wrote \(summary.lines) lines (\(summary.events) events, \(summary.users) users) to \(output!)")
        }
    }
}
