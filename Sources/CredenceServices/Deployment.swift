public import CredenceCluster
public import CredenceEngine
public import CredenceKafka
public import CredenceServer
public import Logging
public import ServiceLifecycle
import UnixSignals

/// A deployment of Credence: an open engine and the services that run over it, in one
/// `ServiceGroup`. `credence serve` and `credence run` build one and call ``run()``; tests build
/// the same one, drive it, and shut it down with ``shutDown()``.
///
/// ```swift
/// let engine = try await EngineService.open(engineConfiguration)
/// let deployment = try Deployment.serve(engine: engine, server: serverConfiguration, logger: logger)
/// try await deployment.run()   // until SIGTERM or SIGINT
/// ```
public struct Deployment: Sendable {
    public let engine: EngineService
    public let group: ServiceGroup
    /// The Kafka consumer, in a `run` deployment.
    public let ingest: KafkaIngest?

    /// Runs every service until they end or a shutdown signal arrives, then closes the engine
    /// (its last batch durable, the log closed), also when a service failed.
    public func run() async throws {
        do {
            try await group.run()
        } catch {
            _ = try? await engine.run { try $0.close() }
            throw error
        }
        try await engine.run { try $0.close() }
    }

    /// Starts a graceful shutdown, as SIGTERM does.
    public func shutDown() async {
        await group.triggerGracefulShutdown()
    }
}

/// How signals reach a deployment.
public struct DeploymentSignals: Sendable {
    var signals: [UnixSignal]
    /// SIGTERM and SIGINT shut down gracefully: what the CLI uses.
    public static let terminate = DeploymentSignals(signals: [.sigterm, .sigint])
    /// None: the caller shuts down with ``Deployment/shutDown()`` (tests).
    public static let none = DeploymentSignals(signals: [])
}

extension Deployment {
    /// `credence serve`: the HTTP API (with intake, when configured) over the engine.
    public static func serve(
        engine: EngineService, server: ServerConfiguration, metrics: ServerMetrics = ServerMetrics(),
        signals: DeploymentSignals = .terminate, logger: Logger,
        onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) throws -> Deployment {
        let app = try buildApplication(
            configuration: server, service: engine, logger: logger, metrics: metrics, onServerRunning: onServerRunning)
        let group = ServiceGroup(
            configuration: .init(services: [app], gracefulShutdownSignals: signals.signals, logger: logger))
        return Deployment(engine: engine, group: group, ingest: nil)
    }

    /// `credence run`: the Kafka consumer, the score publisher and, with `server`, the read-only
    /// HTTP API with a sampler that feeds the consumer's figures into its metrics.
    ///
    /// With `cluster`, the instance is one of several in the consumer group acting as one: a
    /// ``ClusterControl`` service shares ownership and progress on the control topic, the API
    /// forwards user routes to their owner and merges exports, and (with the configuration's
    /// global watermark) months close on the cluster's watermark.
    ///
    /// Services shut down in reverse order: the HTTP API and the sampler first, then the consumer
    /// (its batch durable and committed), then the publisher, which sends what is left.
    public static func run(
        engine: EngineService, kafka: KafkaIngestConfiguration, stopWhenIdle: Duration? = nil,
        server: ServerConfiguration? = nil, metrics: ServerMetrics = ServerMetrics(),
        cluster: ClusterNode? = nil,
        signals: DeploymentSignals = .terminate, logger: Logger,
        onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) throws -> Deployment {
        var kafka = kafka
        if let cluster {
            try cluster.configuration.validate()
            guard kafka.consumer.topics == [cluster.configuration.topic] else {
                throw ClusterError(
                    .configuration,
                    "a cluster consumes exactly one topic, \(cluster.configuration.topic); got \(kafka.consumer.topics.joined(separator: ", "))"
                )
            }
            kafka.externalWatermark = cluster.configuration.globalWatermark
        }
        let ingest = try KafkaIngest(engine: engine, configuration: kafka, stopWhenIdle: stopWhenIdle, logger: logger)
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
        if let publisher = ingest.publisher { services.append(.init(service: publisher)) }
        // The consumer ending (idle) ends the deployment gracefully; failing, it ends it at once.
        services.append(.init(service: ingest, successTerminationBehavior: .gracefullyShutdownGroup))
        var api: [ServiceGroupConfiguration.ServiceConfiguration] = []
        if var server {
            server.intakeEnabled = false
            api.append(
                .init(service: MetricsSampler(engine: engine, ingest: ingest, metrics: metrics, cluster: cluster)))
            let app = try buildApplication(
                configuration: server, service: engine, logger: logger, metrics: metrics, cluster: cluster,
                onServerRunning: onServerRunning)
            api.append(.init(service: app))
        }
        if let cluster {
            // A member of a cluster leaves the group before its API stops (services stop in
            // reverse order): until the others own its partitions, requests forwarded to it are
            // still answered.
            let control = ClusterControl(node: cluster, ingest: ingest, engine: engine, logger: logger)
            services.insert(contentsOf: api + [.init(service: control)], at: services.count - 1)
        } else {
            services += api
        }
        var configuration = ServiceGroupConfiguration(services: services, logger: logger)
        configuration.gracefulShutdownSignals = signals.signals
        return Deployment(engine: engine, group: ServiceGroup(configuration: configuration), ingest: ingest)
    }
}
