import CredenceCore

extension MonthFile {
    /// The entry of `userID` in a block, or `nil` when the block does not hold them: what
    /// `decode(_:reasons:only:)` returns for one user, without rebuilding the ids it passes.
    ///
    /// A point lookup scans about half a block. Ids are front-coded (bytes shared with the
    /// previous id, then a suffix), so the scan only keeps how many leading bytes the previous
    /// id has in common with `userID`: a record that shares more than that with its predecessor
    /// sorts where the predecessor did and is skipped unread; otherwise its suffix alone is
    /// compared. Nothing is allocated until the user is found.
    static func entry(_ userID: String, in block: UnsafeRawBufferPointer, reasons: [String]) throws -> SnapshotEntry? {
        var wantedID = userID
        return try wantedID.withUTF8 { wanted -> SnapshotEntry? in
            var r = ByteReader(block)
            // Of the previous id: its length, and how many leading bytes it shares with `wanted`.
            // While scanning, the previous id is always before `wanted` in byte order.
            var length = 0
            var matched = 0
            while !r.isAtEnd {
                let shared = Int(try r.readVarint())
                let suffixLength = Int(try r.readVarint())
                let suffix = try r.readBytes(count: suffixLength)
                guard shared <= length else {
                    throw MonthFileError(reason: "a user id shares more bytes than it has")
                }
                length = shared + suffixLength
                if shared <= matched {
                    // This id's first `shared` bytes are `wanted`'s: compare the suffix with the rest.
                    var i = 0
                    let rest = wanted.count - shared
                    while i < suffixLength, i < rest, suffix[i] == wanted[shared + i] { i += 1 }
                    if i == suffixLength && i == rest { return try readEntry(userID, &r, reasons: reasons) }
                    // Past `wanted` in byte order: the block does not hold it.
                    if i == rest || (i < suffixLength && suffix[i] > wanted[shared + i]) { return nil }
                    matched = shared + i
                }
                // Else the id agrees with the previous one past `matched`, so it is before `wanted` too.
                try skipRecord(&r)
            }
            return nil
        }
    }
}
