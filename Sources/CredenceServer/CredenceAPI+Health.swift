import CredenceCore
import Hummingbird

extension CredenceAPI {
    /// `GET /healthz`: the process answers.
    func healthz(_ request: Request, _ context: CredenceRequestContext) async throws -> Response {
        JSONResponse.ok("{\"status\":\"alive\"}")
    }

    /// `GET /readyz`: 200 once the state is restored (and the consumer assigned, under `run`).
    func readyz(_ request: Request, _ context: CredenceRequestContext) async throws -> Response {
        var missing = readiness.missing
        if let cluster, !cluster.isComplete { missing.append("cluster_partitions_claimed") }
        var out = "{\"status\":\"" + (missing.isEmpty ? "ready" : "not_ready") + "\",\"waiting_for\":"
        JSONText.appendStringArray(missing, to: &out)
        if let cluster { out += ",\"cluster\":" + clusterJSON(cluster) }
        out += "}"
        return JSONResponse.ok(out, status: missing.isEmpty ? .ok : .serviceUnavailable)
    }

    /// `GET /metrics`: Prometheus text, after sampling the engine's counters and the log's size.
    func metricsText(_ request: Request, _ context: CredenceRequestContext) async throws -> Response {
        let (counters, watermark) = try await service.run { engine in (engine.counters, engine.scoring.watermark) }
        metrics.record(counters: counters, watermark: watermark)
        metrics.recordLog(directory: dataDirectory)
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
        let bytes = metrics.render()
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
