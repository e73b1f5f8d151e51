import CredenceCluster
import CredenceCore
import CredenceEngine
import CredenceTestSupport
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

@testable import CredenceServer

/// The API of one cluster member, over the router: what it does when it owns a partition, when
/// the owner is elsewhere and does not answer, and when a part of a merged export is missing.
@Suite struct ClusterRouteTests {
    static let me = "http://127.0.0.1:18999"
    /// Nothing listens on the discard port: a peer that does not answer.
    static let gone = "http://127.0.0.1:9"

    static func node(partitions: Int, owned: [Int32], others: [Int32: String] = [:]) -> ClusterNode {
        var c = ClusterConfiguration(advertise: me)
        c.peerTimeout = .seconds(2)
        let node = ClusterNode(c, member: "test")
        node.setPartitionCount(partitions)
        var mine: [Int32: ClusterNode.OwnedPartition] = [:]
        for p in owned { mine[p] = .init(lag: 0, restating: false, maxEventTimeMilliseconds: 0) }
        node.setOwned(mine)
        for (p, url) in others {
            node.apply(
                PartitionRecord(
                    topic: "payments", partition: p, partitionCount: partitions, owner: url, member: "other",
                    maxEventTimeMilliseconds: 0, idle: true, lag: 0, restating: false, atMilliseconds: 0))
        }
        return node
    }

    func withCluster<T: Sendable>(
        _ node: ClusterNode, _ body: @Sendable (any TestClientProtocol, [UInt8]) async throws -> T
    ) async throws -> T {
        let dir = TempDir()
        let service = try World.service(dir)
        defer { try? service.runSync { try $0.close() } }
        let whole = try service.runSync { engine in
            try CredenceExport.bytes(store: engine.store, month: Month("2025-01")!, modelVersion: "default-1")
        }
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let app = try buildApplication(
            configuration: World.serverConfiguration(), service: service, logger: logger, cluster: node)
        return try await app.test(.router) { try await body($0, whole) }
    }

    @Test func anInstanceOwningEveryPartitionExportsTheWholeMonth() async throws {
        try await withCluster(Self.node(partitions: 3, owned: [0, 1, 2])) { client, whole in
            let r = try await client.get("/v1/snapshots/2025-01/export")
            #expect(r.status == .ok)
            #expect(Array(r.text.utf8) == whole)
        }
    }

    @Test func theExportIsRefusedWhileAPartitionHasNoOwner() async throws {
        try await withCluster(Self.node(partitions: 3, owned: [0, 2])) { client, _ in
            let r = try await client.get("/v1/snapshots/2025-01/export")
            #expect(r.status == .serviceUnavailable)
            #expect(r.text.contains("cluster_part_missing") && r.text.contains("partition 1 has no owner"), "\(r.text)")
        }
    }

    @Test func theExportIsRefusedWhileAnOwnerDoesNotAnswer() async throws {
        try await withCluster(Self.node(partitions: 2, owned: [0], others: [1: Self.gone])) { client, _ in
            let r = try await client.get("/v1/snapshots/2025-01/export")
            #expect(r.status == .serviceUnavailable)
            #expect(r.text.contains("cluster_part_missing") && r.text.contains(Self.gone), "\(r.text)")
        }
    }

    @Test func aPartThisInstanceDoesNotOwnIsRefused() async throws {
        try await withCluster(Self.node(partitions: 2, owned: [0])) { client, whole in
            let r = try await client.get("/v1/snapshots/2025-01/export?partitions=1")
            #expect(r.status == .serviceUnavailable)
            #expect(r.text.contains("does not own partitions 1"), "\(r.text)")
            let mine = try await client.get("/v1/snapshots/2025-01/export?partitions=0")
            #expect(mine.status == .ok)
            let expected = try ExportLines.filter(
                whole, partitions: [0], partitionCount: 2, partitioner: .consistentRandom)
            #expect(Array(mine.text.utf8) == expected)
            #expect(try await client.get("/v1/snapshots/2025-01/export?partitions=x").status == .badRequest)
        }
    }

    @Test func aUserOfAnOwnedPartitionIsAnsweredHereAndSaysSo() async throws {
        try await withCluster(Self.node(partitions: 1, owned: [0])) { client, _ in
            let r = try await client.get("/v1/users/alice/score")
            #expect(r.status == .ok)
            #expect(r.headers[ClusterHeader.instance] == Self.me)
            #expect(r.headers[ClusterHeader.partition] == "0")
            #expect(r.headers[ClusterHeader.stale] == nil)
        }
    }

    /// The owner is down: what this instance holds, marked stale; never a false 404.
    @Test func whenTheOwnerDoesNotAnswerTheAnswerIsMarkedOrA503() async throws {
        try await withCluster(Self.node(partitions: 1, owned: [], others: [0: Self.gone])) { client, _ in
            let r = try await client.get("/v1/users/alice/score")
            #expect(r.status == .ok)
            #expect(r.headers[ClusterHeader.stale] == "owner-unreachable")
            let unknown = try await client.get("/v1/users/nobody/score")
            #expect(unknown.status == .serviceUnavailable)
            #expect(unknown.text.contains("owner_unavailable"))
            #expect(unknown.headers[.retryAfter] == "5")
            // Bad input is still a 400 and a missing token a 401, before any forwarding.
            #expect(try await client.get("/v1/users/bad%20id/score").status == .badRequest)
            #expect(try await client.get("/v1/users/alice/score", token: nil).status == .unauthorized)
        }
    }

    @Test func readyzShowsEveryPartitionsOwnerAndWaitsForAllToBeClaimed() async throws {
        try await withCluster(Self.node(partitions: 3, owned: [0], others: [2: Self.gone])) { client, _ in
            let r = try await client.get("/readyz", token: nil)
            #expect(r.status == .serviceUnavailable)
            #expect(r.text.contains("cluster_partitions_claimed"))
            #expect(r.text.contains("\"owned\":[0]"))
            #expect(r.text.contains("{\"partition\":2,\"owner\":\"\(Self.gone)\""), "\(r.text)")
            #expect(r.text.contains("{\"partition\":1,\"owner\":null"), "\(r.text)")
        }
    }

    @Test func metricsShowOwnershipAndLag() throws {
        let metrics = ServerMetrics()
        metrics.recordCluster(Self.node(partitions: 2, owned: [1], others: [0: Self.gone]))
        let text = String(decoding: metrics.render(), as: UTF8.self)
        #expect(text.contains("credence_cluster_partition_owned{partition=\"1\"} 1"), "\(text)")
        #expect(text.contains("credence_cluster_partition_owned{partition=\"0\"} 0"))
        #expect(text.contains("credence_cluster_partition_lag{partition=\"0\"} 0"))
        #expect(text.contains("credence_cluster_partitions_unclaimed 0"))
    }
}
