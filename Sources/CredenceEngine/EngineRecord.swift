import CredenceCore
import EventLog

/// The payload of one event-log record: what the engine writes and replays.
///
/// Every record starts with a type byte. Fields that identify a person (the user id and every
/// event field) are only ever stored encrypted with the subject's key (crypto-shredding);
/// the clear part holds what must outlive an erasure: a hash of the event id (duplicates stay
/// duplicates), the event type and time (months stay where they were), the content digest,
/// and the source position (offsets already taken).
///
/// Sealed fields (log format version 2) are ChaCha20-Poly1305 under the subject's key
/// (`Shredding.SubjectKey`): the ciphertext, as long as the plaintext, then a 16-byte Poly1305
/// tag, so a record altered after it was written fails authentication instead of decoding into
/// something else. The 96-bit nonce is not stored: it is a purpose (4 bytes LE: 0 for an event,
/// 1 for an erasure marker's user id) then the record's own LSN (8 bytes LE), which the log
/// hands out once; see `RecordNonce` for why nonces never repeat under one key. Version 1 had
/// no tag (bare ChaCha20) and a seeded hash for obligation keys; it is refused at open.
enum EngineRecord: Sendable {
    /// An accepted event; `sealed` is `EventCodec` bytes sealed under the subject's key
    /// (ciphertext then tag), nonce = purpose 0 and the LSN.
    case event(EventHeader, sealed: [UInt8])
    /// An accepted event dropped as erased on arrival (at or before its user's cut): no personal data.
    case tombstone(EventHeader)
    /// A withdrawal moved `oldSubject`'s user to a new cut; `copies` re-keyed events (under
    /// `newSubject`) follow. `sealedUserID` is the user id sealed under `newSubject`'s key, nonce =
    /// purpose 1 and the marker's LSN.
    case erasure(Erasure)
    /// The month closed here, with this model.
    case monthClose(month: Month, modelVersion: String)
    /// An operator asked for a restatement of a closed month here.
    case restatement(month: Month, modelVersion: String)
    /// The records from `firstLSN` up to this one form a batch that is done; records of a batch
    /// without its commit record (a crash mid-batch) are ignored by replay.
    case commit(firstLSN: UInt64)
    /// Names a source (`file:PATH` or `kafka:TOPIC/PARTITION`) for the events that follow.
    case source(id: UInt64, name: String)
    /// An operator made this model (its JSON, `default-scorecard.json` format) the live one,
    /// from the next month close on (see Engine+Models.swift).
    case promotion(modelJSON: [UInt8])

    struct EventHeader: Equatable, Sendable {
        var kind: EventKind
        var isCopy: Bool
        var eventIDHash: StableHash
        var occurredAt: Instant
        var digest: ContentDigest
        var subject: UInt64
        var sourceID: UInt64
        var position: UInt64
        /// For `obligation.opened`: HMAC-SHA256 of (user, 0, obligation id) under the directory's
        /// identifier key, first 128 bits, for the conflict check.
        var obligationKey: StableHash?
    }

    struct Erasure: Equatable, Sendable {
        var newSubject: UInt64
        var oldSubject: UInt64
        var cut: Instant
        var copies: UInt64
        var sealedUserID: [UInt8]
    }

    enum Tag: UInt8 {
        case event = 1, tombstone, erasure, monthClose, restatement, commit, source, promotion
    }

    /// An event record up to its sealed bytes (tag, header, their length): what
    /// `Engine.appendSealed` seals after, in place.
    static func encodeEventHead(_ h: EventHeader, sealedCount: Int, into w: inout RecordWriter) {
        w.inPlace(maxBytes: 1 + EventHeader.maxEncodedBytes + HeadWriter.maxVarintBytes) { w in
            w.byte(Tag.event.rawValue)
            h.encode(into: &w)
            w.varint(UInt64(sealedCount))
        }
    }

    func encode(into w: inout RecordWriter) {
        switch self {
        case .event(let h, let sealed):
            Self.encodeEventHead(h, sealedCount: sealed.count, into: &w)
            w.buffer.append(contentsOf: sealed)
        case .tombstone(let h):
            w.inPlace(maxBytes: 1 + EventHeader.maxEncodedBytes) { w in
                w.byte(Tag.tombstone.rawValue)
                h.encode(into: &w)
            }
        case .erasure(let e):
            w.byte(Tag.erasure.rawValue)
            w.varint(e.newSubject)
            w.varint(e.oldSubject)
            w.signed(e.cut.millisecondsSinceEpoch)
            w.varint(e.copies)
            w.bytes(e.sealedUserID)
        case .monthClose(let m, let v):
            w.byte(Tag.monthClose.rawValue)
            w.signed(Int64(m.index))
            w.bytes(Array(v.utf8))
        case .restatement(let m, let v):
            w.byte(Tag.restatement.rawValue)
            w.signed(Int64(m.index))
            w.bytes(Array(v.utf8))
        case .commit(let first):
            w.byte(Tag.commit.rawValue)
            w.varint(first)
        case .source(let id, let name):
            w.byte(Tag.source.rawValue)
            w.varint(id)
            w.bytes(Array(name.utf8))
        case .promotion(let json):
            w.byte(Tag.promotion.rawValue)
            w.bytes(json)
        }
    }

