import CredenceCore

/// The event records of the open batch, as logged, when the engine appends them itself (no log
/// writer): each one's header and plaintext (its ``EventCodec`` bytes), the users' events and the
/// copies an erasure re-keyed alike, in LSN order. An erasure reads here its user's records that
/// are not committed yet (the committed ones it reads from the log), so a second withdrawal in the
/// batch finds the first one's copies too. With a log writer, the writer's chunks hold the same
/// records, kept until their batch is durable (``LogWriterStage/eventRecords(of:from:)``), and
/// nothing is copied here.
///
/// Plain bytes, no `Event` kept per record: a plaintext is decoded only when an erasure asks.
struct OpenBatchEvents {
    private var headers: [EngineRecord.EventHeader] = []
    /// Where each record's plaintext ends in ``plaintexts``.
    private var ends: [Int] = []
    private var plaintexts: [UInt8] = []

    var count: Int { headers.count }

    /// Notes a record appended to the log in the open batch.
    mutating func append(_ header: EngineRecord.EventHeader, plaintext: UnsafeRawBufferPointer) {
        headers.append(header)
        plaintexts.append(contentsOf: plaintext)
        ends.append(plaintexts.count)
    }

    /// Forgets every record: the batch has committed.
    mutating func removeAll() {
        headers.removeAll(keepingCapacity: true)
        ends.removeAll(keepingCapacity: true)
        plaintexts.removeAll(keepingCapacity: true)
    }

    /// The records of `subject` that happened after `cut`, in LSN order, their events decoded.
    func records(of subject: UInt64, after cut: Instant) throws(EngineError) -> [(EngineRecord.EventHeader, Event)] {
        var out: [(EngineRecord.EventHeader, Event)] = []
        for (i, h) in headers.enumerated() where h.subject == subject && h.occurredAt > cut {
            let start = i == 0 ? 0 : ends[i - 1]
            out.append((h, try Self.decode(Array(plaintexts[start..<ends[i]]))))
        }
        return out
    }

    /// The event of a plaintext the engine encoded itself, not committed yet.
    static func decode(_ plaintext: [UInt8]) throws(EngineError) -> Event {
        do {
            return try plaintext.withUnsafeBytes { try EventCodec.decode($0) }
        } catch {
            throw notDecodable(error)
        }
    }

    /// A record of the open batch (or of the batch in flight) that does not decode again: the
    /// engine encoded its bytes itself, so a failure is a bug, not bad input.
    static func notDecodable(_ error: any Error) -> EngineError {
        EngineError(
            .corruptLog,
            "an event of the open batch does not decode again (\(error)): a bug in credence, not in the "
                + "input; the batch is not committed, so restart and report it")
    }
}
