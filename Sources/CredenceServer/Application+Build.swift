public import CredenceCluster
public import CredenceEngine
public import Hummingbird
public import Logging
public import ServiceLifecycle

/// One route of the API, in the OpenAPI document's path syntax (`/v1/users/{user_id}/score`).
public struct APIRoute: Sendable, Hashable, CustomStringConvertible {
    public var method: String
    public var path: String
    public var description: String { "\(method) \(path)" }
}

/// Builds the HTTP application: routes, access control, error mapping and metrics.
///
/// `credence serve` and `credence run` call it, and so do the tests, which run it through
/// HummingbirdTesting without sockets.
///
/// ```swift
/// let service = try EngineService(engineConfiguration)
/// let app = try buildApplication(configuration: serverConfiguration, service: service, logger: logger)
/// try await app.runService()
/// ```
///
/// - Parameters:
///   - metrics: where metrics go and what `/metrics` renders. Default: a private registry.
///   - readiness: what `/readyz` waits for. Default: ready.
///   - services: more services to run beside the server (a Kafka consumer, a publisher).
///   - cluster: this instance's place in a cluster: user routes are answered by the owner of
///     the user's partition, exports merged from every owner. Default: `nil`, alone.
///   - onServerRunning: called with the bound port once the server listens (useful with port 0).
public func buildApplication(
    configuration: ServerConfiguration,
    service: EngineService,
    logger: Logger,
    metrics: ServerMetrics = ServerMetrics(),
    readiness: Readiness = .ready,
    services: [any Service] = [],
    cluster: ClusterNode? = nil,
    onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
) throws -> some ApplicationProtocol {
    try configuration.validate()
    let api = CredenceAPI(
        configuration: configuration, service: service, metrics: metrics, readiness: readiness, logger: logger,
        cluster: cluster)
    let (router, _) = buildRouter(api)
    return Application(
        router: router,
        configuration: ApplicationConfiguration(
            address: .hostname(configuration.host, port: configuration.port), serverName: "credence"),
        services: services,
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? configuration.port) },
        logger: logger
    )
}

/// A handler of the API, bound to its shared state when the router is built.
typealias APIHandler = @Sendable (CredenceAPI) -> @Sendable (Request, CredenceRequestContext) async throws -> Response

/// Every route of the API, in the OpenAPI document's path syntax.
let apiRoutes: [(route: APIRoute, handler: APIHandler)] = [
    (APIRoute(method: "GET", path: "/healthz"), CredenceAPI.healthz),
    (APIRoute(method: "GET", path: "/readyz"), CredenceAPI.readyz),
    (APIRoute(method: "GET", path: "/metrics"), CredenceAPI.metricsText),
    (APIRoute(method: "GET", path: "/v1/users/{user_id}/score"), CredenceAPI.routed(CredenceAPI.score)),
    (APIRoute(method: "GET", path: "/v1/users/{user_id}/scores"), CredenceAPI.routed(CredenceAPI.scores)),
    (APIRoute(method: "GET", path: "/v1/users/{user_id}/eligibility"), CredenceAPI.routed(CredenceAPI.eligibility)),
    (APIRoute(method: "GET", path: "/v1/snapshots"), CredenceAPI.snapshots),
    (APIRoute(method: "GET", path: "/v1/snapshots/{month}"), CredenceAPI.snapshot),
    (APIRoute(method: "GET", path: "/v1/snapshots/{month}/export"), CredenceAPI.clusterExport),
    (APIRoute(method: "POST", path: "/v1/events"), CredenceAPI.intake),
    (APIRoute(method: "GET", path: "/console"), CredenceAPI.console),
    (APIRoute(method: "GET", path: "/console/months/{month}"), CredenceAPI.consoleMonth),
    (APIRoute(method: "GET", path: "/console/users"), CredenceAPI.consoleUserSearch),
    (APIRoute(method: "GET", path: "/console/users/{user_id}"), CredenceAPI.consoleUser),
    (APIRoute(method: "GET", path: "/console/compare"), CredenceAPI.consoleCompare),
]

/// The router and the routes it was given (the OpenAPI agreement test reads them).
func buildRouter(_ api: CredenceAPI) -> (Router<CredenceRequestContext>, [APIRoute]) {
    let router = Router(context: CredenceRequestContext.self)
    let routes = apiRoutes.map(\.route)
    router.add(middleware: MetricsMiddleware(metrics: api.metrics))
    router.add(middleware: ErrorMiddleware(routes: routes))
    router.add(middleware: BodyLimitMiddleware(maxBodyBytes: api.configuration.maxBodyBytes))
    for (route, handler) in apiRoutes {
        // OpenAPI's `{name}` is Hummingbird's `:name`.
        let routerPath = route.path.split(separator: "/", omittingEmptySubsequences: false).map { part in
            part.hasPrefix("{") && part.hasSuffix("}") ? ":" + part.dropFirst().dropLast() : String(part)
        }.joined(separator: "/")
        // Bound once: binding per request copied the API's state into a new closure each time.
        let respond = handler(api)
        router.on(RouterPath(routerPath), method: HTTPRequest.Method(route.method)!) { request, context in
            try await respond(request, context)
        }
    }
    return (router, routes)
}

extension APIRoute {
    /// Whether `path` (a request path) matches this route's pattern, whatever the method.
    func matches(path: Substring) -> Bool {
        let pattern = self.path.split(separator: "/", omittingEmptySubsequences: false)
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        guard pattern.count == parts.count else { return false }
        for (p, s) in zip(pattern, parts) {
            if p.hasPrefix("{") { if s.isEmpty { return false } } else if p != s { return false }
        }
        return true
    }
}

/// Sets the context's body limit from the configuration.
struct BodyLimitMiddleware: RouterMiddleware {
    typealias Context = CredenceRequestContext
    let maxBodyBytes: Int

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        var context = context
        context.maxUploadSize = maxBodyBytes
        return try await next(request, context)
    }
}
