import ArgumentParser

@main
struct Credence: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "credence",
        abstract: "Streaming credit scorer: event log, features, monthly score snapshots."
    )
}
