import Foundation
import GRDB

/// Closed monthly snapshots in SQLite: immutable, versioned by month, model version and
/// revision, queryable per month and per user.
///
/// A month closes once (revision 0); an operator's restatement writes revision 1, 2, ...
/// beside the older ones, and reads default to the latest revision of each month.
/// Erasure (`deleteUser(_:)`) removes a user from every revision of every month and
/// model; `PRAGMA secure_delete` overwrites the deleted bytes and a WAL checkpoint makes
/// sure they do not linger in the write-ahead log.
///
/// ```swift
/// let store = try SnapshotStore(directory: dataDirectory)
/// try store.writeClosed(snapshot)
/// try store.export(month: snapshot.month, modelVersion: "default-1") { line in print(line) }
/// ```
///
/// The store is `Sendable`: writes are serialized by GRDB's writer connection, and reads
/// (`export`, `history`, ...) run concurrently on reader connections, each seeing a
/// consistent committed state.
public final class SnapshotStore: Sendable {
    /// The file name of the store inside a data directory.
    public static let fileName = "snapshots.sqlite"

    /// The path of the SQLite database file.
    public let path: String
    public let configuration: Configuration
    let pool: DatabasePool

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

    /// Opens or creates the database file at `path` and brings its schema up to date.
    ///
    /// - Throws: `SnapshotStoreError` `.cannotOpen` when the file cannot be opened, or
    ///   `.newerSchema` when a newer credence has migrated it.
    public init(path: String, configuration: Configuration = Configuration()) throws {
        try configuration.validate()
        self.path = path
        self.configuration = configuration

        var config = GRDB.Configuration()
        config.label = "credence.snapshots"
        config.busyMode = .timeout(configuration.busyTimeout)
        config.maximumReaderCount = configuration.maximumReaderCount
        let cacheKiB = configuration.cacheSizeKiB
        let pageSize = configuration.pageSize
        config.prepareDatabase { db in
            // Deleted rows (erased users) are overwritten with zeros, not left in free space.
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
            let superseded = try pool.read { db in try migrator.hasBeenSuperseded(db) }
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
        try? checkpoint()
        try run("closing") { try pool.close() }
    }

    /// Runs `body`, turning SQLite errors into `SnapshotStoreError` `.database`.
    func run<T>(_ operation: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as SnapshotStoreError {
            throw error
        } catch {
            throw SnapshotStoreError(
                code: .database,
                message: "\(operation) failed on the snapshot database at \(path): check free disk space and "
                    + "file permissions, and restore the file from a backup or rebuild it with a replay if it is "
                    + "corrupt",
                underlying: error)
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

        /// SQLite page cache of each connection, in KiB. Default: 32768 (32 MiB), enough to
        /// keep the per-user index hot while a month of a million users is written.
        public var cacheSizeKiB: Int = 32_768

        /// SQLite page size in bytes, a power of two in 512...65536, used when the file is
        /// created (an existing file keeps its own). Default: 16384: rows of about 600 bytes
        /// pack with less overhead than in 4 KiB pages, and writes and exports run faster.
        public var pageSize: Int = 16_384

        /// Whether `deleteUser(_:)` runs a truncating WAL checkpoint after the erasure
        /// commits, so the erased bytes leave the write-ahead log at once. Default: true.
        public var checkpointAfterErasure = true

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
            guard cacheSizeKiB >= 64 else {
                throw SnapshotStoreError(
                    code: .invalidConfiguration, message: "cacheSizeKiB must be at least 64, not \(cacheSizeKiB)")
            }
        }
    }
}
