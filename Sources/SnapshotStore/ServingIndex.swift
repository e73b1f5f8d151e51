import CredenceCore
import EventLog
import Synchronization

/// What a point lookup needs, kept in memory so that the query API's hot path reads no SQLite:
/// the catalogue rows of the revisions asked for, each revision's block index (first user,
/// place, checksum: about 50 bytes per 64 users), and one open read-only descriptor per month
/// file. Loaded on first use, from the catalogue.
///
/// Closed revisions never change, except through an erasure, which rewrites blocks: it calls
/// ``forgetAll()`` as soon as its catalogue transaction commits, before it zeroes the old
/// extents. A reader that took a block's place just before that finds a checksum mismatch and
/// asks the catalogue again (``SnapshotStore/entries(of:in:file:buffer:only:)``), as it did
/// before this cache existed.
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

    private struct State {
        var rows: [Key: SnapshotRow] = [:]
        var blocks: [Int64: [BlockRow]] = [:]
        var files: [Int64: ReadOnlyFile] = [:]
        /// Bumped by ``forgetAll()``: what a reader loaded from before it is not kept.
        var generation = 0
    }

    private let state = Mutex(State())

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
    func block(snapshot id: Int64, containing userID: String, load: () throws -> [BlockRow]) rethrows -> BlockRow? {
        let blocks: [BlockRow]
        let (cached, generation) = state.withLock { ($0.blocks[id], $0.generation) }
        if let cached {
            blocks = cached
        } else {
            blocks = try load()
            state.withLock { if $0.generation == generation { $0.blocks[id] = blocks } }
        }
        // The first block whose first user is after `userID`, then one back.
        var low = 0
        var high = blocks.count
        while low < high {
            let mid = (low + high) / 2
            if ScoringState.byteOrder(userID, blocks[mid].firstUser) { high = mid } else { low = mid + 1 }
        }
        return low == 0 ? nil : blocks[low - 1]
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

    /// Drops the rows and block indexes (an erasure changed blocks); open files stay.
    func forgetAll() {
        state.withLock { s in
            s.rows.removeAll()
            s.blocks.removeAll()
            s.generation += 1
        }
    }

    /// Closes the files (the store is closing).
    func close() {
        state.withLock { s in s = State(generation: s.generation + 1) }
    }
}
