import CredenceCore

/// Where the engine's memory goes, part by part, for `credence bench` and operators.
public struct EngineMemory: Sendable, Hashable {
    /// Users' packed states, ids and last closed scores (`ScoringState`).
    public var users = 0
    /// The duplicate window's ids (`IntakeIndex`).
    public var duplicateWindow = 0
    /// The obligation keys opened (`IntakeIndex`).
    public var obligationKeys = 0
    /// Each user's current subject number, by slot.
    public var subjects = 0
    /// Each live subject's record LSNs, for erasure (`RecordLists`).
    public var recordLists = 0
    /// The subjects' keys (`KeyStore`).
    public var keys = 0

    public init() {}

    public var total: Int { users + duplicateWindow + obligationKeys + subjects + recordLists + keys }

    /// The parts and their bytes, largest first.
    public var parts: [(name: String, bytes: Int)] {
        [
            ("user states, ids, last scores", users), ("duplicate window", duplicateWindow),
            ("obligation keys", obligationKeys), ("subjects by user", subjects),
            ("record lists (erasure)", recordLists), ("subject keys", keys),
        ].sorted { $0.1 > $1.1 }
    }
}

extension Engine {
    /// The engine's state by part, in approximate bytes counted from the containers' capacities
    /// (not measured: resident memory also holds the allocator's free space and the snapshot
    /// store's caches).
    public var memory: EngineMemory {
        settleShards()
        var m = EngineMemory()
        m.users = scoringState.approximateUserBytes
        m.duplicateWindow = intake.events.slotBytes
        m.obligationKeys = intake.obligations.slotBytes
        m.subjects = subjectSlots.approximateBytes
        m.recordLists = subjectRecords.approximateBytes
        m.keys = keys.approximateBytes
        return m
    }
}
