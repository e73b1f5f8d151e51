/// Export lines (SCORING.md section 7): each `{"user_id":"...",...}\n`, in `user_id` byte order.
/// Splitting an export by partition and merging the parts back are exact inverses, so a merged
/// cluster export is byte-identical to one instance's export of the whole topic.
public enum ExportLines {
    static let prefix = Array(#"{"user_id":""#.utf8)

    /// The `user_id` bytes of a line (user ids have no escapes: `[A-Za-z0-9_.:-]`).
    static func userID(_ line: ArraySlice<UInt8>) -> ArraySlice<UInt8>? {
        guard line.count > prefix.count, line.starts(with: prefix) else { return nil }
        let start = line.startIndex + prefix.count
        guard let end = line[start...].firstIndex(of: UInt8(ascii: "\"")) else { return nil }
        return line[start..<end]
    }

    /// The whole lines of `bytes` (each with its newline).
    static func lines(_ bytes: [UInt8]) -> [ArraySlice<UInt8>] {
        var out: [ArraySlice<UInt8>] = []
        var start = 0
        while start < bytes.count {
            let end = bytes[start...].firstIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? bytes.count
            out.append(bytes[start..<end])
            start = end
        }
        return out
    }

    /// The lines of `export` whose user falls in one of `partitions`, in their order.
    public static func filter(
        _ export: [UInt8], partitions: Set<Int32>, partitionCount: Int, partitioner: Partitioner
    ) throws(ClusterError) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(export.count / max(partitionCount, 1) * max(partitions.count, 1))
        for line in lines(export) {
            guard let id = userID(line) else {
                throw ClusterError(.protocolError, "an export line does not start with {\"user_id\":\"...\"")
            }
            if partitions.contains(partitioner.partition(of: id, partitionCount: partitionCount)) {
                out += line
            }
        }
        return out
    }

    /// Merges exports that are each in `user_id` byte order into one in that order. A user in two
    /// parts is an ownership error, reported rather than written twice.
    public static func merge(_ parts: [[UInt8]]) throws(ClusterError) -> [UInt8] {
        let split = parts.map(lines)
        var heads = Array(repeating: 0, count: split.count)
        var out: [UInt8] = []
        out.reserveCapacity(parts.reduce(0) { $0 + $1.count })
        var previous: ArraySlice<UInt8>? = nil
        while true {
            var best: (part: Int, id: ArraySlice<UInt8>)? = nil
            for (i, part) in split.enumerated() where heads[i] < part.count {
                guard let id = userID(part[heads[i]]) else {
                    throw ClusterError(.protocolError, "an export line does not start with {\"user_id\":\"...\"")
                }
                if best.map({ id.lexicographicallyPrecedes($0.id) }) ?? true { best = (i, id) }
            }
            guard let (i, id) = best else { break }
            if let previous, !previous.lexicographicallyPrecedes(id) {
                throw ClusterError(
                    .protocolError,
                    "user \(String(decoding: id, as: UTF8.self)) came from two owners or out of order; "
                        + "two instances claim the same partition: retry once the rebalance has settled")
            }
            previous = id
            out += split[i][heads[i]]
            heads[i] += 1
        }
        return out
    }
}
