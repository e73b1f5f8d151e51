import CredenceCore
import Dispatch
import Hummingbird
import Logging
import SnapshotStore
import Synchronization

extension CredenceAPI {
    /// `GET /v1/snapshots`
    func snapshots(_ request: Request, _ context: CredenceRequestContext) async throws -> Response {
        try access.authorize(request, .read)
        let version = try requestedModel(request)
        let months = version == modelVersion ? try closed.refresh() : try store.months(modelVersion: version)
        var out = "{\"model_version\":" + JSONText.string(version) + ",\"months\":["
        for (i, m) in months.enumerated() {
            if i > 0 { out += "," }
            appendSummary(m, to: &out)
            out += "}"
        }
        out += "]}"
        return JSONResponse.ok(out)
    }

    /// `GET /v1/snapshots/{month}`
    func snapshot(_ request: Request, _ context: CredenceRequestContext) async throws -> Response {
        try access.authorize(request, .read)
        let month = try Self.parseMonth(Self.percentDecoded(context.parameters.get("month") ?? "")?[...] ?? "")
        let version = try requestedModel(request)
        let summary = try closedMonth(month, modelVersion: version)
        let d = try store.distribution(month: month, modelVersion: version)
        var out = ""
        appendSummary(summary, to: &out)
        func number(_ v: Int64?) -> String { v.map(String.init) ?? "null" }
        out += ",\"distribution\":{\"count\":\(d.count),\"min\":\(number(d.min)),\"max\":\(number(d.max))"
        out += ",\"percentiles\":{\"p10\":\(number(d.p10)),\"p25\":\(number(d.p25)),\"p50\":\(number(d.p50))"
        out += ",\"p75\":\(number(d.p75)),\"p90\":\(number(d.p90))},\"buckets\":["
        for (i, b) in d.buckets.enumerated() {
            if i > 0 { out += "," }
            out += "{\"lower\":\(b.lower),\"upper\":\(b.upper),\"count\":\(b.count)}"
        }
        out += "],\"below_range\":\(d.belowRange),\"above_range\":\(d.aboveRange)}}"
        return JSONResponse.ok(out)
    }

    /// `GET /v1/snapshots/{month}/export`: the month's NDJSON export, streamed.
    func export(_ request: Request, _ context: CredenceRequestContext) async throws -> Response {
        try access.authorize(request, .read)
        let month = try Self.parseMonth(Self.percentDecoded(context.parameters.get("month") ?? "")?[...] ?? "")
        let version = try requestedModel(request)
        _ = try closedMonth(month, modelVersion: version)
        var headers = HTTPFields()
        headers[.contentType] = "application/x-ndjson"
        return Response(
            status: .ok, headers: headers,
            body: ExportStream.body(store: store, month: month, modelVersion: version, logger: context.logger))
    }

    /// `{"month":...,"closed_at":...` without the closing brace.
    func appendSummary(_ m: MonthSummary, to out: inout String) {
        out += "{\"month\":\"\(m.month)\",\"model_version\":" + JSONText.string(m.modelVersion)
        out += ",\"revision\":\(m.latestRevision),\"user_count\":\(m.userCount)"
        out += ",\"closed_at\":\"" + RFC3339.format(m.closedAt, offsetMinutes: 0, zulu: true) + "\""
    }
}

/// Streams an export from the store's blocking cursor to the response, a chunk at a time.
///
/// The cursor runs on a dispatch thread (GRDB reads block), at most `window` chunks ahead of
/// the socket, so a slow client holds a few chunks in memory rather than the whole month; a
/// client that goes away stops the cursor.
enum ExportStream {
    static let chunkBytes = 64 << 10
    static let window = 4

    /// Set when the response stops early; the producer checks it per line.
    final class Stop: Sendable {
        let flag = Atomic<Bool>(false)
    }

    static func body(store: SnapshotStore, month: Month, modelVersion: String, logger: Logger) -> ResponseBody {
        ResponseBody { writer in
            let (stream, continuation) = AsyncThrowingStream<ByteBuffer, any Error>.makeStream()
            let gate = DispatchSemaphore(value: window)
            let stop = Stop()
            DispatchQueue.global().async {
                var chunk = ByteBuffer()
                chunk.reserveCapacity(chunkBytes + 4096)
                do {
                    try store.exportBytes(month: month, modelVersion: modelVersion) { lines in
                        if stop.flag.load(ordering: .relaxed) { throw CancellationError() }
                        chunk.writeBytes(lines)
                        if chunk.readableBytes >= chunkBytes {
                            gate.wait()
                            continuation.yield(chunk)
                            chunk = ByteBuffer()
                            chunk.reserveCapacity(chunkBytes + 4096)
                        }
                    }
                    if chunk.readableBytes > 0 {
                        gate.wait()
                        continuation.yield(chunk)
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            do {
                for try await buffer in stream {
                    try await writer.write(buffer)
                    gate.signal()
                }
            } catch {
                stop.flag.store(true, ordering: .relaxed)
                for _ in 0..<window { gate.signal() }
                if !(error is CancellationError) {
                    logger.warning("export stopped", metadata: ["month": "\(month)", "error": "\(error)"])
                }
                throw error
            }
            try await writer.finish(nil)
        }
    }
}
