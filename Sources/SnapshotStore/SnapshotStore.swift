import EventLog
import Foundation
import GRDB
import Synchronization

/// Closed monthly snapshots: immutable, versioned by month, model version and revision,
/// queryable per month and per user.
///
/// Each stored revision is a month file of compact binary blocks sorted by `user_id`
/// (``MonthFile``, about 40 bytes per user), beside a SQLite catalogue that says which
/// revisions exist and where each block is (``SnapshotSchema``). Writing a month of a million
/// users is one sequential file write and fsync plus a few thousand catalogue rows; an export
/// renders the lines from the blocks with the function that renders the live export, so the
/// bytes are identical.
///
/// A month closes once (revision 0); an operator's restatement writes revision 1, 2, ...
/// beside the older ones, and reads default to the latest revision of each month.
/// Erasure (`deleteUser(_:)`) removes a user from every revision of every month and model:
/// each block holding the user is rewritten without them at the end of its file, and the old
/// bytes are overwritten with zeros.
///
/// ```swift
/// let store = try SnapshotStore(directory: dataDirectory)
/// try store.writeClosed(snapshot)
/// try store.export(month: snapshot.month, modelVersion: "default-1") { line in print(line) }
/// ```
///
/// The store is `Sendable`: writes are serialized by GRDB's writer connection, and reads
/// (`export`, `history`, ...) run concurrently on reader connections. Blocks are never
/// changed in place, so a read sees either a block before an erasure or after it.
public final class SnapshotStore: Sendable {
    /// The file name of the catalogue inside a data directory.
    public static let fileName = "snapshots.sqlite"

    /// The path of the SQLite catalogue.
    public let path: String
    /// The directory of the month files: the catalogue's path with `.months` appended.
    public let monthsDirectory: String
    public let configuration: Configuration
    let pool: DatabasePool
    /// Reason dictionaries of revisions already read, by snapshot id (they never change).
    let reasonCache = Mutex<[Int64: [String]]>([:])
    /// Catalogue rows, block indexes, open month files and recently read blocks for point lookups.
    let serving: ServingIndex

    /// Opens the store in `directory` (`<directory>/snapshots.sqlite`), creating the
    /// directory and the database when they do not exist.
    public convenience init(directory: String, configuration: Configuration = Configuration()) throws {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw SnapshotStoreError(
                code: .cannotOpen,
                message: "cannot create the data directory \(directory): check the path and its permissions",
                underlying: error)
        }
        let path = directory.hasSuffix("/") ? directory + Self.fileName : directory + "/" + Self.fileName
        try self.init(path: path, configuration: configuration)
    }

    /// Opens or creates the catalogue at `path` and its month files, brings the schema up to
    /// date, and finishes what a crash interrupted (zeroing old blocks, removing unfinished files).
    ///
    /// - Throws: `SnapshotStoreError` `.cannotOpen` when the file cannot be opened, or
    ///   `.newerSchema` when a newer credence has migrated it, or `.olderSchema` for the
    ///   layout of version 1.
    public init(path: String, configuration: Configuration = Configuration()) throws {
        try configuration.validate()
        self.path = path
        self.monthsDirectory = path + ".months"
        self.configuration = configuration
        serving = ServingIndex(cacheBytes: configuration.servingCacheBytes)

        var config = GRDB.Configuration()
        config.label = "credence.snapshots"
        config.busyMode = .timeout(configuration.busyTimeout)
        config.maximumReaderCount = configuration.maximumReaderCount
        let cacheKiB = configuration.cacheSizeKiB
        let pageSize = configuration.pageSize
        config.prepareDatabase { db in
            // Deleted rows (block keys of erased users) are overwritten with zeros, not left in free space.
            try db.execute(sql: "PRAGMA secure_delete = ON")
            try db.execute(sql: "PRAGMA cache_size = -\(cacheKiB)")
            // Only takes effect while the file is still empty, before the schema is created.
            try db.execute(sql: "PRAGMA page_size = \(pageSize)")
        }
        let pool: DatabasePool
        do {
            pool = try DatabasePool(path: path, configuration: config)
        } catch {
            throw SnapshotStoreError(
                code: .cannotOpen,
                message: "cannot open the snapshot database at \(path): check that the file is a credence "
                    + "snapshot database and that its directory is writable",
                underlying: error)
        }
        let migrator = SnapshotSchema.migrator
        do {
            let (superseded, version1) = try pool.read { db in
                (try migrator.hasBeenSuperseded(db), try db.tableExists("score"))
            }
            if version1 {
                throw SnapshotStoreError(
                    code: .olderSchema,
                    message: "the snapshot database at \(path) was written by an older credence (export lines "
                        + "inside SQLite); this version keeps month files beside a catalogue: run the credence "
                        + "version that wrote it, or ingest the original input again into a new data directory")
            }
            if superseded {
                throw SnapshotStoreError(
                    code: .newerSchema,
                    message: "the snapshot database at \(path) was written by a newer credence: upgrade credence "
                        + "to read it")
            }
            try migrator.migrate(pool)
        } catch let error as SnapshotStoreError {
            throw error
        } catch {
            throw SnapshotStoreError(
                code: .cannotOpen,
                message: "cannot prepare the snapshot database at \(path): check that the file is a credence "
                    + "snapshot database, that it is writable and that the disk is not full",
                underlying: error)
        }
        self.pool = pool
        do {
            try FileSystem.makeDirectory(monthsDirectory)
        } catch {
            throw SnapshotStoreError(
                code: .cannotOpen,
                message: "cannot create \(monthsDirectory) for the month files: check the permissions",
                underlying: error)
        }
        try recover()
    }

    /// Runs a truncating WAL checkpoint: committed pages move into the database file and the
    /// write-ahead log is emptied, so bytes deleted by an erasure survive in neither.
    ///
    /// - Throws: `.database` when readers keep the log busy past the busy timeout; retry later.
    public func checkpoint() throws {
        try run("checkpoint") {
            try pool.writeWithoutTransaction { db in
                _ = try db.checkpoint(.truncate)
            }
        }
    }

    /// Checkpoints the write-ahead log and closes every connection. Later calls fail with
    /// `.database`. Closing is optional: connections also close when the store goes away.
    public func close() throws {
        // Erasures' zeros become durable now, not only at the next open.
        try? pool.writeWithoutTransaction { db in try finishWipes(db) }
        try? checkpoint()
        serving.close()
        try run("closing") { try pool.close() }
    }

    /// Runs `body`, turning SQLite and file errors into `SnapshotStoreError` `.database`.
    func run<T>(_ operation: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as SnapshotStoreError {
            throw error
        } catch {
            throw SnapshotStoreError(
                code: .database,
                message: "\(operation) failed on the snapshot store at \(path): check free disk space and "
                    + "file permissions, and restore the store from a backup or rebuild it with a replay if it is "
                    + "corrupt",
                underlying: error)
        }
    }

    /// The month file of snapshot `id`.
    func filePath(_ id: Int64) -> String { monthsDirectory + "/\(id).scores" }

    /// Finishes interrupted work: zeroes the old extents an erasure left to wipe, and removes
    /// month files that no catalogue row names (a crash while writing them).
    ///
    /// Inside an IMMEDIATE transaction: another process (a `credence run` beside a
    /// `credence snapshot export`) writes a month file only while it holds the catalogue's write
    /// lock, so a file being written is never taken for an orphan.
    private func recover() throws {
        try run("recovering the month files") {
            try pool.writeWithoutTransaction { db in
                try db.inTransaction(.immediate) {
                    try finishWipes(db)
                    let ids = Set(try Int64.fetchAll(db, sql: "SELECT id FROM snapshot"))
                    for name in try FileSystem.list(monthsDirectory) {
                        let stem = name.hasSuffix(".scores") ? String(name.dropLast(".scores".count)) : nil
                        if let stem, let id = Int64(stem), ids.contains(id) { continue }
                        try FileSystem.remove(monthsDirectory + "/" + name)
                    }
                    return .commit
                }
            }
        }
    }
}

