import CredenceCore
import Foundation

/// Feeds events in arrival order through `ScoringState` the way the engine does, with the
/// user's history kept in memory for erasures, and collects every month's export.
struct InMemoryRun {
    var state: ScoringState
    var model: Scorecard = .default
    var exports: [Month: [SnapshotEntry]] = [:]
    var history: [String: [Event]] = [:]
    var seen: Set<String> = []

    init(configuration: ScoringConfiguration = ScoringConfiguration()) {
        state = ScoringState(configuration: configuration)
    }

    mutating func feed(_ event: Event) {
        guard seen.insert(event.eventID).inserted else { return }
        if let cut = state.erasureCut(of: event.userID), event.occurredAt <= cut {
            state.observe(event.occurredAt)
        } else {
            history[event.userID, default: []].append(event)
            if case .rebuildRequired(let cut) = state.accept(event) {
                let survivors = history[event.userID, default: []].filter { $0.occurredAt > cut }
                history[event.userID] = survivors
                _ = state.rebuild(userID: event.userID, erasureCut: cut, survivors: survivors)
                for m in exports.keys { exports[m]!.removeAll { $0.userID == event.userID } }
            }
        }
        for m in state.monthsReadyToClose(watermark: state.watermark) { close(m) }
    }

    mutating func finish() {
        for m in state.monthsToCloseAtEndOfInput() { close(m) }
    }

    mutating func close(_ m: Month) {
        exports[m] = state.close(m, model: model).snapshot.entries
    }

    func export(_ m: Month) -> String {
        Snapshot(month: m, modelVersion: model.modelVersion, entries: exports[m] ?? []).export()
    }
}

enum SpecFiles {
    /// `../shared/spec` beside the repository.
    static let spec = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/spec")

    static func text(_ relative: String) throws -> String {
        try String(contentsOf: spec.appendingPathComponent(relative), encoding: .utf8)
    }

    static var exampleLines: [String] {
        get throws { try text("examples/events.ndjson").split(separator: "\n", omittingEmptySubsequences: false).map(String.init) }
    }
}