    /// Reads an event record's header and where its sealed bytes are, without copying them;
    /// `nil` for any other record type.
    static func decodeEvent(_ buffer: UnsafeRawBufferPointer) throws(RecordFormatError)
        -> (header: EventHeader, sealed: UnsafeRawBufferPointer)?
    {
        guard let (h, reader) = try readEventHeader(buffer) else { return nil }
        var r = reader
        let n = try r.varint()
        guard n == UInt64(buffer.count - r.offset) else { throw RecordFormatError(reason: "bad sealed length") }
        return (h, UnsafeRawBufferPointer(rebasing: buffer[r.offset...]))
    }

    /// The header of an event record's head (what ``encodeEventHead(_:sealedCount:into:)``
    /// wrote), or `nil` for another record.
    static func decodeEventHead(_ buffer: UnsafeRawBufferPointer) throws(RecordFormatError) -> EventHeader? {
        try readEventHeader(buffer)?.header
    }

    /// An event record's header and the reader just after it; `nil` for another record.
    @inline(__always)
    private static func readEventHeader(_ buffer: UnsafeRawBufferPointer) throws(RecordFormatError)
        -> (header: EventHeader, reader: RecordReader)?
    {
        guard buffer.first == Tag.event.rawValue else { return nil }
        var r = RecordReader(buffer)
        r.offset = 1
        return (try EventHeader.decode(&r), r)
    }

    static func decode(_ buffer: UnsafeRawBufferPointer) throws(RecordFormatError) -> EngineRecord {
        var r = RecordReader(buffer)
        guard let tag = Tag(rawValue: try r.byte()) else { throw RecordFormatError(reason: "unknown record type") }
        let record: EngineRecord
        switch tag {
        case .event:
            let h = try EventHeader.decode(&r)
            record = .event(h, sealed: try r.bytes())
        case .tombstone:
            record = .tombstone(try EventHeader.decode(&r))
        case .erasure:
            record = .erasure(
                Erasure(
                    newSubject: try r.varint(), oldSubject: try r.varint(),
                    cut: Instant(millisecondsSinceEpoch: try r.signed()), copies: try r.varint(),
                    sealedUserID: try r.bytes()))
        case .monthClose:
            record = .monthClose(month: try r.month(), modelVersion: try r.string())
        case .restatement:
            record = .restatement(month: try r.month(), modelVersion: try r.string())
        case .commit:
            record = .commit(firstLSN: try r.varint())
        case .source:
            record = .source(id: try r.varint(), name: try r.string())
        case .promotion:
            record = .promotion(modelJSON: try r.bytes())
        }
        guard r.isAtEnd else { throw RecordFormatError(reason: "trailing bytes after a \(tag) record") }
        return record
    }
}

extension EngineRecord.EventHeader {
    /// The most bytes ``encode(into:)`` writes: two flag bytes, four 64-bit halves of hashes,
    /// four varints and the obligation key's two halves.
    static let maxEncodedBytes = 2 + 4 * 8 + 4 * HeadWriter.maxVarintBytes + 2 * 8

    func encode(into w: inout HeadWriter) {
        w.byte(kind.rawValue)
        w.byte((isCopy ? 1 : 0) | (obligationKey != nil ? 2 : 0))
        w.u64(eventIDHash.high)
        w.u64(eventIDHash.low)
        w.signed(occurredAt.millisecondsSinceEpoch)
        w.u64(digest.high)
        w.u64(digest.low)
        w.varint(subject)
        w.varint(sourceID)
        w.varint(position)
        if let k = obligationKey {
            w.u64(k.high)
            w.u64(k.low)
        }
    }

    static func decode(_ r: inout RecordReader) throws(RecordFormatError) -> Self {
        guard let kind = EventKind(rawValue: try r.byte()) else {
            throw RecordFormatError(reason: "unknown event kind")
        }
        let flags = try r.byte()
        let idHash = StableHash(high: try r.u64(), low: try r.u64())
        let at = Instant(millisecondsSinceEpoch: try r.signed())
        let digest = ContentDigest(high: try r.u64(), low: try r.u64())
        let subject = try r.varint()
        let sourceID = try r.varint()
        let position = try r.varint()
        var key: StableHash? = nil
        if flags & 2 != 0 { key = StableHash(high: try r.u64(), low: try r.u64()) }
        return Self(
            kind: kind, isCopy: flags & 1 != 0, eventIDHash: idHash, occurredAt: at, digest: digest, subject: subject,
            sourceID: sourceID, position: position, obligationKey: key)
    }
}

