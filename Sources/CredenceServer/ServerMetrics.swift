import CoreMetrics
public import CredenceCore
public import CredenceEngine
import Foundation
import Metrics
public import Prometheus
import Synchronization

/// The service's metrics, recorded through swift-metrics into a Prometheus registry that
/// `GET /metrics` renders.
///
/// The executable makes one, bootstraps `MetricsSystem` with ``factory`` (so metrics of
/// libraries land in the same registry) and hands it to ``buildApplication(configuration:service:logger:metrics:readiness:services:onServerRunning:)``.
/// Tests make their own without touching the global system.
///
/// Engine counters are cumulative inside the engine; ``sample(_:)`` turns their growth since
/// the last sample into counter increments, so Prometheus sees ordinary monotonic counters.
public final class ServerMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    public let factory: PrometheusMetricsFactory

    /// Buckets of the HTTP latency histogram, in seconds: fine below 10 ms, where the API lives.
    public static let latencyBuckets: [Duration] = [
        .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2),
        .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
        .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5), .seconds(10),
    ]

    private struct RouteKey: Hashable {
        var route: String
        var method: String
        var status: Int
    }

    private struct State {
        var routeTimers: [RouteKey: CoreMetrics.Timer] = [:]
        var lastCounters = IngestCounters()
        var rejectedCounters: [String: CoreMetrics.Counter] = [:]
        var lagGauges: [String: CoreMetrics.Gauge] = [:]
        var publishCounters: [String: CoreMetrics.Counter] = [:]
        var snapshotUsers: [String: CoreMetrics.Gauge] = [:]
    }

    private let state = Mutex(State())
    private let accepted: CoreMetrics.Counter
    private let duplicates: CoreMetrics.Counter
    private let late: CoreMetrics.Counter
    private let erasedOnArrival: CoreMetrics.Counter
    private let monthsClosed: CoreMetrics.Counter
    private let watermark: CoreMetrics.Gauge
    private let logBytes: CoreMetrics.Gauge
    private let logSegments: CoreMetrics.Gauge
    private let closeDuration: CoreMetrics.Timer

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets["credence_http_request_duration_seconds"] = Self.latencyBuckets
        factory.durationHistogramBuckets["credence_snapshot_close_duration_seconds"] = [
            .milliseconds(10), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
            .seconds(1), .seconds(2.5), .seconds(5), .seconds(10), .seconds(30), .seconds(60),
        ]
        self.factory = factory
        accepted = CoreMetrics.Counter(label: "credence_events_accepted_total", factory: factory)
        duplicates = CoreMetrics.Counter(label: "credence_events_duplicate_total", factory: factory)
        late = CoreMetrics.Counter(label: "credence_events_late_total", factory: factory)
        erasedOnArrival = CoreMetrics.Counter(label: "credence_events_erased_on_arrival_total", factory: factory)
        monthsClosed = CoreMetrics.Counter(label: "credence_months_closed_total", factory: factory)
        watermark = CoreMetrics.Gauge(label: "credence_watermark_seconds", factory: factory)
        logBytes = CoreMetrics.Gauge(label: "credence_log_bytes", factory: factory)
        logSegments = CoreMetrics.Gauge(label: "credence_log_segments", factory: factory)
        closeDuration = CoreMetrics.Timer(label: "credence_snapshot_close_duration_seconds", factory: factory)
    }

    /// The Prometheus text exposition of every metric.
    public func render() -> [UInt8] {
        var buffer = [UInt8]()
        buffer.reserveCapacity(16 << 10)
        registry.emit(into: &buffer)
        return buffer
    }

    // MARK: - HTTP

    /// Records one request's latency under its route pattern, method and status.
    public func recordRequest(route: String, method: String, status: Int, nanoseconds: Int64) {
        let key = RouteKey(route: route, method: method, status: status)
        let timer = state.withLock { s in
            if let t = s.routeTimers[key] { return t }
            let t = CoreMetrics.Timer(
                label: "credence_http_request_duration_seconds",
                dimensions: [("route", route), ("method", method), ("status", String(status))],
                preferredDisplayUnit: .seconds, factory: factory)
            s.routeTimers[key] = t
            return t
        }
        timer.recordNanoseconds(nanoseconds)
    }

    // MARK: - Engine

    /// Turns the engine's cumulative counters into metric increments.
    public func record(counters c: IngestCounters, watermark w: Instant?) {
        let increments: [(CoreMetrics.Counter, Int)] = state.withLock { s in
            let last = s.lastCounters
            s.lastCounters = c
            var out: [(CoreMetrics.Counter, Int)] = [
                (accepted, c.accepted - last.accepted), (duplicates, c.duplicates - last.duplicates),
                (late, c.late - last.late), (erasedOnArrival, c.erasedOnArrival - last.erasedOnArrival),
                (monthsClosed, c.monthsClosed - last.monthsClosed),
            ]
            for (reason, n) in c.rejected {
                let counter =
                    s.rejectedCounters[reason]
                    ?? CoreMetrics.Counter(
                        label: "credence_events_rejected_total", dimensions: [("reason", reason)], factory: factory)
                s.rejectedCounters[reason] = counter
                out.append((counter, n - (last.rejected[reason] ?? 0)))
            }
            return out
        }
        for (counter, n) in increments where n > 0 { counter.increment(by: n) }
        if let w { watermark.record(Double(w.millisecondsSinceEpoch) / 1000) }
    }

    /// Sizes the event log's segments on disk.
    public func recordLog(directory: String) {
        let dir = directory + "/log"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        var bytes: Int64 = 0
        var segments = 0
        for name in names where name.hasSuffix(".seg") {
            segments += 1
            let attributes = try? FileManager.default.attributesOfItem(atPath: dir + "/" + name)
            bytes += (attributes?[.size] as? NSNumber)?.int64Value ?? 0
        }
        logBytes.record(bytes)
        logSegments.record(segments)
    }

    /// A month was closed: how long the batch that closed it took, and how many users it scored.
    public func recordClose(month: Month, users: Int, seconds: Double) {
        closeDuration.recordNanoseconds(Int64(seconds * 1e9))
        let gauge = state.withLock { s in
            let key = month.description
            if let g = s.snapshotUsers[key] { return g }
            let g = CoreMetrics.Gauge(label: "credence_snapshot_users", dimensions: [("month", key)], factory: factory)
            s.snapshotUsers[key] = g
            return g
        }
        gauge.record(users)
    }

    // MARK: - Kafka side (recorded by `credence run`)

    /// The consumer's lag on one partition, in messages.
    public func recordConsumerLag(topic: String, partition: Int, lag: Int64) {
        let key = "\(topic)/\(partition)"
        let gauge = state.withLock { s in
            if let g = s.lagGauges[key] { return g }
            let g = CoreMetrics.Gauge(
                label: "credence_consumer_lag", dimensions: [("topic", topic), ("partition", String(partition))],
                factory: factory)
            s.lagGauges[key] = g
            return g
        }
        gauge.record(lag)
    }

    /// One publication downstream: `outcome` is `delivered`, `failed`, `retried`...
    public func recordPublish(outcome: String, count: Int = 1) {
        let counter = state.withLock { s in
            if let c = s.publishCounters[outcome] { return c }
            let c = CoreMetrics.Counter(
                label: "credence_publish_total", dimensions: [("outcome", outcome)], factory: factory)
            s.publishCounters[outcome] = c
            return c
        }
        counter.increment(by: count)
    }
}
