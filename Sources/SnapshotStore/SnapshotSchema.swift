import GRDB

/// The catalogue's schema, as GRDB migrations. Never edit a shipped migration: add one.
///
/// Scores live in month files (``MonthFile``); the catalogue says what is stored and where:
///
/// - `snapshot`: one row per stored revision of a month of a model. `id` names the month
///   file (`<id>.scores`), `month` is `Month.index` (`year * 12 + month - 1`), `closed_at` the
///   RFC 3339 UTC wall time the revision was written, `reasons` the JSON array of reason codes
///   that the file's records index into, `file_size` where the next rewritten block goes.
/// - `block`: one row per block of a month file, keyed by its first `user_id` (BINARY collation
///   compares UTF-8 bytes, the export's order): offset, length, user count and CRC-32C. A point
///   lookup takes the last block whose key is at most the user id.
/// - `score_count`: users per score of a revision, for distributions without reading the file.
/// - `wipe`: old extents of blocks an erasure rewrote, still to be overwritten with zeros
///   (done right after the erasure commits; a crash in between is finished at the next open).
///
/// Version 1 kept every export line in a `score` table; that layout is refused (see
/// `SnapshotStore.init`).
enum SnapshotSchema {
    static let migrator: DatabaseMigrator = {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v2-month-files") { db in
            try db.execute(
                sql: """
                    CREATE TABLE snapshot (
                        id INTEGER PRIMARY KEY,
                        model_version TEXT NOT NULL,
                        month INTEGER NOT NULL,
                        revision INTEGER NOT NULL CHECK (revision >= 0),
                        closed_at TEXT NOT NULL,
                        user_count INTEGER NOT NULL,
                        reasons TEXT NOT NULL,
                        file_size INTEGER NOT NULL,
                        UNIQUE (model_version, month, revision)
                    );
                    CREATE TABLE block (
                        snapshot INTEGER NOT NULL,
                        first_user TEXT NOT NULL COLLATE BINARY,
                        offset INTEGER NOT NULL,
                        length INTEGER NOT NULL,
                        count INTEGER NOT NULL,
                        crc INTEGER NOT NULL,
                        PRIMARY KEY (snapshot, first_user)
                    ) WITHOUT ROWID;
                    CREATE TABLE score_count (
                        snapshot INTEGER NOT NULL,
                        score INTEGER NOT NULL,
                        count INTEGER NOT NULL,
                        PRIMARY KEY (snapshot, score)
                    ) WITHOUT ROWID;
                    CREATE TABLE wipe (
                        snapshot INTEGER NOT NULL,
                        offset INTEGER NOT NULL,
                        length INTEGER NOT NULL,
                        PRIMARY KEY (snapshot, offset)
                    ) WITHOUT ROWID;
                    """)
        }
        return migrator
    }()
}
