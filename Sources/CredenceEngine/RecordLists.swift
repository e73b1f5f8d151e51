/// The LSNs of each live subject's event records, so that an erasure reads just its user's
/// records: one byte array per subject, each LSN stored as the zig-zag varint of its distance
/// from the one before (2–3 bytes a record on a busy log, instead of 8).
///
/// Subjects are numbered 1, 2, ... by the key store; the lists are indexed by that number.
struct RecordLists {
    private var lists: [[UInt8]] = []
    /// Each list's last LSN, which the next distance is taken from.
    private var lastLSN: [UInt64] = []

    init() {}

    /// Lists as the checkpoint holds them (LSNs in the order they were noted).
    init(_ lsns: [[UInt64]]) {
        for (subject, list) in lsns.enumerated() {
            for lsn in list { append(lsn, of: subject) }
        }
    }

    mutating func append(_ lsn: UInt64, of subject: Int) {
        if subject >= lists.count {
            let grow = max(subject + 1 - lists.count, lists.count / 2)
            lists.append(contentsOf: repeatElement([], count: grow))
            lastLSN.append(contentsOf: repeatElement(0, count: grow))
        }
        let delta = Int64(bitPattern: lsn &- lastLSN[subject])
        var v = UInt64(bitPattern: (delta << 1) ^ (delta >> 63))
        while v >= 0x80 {
            lists[subject].append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        lists[subject].append(UInt8(v))
        lastLSN[subject] = lsn
    }

    /// The subject's LSNs, in the order they were noted.
    func lsns(of subject: Int) -> [UInt64] {
        guard subject < lists.count else { return [] }
        var out: [UInt64] = []
        var previous: UInt64 = 0
        var v: UInt64 = 0
        var shift: UInt64 = 0
        for byte in lists[subject] {
            v |= UInt64(byte & 0x7f) << shift
            if byte & 0x80 != 0 {
                shift += 7
                continue
            }
            let delta = Int64(bitPattern: v >> 1) ^ -Int64(bitPattern: v & 1)
            previous = previous &+ UInt64(bitPattern: delta)
            out.append(previous)
            v = 0
            shift = 0
        }
        return out
    }

    /// Hands over and forgets the subject's LSNs.
    mutating func take(_ subject: Int) -> [UInt64] {
        let out = lsns(of: subject)
        if subject < lists.count {
            lists[subject] = []
            lastLSN[subject] = 0
        }
        return out
    }

    /// One past the highest subject with records (what a checkpoint writes out).
    var end: Int { (lists.lastIndex { !$0.isEmpty } ?? -1) + 1 }
}
