import CredenceTestSupport
import Foundation
import Testing

@testable import CredenceServer

/// The router's routes and `Schemas/openapi.yaml` agree: same paths, same methods.
@Suite struct OpenAPIAgreementTests {
    /// `METHOD /path` for every operation under `paths:` (a line-oriented read of the document's
    /// fixed layout: paths indented 2 spaces, methods 4).
    static func documentedRoutes() throws -> Set<String> {
        let text = try String(contentsOfFile: Repository.openAPI, encoding: .utf8)
        var routes = Set<String>()
        var inPaths = false
        var path: String?
        let methods: Set<String> = ["get", "put", "post", "delete", "patch", "head", "options", "trace"]
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if !line.hasPrefix(" ") && !line.isEmpty {
                inPaths = line == "paths:"
                continue
            }
            guard inPaths else { continue }
            if line.hasPrefix("  /"), line.hasSuffix(":"), !line.hasPrefix("   ") {
                path = String(line.dropFirst(2).dropLast())
            } else if line.hasPrefix("    "), !line.hasPrefix("     "), line.hasSuffix(":"), let p = path {
                let name = String(line.dropFirst(4).dropLast())
                if methods.contains(name) { routes.insert(name.uppercased() + " " + p) }
            }
        }
        return routes
    }

    @Test func routesAndDocumentAgree() async throws {
        let documented = try Self.documentedRoutes()
        #expect(documented.count >= 10)
        let dir = TempDir()
        let service = try World.service(dir)
        defer { try? service.runSync { try $0.close() } }
        let api = CredenceAPI(
            configuration: World.serverConfiguration(), service: service, metrics: ServerMetrics(),
            readiness: .ready, logger: .init(label: "t"))
        let (_, routes) = buildRouter(api)
        let served = Set(routes.map(\.description))
        #expect(
            served == documented,
            "served only: \(served.subtracting(documented)); documented only: \(documented.subtracting(served))")
    }

    @Test func everyDocumentedPathParameterIsCapturedByTheRouter() throws {
        for route in try Self.documentedRoutes() {
            let path = route.split(separator: " ")[1]
            let served = apiRoutes.first { $0.route.description == route }
            #expect(served != nil, "\(route)")
            #expect(served?.route.matches(path: path) == true)
        }
    }
}
