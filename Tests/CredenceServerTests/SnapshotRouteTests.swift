import CredenceCore
import CredenceEngine
import CredenceTestSupport
import HummingbirdTesting
import Testing

@testable import CredenceServer

@Suite struct SnapshotRouteTests {
    @Test func listClosedMonthsWithUserCounts() async throws {
        try await withAPI { client in
            let r = try await client.get("/v1/snapshots")
            #expect(r.status == .ok)
            #expect(r.json["model_version"] as? String == "default-1")
            let months = try #require(r.json["months"] as? [[String: Any]])
            #expect(months.map { $0["month"] as? String } == ["2025-01", "2025-02"])
            // alice and carol (bob was erased).
            #expect(months.map { $0["user_count"] as? Int } == [2, 2])
            #expect(months.allSatisfy { ($0["closed_at"] as? String)?.hasSuffix("Z") == true })
        }
    }

    @Test func aMonthWithItsDistribution() async throws {
        try await withAPI { client in
            let r = try await client.get("/v1/snapshots/2025-02")
            #expect(r.status == .ok)
            #expect(r.json["month"] as? String == "2025-02")
            #expect(r.json["user_count"] as? Int == 2)
            let d = try #require(r.json["distribution"] as? [String: Any])
            #expect(d["count"] as? Int == 2)
            let buckets = try #require(d["buckets"] as? [[String: Any]])
            #expect(buckets.count == 11)
            #expect(buckets.reduce(0) { $0 + ($1["count"] as? Int ?? 0) } == 2)
            let p = try #require(d["percentiles"] as? [String: Any])
            let min = try #require(d["min"] as? Int)
            let max = try #require(d["max"] as? Int)
            let p50 = try #require(p["p50"] as? Int)
            #expect(min <= p50 && p50 <= max)
        }
    }

    @Test func theExportStreamsTheStoredLines() async throws {
        let dir = TempDir()
        let service = try World.service(dir)
        defer { try? service.runSync { try $0.close() } }
        let expected = try service.runSync { engine in
            try CredenceExport.bytes(store: engine.store, month: Month("2025-01")!, modelVersion: "default-1")
        }
        let app = try buildApplication(
            configuration: World.serverConfiguration(), service: service, logger: .init(label: "t"))
        try await app.test(.router) { client in
            let r = try await client.get("/v1/snapshots/2025-01/export")
            #expect(r.status == .ok)
            #expect(r.headers[.contentType] == "application/x-ndjson")
            #expect(Array(r.text.utf8) == expected)
            #expect(r.text.split(separator: "\n").count == 2)
        }
    }

    @Test func aLargeExportStreamsInChunks() async throws {
        // 3,000 users: several 64 KiB chunks through the bounded window.
        let dir = TempDir()
        let service = try EngineService(World.engineConfiguration(dir))
        defer { try? service.runSync { try $0.close() } }
        try service.runSync { engine in
            for i in 0..<3000 {
                let line =
                    #"{"event_id":"e\#(i)","type":"user.enrolled","user_id":"user-\#(i)","occurred_at":"2025-01-05T10:00:00+08:00","identity_verified":true}"#
                try engine.submit(Array(line.utf8), at: SourcePosition(source: "t", position: UInt64(i)))
            }
            let last =
                #"{"event_id":"last","type":"user.enrolled","user_id":"zed","occurred_at":"2025-02-05T10:00:00+08:00","identity_verified":true}"#
            try engine.submit(Array(last.utf8), at: SourcePosition(source: "t", position: 9999))
            try engine.endOfInput()
        }
        let expected = try service.runSync { engine in
            try CredenceExport.bytes(store: engine.store, month: Month("2025-01")!, modelVersion: "default-1")
        }
        #expect(expected.count > 3 * ExportStream.chunkBytes)
        let app = try buildApplication(
            configuration: World.serverConfiguration(), service: service, logger: .init(label: "t"))
        try await app.test(.router) { client in
            let r = try await client.get("/v1/snapshots/2025-01/export")
            #expect(r.status == .ok)
            #expect(Array(r.text.utf8) == expected)
        }
    }
}
