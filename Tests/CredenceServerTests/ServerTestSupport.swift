import CredenceCore
import CredenceEngine
import CredenceTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore

@testable import CredenceServer

typealias TempDir = TemporaryDirectory

/// The small world of `SmallWorld`, with what the server tests need around it.
enum World {
    static let events = SmallWorld.events

    /// 2025-03-25T00:00:00+08:00: what "now" is for provisional scores in these tests.
    static let now = Instant(millisecondsSinceEpoch: 1_742_832_000_000)

    static func engineConfiguration(_ dir: TempDir) -> EngineConfiguration {
        var c = EngineConfiguration()
        c.dataDirectory = dir.path + "/data"
        c.log.durability = .none
        return c
    }

    /// An engine service over a fresh data directory holding the world.
    static func service(_ dir: TempDir) throws -> EngineService {
        let service = try EngineService(engineConfiguration(dir))
        try service.runSync { engine in
            for (i, line) in events.enumerated() {
                try engine.submit(Array(line.utf8), at: SourcePosition(source: "test", position: UInt64(i + 1)))
            }
            try engine.commit()
        }
        return service
    }

    static func serverConfiguration(intake: Bool = true) -> ServerConfiguration {
        var c = ServerConfiguration()
        c.access = .init(readTokens: [Tokens.read], writeTokens: [Tokens.write])
        c.intakeEnabled = intake
        c.provisionalAsOf = now
        c.maxBodyBytes = 64 << 10
        return c
    }
}

/// Runs `body` against the API over the router (no sockets).
func withAPI<T: Sendable>(
    configuration: ServerConfiguration = World.serverConfiguration(), readiness: Readiness = .ready,
    metrics: ServerMetrics = ServerMetrics(),
    _ body: @Sendable (any TestClientProtocol) async throws -> T
) async throws -> T {
    let dir = TempDir()
    let service = try World.service(dir)
    defer { try? service.runSync { try $0.close() } }
    var logger = Logger(label: "test")
    logger.logLevel = .warning
    let app = try buildApplication(
        configuration: configuration, service: service, logger: logger, metrics: metrics, readiness: readiness)
    return try await app.test(.router, body)
}

extension TestClientProtocol {
    /// A GET with a bearer token (or none).
    func get(_ uri: String, token: String? = Tokens.read) async throws -> TestResponse {
        var headers = HTTPFields()
        if let token { headers[.authorization] = "Bearer " + token }
        return try await execute(uri: uri, method: .get, headers: headers)
    }

    func post(_ uri: String, body: String, token: String? = Tokens.write) async throws -> TestResponse {
        var headers = HTTPFields()
        if let token { headers[.authorization] = "Bearer " + token }
        headers[.contentType] = "application/x-ndjson"
        return try await execute(uri: uri, method: .post, headers: headers, body: ByteBuffer(string: body))
    }
}

extension TestResponse {
    var text: String { String(buffer: body) }

    /// The body as a JSON object.
    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
    }

    /// `error.code` of an error body.
    var errorCode: String? { (json["error"] as? [String: Any])?["code"] as? String }
    var errorMessage: String? { (json["error"] as? [String: Any])?["message"] as? String }
}