struct RecordFormatError: Error, Sendable, CustomStringConvertible {
    var reason: String
    var description: String { "malformed engine record: \(reason)" }
}

/// Appends little-endian integers, LEB128 varints and length-prefixed bytes.
///
/// Fields are written in place (``HeadWriter``): an event's header used to be about forty
/// appends of a byte or eight, each checking the array's capacity and uniqueness
/// (`EventHeader.encode` was 3.5% of the engine thread's samples in the r30k ingest); now the
/// whole head is one append of room and one trim.
struct RecordWriter {
    var buffer: [UInt8] = []

    /// Lets `body` write at most `maxBytes` bytes at the end of the buffer, in place.
    mutating func inPlace(maxBytes: Int, _ body: (inout HeadWriter) -> Void) {
        let start = buffer.count
        buffer.appendZeros(maxBytes)
        let written = buffer.withUnsafeMutableBytes { raw in
            var w = HeadWriter(start: raw.baseAddress! + start, capacity: maxBytes)
            body(&w)
            return w.count
        }
        buffer.removeLast(maxBytes - written)
    }

    mutating func byte(_ b: UInt8) { buffer.append(b) }

    mutating func varint(_ v: UInt64) { inPlace(maxBytes: HeadWriter.maxVarintBytes) { $0.varint(v) } }

    mutating func signed(_ v: Int64) { inPlace(maxBytes: HeadWriter.maxVarintBytes) { $0.signed(v) } }

    mutating func bytes(_ b: [UInt8]) {
        varint(UInt64(b.count))
        buffer.append(contentsOf: b)
    }
}

/// Writes a record's fixed and varint fields into room a ``RecordWriter`` made for them.
struct HeadWriter {
    static let maxVarintBytes = 10
    private let start: UnsafeMutableRawPointer
    private let capacity: Int
    private(set) var count = 0

    init(start: UnsafeMutableRawPointer, capacity: Int) {
        self.start = start
        self.capacity = capacity
    }

    mutating func byte(_ b: UInt8) {
        precondition(count < capacity, "a record head outgrew the room made for it")
        start.storeBytes(of: b, toByteOffset: count, as: UInt8.self)
        count += 1
    }

    mutating func u64(_ v: UInt64) {
        precondition(count + 8 <= capacity, "a record head outgrew the room made for it")
        start.storeBytes(of: v.littleEndian, toByteOffset: count, as: UInt64.self)
        count += 8
    }

    /// Unsigned LEB128: 7 bits per byte, low bits first.
    mutating func varint(_ v0: UInt64) {
        var v = v0
        while v >= 0x80 {
            byte(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        byte(UInt8(v))
    }

    /// Zig-zag, then ``varint(_:)``.
    mutating func signed(_ v: Int64) { varint(UInt64(bitPattern: (v << 1) ^ (v >> 63))) }
}

/// Reads what `RecordWriter` wrote, refusing truncated or oversized fields.
struct RecordReader {
    let base: UnsafeRawBufferPointer
    var offset = 0

    init(_ base: UnsafeRawBufferPointer) { self.base = base }

    var isAtEnd: Bool { offset == base.count }

    mutating func byte() throws(RecordFormatError) -> UInt8 {
        guard offset < base.count else { throw RecordFormatError(reason: "truncated") }
        defer { offset += 1 }
        return base[offset]
    }

    mutating func u64() throws(RecordFormatError) -> UInt64 {
        guard base.count - offset >= 8 else { throw RecordFormatError(reason: "truncated") }
        // One load, not eight loads each with its own overflow check (4.7% of a replay's reading thread).
        let v = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
        offset += 8
        return v
    }

    mutating func varint() throws(RecordFormatError) -> UInt64 {
        var v: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let b = try byte()
            if shift == 63 && b > 1 { throw RecordFormatError(reason: "varint overflow") }
            v |= UInt64(b & 0x7f) << shift
            if b < 0x80 { return v }
            shift += 7
            if shift > 63 { throw RecordFormatError(reason: "varint overflow") }
        }
    }

    mutating func signed() throws(RecordFormatError) -> Int64 {
        let u = try varint()
        return Int64(bitPattern: (u >> 1) ^ (0 &- (u & 1)))
    }

    mutating func bytes() throws(RecordFormatError) -> [UInt8] {
        let n = try varint()
        guard n <= UInt64(base.count - offset) else { throw RecordFormatError(reason: "truncated") }
        defer { offset += Int(n) }
        return Array(UnsafeRawBufferPointer(rebasing: base[offset..<offset + Int(n)]))
    }

    mutating func string() throws(RecordFormatError) -> String {
        let b = try bytes()
        guard let s = String(validating: b, as: UTF8.self) else { throw RecordFormatError(reason: "invalid UTF-8") }
        return s
    }

    mutating func month() throws(RecordFormatError) -> Month {
        let v = try signed()
        guard let i = Int32(exactly: v) else { throw RecordFormatError(reason: "month out of range") }
        return Month(index: i)
    }
}
