import CredenceCluster
import CredenceEngine
import CredenceKafka
import CredenceServer
import ServiceLifecycle

/// Feeds what the consumer and the engine know into the metrics every `interval`: consumer lag
/// per partition, delivered score changes, the engine's counters and watermark.
struct MetricsSampler: ServiceLifecycle.Service {
    let engine: EngineService
    let ingest: KafkaIngest
    let metrics: ServerMetrics
    var cluster: ClusterNode? = nil
    var interval: Duration = .seconds(1)

    func run() async throws {
        try await cancelWhenGracefulShutdown {
            var published = 0
            while !Task.isCancelled {
                published = try await sample(publishedBefore: published)
                try? await Task.sleep(for: interval)
            }
        }
    }

    /// Records one sample; returns the delivered count it has accounted for.
    func sample(publishedBefore: Int) async throws -> Int {
        let stats = ingest.currentStats
        for (partition, lag) in stats.lag {
            let parts = partition.split(separator: "/")
            metrics.recordConsumerLag(topic: String(parts.first ?? ""), partition: Int(parts.last ?? "") ?? 0, lag: lag)
        }
        let published = ingest.published
        if published > publishedBefore {
            metrics.recordPublish(outcome: "delivered", count: published - publishedBefore)
        }
        let (counters, watermark) = try await engine.run { ($0.counters, $0.effectiveWatermark) }
        metrics.record(counters: counters, watermark: watermark)
        if let cluster { metrics.recordCluster(cluster) }
        return max(published, publishedBefore)
    }
}
