import CredenceCore
import CredenceEngine
import CredenceTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

@testable import CredenceServer

/// `?model=` serves a shadow model's snapshots (`--shadow-model`); eligibility stays the live model's.
@Suite struct ShadowModelRouteTests {
    static let shadow = try! Scorecard.load(
        json: Array(
            Scorecard.defaultModelJSON.replacingOccurrences(of: "\"default-1\"", with: "\"shadow-1\"")
                .replacingOccurrences(of: "\"base_points\": 300", with: "\"base_points\": 280").utf8))

    func withShadowAPI(_ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let dir = TempDir()
        var c = World.engineConfiguration(dir)
        c.shadowModels = [Self.shadow]
        let service = try EngineService(c)
        try service.runSync { engine in
            for (i, line) in World.events.enumerated() {
                try engine.submit(Array(line.utf8), at: SourcePosition(source: "test", position: UInt64(i + 1)))
            }
            try engine.commit()
        }
        defer { try? service.runSync { try $0.close() } }
        let app = try buildApplication(
            configuration: World.serverConfiguration(), service: service, logger: Logger(label: "t"))
        try await app.test(.router, body)
    }

    @Test func snapshotsAndHistoriesOfAShadowModel() async throws {
        try await withShadowAPI { client in
            let list = try await client.get("/v1/snapshots?model=shadow-1")
            #expect(list.json["model_version"] as? String == "shadow-1")
            #expect(
                (list.json["months"] as? [[String: Any]])?.map { $0["month"] as? String } == ["2025-01", "2025-02"])
            let live = try await client.get("/v1/snapshots/2025-02/export")
            let shadow = try await client.get("/v1/snapshots/2025-02/export?model=shadow-1")
            #expect(shadow.status == .ok)
            let liveLines = live.text.split(separator: "\n")
            let shadowLines = shadow.text.split(separator: "\n")
            #expect(liveLines.count == shadowLines.count && !liveLines.isEmpty)
            for (a, b) in zip(liveLines, shadowLines) {
                // Same user and features, another model: 20 points less here (base 280), unless clamped.
                #expect(b.contains("\"model_version\":\"shadow-1\""))
                #expect(a.split(separator: ",").first == b.split(separator: ",").first)
            }
            let month = try await client.get("/v1/snapshots/2025-02?model=shadow-1")
            #expect(month.json["model_version"] as? String == "shadow-1")
            let history = try await client.get("/v1/users/alice/scores?model=shadow-1")
            #expect(history.json["model_version"] as? String == "shadow-1")
            let liveHistory = try await client.get("/v1/users/alice/scores")
            let a = (liveHistory.json["scores"] as? [[String: Any]])?.map { $0["score"] as! Int } ?? []
            let b = (history.json["scores"] as? [[String: Any]])?.map { $0["score"] as! Int } ?? []
            #expect(a.count == b.count && !a.isEmpty)
            #expect(zip(a, b).allSatisfy { $0 - 20 == $1 || $1 == 300 })
            let unknown = try await client.get("/v1/snapshots/2025-02?model=nope")
            #expect(unknown.status == .notFound)
            let eligibility = try await client.get("/v1/users/alice/eligibility")
            #expect(eligibility.json["model_version"] as? String == "default-1")
            // The console's compare page puts the shadow beside the live model.
            let compare = try await client.get("/console/compare")
            #expect(compare.status == .ok)
            #expect(compare.text.contains("Shadow model shadow-1 beside the live model"))
            #expect(compare.text.components(separatedBy: "data-series=\"shadow-1\"").count - 1 == 2 * 11)
            #expect(compare.text.contains("id=\"shadow-shadow-1-2025-02\""))
        }
    }
}
