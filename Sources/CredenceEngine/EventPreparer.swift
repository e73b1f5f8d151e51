import CredenceCore
import Shredding

/// What the engine's thread needs of an accepted event besides the event, worked out beforehand:
/// the event id's hash (the duplicate check), the user id's hash (the user table's index), the
/// obligation key of an `obligation.opened` (an HMAC under the directory's identifier key) and
/// the event's plaintext for the log (``EventCodec``).
///
/// The decoding stages make these on their own thread (``EventPreparer``), so the engine's
/// thread, the one ingest waits for, does not: each is a pure function of the event and the
/// key, and the engine logs the same records as when it works them out itself (a parallel and
/// a one-thread ingest write the same log; a test holds them to it).
struct PreparedEvent {
    var idHash: StableHash
    /// The ``StableHash`` of the user id (``ScoringState/slot(of:hash:)``).
    var userHash: StableHash
    /// The obligation key, for an `obligation.opened` only.
    var obligationKey: StableHash?
    /// The event's log plaintext, valid for the call it is passed to.
    var plaintext: UnsafeRawBufferPointer
}

/// Prepares accepted events on a decoding stage's thread (``PreparedEvent``), their plaintexts
/// back to back in a buffer the stage hands over with its chunk. One per thread: HMAC's keyed
/// state is not `Sendable`.
struct EventPreparer {
    /// Where one event's prepared parts are: its plaintext as a range of the chunk's buffer.
    struct Parts: Sendable {
        var idHash: StableHash
        var userHash: StableHash
        var obligationKey: StableHash?
        var plaintextStart: Int
        var plaintextCount: Int
        /// The event's kind: the engine's look-ahead asks for the part of the user's state its
        /// apply reads (``Engine/prefetch(_:kind:)``).
        var kind: EventKind

        /// The parts with the plaintext in `plaintexts` (the chunk's buffer).
        func prepared(in plaintexts: UnsafeRawBufferPointer) -> PreparedEvent {
            PreparedEvent(
                idHash: idHash, userHash: userHash, obligationKey: obligationKey,
                plaintext: UnsafeRawBufferPointer(
                    rebasing: plaintexts[plaintextStart..<(plaintextStart + plaintextCount)]))
        }
    }

    private let salt: IdentifierKey.Prepared
    /// A reused buffer for the obligation key's input.
    private var keyInput: [UInt8] = []

    init(salt: IdentifierKey) {
        self.salt = IdentifierKey.Prepared(salt)
    }

    /// The parts of an accepted event, its plaintext appended to `plaintexts`; `nil` for a
    /// rejection.
    mutating func prepare(_ result: DecodeResult, plaintexts: inout [UInt8]) -> Parts? {
        guard case .accepted(let event, _) = result else { return nil }
        var key: StableHash? = nil
        if case .obligationOpened(let o) = event.payload {
            key = Self.obligationKey(user: event.userID, obligation: o.obligationID, salt: salt, buffer: &keyInput)
        }
        let start = plaintexts.count
        EventCodec.encode(event, into: &plaintexts)
        return Parts(
            idHash: StableHash.of(event.eventID), userHash: StableHash.of(event.userID), obligationKey: key,
            plaintextStart: start,
            plaintextCount: plaintexts.count - start, kind: event.kind)
    }

    /// HMAC-SHA256 of `user`, a zero byte and `obligation`, under the directory's identifier
    /// key, truncated to 128 bits: kept in clear in the log, it must not let anyone test a guess.
    static func obligationKey(
        user: String, obligation: String, salt: IdentifierKey.Prepared, buffer: inout [UInt8]
    ) -> StableHash {
        buffer.removeAll(keepingCapacity: true)
        buffer.append(contentsOf: user.utf8)
        buffer.append(0)
        buffer.append(contentsOf: obligation.utf8)
        let tag = buffer.withUnsafeBytes { salt.tag($0) }
        return StableHash(high: tag.high, low: tag.low)
    }
}
