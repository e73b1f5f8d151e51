/// The bytes of month-file blocks that point lookups read and verified, bounded by a byte
/// budget; the oldest kept is dropped first.
///
/// A lookup that finds its block here skips the `pread` and the CRC-32C. A block is keyed by
/// its revision and its offset, and kept with its checksum: a block never changes in place
/// (an erasure writes a new one at the end of the file and zeroes the old place), so bytes
/// found under the place and checksum the catalogue gives are that block's. ``ServingIndex``
/// empties the cache whenever an erasure commits, so the old block of an erased user is not
/// kept either.
struct BlockCache {
    private struct Key: Hashable {
        var snapshot: Int64
        var offset: Int64
    }

    /// What a kept block costs beyond its bytes (the dictionary slot, the array header, the
    /// allocator), counted against the budget so that many small blocks stay bounded too.
    static let overheadPerBlock = 96

    /// The most bytes kept, overhead included; 0 keeps nothing.
    let capacity: Int
    private var blocks: [Key: (crc: UInt32, bytes: [UInt8])] = [:]
    /// Keys in the order they were kept, from `head` on: who goes first when the budget is full.
    private var order: [Key] = []
    private var head = 0
    /// Bytes kept, overhead included.
    private(set) var size = 0

    init(capacity: Int) {
        self.capacity = capacity
    }

    /// The bytes of `block` of revision `snapshot`, when kept.
    func bytes(snapshot: Int64, block: BlockRow) -> [UInt8]? {
        guard let kept = blocks[Key(snapshot: snapshot, offset: block.offset)],
            kept.crc == block.crc, kept.bytes.count == block.length
        else { return nil }
        return kept.bytes
    }

    /// Keeps `bytes`, which passed `block`'s checksum, dropping the oldest blocks kept to stay
    /// within the budget.
    mutating func keep(_ bytes: [UInt8], snapshot: Int64, block: BlockRow) {
        let cost = bytes.count + Self.overheadPerBlock
        guard cost <= capacity else { return }
        let key = Key(snapshot: snapshot, offset: block.offset)
        guard blocks[key] == nil else { return }
        while size + cost > capacity, head < order.count {
            if let dropped = blocks.removeValue(forKey: order[head]) {
                size -= dropped.bytes.count + Self.overheadPerBlock
            }
            head += 1
        }
        if head > 1024 && head * 2 > order.count {
            order.removeFirst(head)
            head = 0
        }
        blocks[key] = (block.crc, bytes)
        order.append(key)
        size += cost
    }

    /// Drops every block.
    mutating func removeAll() {
        blocks.removeAll()
        order.removeAll()
        head = 0
        size = 0
    }

    /// How many blocks are kept.
    var count: Int { blocks.count }
}
