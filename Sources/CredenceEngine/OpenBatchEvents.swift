import CredenceCore

/// The event records of the open batch, as logged: each one's header and plaintext (its
/// ``EventCodec`` bytes), the users' events and the copies an erasure re-keyed alike, in LSN
/// order. An erasure reads here its user's records that are not committed yet (the committed ones
/// it reads from the log), so a second withdrawal in the batch finds the first one's copies too.
///
/// Plain bytes, no `Event` kept per record: the engine kept a copy of each step of the batch
/// (its strings retained, then released at the commit) for an erasure that seldom comes, 3.4% of
/// its thread's samples in the r30k ingest. Noting the bytes here costs about as much (a header
/// and a plaintext copied per record), but one list now serves the events and the copies alike.
/// A plaintext is decoded only when an erasure asks.
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
        let failure = plaintexts.withUnsafeBytes { raw -> (any Error)? in
            for (i, h) in headers.enumerated() where h.subject == subject && h.occurredAt > cut {
                let start = i == 0 ? 0 : ends[i - 1]
                do {
                    out.append((h, try EventCodec.decode(UnsafeRawBufferPointer(rebasing: raw[start..<ends[i]]))))
                } catch {
                    return error
                }
            }
            return nil
        }
        if let failure {
            // The engine encoded these bytes itself: a failure is a bug, not bad input.
            throw EngineError(
                .corruptLog,
                "an event of the open batch does not decode again (\(failure)): a bug in credence, not in the "
                    + "input; the batch is not committed, so restart and report it")
        }
        return out
    }
}