extension SnapshotStore {
    /// Options of a `SnapshotStore`.
    public struct Configuration: Sendable {
        /// How long an operation waits for a lock held by another connection or process
        /// before failing, in seconds. Default: 5.
        public var busyTimeout: Double = 5

        /// How many reads may run at once (each on its own SQLite connection). Default: 4.
        public var maximumReaderCount: Int = 4

        /// SQLite page cache of each catalogue connection, in KiB. Default: 8192 (8 MiB).
        public var cacheSizeKiB: Int = 8_192

        /// SQLite page size of the catalogue in bytes, a power of two in 512...65536, used when
        /// the file is created (an existing file keeps its own). Default: 4096.
        public var pageSize: Int = 4_096

        /// Whether `deleteUser(_:)` runs a truncating WAL checkpoint after the erasure
        /// commits, so a block key naming the erased user leaves the write-ahead log at once.
        /// Default: true.
        public var checkpointAfterErasure = true

        /// Whether month files and erasures are fsynced. Default: true; turn off only for
        /// throwaway runs (a crash may then lose stored months; a replay rebuilds them).
        public var syncs = true

        /// Memory for the blocks that point lookups (the query API's score and eligibility)
        /// read, in bytes: a lookup of a block kept here reads no file. About 40 bytes per
        /// user and month; the oldest blocks go first when it is full, and an erasure empties
        /// it. 0 keeps none. Default: 64 MiB.
        public var servingCacheBytes = 64 << 20

        public init() {}

        /// Checks every option.
        public func validate() throws {
            guard busyTimeout >= 0, busyTimeout.isFinite else {
                throw SnapshotStoreError(
                    code: .invalidConfiguration,
                    message: "busyTimeout must be a finite number of seconds >= 0, not \(busyTimeout)")
            }
            guard maximumReaderCount >= 1 else {
                throw SnapshotStoreError(
                    code: .invalidConfiguration,
                    message: "maximumReaderCount must be at least 1, not \(maximumReaderCount)")
            }
            guard (512...65_536).contains(pageSize), pageSize & (pageSize - 1) == 0 else {
                throw SnapshotStoreError(
                    code: .invalidConfiguration,
                    message: "pageSize must be a power of two from 512 to 65536, not \(pageSize)")
            }
            guard servingCacheBytes >= 0 else {
                throw SnapshotStoreError(
                    code: .invalidConfiguration,
                    message: "servingCacheBytes must be 0 (no cache) or more, not \(servingCacheBytes)")
            }
            guard cacheSizeKiB >= 64 else {
                throw SnapshotStoreError(
                    code: .invalidConfiguration, message: "cacheSizeKiB must be at least 64, not \(cacheSizeKiB)")
            }
        }
    }
}
