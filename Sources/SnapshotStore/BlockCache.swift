/// The bytes of month-file blocks that point lookups read and verified, with their ids spelled
/// out, bounded by a byte budget; the oldest kept is dropped first.
///
/// A lookup that finds its block here skips the `pread` and the CRC-32C, and searches the ids
/// instead of scanning the records. A block is keyed by
/// its revision and its offset, and kept with its checksum: a block never changes in place
/// (an erasure writes a new one at the end of the file and zeroes the old place), so bytes
/// found under the place and checksum the catalogue gives are that block's. ``ServingIndex``
/// empties the cache whenever an erasure commits, so the old block of an erased user is not
/// kept either.
struct BlockCache {
    /// A block as kept: its bytes and its ids (``BlockDirectory``; `nil` for a block read but
    /// not kept).
    struct Block: Sendable {
        var bytes: [UInt8]
        var directory: BlockDirectory?

        /// What it costs against the budget.
        var cost: Int { bytes.count + (directory?.bytes ?? 0) + BlockCache.overheadPerBlock }
    }

    private struct Key: Hashable {
        var snapshot: Int64
        var offset: Int64
    }

    /// What a kept block costs beyond its bytes and directory (the dictionary slot, four array
    /// headers, the allocator), counted against the budget so that many small blocks stay
    /// bounded too.
    static let overheadPerBlock = 192

    /// The most bytes kept, overhead included; 0 keeps nothing.
    let capacity: Int
    private var blocks: [Key: (crc: UInt32, block: Block)] = [:]
    /// Keys in the order they were kept, from `head` on: who goes first when the budget is full.
    private var order: [Key] = []
    private var head = 0
    /// Bytes kept, overhead included.
    private(set) var size = 0

    init(capacity: Int) {
        self.capacity = capacity
    }

    /// `block` of revision `snapshot`, when kept.
    func block(snapshot: Int64, _ block: BlockRow) -> Block? {
        guard let kept = blocks[Key(snapshot: snapshot, offset: block.offset)],
            kept.crc == block.crc, kept.block.bytes.count == block.length
        else { return nil }
        return kept.block
    }

    /// Keeps `kept`, whose bytes passed `block`'s checksum, dropping the oldest blocks kept to
    /// stay within the budget.
    mutating func keep(_ kept: Block, snapshot: Int64, block: BlockRow) {
        let cost = kept.cost
        guard cost <= capacity else { return }
        let key = Key(snapshot: snapshot, offset: block.offset)
        guard blocks[key] == nil else { return }
        while size + cost > capacity, head < order.count {
            if let dropped = blocks.removeValue(forKey: order[head]) {
                size -= dropped.block.cost
            }
            head += 1
        }
        if head > 1024 && head * 2 > order.count {
            order.removeFirst(head)
            head = 0
        }
        blocks[key] = (block.crc, kept)
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
