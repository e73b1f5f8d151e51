import CredenceCluster
import CredenceCore

extension CredenceAPI {
    /// `/readyz`'s `cluster` object: this instance, the global watermark and every partition's
    /// owner, lag and idleness as the control topic says.
    ///
    ///     {"instance":"http://127.0.0.1:8081","partitioner":"consistent_random","partition_count":6,
    ///      "global_watermark":"2025-06-29T16:00:00Z","owned":[0,3],
    ///      "partitions":[{"partition":0,"owner":"http://127.0.0.1:8081","lag":0,"idle":true,
    ///                     "restating":false,"max_event_time":"..."}, ...]}
    func clusterJSON(_ cluster: ClusterNode) -> String {
        let view = cluster.view
        let owned = cluster.owned
        let count = cluster.partitionCount
        func time(_ ms: Int64?) -> String {
            guard let ms else { return "null" }
            return "\"" + RFC3339.format(Instant(millisecondsSinceEpoch: ms), offsetMinutes: 0, zulu: true) + "\""
        }
        var out = "{\"instance\":" + JSONText.string(cluster.advertise)
        out += ",\"partitioner\":" + JSONText.string(cluster.configuration.partitioner.name)
        out += ",\"partition_count\":\(count),\"global_watermark\":" + time(cluster.globalWatermark)
        out += ",\"owned\":[" + owned.keys.sorted().map(String.init).joined(separator: ",") + "],\"partitions\":["
        for p in 0..<Int32(count) {
            if p > 0 { out += "," }
            out += "{\"partition\":\(p),\"owner\":"
            if let mine = owned[p] {
                out += JSONText.string(cluster.advertise) + ",\"lag\":" + (mine.lag.map(String.init) ?? "null")
                out += ",\"idle\":\(mine.idle),\"restating\":\(mine.restating),\"max_event_time\":"
                out += time(mine.maxEventTimeMilliseconds)
            } else if let r = view.owner(of: p) {
                out += JSONText.string(r.owner) + ",\"lag\":" + (r.lag.map(String.init) ?? "null")
                out += ",\"idle\":\(r.idle),\"restating\":\(r.restating),\"max_event_time\":"
                out += time(r.maxEventTimeMilliseconds)
            } else {
                out += "null,\"lag\":null,\"idle\":false,\"restating\":false,\"max_event_time\":null"
            }
            out += "}"
        }
        out += "]}"
        return out
    }
}
