import CredenceCore

extension MonthFile {
    /// The entry of `userID` in a block, or `nil` when the block does not hold them: what
    /// `decode(_:reasons:only:)` returns for one user, without rebuilding the ids it passes.
    ///
    /// A point lookup scans about half a block. Ids are front-coded (bytes shared with the
    /// previous id, then a suffix), so the scan only keeps how many leading bytes the previous
    /// id has in common with `userID`: a record that shares more than that with its predecessor
    /// sorts where the predecessor did and is skipped unread; otherwise its suffix alone is
    /// compared. Records passed over are skipped eight bytes at a time (``BlockScan``); nothing
    /// is allocated until the user is found.
    ///
    /// - Parameter starts: where each record of the block starts (``recordStarts(_:)``), when
    ///   known: records passed over are then jumped, not scanned.
    static func entry(
        _ userID: String, in block: UnsafeRawBufferPointer, starts: [UInt32]? = nil, reasons: [String]
    ) throws -> SnapshotEntry? {
        var wantedID = userID
        return try wantedID.withUTF8 { wanted -> SnapshotEntry? in
            var scan = BlockScan(block)
            // Of the previous id: its length, and how many leading bytes it shares with `wanted`.
            // While scanning, the previous id is always before `wanted` in byte order.
            var length = 0
            var matched = 0
            var record = 0
            while !scan.isAtEnd {
                let shared = try scan.varint()
                let suffixLength = try scan.varint()
                let suffix = try scan.take(suffixLength)
                guard shared <= length else {
                    throw MonthFileError(reason: "a user id shares more bytes than it has")
                }
                length = shared + suffixLength
                if shared <= matched {
                    // This id's first `shared` bytes are `wanted`'s: compare the suffix with the rest.
                    var i = 0
                    let rest = wanted.count - shared
                    while i < suffixLength, i < rest, suffix[i] == wanted[shared + i] { i += 1 }
                    if i == suffixLength && i == rest {
                        var r = ByteReader(UnsafeRawBufferPointer(rebasing: block[scan.offset...]))
                        return try readEntry(userID, &r, reasons: reasons)
                    }
                    // Past `wanted` in byte order: the block does not hold it.
                    if i == rest || (i < suffixLength && suffix[i] > wanted[shared + i]) { return nil }
                    matched = shared + i
                }
                // Else the id agrees with the previous one past `matched`, so it is before `wanted` too.
                record += 1
                if let starts {
                    scan.jump(to: record < starts.count ? Int(starts[record]) : block.count)
                } else {
                    try scan.skipRecord()
                }
            }
            return nil
        }
    }
}

extension MonthFile {
    /// Where each record of a block starts, in order: what lets a lookup in a block kept in
    /// memory jump from id to id.
    static func recordStarts(_ block: UnsafeRawBufferPointer) throws -> [UInt32] {
        var starts: [UInt32] = []
        starts.reserveCapacity(usersPerBlock)
        var scan = BlockScan(block)
        while !scan.isAtEnd {
            starts.append(UInt32(scan.offset))
            _ = try scan.varint()
            _ = try scan.take(try scan.varint())
            try scan.skipRecord()
        }
        return starts
    }
}

/// A cursor over a block that passed its checksum, for the point lookup's scan: it reads the
/// small varints of the ids and skips records by counting varint ends a word at a time. The
/// varints it passes are not checked for their shortest form (``ByteReader`` does that for
/// what is decoded); running off the end still throws.
struct BlockScan {
    private let bytes: UnsafeRawBufferPointer
    private(set) var offset = 0

    init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    var isAtEnd: Bool { offset >= bytes.count }

    /// A varint that fits in an `Int` (an id's length or shared prefix).
    mutating func varint() throws -> Int {
        var value = 0
        var shift = 0
        while true {
            guard offset < bytes.count, shift < 63 else { throw MonthFileError(reason: "a length is malformed") }
            let byte = bytes[offset]
            offset += 1
            value |= Int(byte & 0x7F) << shift
            if byte < 0x80 { return value }
            shift += 7
        }
    }

    /// The next `count` bytes, as a view into the block.
    mutating func take(_ count: Int) throws -> UnsafeRawBufferPointer {
        guard count <= bytes.count - offset else { throw MonthFileError(reason: "a user id runs past the block") }
        defer { offset += count }
        return UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + count])
    }

    mutating func byte() throws -> UInt8 {
        guard offset < bytes.count else { throw MonthFileError(reason: "a record runs past the block") }
        defer { offset += 1 }
        return bytes[offset]
    }

    /// Moves to `offset` (a record's start, from ``MonthFile/recordStarts(_:)``).
    mutating func jump(to offset: Int) {
        self.offset = offset
    }

    /// Moves past the rest of a record after its user id, as `MonthFile.skipRecord` does.
    mutating func skipRecord() throws {
        try skipVarints(1)  // score
        try skipVarints(Int(try byte()))  // reasons
        let flags = try byte()
        // 15 integers, two of which may be wide, then the utilisation when present.
        var integers = 15 + (flags & 4 != 0 ? 1 : 0) + (flags & 8 != 0 ? 1 : 0)
        if flags & 2 != 0 { integers += flags & 16 != 0 ? 2 : 1 }
        try skipVarints(integers)
    }

    /// Moves past `count` varints: each ends at a byte below 0x80, so eight bytes at a time the
    /// ends are the clear high bits of a word, counted at once.
    mutating func skipVarints(_ count: Int) throws {
        var left = count
        while left > 0, offset + 8 <= bytes.count {
            var ends = ~UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
            ends &= 0x8080_8080_8080_8080
            let found = ends.nonzeroBitCount
            if found < left {
                left -= found
                offset += 8
                continue
            }
            // The `left`-th end is in this word: drop the ends before it.
            for _ in 1..<left { ends &= ends - 1 }
            offset += ends.trailingZeroBitCount / 8 + 1
            return
        }
        while left > 0 {
            if try byte() < 0x80 { left -= 1 }
        }
    }
}
