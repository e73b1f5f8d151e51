import CredenceCore

/// One message of a ``MessageBatch``, read in place: its bytes stay valid as long as the batch.
public struct RawMessage {
    /// The event's bytes (a Kafka message value).
    public var value: UnsafeRawBufferPointer
    /// The message key, if any: it must equal `user_id`.
    public var key: UnsafeRawBufferPointer?
    /// The source it came from, as an index into the names given with the batch.
    public var source: Int
    /// Its position in that source (a Kafka offset).
    public var position: UInt64

    public init(value: UnsafeRawBufferPointer, key: UnsafeRawBufferPointer?, source: Int, position: UInt64) {
        self.value = value
        self.key = key
        self.source = source
        self.position = position
    }
}

/// Messages received together (one Kafka poll), for ``Engine/submit(_:sources:)``.
///
/// The bytes ``message(at:)`` points to must stay valid and unchanged while the batch is alive:
/// the engine reads them on two threads.
public protocol MessageBatch: Sendable {
    var count: Int { get }
    func message(at index: Int) -> RawMessage
}

extension Engine {
    /// Submits `messages` in order, exactly as ``submit(_:at:key:deadLetterAs:)`` one at a time
    /// would (the same checks, log records, state, counters and dead letters), with each source
    /// looked up once per batch instead of per message and, when `configuration.parallelDecode`
    /// is on, decoding on another thread a chunk ahead of the checks (``MessageDecodeStage``).
    /// Nothing is durable until ``commit()``.
    ///
    /// - Parameter sources: the source names the messages refer to by index (`kafka:payments/3`).
    /// - Returns: what happened to each message, in order.
    public func submit(_ messages: some MessageBatch, sources: [String]) throws(EngineError) -> [SubmitOutcome] {
        var submission = MessageSubmission(sources: sources, count: messages.count)
        if !configuration.parallelDecode || messages.count <= MessageDecodeStage.messagesPerChunk {
            for i in 0..<messages.count {
                let m = messages.message(at: i)
                try submission.submit(m, decoder.decode(m.value, keyBytes: m.key), prepared: nil, to: self)
            }
            return submission.outcomes
        }
        let stage = MessageDecodeStage.start(messages, decoder: decoder, salt: saltKey)
        defer { stage.stop() }
        var i = 0
        while let chunk = stage.next() {
            // Read in place: copying each `Decoded` out (its event's strings retained and
            // released) showed in the profile. As with a file's lines, what a message's submit
            // reads is asked for a few messages ahead (``forEachLookingAhead(_:prepared:_:)``).
            try chunk.decoded.withUnsafeBufferPointer { (decoded) throws(EngineError) in
                try chunk.plaintexts.withUnsafeBufferPointer { (plaintexts) throws(EngineError) in
                    try forEachLookingAhead(decoded, prepared: { decoded[$0].prepared }) {
                        (j, knownSlot) throws(EngineError) in
                        try submission.submit(
                            messages.message(at: i), decoded[j].result,
                            prepared: decoded[j].prepared?.prepared(in: UnsafeRawBufferPointer(plaintexts)), to: self,
                            knownSlot: knownSlot)
                        i += 1
                    }
                }
            }
        }
        return submission.outcomes
    }
}

/// What ``Engine/submit(_:sources:)`` keeps while it goes through a batch: the outcomes so far and
/// the id of each source that has one.
struct MessageSubmission {
    let sources: [String]
    /// A source's id once the log has it (looked up once, or learnt from its first accepted event).
    var ids: [UInt64?]
    var outcomes: [Engine.SubmitOutcome] = []

    init(sources: [String], count: Int) {
        self.sources = sources
        ids = Array(repeating: nil, count: sources.count)
        outcomes.reserveCapacity(count)
    }

    mutating func submit(
        _ m: RawMessage, _ result: DecodeResult, prepared: PreparedEvent?, to engine: Engine, knownSlot: Int? = nil
    ) throws(EngineError) {
        let name = sources[m.source]
        if ids[m.source] == nil { ids[m.source] = engine.sources.lookup(name) }
        // A new source gets its id (and its record in the log) at its first accepted event, as
        // one message at a time would give it.
        outcomes.append(
            try engine.submit(
                decoded: result, prepared: prepared, raw: m.value,
                at: SourcePosition(source: name, position: m.position),
                knownSourceID: ids[m.source], knownSlot: knownSlot))
    }
}
