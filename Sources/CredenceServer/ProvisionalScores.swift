import CredenceCore
import CredenceEngine

/// Provisional scores ("as of now") from the live state, computed on the engine's queue.
///
/// Not cached: one score is a few microseconds of work plus a hop to the engine queue, which
/// the load test shows is not the bottleneck (see the README's load-test section); a cache
/// would also have to learn of every commit, including those of a Kafka consumer.
struct ProvisionalScores: Sendable {
    let service: EngineService
    let model: Scorecard

    func score(userID: String, asOf: Instant) async throws -> SnapshotEntry? {
        let model = self.model
        return try await service.run { engine in
            engine.scoring.provisional(userID: userID, asOf: asOf, model: model)?.0
        }
    }
}
