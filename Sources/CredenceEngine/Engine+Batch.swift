public import CredenceCore

/// What one NDJSON batch (an HTTP intake request) did, line by line.
public struct BatchOutcome: Sendable, Hashable {
    /// One rejected line.
    public struct Rejection: Sendable, Hashable {
        /// The line number, from 1 (blank lines count).
        public var line: UInt64
        public var reason: String
        public var message: String
    }

    public var accepted = 0
    public var duplicates = 0
    public var rejected = 0
    /// Accepted at or before the user's erasure cut: kept as a tombstone only.
    public var erased = 0
    /// The first rejected lines, up to the limit given to ``Engine/submit(ndjson:source:maxListedRejections:)``.
    public var rejections: [Rejection] = []
    /// Months the batch closed, ascending.
    public var monthsClosed: [Month] = []

    public init() {}
}

extension Engine {
    /// Submits an NDJSON batch exactly as `ingest` reads a file (blank lines skipped, lines
    /// longer than the event limit dead-lettered as `too_large`, the same validation, dead
    /// letters and duplicate check), then commits: when this returns, the batch is durable.
    ///
    /// Unlike a file, a batch is not the end of the input: months close only as the
    /// watermark passes them.
    ///
    /// - Parameters:
    ///   - ndjson: the batch, lines separated by `\n`.
    ///   - source: where dead letters say a line came from (`http:<request-id>`, line numbers
    ///     from 1). The log records every HTTP line under the one source `http`, numbered on from
    ///     the last one, so the log keeps a single source name however many requests come.
    ///   - maxListedRejections: how many rejections to list one by one (all are counted).
    public func submit(ndjson: UnsafeRawBufferPointer, source: String, maxListedRejections: Int = 1000)
        throws(EngineError) -> BatchOutcome
    {
        var outcome = BatchOutcome()
        let logSource = "http"
        let base = lastPosition(of: logSource) ?? 0
        let closedBefore = Set(scoringState.closedMonths)
        let limit = configuration.decoder.maxEventBytes
        var number: UInt64 = 0
        var start = 0
        let count = ndjson.count
        while start < count {
            var end = start
            while end < count, ndjson[end] != 10 { end += 1 }
            number += 1
            let line = UnsafeRawBufferPointer(rebasing: ndjson[start..<end])
            start = end + 1
            if line.isBlankLine { continue }
            let position = SourcePosition(source: logSource, position: base + number)
            let letter = SourcePosition(source: source, position: number)
            let result: SubmitOutcome
            if line.count > limit {
                counters.received += 1
                let kept = UnsafeRawBufferPointer(rebasing: line[0..<limit])
                let message =
                    "line \(number) is longer than \(limit) bytes (the dead letter holds its first \(limit) bytes)"
                deadLetter(kept, letter, reason: "too_large", message: message)
                result = .rejected(reason: "too_large", message: message)
            } else {
                result = try submit(line, at: position, deadLetterAs: letter)
            }
            switch result {
            case .accepted: outcome.accepted += 1
            case .duplicate: outcome.duplicates += 1
            case .erased: outcome.erased += 1
            case .rejected(let reason, let message):
                outcome.rejected += 1
                if outcome.rejections.count < maxListedRejections {
                    outcome.rejections.append(.init(line: number, reason: reason, message: message))
                }
            }
        }
        try commit()
        outcome.monthsClosed = scoringState.closedMonths.filter { !closedBefore.contains($0) }
        return outcome
    }
}
