import CredenceCore
import CredenceEngine

/// Provisional scores ("as of now") from the live state: computed on the handler's own thread
/// beside other readers while the engine's queue is idle (``EngineService/read(_:)``), after it
/// otherwise.
///
/// Not cached: one score is a few microseconds of features over the user's packed history,
/// and it changes with `asOf` to the millisecond (days past due, the twelve months' window);
/// a cache would also have to learn of every commit, including those of a Kafka consumer.
struct ProvisionalScores: Sendable {
    let service: EngineService
    /// The model in a box: a request's closure captures one reference, not a copy of the
    /// model's fields.
    private let model: Model

    private final class Model: Sendable {
        let scorecard: Scorecard
        init(_ scorecard: Scorecard) { self.scorecard = scorecard }
    }

    init(service: EngineService, model: Scorecard) {
        self.service = service
        self.model = Model(model)
    }

    func score(userID: String, asOf: Instant) async throws -> SnapshotEntry? {
        let model = self.model
        return try await service.read { engine in
            engine.scoring.provisional(userID: userID, asOf: asOf, model: model.scorecard)?.0
        }
    }
}
