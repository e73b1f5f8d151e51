import GRDB

/// The database schema, as GRDB migrations. Never edit a shipped migration: add one.
///
/// - `snapshot`: one row per stored revision of a month of a model. `month` is
///   `Month.index` (`year * 12 + month - 1`), `closed_at` the RFC 3339 UTC wall time the
///   revision was written, `content_digest` a `LineDigest` of its export lines.
/// - `score`: one row per user of a revision, holding the exact export line. The primary
///   key orders rows by `user_id` in byte order (BINARY collation compares UTF-8 bytes),
///   which is the export's order, so an export is a range scan. `WITHOUT ROWID` keeps each
///   row in exactly one b-tree cell, so a deleted row leaves no copy behind.
/// - `score_by_user`: per-user history and erasure without scanning every month.
enum SnapshotSchema {
    static let migrator: DatabaseMigrator = {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE snapshot (
                        model_version TEXT NOT NULL,
                        month INTEGER NOT NULL,
                        revision INTEGER NOT NULL CHECK (revision >= 0),
                        closed_at TEXT NOT NULL,
                        user_count INTEGER NOT NULL,
                        content_digest INTEGER NOT NULL,
                        PRIMARY KEY (model_version, month, revision)
                    ) WITHOUT ROWID;
                    CREATE TABLE score (
                        model_version TEXT NOT NULL,
                        month INTEGER NOT NULL,
                        revision INTEGER NOT NULL,
                        user_id TEXT NOT NULL COLLATE BINARY,
                        score INTEGER NOT NULL,
                        reasons TEXT NOT NULL,
                        line TEXT NOT NULL,
                        PRIMARY KEY (model_version, month, revision, user_id)
                    ) WITHOUT ROWID;
                    CREATE INDEX score_by_user ON score (user_id, model_version, month);
                    """)
        }
        return migrator
    }()
}
