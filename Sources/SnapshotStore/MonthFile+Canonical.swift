import CredenceCore

extension MonthFile {
    /// Appends the records of `block` to `out` in a form that does not depend on how a month
    /// was cut into blocks nor on its reason dictionary, so two stored months can be compared
    /// as bytes: per record, the whole user id (varint length, bytes), the score's varint, the
    /// reason count and each reason as `reasonMap[index]` (an index into a dictionary the two
    /// sides share), then the flags and features as stored.
    ///
    /// Two months with equal canonical bytes decode to equal entries (``readEntry(_:_:reasons:)``
    /// reads nothing else), hence render equal exports. Unequal bytes prove nothing: a value
    /// could be spelled in a longer varint. Nothing is allocated beyond `out` and `id`.
    ///
    /// - Parameter id: the previous record's id, reused across calls (emptied here: a block's
    ///   first id shares nothing).
    static func appendCanonical(
        _ block: UnsafeRawBufferPointer, reasonMap: [Int], id: inout [UInt8], to out: inout ByteWriter
    ) throws {
        var scan = BlockScan(block)
        id.removeAll(keepingCapacity: true)
        while !scan.isAtEnd {
            let shared = try scan.varint()
            let suffix = try scan.take(try scan.varint())
            guard shared <= id.count else { throw MonthFileError(reason: "a user id shares more bytes than it has") }
            id.removeSubrange(shared...)
            id.append(contentsOf: suffix)
            out.writeLengthPrefixed(id)
            let score = scan.offset
            try scan.skipVarints(1)
            out.bytes.append(contentsOf: scan.passed(since: score))
            let reasonCount = try scan.byte()
            out.writeByte(reasonCount)
            for _ in 0..<reasonCount {
                let index = try scan.varint()
                guard index < reasonMap.count else { throw MonthFileError(reason: "a reason index is out of range") }
                out.writeVarint(UInt64(reasonMap[index]))
            }
            let features = scan.offset
            try scan.skipFeatures()
            out.bytes.append(contentsOf: scan.passed(since: features))
        }
    }

    /// For two reason dictionaries, each one's indices mapped into one dictionary holding both,
    /// so a code has the same index on both sides.
    static func sharedReasonMaps(_ a: [String], _ b: [String]) -> (a: [Int], b: [Int]) {
        var shared: [String: Int] = [:]
        func index(_ code: String) -> Int {
            if let i = shared[code] { return i }
            shared[code] = shared.count
            return shared.count - 1
        }
        let mapA = a.map(index)
        return (mapA, b.map(index))
    }
}
