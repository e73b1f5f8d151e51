import CredenceCore

extension MonthFile {
    /// The entry of `userID` in a block, or `nil` when the block does not hold them: what
    /// `decode(_:reasons:only:)` returns for one user, without rebuilding the ids it passes.
    ///
    /// With the block's ``BlockDirectory`` (a block kept in memory), a binary search of its
    /// ids. Without, a scan of about half the block: ids are front-coded (bytes shared with the
    /// previous id, then a suffix), so the scan only keeps how many leading bytes the previous
    /// id has in common with `userID`: a record that shares more than that with its predecessor
    /// sorts where the predecessor did and is skipped unread; otherwise its suffix alone is
    /// compared. Records passed over are skipped eight bytes at a time (``BlockScan``). Either
    /// way nothing is allocated until the user is found.
    static func entry(
        _ userID: String, in block: UnsafeRawBufferPointer, directory: BlockDirectory? = nil, reasons: [String]
    ) throws -> SnapshotEntry? {
        var wantedID = userID
        let fields = try wantedID.withUTF8 { wanted -> Int? in
            if let directory { return directory.fields(of: wanted) }
            return try scan(block, for: wanted)
        }
        guard let fields, fields <= block.count else { return nil }
        var r = ByteReader(UnsafeRawBufferPointer(rebasing: block[fields...]))
        return try readEntry(userID, &r, reasons: reasons)
    }

    /// Where the fields of `wanted`'s record start (after its id), or `nil`: the scan above.
    private static func scan(_ block: UnsafeRawBufferPointer, for wanted: UnsafeBufferPointer<UInt8>) throws -> Int? {
        var scan = BlockScan(block)
        // Of the previous id: its length, and how many leading bytes it shares with `wanted`.
        // While scanning, the previous id is always before `wanted` in byte order.
        var length = 0
        var matched = 0
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
                if i == suffixLength && i == rest { return scan.offset }
                // Past `wanted` in byte order: the block does not hold it.
                if i == rest || (i < suffixLength && suffix[i] > wanted[shared + i]) { return nil }
                matched = shared + i
            }
            // Else the id agrees with the previous one past `matched`, so it is before `wanted` too.
            try scan.skipRecord()
        }
        return nil
    }
}

/// A block's ids spelled out, back to back, with where each record's fields start: a lookup
/// in a block kept in memory is a binary search that touches a few cache lines, not a walk
/// through every record before the user's (which, over a cache of megabytes, waits on memory
/// at each record). About 20 bytes per user beside the block's ~40.
struct BlockDirectory: Sendable {
    /// The ids, in the block's order (byte order).
    private var ids: [UInt8] = []
    /// Where each id ends in `ids` (it starts where the previous ends).
    private var ends: [UInt32] = []
    /// Where each record's fields (after its id) start in the block.
    private var fields: [UInt32] = []

    /// Reads every id of `block` (which passed its checksum).
    init(_ block: UnsafeRawBufferPointer) throws {
        ends.reserveCapacity(MonthFile.usersPerBlock)
        fields.reserveCapacity(MonthFile.usersPerBlock)
        var scan = BlockScan(block)
        var previous = 0  // where the previous id starts in `ids`
        while !scan.isAtEnd {
            let shared = try scan.varint()
            let suffix = try scan.take(try scan.varint())
            let start = ids.count
            guard shared <= start - previous else {
                throw MonthFileError(reason: "a user id shares more bytes than it has")
            }
            for k in previous..<previous + shared { ids.append(ids[k]) }
            ids.append(contentsOf: suffix)
            previous = start
            ends.append(UInt32(ids.count))
            fields.append(UInt32(scan.offset))
            try scan.skipRecord()
        }
    }

    /// What it costs in memory, roughly.
    var bytes: Int { ids.count + (ends.count + fields.count) * MemoryLayout<UInt32>.size }

    /// How many records the block holds.
    var count: Int { ends.count }

    /// Where the fields of `wanted`'s record start, or `nil` when the block does not hold it.
    func fields(of wanted: UnsafeBufferPointer<UInt8>) -> Int? {
        ids.withUnsafeBufferPointer { ids in
            var low = 0
            var high = ends.count
            while low < high {
                let mid = (low + high) / 2
                let start = mid == 0 ? 0 : Int(ends[mid - 1])
                let id = UnsafeBufferPointer(rebasing: ids[start..<Int(ends[mid])])
                switch BlockIndex.compare(id, wanted) {
                case 0: return Int(fields[mid])
                case ..<0: low = mid + 1
                default: high = mid
                }
            }
            return nil
        }
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

    /// Moves past the rest of a record after its user id, as `MonthFile.skipRecord` does.
    mutating func skipRecord() throws {
        try skipVarints(1)  // score
        try skipVarints(Int(try byte()))  // reasons
        try skipFeatures()
    }

    /// Moves past a record's flags and the features they announce.
    mutating func skipFeatures() throws {
        let flags = try byte()
        // 15 integers, two of which may be wide, then the utilisation when present.
        var integers = 15 + (flags & 4 != 0 ? 1 : 0) + (flags & 8 != 0 ? 1 : 0)
        if flags & 2 != 0 { integers += flags & 16 != 0 ? 2 : 1 }
        try skipVarints(integers)
    }

    /// The bytes passed since `start`: from there to where the scan is now.
    func passed(since start: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: bytes[start..<offset])
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
