import CredenceCore
import EventLog
import Foundation
import GRDB
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A stored revision, as the catalogue's `snapshot` table holds it.
struct SnapshotRow: Sendable {
    var id: Int64
    var modelVersion: String
    var month: Month
    var revision: Int
    var userCount: Int
    var reasonsJSON: String
    var fileSize: Int64

    init(_ row: Row) {
        id = row["id"]
        modelVersion = row["model_version"]
        month = Month(index: row["month"])
        revision = row["revision"]
        userCount = row["user_count"]
        reasonsJSON = row["reasons"]
        fileSize = row["file_size"]
    }

    static let columns = "id, model_version, month, revision, user_count, reasons, file_size"
}

/// Where a block of a month file is, as the catalogue's `block` table holds it.
struct BlockRow: Sendable {
    var firstUser: String
    var offset: Int64
    var length: Int
    var count: Int
    var crc: UInt32

    init(firstUser: String, offset: Int64, length: Int, count: Int, crc: UInt32) {
        self.firstUser = firstUser
        self.offset = offset
        self.length = length
        self.count = count
        self.crc = crc
    }

    init(_ row: Row) {
        firstUser = row[0]
        offset = row[1]
        length = row[2]
        count = row[3]
        crc = UInt32(truncatingIfNeeded: row[4] as Int64)
    }

    static let columns = "first_user, offset, length, count, crc"
}

extension SnapshotStore {
    /// The stored revision, or `nil`.
    static func snapshotRow(_ db: Database, _ month: Month, _ modelVersion: String, _ revision: Int) throws
        -> SnapshotRow?
    {
        try Row.fetchOne(
            db.cachedStatement(
                sql:
                    "SELECT \(SnapshotRow.columns) FROM snapshot WHERE model_version = ? AND month = ? AND revision = ?"
            ),
            arguments: [modelVersion, month.index, revision]
        ).map(SnapshotRow.init)
    }

    /// The block that holds `userID` if any user of the revision does: the last whose first user
    /// is at most `userID` in byte order.
    static func block(_ db: Database, snapshot id: Int64, containing userID: String) throws -> BlockRow? {
        try Row.fetchOne(
            db.cachedStatement(
                sql: """
                    SELECT \(BlockRow.columns) FROM block WHERE snapshot = ? AND first_user <= ?
                    ORDER BY first_user DESC LIMIT 1
                    """),
            arguments: [id, userID]
        ).map(BlockRow.init)
    }

    /// The first block whose first user is at least `userID`: where a block read before an
    /// erasure moved it went (its key may have grown if its first user was erased).
    static func block(_ db: Database, snapshot id: Int64, from userID: String) throws -> BlockRow? {
        try Row.fetchOne(
            db.cachedStatement(
                sql: """
                    SELECT \(BlockRow.columns) FROM block WHERE snapshot = ? AND first_user >= ?
                    ORDER BY first_user LIMIT 1
                    """),
            arguments: [id, userID]
        ).map(BlockRow.init)
    }

    /// Every block of a revision, in user order.
    static func blocks(_ db: Database, snapshot id: Int64) throws -> [BlockRow] {
        try Row.fetchAll(
            db, sql: "SELECT \(BlockRow.columns) FROM block WHERE snapshot = ? ORDER BY first_user", arguments: [id]
        ).map(BlockRow.init)
    }

    /// The reason dictionary of a revision, parsed once.
    func reasons(of row: SnapshotRow) throws -> [String] {
        if let cached = reasonCache.withLock({ $0[row.id] }) { return cached }
        let codes = try JSONDecoder().decode([String].self, from: Data(row.reasonsJSON.utf8))
        reasonCache.withLock { $0[row.id] = codes }
        return codes
    }

    func openMonthFile(_ id: Int64, writable: Bool = false) throws -> SystemFile {
        try SystemFile.open(filePath(id), flags: writable ? O_RDWR : O_RDONLY)
    }

    /// A block's bytes, or `nil` when they no longer match the catalogue's checksum: an erasure
    /// moved the block and zeroed its old place after the caller read the catalogue.
    static func read(_ block: BlockRow, from file: SystemFile, into buffer: inout [UInt8]) throws -> Bool {
        if buffer.count < block.length { buffer = [UInt8](repeating: 0, count: block.length) }
        let got = try buffer.withUnsafeMutableBytes { b in
            try file.read(into: UnsafeMutableRawBufferPointer(rebasing: b[..<block.length]), at: block.offset)
        }
        guard got == block.length else { return false }
        return buffer.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[..<block.length])) }
            == block.crc
    }

    /// The entries of a block, reading it again from where the catalogue now puts it when an
    /// erasure moved it meanwhile; `[]` when its users were all erased.
    func entries(
        of block: BlockRow, in row: SnapshotRow, file: SystemFile, buffer: inout [UInt8]
    ) throws -> [SnapshotEntry] {
        var current = block
        for _ in 0..<3 {
            if try Self.read(current, from: file, into: &buffer) {
                return try buffer.withUnsafeBytes {
                    try MonthFile.decode(
                        UnsafeRawBufferPointer(rebasing: $0[..<current.length]), reasons: reasons(of: row))
                }
            }
            let first = current.firstUser
            guard let moved = try pool.read({ db in try Self.block(db, snapshot: row.id, from: first) }) else {
                return []
            }
            if moved.offset == current.offset && moved.crc == current.crc { break }
            current = moved
        }
        throw damaged(row)
    }

    /// A block of `row` fails its checksum even where the catalogue now puts it.
    func damaged(_ row: SnapshotRow) -> SnapshotStoreError {
        SnapshotStoreError(
            code: .database,
            message: "a block of \(row.month) (model \(row.modelVersion), revision \(row.revision)) fails its "
                + "checksum in \(filePath(row.id)): the file is damaged; restore the store from a backup or "
                + "rebuild it with a replay")
    }

    /// Overwrites with zeros the old extents that erasures left. With `durably`, fsyncs them
    /// and forgets them; without, they stay listed until a later fsync of their file (the next
    /// erasure that touches it, ``close()`` or the next open) makes the zeros durable.
    func finishWipes(_ db: Database, durably: Bool = true) throws {
        let rows = try Row.fetchAll(db, sql: "SELECT snapshot, offset, length FROM wipe ORDER BY snapshot")
        guard !rows.isEmpty else { return }
        var files: [Int64: SystemFile] = [:]
        for row in rows {
            let id: Int64 = row[0]
            let file: SystemFile
            if let f = files[id] {
                file = f
            } else {
                file = try openMonthFile(id, writable: true)
                files[id] = file
            }
            try file.write([UInt8](repeating: 0, count: row[2]), at: row[1])
        }
        guard durably else { return }
        if configuration.syncs { for file in files.values { try file.sync() } }
        try db.execute(sql: "DELETE FROM wipe")
    }
}
