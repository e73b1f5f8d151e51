/// Scores a sequence of accepted events entirely in memory, the way the engine does (months
/// close as the watermark passes them; an erasure removes the user from every closed month),
/// and keeps every closed month's entries.
///
/// It is the reference the engine is checked against, and what the features benchmark runs.
public struct InMemoryScorer: Sendable {
    public var state: ScoringState
    public var model: Scorecard
    public private(set) var snapshots: [Month: [SnapshotEntry]] = [:]
    private var history: [String: [Event]] = [:]
    private var seen: Set<String> = []

    public init(configuration: ScoringConfiguration = ScoringConfiguration(), model: Scorecard = .default) {
        state = ScoringState(configuration: configuration)
        self.model = model
    }

    /// Applies one event in arrival order; a repeated event id is ignored.
    public mutating func feed(_ event: Event) {
        guard seen.insert(event.eventID).inserted else { return }
        if let cut = state.erasureCut(of: event.userID), event.occurredAt <= cut {
            state.observe(event.occurredAt)
        } else {
            history[event.userID, default: []].append(event)
            if case .rebuildRequired(let cut) = state.accept(event) {
                let survivors = history[event.userID, default: []].filter { $0.occurredAt > cut }
                history[event.userID] = survivors
                _ = state.rebuild(userID: event.userID, erasureCut: cut, survivors: survivors)
                for m in snapshots.keys { snapshots[m]!.removeAll { $0.userID == event.userID } }
            }
        }
        for m in state.monthsReadyToClose(watermark: state.watermark) { close(m) }
    }

    /// The end of the input: closes every month whose end is at or before the largest event time.
    public mutating func finish() {
        for m in state.monthsToCloseAtEndOfInput() { close(m) }
    }

    private mutating func close(_ m: Month) {
        snapshots[m] = state.close(m, model: model).snapshot.entries
    }

    /// The export of a closed month.
    public func export(_ m: Month) -> String {
        Snapshot(month: m, modelVersion: model.modelVersion, entries: snapshots[m] ?? []).export()
    }
}
