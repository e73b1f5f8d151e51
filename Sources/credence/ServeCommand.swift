import ArgumentParser
import CredenceCore
import CredenceEngine
import CredenceServer
import CredenceServices
import Foundation
import Logging
import Metrics

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract:
            "Serve the HTTP API over a data directory, taking events over HTTP (the embedded deployment: no Kafka).",
        discussion: """
            Tokens come from the environment: CREDENCE_READ_TOKENS and CREDENCE_WRITE_TOKENS, each a
            comma-separated list. Read tokens see scores, eligibility and snapshots; write tokens post
            events to POST /v1/events. /healthz, /readyz and /metrics need no token. The web console
            is at /console (open /console?token=READ_TOKEN once; a cookie keeps the token).

            Prints `listening on http://HOST:PORT` once the socket is bound (useful with --port 0).
            Stops gracefully on SIGINT or SIGTERM.
            """
    )

    @OptionGroup var data: DataOptions

    @Option(name: .long, help: "The address to bind.") var host: String = "127.0.0.1"
    @Option(name: .long, help: "The TCP port; 0 picks a free one.") var port: Int = 8080
    @Option(name: .long, help: "The largest POST /v1/events body, in bytes.") var maxBodyBytes: Int = 16 << 20
    @Option(name: .long, help: "trace, debug, info, notice, warning, error or critical.") var logLevel: String = "info"
    @Flag(name: .long, help: "Turn HTTP intake off (read-only API).") var noIntake = false
    @Option(name: .long, help: "A `credence model backtest --json` report for the console's compare page.")
    var backtestReport: String?

    func run() async throws {
        guard let level = Logger.Level(rawValue: logLevel) else {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical")
        }
        var configuration = ServerConfiguration()
        configuration.host = host
        configuration.port = port
        configuration.maxBodyBytes = maxBodyBytes
        configuration.intakeEnabled = !noIntake
        configuration.logLevel = level
        configuration.backtestReportPath = backtestReport
        configuration.apply(environment: ProcessInfo.processInfo.environment)
        do {
            try configuration.validate()
        } catch {
            throw CLIError(error.message)
        }

        // Only the executable bootstraps logging and metrics.
        LoggingSystem.bootstrap { label in DeferredMetadataLogHandler(label: label, level: level) }
        let metrics = ServerMetrics()
        MetricsSystem.bootstrap(metrics.factory)
        var logger = Logger(label: "credence")
        logger.logLevel = level

        let engineConfiguration = try data.engineConfiguration()
        logger.notice("starting", metadata: ["data_dir": "\(engineConfiguration.dataDirectory)", "mode": "serve"])
        let engine = try await EngineService.open(engineConfiguration)
        let restored = try await engine.run { engine in
            (engine.lastReplay, engine.scoring.closedMonths, engine.recoveryNotes, engine.counters)
        }
        for note in restored.2 { logger.warning("log recovery", metadata: ["note": "\(note)"]) }
        logger.notice(
            "restored",
            metadata: [
                "records": "\(restored.0.records)", "events": "\(restored.0.events)",
                "seconds": "\(String(format: "%.2f", restored.0.seconds))",
                "closed_months": "\(restored.1.count)",
                "last_closed": "\(restored.1.last.map(String.init(describing:)) ?? "none")",
            ])
        metrics.record(counters: restored.3, watermark: nil)

        let host = configuration.host
        let deployment = try Deployment.serve(
            engine: engine, server: configuration, metrics: metrics, signals: .terminate, logger: logger,
            onServerRunning: { port in
                FileHandle.standardOutput.write(Data("listening on http://\(host):\(port)\n".utf8))
            })
        try await deployment.run()
        logger.notice("stopped")
    }
}
