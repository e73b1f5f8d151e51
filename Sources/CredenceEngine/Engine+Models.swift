public import CredenceCore

/// Shadow models and promotions.
///
/// A shadow model is scored at every month close beside the live one, from the same users and
/// features, and stored under its own model version: `snapshot export --model-version V`,
/// `?model=V` on the HTTP API. It never produces `score.changed` and never decides
/// eligibility. Features do not depend on the model, so a shadow's snapshot is byte for byte
/// what an engine with that model as its live model writes from the same log. A shadow added
/// later is filled in for every closed month the next time the engine opens: replay closes the
/// months again and the store takes what it lacks.
///
/// A promotion is a log record holding the model's JSON: from the next month close on, that
/// model is the live one (its snapshots, its `score.changed`, its eligibility). Replay meets
/// the record at the same point, so it reproduces the switch.
extension Engine {
    /// The configured shadow models other than the live one.
    public var shadowModels: [Scorecard] {
        let live = model.modelVersion
        return configuration.shadowModels.filter { $0.modelVersion != live }
    }

    /// Each shadow model's snapshot of the same month: the live snapshot's users and features, rescored.
    func shadowSnapshots(of live: Snapshot) -> [Snapshot] {
        shadowModels.map { shadow in
            Snapshot(
                month: live.month, modelVersion: shadow.modelVersion,
                entries: live.entries.map { e in
                    let r = shadow.score(e.features)
                    return SnapshotEntry(userID: e.userID, score: r.score, reasons: r.reasons, features: e.features)
                })
        }
    }

    /// Makes `json` (a scorecard model) the live model from the next month close on, recorded in
    /// the log. Months closed already keep their snapshots.
    ///
    /// - Returns: the promoted model.
    @discardableResult
    public func promote(json: [UInt8]) throws(EngineError) -> Scorecard {
        let candidate = try Self.promotedModel(json)
        guard candidate.modelVersion != model.modelVersion else {
            throw EngineError(.input, "model \(candidate.modelVersion) is the live model already")
        }
        try commit()
        try appendControl(.promotion(modelJSON: json))
        try commitBatch()
        return candidate
    }

    static func promotedModel(_ json: [UInt8]) throws(EngineError) -> Scorecard {
        do {
            return try Scorecard.load(json: json)
        } catch {
            throw EngineError(.input, "the promoted model is not valid: \(error)")
        }
    }
}
