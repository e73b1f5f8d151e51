import CredenceCore
import EventLog
import Synchronization

/// What a point lookup needs, kept in memory so that the query API's hot path reads no SQLite:
/// the catalogue rows of the revisions asked for, each revision's block index (first user,
/// place, checksum: about 50 bytes per 64 users), one open read-only descriptor per month
/// file, and the verified bytes of blocks already read (``BlockCache``, bounded by
/// ``SnapshotStore/Configuration/servingCacheBytes``). Loaded on first use, from the catalogue.
///
/// Closed revisions never change, except through an erasure, which rewrites blocks: it calls
/// ``forgetAll()`` as soon as its catalogue transaction commits, before it zeroes the old
/// extents; that drops the block indexes and the cached blocks, and what a reader loaded
/// under the generation before is not kept. A reader that took a block's place just before
/// finds a checksum mismatch and asks the catalogue again
/// (``SnapshotStore/lookup(_:in:of:generation:)``), as it did before this cache existed.
///
/// Erasures must come through this process's store (the engine that applies them holds the
/// event log's exclusive lock): cached blocks are not checked against the file again.
final class ServingIndex: Sendable {
    private struct Key: Hashable {
        var month: Int32
        var modelVersion: String
        var revision: Int
    }

    /// A month file open for reading. `@unchecked Sendable`: after `open` it is only read with
    /// `pread` (at explicit offsets, no shared file position), which any thread may do at once;
    /// the descriptor closes when the last reference goes.
    struct ReadOnlyFile: @unchecked Sendable {
        let file: SystemFile
    }

    /// The block a lookup found, and the generation of the index it came from: its bytes may
    /// be kept only while no erasure came in between.
    struct Located: Sendable {
        var block: BlockRow
        var generation: Int
    }

    private struct State {
        var rows: [Key: SnapshotRow] = [:]
        var blocks: [Int64: BlockIndex] = [:]
        var files: [Int64: ReadOnlyFile] = [:]
        var bytes: BlockCache
        /// Bumped by ``forgetAll()``: what a reader loaded from before it is not kept.
        var generation = 0
    }

    private let state: Mutex<State>
    private let cacheBytes: Int

    /// - Parameter cacheBytes: the budget of the block cache (0 keeps no block).
    init(cacheBytes: Int) {
        self.cacheBytes = cacheBytes
        state = Mutex(State(bytes: BlockCache(capacity: cacheBytes)))
    }

    /// Whether the block cache keeps anything (its budget is not 0).
    var keepsBlocks: Bool { cacheBytes > 0 }

    /// The current generation: take it before reading the catalogue, pass it to ``keep(_:of:snapshot:generation:)``.
    var generation: Int { state.withLock { $0.generation } }

    func row(_ month: Month, _ modelVersion: String, _ revision: Int, load: () throws -> SnapshotRow?) rethrows
        -> SnapshotRow?
    {
        let key = Key(month: month.index, modelVersion: modelVersion, revision: revision)
        let (cached, generation) = state.withLock { ($0.rows[key], $0.generation) }
        if let cached { return cached }
        guard let row = try load() else { return nil }
        state.withLock { if $0.generation == generation { $0.rows[key] = row } }
        return row
    }

    /// The block of revision `id` that would hold `userID`: the last whose first user is at most
    /// `userID` in byte order (the catalogue's `ORDER BY first_user`).
    func block(snapshot id: Int64, containing userID: String, load: () throws -> [BlockRow]) rethrows -> Located? {
        let index: BlockIndex
        let (cached, generation) = state.withLock { ($0.blocks[id], $0.generation) }
        if let cached {
            index = cached
        } else {
            index = BlockIndex(try load())
            state.withLock { if $0.generation == generation { $0.blocks[id] = index } }
        }
        return index.block(containing: userID).map { Located(block: $0, generation: generation) }
    }

    func file(_ id: Int64, open: () throws -> SystemFile) rethrows -> SystemFile {
        if let cached = state.withLock({ $0.files[id] }) { return cached.file }
        let file = ReadOnlyFile(file: try open())
        return state.withLock { s in
            if let raced = s.files[id] { return raced.file }
            s.files[id] = file
            return file.file
        }
    }

    /// `block` of revision `id` as a lookup kept it: its verified bytes and its directory.
    func cached(snapshot id: Int64, block: BlockRow) -> BlockCache.Block? {
        state.withLock { $0.bytes.block(snapshot: id, block) }
    }

    /// Keeps a block that passed its checksum, unless an erasure came since the block's place
    /// was read (`generation`).
    func keep(_ kept: BlockCache.Block, of block: BlockRow, snapshot id: Int64, generation: Int) {
        state.withLock { s in
            if s.generation == generation { s.bytes.keep(kept, snapshot: id, block: block) }
        }
    }

    /// How many blocks and bytes the block cache holds (for tests).
    var cachedBlocks: (count: Int, bytes: Int) { state.withLock { ($0.bytes.count, $0.bytes.size) } }

    /// Drops the rows, the block indexes and the cached blocks (an erasure changed blocks);
    /// open files stay.
    func forgetAll() {
        state.withLock { s in
            s.rows.removeAll()
            s.blocks.removeAll()
            s.bytes.removeAll()
            s.generation += 1
        }
    }

    /// Closes the files (the store is closing).
    func close() {
        state.withLock { s in
            s = State(bytes: BlockCache(capacity: cacheBytes), generation: s.generation + 1)
        }
    }
}
