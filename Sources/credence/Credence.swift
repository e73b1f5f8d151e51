import ArgumentParser

@main
struct Credence: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "credence",
        abstract: "A streaming credit scorer: event log, incremental features, monthly score snapshots.",
        discussion: """
            Start with `credence demo`: it generates a population, runs it through the whole
            pipeline in a temporary data directory and shows the scores.
            """,
        subcommands: [
            DemoCommand.self, IngestCommand.self, LogCommand.self, SnapshotCommand.self, ScoreCommand.self,
            ReplayCommand.self, GenerateCommand.self, BenchCommand.self, ServeCommand.self, RunCommand.self,
            ProduceCommand.self, ModelCommand.self,
        ]
    )
}
