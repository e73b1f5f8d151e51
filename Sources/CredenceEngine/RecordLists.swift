import CCRC32C
import CredenceCore

/// The LSNs of each live subject's event records, so that an erasure reads just its user's
/// records: one byte array per subject, each LSN stored as the zig-zag varint of its distance
/// from the one before (2–3 bytes a record on a busy log, instead of 8).
///
/// Subjects are numbered 1, 2, ... by the key store; the lists are indexed by that number.
struct RecordLists: Sendable {
    /// Each subject's distances, written with the checkpoint's own varint coding (``ByteWriter``).
    /// Plain arrays, 8 bytes a subject: a `ByteWriter` each took 32 (its spill closure and size).
    private var lists: [[UInt8]] = []
    /// Each list's last LSN, which the next distance is taken from.
    private var lastLSN: [UInt64] = []

    init() {}

    mutating func append(_ lsn: UInt64, of subject: Int) {
        if subject >= lists.count {
            let grow = max(subject + 1 - lists.count, lists.count / 2)
            lists.append(contentsOf: repeatElement([], count: grow))
            lastLSN.append(contentsOf: repeatElement(0, count: grow))
        }
        ByteWriter.appendVarint(ByteWriter.zigZag(Int64(bitPattern: lsn &- lastLSN[subject])), to: &lists[subject])
        lastLSN[subject] = lsn
    }

    /// Starts loading the subject's list (its array's header, ``ArrayHeader/bytes`` before its
    /// bytes, which an append checks and writes), for an append a few records later. A hint
    /// only: the address is read in place, not kept.
    @inline(__always)
    func prefetch(_ subject: Int) {
        guard subject < lists.count else { return }
        lists.withUnsafeBufferPointer { lists in
            if let address = lists[subject].withUnsafeBufferPointer({ $0.baseAddress }) {
                ccrc32c_prefetch(UnsafeRawPointer(address) - ArrayHeader.bytes)
            }
        }
    }

    /// Starts loading the end of the subject's list, where an append writes, for an append a few
    /// records later. Found from the count in the list's header, which ``prefetch(_:)`` asked
    /// for a few records before: the end of a list longer than a line was the miss left (writing
    /// the varint was 5–6% of the log writer's and the replay reader's samples).
    @inline(__always)
    func prefetchEnd(_ subject: Int) {
        guard subject < lists.count else { return }
        lists.withUnsafeBufferPointer { lists in
            lists[subject].withUnsafeBufferPointer { bytes in
                if let base = bytes.baseAddress { ccrc32c_prefetch(UnsafeRawPointer(base + bytes.count)) }
            }
        }
    }

    /// Starts loading where the subject's list and last LSN are kept (this type's own arrays,
    /// larger than the cache with tens of thousands of subjects), for a ``prefetch(_:)`` of the
    /// list itself a few records later.
    @inline(__always)
    func prefetchEntry(_ subject: Int) {
        guard subject < lists.count else { return }
        lists.withUnsafeBufferPointer { ccrc32c_prefetch(UnsafeRawPointer($0.baseAddress! + subject)) }
        lastLSN.withUnsafeBufferPointer { ccrc32c_prefetch(UnsafeRawPointer($0.baseAddress! + subject)) }
    }

    /// The subject's LSNs, in the order they were noted.
    func lsns(of subject: Int) -> [UInt64] {
        guard subject < lists.count else { return [] }
        return lists[subject].withUnsafeBytes { raw in
            var reader = ByteReader(raw)
            var out: [UInt64] = []
            var previous: UInt64 = 0
            while !reader.isAtEnd {
                // Written by `append` just above in this process: always whole varints.
                previous = previous &+ UInt64(bitPattern: try! reader.readZigZag())
                out.append(previous)
            }
            return out
        }
    }

    /// Hands over and forgets the subject's LSNs.
    mutating func take(_ subject: Int) -> [UInt64] {
        let out = lsns(of: subject)
        forget(subject)
        return out
    }

    /// Forgets the subject's LSNs (an erased subject's), without decoding them.
    mutating func forget(_ subject: Int) {
        guard subject < lists.count else { return }
        lists[subject] = []
        lastLSN[subject] = 0
    }

    /// Approximate bytes held: the arrays by subject and each list's heap block.
    var approximateBytes: Int {
        var total = lists.capacity * MemoryLayout<[UInt8]>.stride + lastLSN.capacity * 8
        for list in lists where list.capacity > 0 { total += 32 + list.capacity + 16 }
        return total
    }

    /// One past the highest subject with records (what a checkpoint writes out).
    var end: Int { (lists.lastIndex { !$0.isEmpty } ?? -1) + 1 }

    // MARK: - Checkpoints

    /// Appends the lists as a checkpoint keeps them: how many (up to the last one with records),
    /// then each one's count and its distances. The distances are coded as they are held here
    /// (zig-zag varints from 0, with ``ByteWriter``), so the held bytes are written as they are.
    func encode(into w: inout ByteWriter) {
        let end = self.end
        w.writeVarint(UInt64(end))
        for subject in 0..<end {
            let bytes = lists[subject]
            w.writeVarint(Self.varintCount(bytes))
            w.bytes.append(contentsOf: bytes)
            w.spillIfFull()
        }
    }

    /// How many varints `bytes` holds: its bytes below 0x80 (each varint's last), counted a word
    /// at a time (a byte loop was a third of a checkpoint's encoding in the r30k ingest).
    static func varintCount(_ bytes: [UInt8]) -> UInt64 {
        bytes.withUnsafeBytes { raw in
            var count = 0
            var i = 0
            while i + 8 <= raw.count {
                let word = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                count += 8 - (word & 0x8080_8080_8080_8080).nonzeroBitCount
                i += 8
            }
            while i < raw.count {
                if raw[i] < 0x80 { count += 1 }
                i += 1
            }
            return UInt64(count)
        }
    }

    /// Reads what ``encode(into:)`` wrote, checking every distance, and holds each list's bytes
    /// as read: no list of LSNs in between, no slack from appending.
    static func decode(from r: inout ByteReader) throws -> RecordLists {
        var out = RecordLists()
        let count = try r.readCount(atMost: r.remaining)
        out.lists.reserveCapacity(count)
        out.lastLSN.reserveCapacity(count)
        for _ in 0..<count {
            let n = try r.readCount(atMost: r.remaining)
            let start = r.offset
            var last: UInt64 = 0
            for _ in 0..<n { last = last &+ UInt64(bitPattern: try r.readZigZag()) }
            out.lists.append(Array(r.bytes[start..<r.offset]))
            out.lastLSN.append(last)
        }
        return out
    }
}
