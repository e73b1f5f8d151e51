import CredenceCore
import CredenceEngine
import Foundation
import Hummingbird
import Logging

extension CredenceAPI {
    /// `POST /v1/events`: an NDJSON batch, answered once it is durable in the log.
    func intake(_ request: Request, _ context: CredenceRequestContext) async throws -> Response {
        try access.authorize(request, .write)
        guard configuration.intakeEnabled else {
            throw ServerError(
                .intakeDisabled, "HTTP intake is off in this deployment: events come in through Kafka")
        }
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > configuration.maxBodyBytes {
            throw ServerError(
                .payloadTooLarge,
                "the body has \(length) bytes, more than the limit of \(configuration.maxBodyBytes): send smaller batches"
            )
        }
        var request = request
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: configuration.maxBodyBytes)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw ServerError(
                .payloadTooLarge,
                "the body is larger than the limit of \(configuration.maxBodyBytes) bytes: send smaller batches")
        }
        guard body.readableBytes > 0 else {
            throw ServerError(.badRequest, "the body is empty: send NDJSON events, one per line")
        }
        let requestID = RequestID().description
        let source = "http:" + requestID
        let listed = configuration.maxListedRejections
        let started = ContinuousClock.now
        let (outcome, counters, watermark) = try await service.run { engine in
            let outcome = try body.withUnsafeReadableBytes { bytes in
                try engine.submit(ndjson: bytes, source: source, maxListedRejections: listed)
            }
            return (outcome, engine.counters, engine.scoring.watermark)
        }
        let elapsed = ContinuousClock.now - started
        if !outcome.monthsClosed.isEmpty { closed.invalidate() }
        metrics.record(counters: counters, watermark: watermark)
        report(outcome, requestID: requestID, seconds: elapsed.seconds)
        return JSONResponse.ok(Self.json(outcome, listed: listed))
    }

    /// One log line per dead letter and per closed month; close metrics.
    func report(_ outcome: BatchOutcome, requestID: String, seconds: Double) {
        for r in outcome.rejections {
            logger.info(
                "dead-lettered",
                metadata: [
                    "source": "http:\(requestID)", "line": "\(r.line)", "reason": "\(r.reason)",
                ])
        }
        if outcome.rejected > outcome.rejections.count {
            logger.info(
                "dead-lettered more lines",
                metadata: ["source": "http:\(requestID)", "count": "\(outcome.rejected - outcome.rejections.count)"])
        }
        guard !outcome.monthsClosed.isEmpty else { return }
        let summaries = (try? store.months(modelVersion: modelVersion)) ?? []
        for month in outcome.monthsClosed {
            let users = summaries.first(where: { $0.month == month })?.userCount ?? 0
            metrics.recordClose(month: month, users: users, seconds: seconds)
            logger.notice(
                "month closed",
                metadata: ["month": "\(month)", "users": "\(users)", "model_version": "\(modelVersion)"])
        }
    }

    static func json(_ o: BatchOutcome, listed: Int) -> String {
        var out = "{\"accepted\":\(o.accepted),\"duplicates\":\(o.duplicates),\"rejected\":\(o.rejected)"
        out += ",\"erased\":\(o.erased),\"rejections\":["
        for (i, r) in o.rejections.enumerated() {
            if i > 0 { out += "," }
            out += "{\"line\":\(r.line),\"reason\":" + JSONText.string(r.reason) + ",\"message\":"
            out += JSONText.string(r.message) + "}"
        }
        out += "],\"rejections_truncated\":\(o.rejected > o.rejections.count)}"
        return out
    }
}

extension Duration {
    var seconds: Double {
        let c = components
        return Double(c.seconds) + Double(c.attoseconds) / 1e18
    }
}
