import CredenceCore

/// The layout of a month file: one stored revision of a month, every user in `user_id` byte
/// order, in compact binary blocks. The catalogue (SQLite) says where each block is.
///
/// ```
/// 0   magic    4 bytes  "CRDM"
/// 4   version  u16 LE   1
/// 6   reserved 10 bytes zero
/// 16  blocks, back to back as written; a block rewritten by an erasure moves to the end of
///     the file, and its old bytes are overwritten with zeros
/// ```
///
/// A block holds up to ``usersPerBlock`` consecutive users. Its offset, length, user count and
/// CRC-32C live in the catalogue's `block` table, keyed by the block's first `user_id`, so a
/// point lookup is one indexed query, one read of a few KB and a short scan. A record is
/// (integers are LEB128 varints, signed ones zigzag, as `ByteWriter` writes them):
///
/// | field | encoding |
/// | --- | --- |
/// | user id | varint bytes shared with the previous user of the block (0 for the first), varint suffix length, suffix bytes |
/// | score | signed |
/// | reasons | count (1 byte), then each code as a varint index into the revision's reason dictionary (in the catalogue) |
/// | flags | 1 byte: 1 identity verified, 2 utilisation present, 4/8/16 spend/outstanding/utilisation wider than 64 bits |
/// | features | the integers of section 3 in the table's order, signed; a wide one as signed high word, then varint low word |
///
/// Export lines are not stored: they are rendered from these values by
/// `SnapshotEntry.exportLine`, the same function that renders the live export, so the bytes
/// are identical. About 40 bytes per user instead of a 480-byte line.
enum MonthFile {
    static let magic: [UInt8] = Array("CRDM".utf8)
    static let version: UInt16 = 1
    static let headerSize = 16
    /// Users per block: small enough that a lookup reads ~3 KB, large enough that the catalogue
    /// holds one row per 64 users.
    static let usersPerBlock = 64

    static var header: [UInt8] {
        var h = magic
        withUnsafeBytes(of: version.littleEndian) { h.append(contentsOf: $0) }
        h.append(contentsOf: [UInt8](repeating: 0, count: headerSize - h.count))
        return h
    }

    /// The reason codes of a revision, each given a small index by first appearance.
    struct ReasonDictionary {
        private(set) var codes: [String] = []

        init() {}
        init(codes: [String]) { self.codes = codes }

        /// The index of `code`, adding it when new. Codes are few: a linear scan of short
        /// (inline) strings beats hashing.
        mutating func index(of code: String) -> Int {
            for (i, c) in codes.enumerated() where c == code { return i }
            codes.append(code)
            return codes.count - 1
        }
    }

    /// Appends one block holding `entries` to `w`.
    static func encode(
        _ entries: ArraySlice<SnapshotEntry>, reasons: inout ReasonDictionary, into w: inout ByteWriter
    ) {
        var previous: [UInt8] = []
        for entry in entries {
            var id = entry.userID
            id.withUTF8 { utf8 in
                var shared = 0
                let limit = min(previous.count, utf8.count)
                while shared < limit, previous[shared] == utf8[shared] { shared += 1 }
                w.writeVarint(UInt64(shared))
                w.writeLengthPrefixed(UnsafeBufferPointer(rebasing: utf8[shared...]))
                previous.removeAll(keepingCapacity: true)
                previous.append(contentsOf: utf8)
            }
            w.writeZigZag(entry.score)
            w.writeByte(UInt8(entry.reasons.count))
            for code in entry.reasons { w.writeVarint(UInt64(reasons.index(of: code))) }
            let f = entry.features
            var flags: UInt8 = f.identityVerified ? 1 : 0
            if f.utilizationBp != nil { flags |= 2 }
            if Int64(exactly: f.spend12mMinor) == nil { flags |= 4 }
            if Int64(exactly: f.outstandingMinor) == nil { flags |= 8 }
            if let u = f.utilizationBp, Int64(exactly: u) == nil { flags |= 16 }
            w.writeByte(flags)
            w.writeZigZag(f.tenureDays)
            w.writeZigZag(f.payments12m)
            writeWide(f.spend12mMinor, wide: flags & 4 != 0, into: &w)
            w.writeZigZag(f.activeMonths12m)
            w.writeZigZag(f.declined12m)
            w.writeZigZag(f.obligationsTotal)
            w.writeZigZag(f.onTimeSettled)
            w.writeZigZag(f.lateSettled24m)
            w.writeZigZag(f.openObligations)
            writeWide(f.outstandingMinor, wide: flags & 8 != 0, into: &w)
            w.writeZigZag(f.overdueObligations)
            w.writeZigZag(f.maxDpdCurrent)
            w.writeZigZag(f.maxDpd24m)
            w.writeZigZag(f.defaults24m)
            w.writeZigZag(f.creditLimitMinor)
            if let u = f.utilizationBp { writeWide(u, wide: flags & 16 != 0, into: &w) }
        }
    }

