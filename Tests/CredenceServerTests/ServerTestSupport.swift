import CredenceCore
import CredenceEngine
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore

@testable import CredenceServer

enum Paths {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let openAPI = packageRoot.appendingPathComponent("Schemas/openapi.yaml").path

    /// The CLI: `CREDENCE_BIN`, else `.build/debug/credence` (what `scripts/test` builds).
    static var credenceBinary: String {
        if let bin = ProcessInfo.processInfo.environment["CREDENCE_BIN"], !bin.isEmpty {
            return bin.hasPrefix("/") ? bin : packageRoot.appendingPathComponent(bin).path
        }
        return packageRoot.appendingPathComponent(".build/debug/credence").path
    }
}

/// A temporary directory removed when the value goes away.
final class TempDir: Sendable {
    let path: String

    init(_ name: String = "credence-server-test") {
        path = NSTemporaryDirectory() + "\(name)-\(UUID().uuidString)"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

enum Tokens {
    static let read = "read-token-0001"
    static let write = "write-token-0001"
    static let unknown = "not-a-token-0001"
}

/// A small world with known answers:
///
/// - `alice`: enrolled 2025-01-05, three approved payments, an obligation paid on time; scored
///   in 2025-01 and 2025-02 (both closed).
/// - `carol`: enrolled 2025-01-10 with a large overdue obligation: a low score, not eligible
///   for everything.
/// - `bob`: enrolled 2025-01-07, scored in the closed months, then a withdrawal (2025-02-10)
///   arrives last: erased everywhere.
/// - `dave`: enrolled 2025-03-02, after the last closed month: a provisional score only.
///
/// Months 2025-01 and 2025-02 are closed (a late-March event moved the watermark past
/// end(2025-02) + 48 h); 2025-03 is open.
enum World {
    static let events: [String] = [
        #"{"event_id":"a1","type":"user.enrolled","user_id":"alice","occurred_at":"2025-01-05T10:00:00+08:00","identity_verified":true}"#,
        #"{"event_id":"a2","type":"credit_limit.set","user_id":"alice","occurred_at":"2025-01-05T10:00:01+08:00","limit_minor":500000}"#,
        #"{"event_id":"a3","type":"payment","user_id":"alice","occurred_at":"2025-01-06T12:00:00+08:00","payment_id":"p1","amount_minor":12000,"currency":"CNY","merchant_category":"food","outcome":"approved"}"#,
        #"{"event_id":"a4","type":"payment","user_id":"alice","occurred_at":"2025-01-16T12:00:00+08:00","payment_id":"p2","amount_minor":8000,"currency":"CNY","merchant_category":"food","outcome":"approved"}"#,
        #"{"event_id":"a5","type":"obligation.opened","user_id":"alice","occurred_at":"2025-01-08T09:00:00+08:00","obligation_id":"o1","service":"rental","amount_minor":30000,"due_at":"2025-01-20T00:00:00+08:00"}"#,
        #"{"event_id":"a6","type":"repayment","user_id":"alice","occurred_at":"2025-01-18T09:00:00+08:00","obligation_id":"o1","amount_minor":30000}"#,
        #"{"event_id":"b1","type":"user.enrolled","user_id":"bob","occurred_at":"2025-01-07T10:00:00+08:00","identity_verified":true}"#,
        #"{"event_id":"b2","type":"payment","user_id":"bob","occurred_at":"2025-01-09T12:00:00+08:00","payment_id":"p1","amount_minor":1000,"currency":"CNY","merchant_category":"food","outcome":"approved"}"#,
        #"{"event_id":"c1","type":"user.enrolled","user_id":"carol","occurred_at":"2025-01-10T10:00:00+08:00","identity_verified":false}"#,
        #"{"event_id":"c2","type":"obligation.opened","user_id":"carol","occurred_at":"2025-01-11T09:00:00+08:00","obligation_id":"o1","service":"pay_later","amount_minor":900000,"due_at":"2025-01-12T00:00:00+08:00"}"#,
        #"{"event_id":"a7","type":"payment","user_id":"alice","occurred_at":"2025-02-03T12:00:00+08:00","payment_id":"p3","amount_minor":5000,"currency":"CNY","merchant_category":"travel","outcome":"approved"}"#,
        #"{"event_id":"d1","type":"user.enrolled","user_id":"dave","occurred_at":"2025-03-02T10:00:00+08:00","identity_verified":true}"#,
        #"{"event_id":"z1","type":"payment","user_id":"alice","occurred_at":"2025-03-20T12:00:00+08:00","payment_id":"p4","amount_minor":1000,"currency":"CNY","merchant_category":"food","outcome":"approved"}"#,
        // Arrives after the months closed: erases bob from the stored snapshots.
        #"{"event_id":"b3","type":"user.withdrawn","user_id":"bob","occurred_at":"2025-02-10T10:00:00+08:00"}"#,
    ]

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
