import CredenceCore
import EventLog
import Foundation
import Shredding
import Synchronization

/// Reads the event log, checks each frame, decodes each record and decrypts each event on a
/// thread of its own, while the engine applies what came before: the stateless half of a replay
/// on the second core. Records arrive in log order, in chunks. The reader rebuilds the intake
/// indexes too (``ReplayIndexes``): they depend on the records alone.
///
/// The stage decrypts with a snapshot of the key store taken when the replay starts. A replay
/// only ever destroys keys (a crash between an erasure's commit and its key's destruction), never
/// creates them, and every record of a destroyed subject precedes the erasure that destroys it,
/// so the snapshot opens exactly what the live key store would have opened at each record.
struct ReplayStage {
    /// One log record, decoded.
    enum Item: Sendable {
        /// An event record: the event, or `nil` when its subject's key is destroyed.
        case event(lsn: UInt64, header: EngineRecord.EventHeader, event: Event?)
        /// Any other record; for an erasure, the user id it names (`nil`: its key is destroyed too).
        case record(lsn: UInt64, record: EngineRecord, userID: String?)
    }

    enum Output: Sendable {
        case items([Item])
        /// The log could not be read or a record is damaged: nothing after it is trusted.
        case failure(EngineError)
        /// The end of the log: the intake indexes the reader rebuilt.
        case indexes(ReplayIndexes)
    }

    /// Hands the indexes to the stage's thread without a second reference to their tables, which
    /// would make the first change copy them whole.
    private final class Parcel: Sendable {
        let content: Mutex<ReplayIndexes?>
        init(_ indexes: consuming ReplayIndexes) { content = Mutex(indexes) }
        func take() -> ReplayIndexes { content.withLock { $0.take()! } }
    }

    let handoff: Handoff<Output>

    /// Starts reading `directory` from `start` on a new thread, which also rebuilds `indexes`
    /// (``ReplayIndexes``) and hands them back after the last record.
    static func start(
        directory: String, configuration: EventLogConfiguration, watermark: CommitWatermark, from start: UInt64,
        keys: KeySnapshot, indexes: consuming ReplayIndexes, itemsPerChunk: Int = 4_096, depth: Int = 4
    ) -> ReplayStage {
        let handoff = Handoff<Output>(capacity: depth)
        let parcel = Parcel(indexes)
        let thread = Thread {
            read(
                directory: directory, configuration: configuration, watermark: watermark, from: start, keys: keys,
                indexes: parcel.take(), itemsPerChunk: itemsPerChunk
            ) { handoff.put($0) }
            handoff.finish()
        }
        thread.name = "credence-replay"
        thread.start()
        return ReplayStage(handoff: handoff)
    }

    /// Reads and decodes the log from `start`, handing chunks to `emit` until it returns `false`,
    /// and rebuilds `indexes` from its records; they are the last output, unless a failure is.
    static func read(
        directory: String, configuration: EventLogConfiguration, watermark: CommitWatermark, from start: UInt64,
        keys: KeySnapshot, indexes: consuming ReplayIndexes, itemsPerChunk: Int, emit: (Output) -> Bool
    ) {
        var indexes = indexes
        var chunk: [Item] = []
        chunk.reserveCapacity(itemsPerChunk)
        var scratch: [UInt8] = []
        var failure: EngineError? = nil
        var stopped = false
        do {
            let reader = try EventLogReader(directory: directory, configuration: configuration, watermark: watermark)
            try reader.forEach(from: start) { lsn, payload in
                if failure != nil || stopped { return }
                do {
                    if let (h, sealed) = try EngineRecord.decodeEvent(payload) {
                        let key = keys.key(for: SubjectID(h.subject))
                        let event = try Engine.unseal(sealed, key: key, lsn: lsn, scratch: &scratch)
                        indexes.note(h, lsn: lsn, hasKey: key != nil)
                        chunk.append(.event(lsn: lsn, header: h, event: event))
                    } else {
                        let record = try EngineRecord.decode(payload)
                        var user: String? = nil
                        switch record {
                        case .erasure(let m):
                            user = try Engine.unsealUserID(
                                m.sealedUserID, key: keys.key(for: SubjectID(m.newSubject)), lsn: lsn)
                        case .tombstone(let h):
                            indexes.note(
                                h, lsn: lsn, hasKey: h.subject != 0 && keys.key(for: SubjectID(h.subject)) != nil)
                        case .source(let id, let name):
                            indexes.noteSource(id: id, name: name, lsn: lsn)
                        case .commit(let first):
                            indexes.commit(first: first)
                        default:
                            break
                        }
                        chunk.append(.record(lsn: lsn, record: record, userID: user))
                    }
                } catch let e as EngineError {
                    failure = e
                    return
                } catch {
                    failure = EngineError(
                        .corruptLog,
                        "record \(lsn) of the event log is not an engine record (\(error)); "
                            + "run `credence log verify` and restore the data directory from a backup")
                    return
                }
                if chunk.count >= itemsPerChunk {
                    stopped = !emit(.items(chunk))
                    chunk.removeAll(keepingCapacity: true)
                }
            }
        } catch {
            failure = EngineError(.io, "cannot read the event log: \(error)")
        }
        if stopped { return }
        if !chunk.isEmpty, !emit(.items(chunk)) { return }
        if let failure {
            _ = emit(.failure(failure))
        } else {
            _ = emit(.indexes(indexes))
        }
    }
}