    private static func writeWide(_ v: Int128, wide: Bool, into w: inout ByteWriter) {
        if wide {
            w.writeZigZag(Int64(truncatingIfNeeded: v >> 64))
            w.writeVarint(UInt64(truncatingIfNeeded: v))
        } else {
            w.writeZigZag(Int64(truncatingIfNeeded: v))
        }
    }

    private static func readWide(_ wide: Bool, _ r: inout ByteReader) throws -> Int128 {
        if wide {
            let high = try r.readZigZag()
            let low = try r.readVarint()
            return Int128(high) << 64 | Int128(low)
        }
        return Int128(try r.readZigZag())
    }

    /// Every entry of a block, in order; only the entry of `userID` (if any) when it is given.
    static func decode(
        _ block: UnsafeRawBufferPointer, reasons: [String], only userID: String? = nil
    ) throws -> [SnapshotEntry] {
        var out: [SnapshotEntry] = []
        if userID == nil { out.reserveCapacity(usersPerBlock) }
        let wanted = userID.map { Array($0.utf8) }
        var r = ByteReader(block)
        var id: [UInt8] = []
        while !r.isAtEnd {
            let shared = Int(try r.readVarint())
            let suffixLength = Int(try r.readVarint())
            let suffix = try r.readBytes(count: suffixLength)
            guard shared <= id.count else { throw MonthFileError(reason: "a user id shares more bytes than it has") }
            id.removeSubrange(shared...)
            id.append(contentsOf: suffix)
            if let wanted, id != wanted {
                // Users are in byte order: past the wanted id, it is not in the block.
                if wanted.lexicographicallyPrecedes(id) { break }
                try skipRecord(&r)
                continue
            }
            // Ids are nearly always ASCII, which needs no validation.
            let userID: String
            if id.allSatisfy({ $0 < 0x80 }) {
                userID = String(decoding: id, as: UTF8.self)
            } else if let valid = String(validating: id, as: UTF8.self) {
                userID = valid
            } else {
                throw MonthFileError(reason: "a user id is not UTF-8")
            }
            out.append(try readEntry(userID, &r, reasons: reasons))
            if wanted != nil { break }
        }
        return out
    }

    /// The rest of a record, after its user id: the score, the reasons and the features.
    static func readEntry(_ userID: String, _ r: inout ByteReader, reasons: [String]) throws -> SnapshotEntry {
        let score = try r.readZigZag()
        let reasonCount = Int(try r.readByte())
        var codes: [String] = []
        codes.reserveCapacity(reasonCount)
        for _ in 0..<reasonCount {
            let i = try r.readVarint()
            guard i < UInt64(reasons.count) else { throw MonthFileError(reason: "a reason index is out of range") }
            codes.append(reasons[Int(i)])
        }
        let flags = try r.readByte()
        var f = Features()
        f.identityVerified = flags & 1 != 0
        f.tenureDays = try r.readZigZag()
        f.payments12m = try r.readZigZag()
        f.spend12mMinor = try readWide(flags & 4 != 0, &r)
        f.activeMonths12m = try r.readZigZag()
        f.declined12m = try r.readZigZag()
        f.obligationsTotal = try r.readZigZag()
        f.onTimeSettled = try r.readZigZag()
        f.lateSettled24m = try r.readZigZag()
        f.openObligations = try r.readZigZag()
        f.outstandingMinor = try readWide(flags & 8 != 0, &r)
        f.overdueObligations = try r.readZigZag()
        f.maxDpdCurrent = try r.readZigZag()
        f.maxDpd24m = try r.readZigZag()
        f.defaults24m = try r.readZigZag()
        f.creditLimitMinor = try r.readZigZag()
        if flags & 2 != 0 { f.utilizationBp = try readWide(flags & 16 != 0, &r) }
        return SnapshotEntry(userID: userID, score: score, reasons: codes, features: f)
    }

    /// Moves past the rest of a record (after its user id) without building anything.
    static func skipRecord(_ r: inout ByteReader) throws {
        // The block passed its CRC-32C: skipping scans for the varints' last bytes.
        try r.skipVarints(1)  // score
        let reasonCount = Int(try r.readByte())
        try r.skipVarints(reasonCount)
        let flags = try r.readByte()
        // 15 integers, two of which may be wide, then the utilisation when present.
        var integers = 15 + (flags & 4 != 0 ? 1 : 0) + (flags & 8 != 0 ? 1 : 0)
        if flags & 2 != 0 { integers += flags & 16 != 0 ? 2 : 1 }
        try r.skipVarints(integers)
    }
}

/// A month file's bytes do not decode: damage, or an edit outside credence.
struct MonthFileError: Error, CustomStringConvertible {
    var reason: String
    var description: String { "malformed month file block: \(reason)" }
}
