import ArgumentParser
import CredenceEngine

struct LogCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log", abstract: "Inspect the event log.", subcommands: [Verify.self])

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check every record's framing and CRC-32C, and that each is readable; changes nothing.")

        @Option(name: .long, help: "The data directory.")
        var dataDir: String = "./credence-data"

        func run() throws {
            let inspection = try LogInspection.inspect(dataDirectory: dataDir)
            print(inspection)
            if !inspection.isHealthy { throw ExitCode(2) }
        }
    }
}
