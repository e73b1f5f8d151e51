import GRDB

/// Direct SQL on a store's file, to simulate what credence itself never does.
enum SQLiteFixture {
    static func execute(_ sql: String, in path: String) throws {
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in try db.execute(sql: sql) }
    }
}
