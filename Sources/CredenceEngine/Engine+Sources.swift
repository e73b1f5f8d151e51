public import CredenceCore

/// Where each input source got to, so a consumer can resume right after what the log already
/// holds, and the watermark over several sources (SCORING.md section 5). Sources are names and
/// positions are numbers here; what they mean for Kafka is CredenceKafka's (`KafkaSources.swift`).
extension Engine {
    /// The highest position recorded in the log (committed at start-up, plus what this run
    /// submitted since) for each source whose name starts with `prefix`, by source name.
    ///
    /// ```swift
    /// engine.highestPositions(prefix: "file:")   // ["file:/data/events.ndjson@2049:131": 4711, ...]
    /// ```
    ///
    /// Only accepted events count: rejected and duplicate messages leave no record.
    public func highestPositions(prefix: String = "") -> [String: UInt64] {
        var out: [String: UInt64] = [:]
        for name in sourceNames.values where name.hasPrefix(prefix) {
            if let position = lastPosition(of: name) { out[name] = position }
        }
        return out
    }

    /// The largest event time recorded from source `name`.
    public func maxSeen(source name: String) -> Instant? {
        guard let id = sourceIDs[name], Int(id) < sourceMaxSeen.count, sourceMaxSeen[Int(id)] != .min else {
            return nil
        }
        return Instant(millisecondsSinceEpoch: sourceMaxSeen[Int(id)])
    }

    /// The watermark months close on: with ``watermarkSources`` set and not empty, the smallest
    /// of those sources' largest event times, minus the allowed lateness (a source with nothing
    /// yet holds it back: its first events may be old); otherwise the single-input watermark.
    /// Month closes are log records, so a replay closes them at the same points whatever the
    /// watermark was.
    public var effectiveWatermark: Instant? {
        guard let sources = watermarkSources, !sources.isEmpty else { return scoring.watermark }
        // Asked after every event: the names are looked up once, then only their times.
        if case .unresolved = watermarkSourceIDs {
            var ids: [Int] = []
            for name in sources {
                guard let id = sourceIDs[name] else {
                    ids = []
                    break
                }
                ids.append(Int(id))
            }
            watermarkSourceIDs = ids.count == sources.count ? .ids(ids) : .unknownSource
        }
        guard case .ids(let ids) = watermarkSourceIDs else { return nil }
        var low = Int64.max
        for i in ids {
            guard i < sourceMaxSeen.count, sourceMaxSeen[i] != .min else { return nil }
            low = min(low, sourceMaxSeen[i])
        }
        return Instant(millisecondsSinceEpoch: low).adding(
            milliseconds: -configuration.scoring.allowedLatenessMilliseconds)
    }

    /// ``watermarkSources`` resolved to source ids.
    enum WatermarkSourceIDs {
        case unresolved
        /// A source has no id yet (nothing from it is in the log): it holds the watermark back.
        case unknownSource
        case ids([Int])
    }

    /// A source that never has events: in ``watermarkSources`` it holds every month close back,
    /// for a cluster that closes months on a watermark computed over all its instances
    /// (``closeMonths(atWatermark:)``).
    public static let externalWatermarkSource = "cluster:watermark"

    /// Closes (durably) the months whose end is at or before `watermark`, a watermark computed
    /// elsewhere (a cluster's, over every partition of the topic). Each close is a log record
    /// like any other, so a replay closes them at the same points.
    public func closeMonths(atWatermark watermark: Instant) throws(EngineError) {
        let months = scoring.monthsReadyToClose(watermark: watermark)
        guard !months.isEmpty else { return }
        for m in months { try appendControl(.monthClose(month: m, modelVersion: model.modelVersion)) }
        try commit()
    }

    /// Closes (durably) the months the current watermark has passed: for when the set of
    /// ``watermarkSources`` changed without a new event (a partition went idle or was revoked).
    public func closeMonthsAtWatermark() throws(EngineError) {
        try closeReadyMonths()
        try commit()
    }

    /// Notes an accepted event's source position and time (live and in replay).
    func recordPosition(_ header: EngineRecord.EventHeader) {
        guard header.sourceID != 0 else { return }
        notePosition(header.position, of: header.sourceID)
        let i = Int(header.sourceID)
        if i >= sourceMaxSeen.count {
            sourceMaxSeen.append(contentsOf: repeatElement(.min, count: i + 1 - sourceMaxSeen.count))
        }
        if header.occurredAt.millisecondsSinceEpoch > sourceMaxSeen[i] {
            sourceMaxSeen[i] = header.occurredAt.millisecondsSinceEpoch
        }
    }
}
