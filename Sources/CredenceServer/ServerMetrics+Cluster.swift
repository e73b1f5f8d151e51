import CoreMetrics
public import CredenceCluster

extension ServerMetrics {
    /// The cluster as this instance sees it: which partitions it owns, each partition's lag as
    /// its owner reports it, the global watermark, and partitions nobody has claimed.
    ///
    /// (Prometheus' registry hands back the same gauge for the same name and labels, so making
    /// them per sample costs a lookup, not a new series.)
    public func recordCluster(_ cluster: ClusterNode) {
        let view = cluster.view
        let owned = cluster.owned
        let count = cluster.partitionCount
        var unclaimed = 0
        for p in 0..<Int32(count) {
            let dims = [("partition", String(p))]
            Gauge(label: "credence_cluster_partition_owned", dimensions: dims, factory: factory)
                .record(owned[p] != nil ? 1 : 0)
            let lag = owned[p]?.lag ?? view.owner(of: p)?.lag
            if let lag {
                Gauge(label: "credence_cluster_partition_lag", dimensions: dims, factory: factory).record(lag)
            }
            if owned[p] == nil && view.owner(of: p) == nil { unclaimed += 1 }
        }
        Gauge(label: "credence_cluster_partitions_unclaimed", factory: factory).record(unclaimed)
        if let w = cluster.globalWatermark {
            Gauge(label: "credence_cluster_global_watermark_seconds", factory: factory).record(Double(w) / 1000)
        }
    }
}
