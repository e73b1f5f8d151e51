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
        for name in sources.allNames where name.hasPrefix(prefix) {
            if let position = lastPosition(of: name) { out[name] = position }
        }
        return out
    }

    /// The largest event time recorded from source `name`.
    public func maxSeen(source name: String) -> Instant? {
        sources.maxSeen(of: name)
    }

    /// The watermark months close on: with ``watermarkSources`` set and not empty, the smallest
    /// of those sources' largest event times, minus the allowed lateness (a source with nothing
    /// yet holds it back: its first events may be old); otherwise the single-input watermark.
    /// Month closes are log records, so a replay closes them at the same points whatever the
    /// watermark was.
    public var effectiveWatermark: Instant? {
        guard let names = watermarkSources, !names.isEmpty else { return scoringState.watermark }
        // Asked after every event: the names are looked up once (again when a source is named
        // while one of them had none), then only their times.
        switch watermarkSourceIDs {
        case .ids: break
        case .unknownSource(let generation) where generation == sources.generation: break
        default:
            var ids: [Int] = []
            for name in names {
                guard let id = sources.lookup(name) else {
                    ids = []
                    break
                }
                ids.append(Int(id))
            }
            watermarkSourceIDs = ids.count == names.count ? .ids(ids) : .unknownSource(generation: sources.generation)
        }
        guard case .ids(let ids) = watermarkSourceIDs else { return nil }
        var low = Int64.max
        for i in ids {
            guard let seen = sources.maxSeen(id: i) else { return nil }
            low = min(low, seen)
        }
        return Instant(millisecondsSinceEpoch: low).adding(
            milliseconds: -configuration.scoring.allowedLatenessMilliseconds)
    }

    /// ``watermarkSources`` resolved to source ids.
    enum WatermarkSourceIDs {
        case unresolved
        /// A source had no id yet (nothing from it is in the log) when the sources numbered
        /// `generation`: it holds the watermark back until a new source is named.
        case unknownSource(generation: Int)
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
        let months = scoringState.monthsReadyToClose(watermark: watermark)
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
        sources.note(header.position, at: header.occurredAt, of: header.sourceID)
    }
}
