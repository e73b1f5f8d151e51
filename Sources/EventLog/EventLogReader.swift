/// A record read from the log, with its own copy of the payload.
public struct LogRecord: Sendable, Hashable {
    public var lsn: UInt64
    public var payload: [UInt8]

    public init(lsn: UInt64, payload: [UInt8]) {
        self.lsn = lsn
        self.payload = payload
    }
}

/// Reads records of a log, from any LSN, in large chunks.
///
/// Made by `EventLog.makeReader()` (or with the log's `commitWatermark`), it reads up to
/// what was committed and may run in another task while the appender works. Made from a
/// directory alone, it reads up to the end of the written records; use that for a closed
/// log or for tools, since it cannot tell a record being written from a torn one.
///
/// ```swift
/// let reader = try log.makeReader()
/// let end = try reader.forEach(from: 1_000) { lsn, payload in
///     try handle(lsn, payload)  // `payload` is valid only inside the closure
/// }
/// ```
///
/// Not `Sendable`: it owns file descriptors and buffers. Give each task its own reader.
public final class EventLogReader {
    public let directory: String
    public let configuration: EventLogConfiguration
    /// The bound of what this reader reads, if it reads a live log.
    public let watermark: CommitWatermark?

    /// A reader of the log in `directory`; with `watermark`, it reads only committed records.
    public init(
        directory: String, configuration: EventLogConfiguration = EventLogConfiguration(),
        watermark: CommitWatermark? = nil
    ) throws {
        try configuration.validate()
        self.directory = directory
        self.configuration = configuration
        self.watermark = watermark
    }

    /// Calls `body` with every record from `lsn` on, in order; the payload pointer is valid
    /// only during the call (nothing is allocated per record). Returns the LSN after the last
    /// record read, where a later call can continue.
    ///
    /// Throws `.lsnNotFound` when `lsn` is before the oldest segment, `.corruptRecord` at a
    /// damaged record, and whatever `body` throws.
    @discardableResult
    public func forEach(
        from lsn: UInt64 = 0, _ body: (_ lsn: UInt64, _ payload: UnsafeRawBufferPointer) throws -> Void
    ) throws -> UInt64 {
        let stream = try RecordStream(
            directory: directory, configuration: configuration, watermark: watermark, from: lsn)
        try stream.forEach(body)
        return stream.position
    }

    /// A cursor over the records from `lsn` on. It can be kept and polled: after it returns
    /// `nil`, a later `next()` returns records committed since.
    public func records(from lsn: UInt64 = 0) throws -> EventLogCursor {
        EventLogCursor(
            stream: try RecordStream(
                directory: directory, configuration: configuration, watermark: watermark, from: lsn))
    }

    /// The records from `lsn` on, at most `limit` of them, copied.
    public func read(from lsn: UInt64 = 0, limit: Int = .max) throws -> [LogRecord] {
        let cursor = try records(from: lsn)
        var out: [LogRecord] = []
        while out.count < limit, let record = try cursor.next() { out.append(record) }
        return out
    }
}

/// A position in a log that hands out records one at a time (see `EventLogReader.records(from:)`).
///
/// `Sequence` cannot throw, and reading can fail, so this is a cursor with a throwing `next()`:
///
/// ```swift
/// let cursor = try reader.records(from: 0)
/// while let record = try cursor.next() { print(record.lsn) }
/// ```
public final class EventLogCursor {
    private let stream: RecordStream

    init(stream: RecordStream) {
        self.stream = stream
    }

    /// The LSN of the next record to read.
    public var nextLSN: UInt64 { stream.position }

    /// Moves to `lsn`, forward or back: the next record is `lsn`'s (or, past the end of what is
    /// committed, `nil`). Cheaper than a new cursor for each of many scattered LSNs: the open
    /// segment stays open and each sealed segment's index is read once per cursor. The records
    /// walked over between the index entry and `lsn` are framed but not checksummed; the one
    /// handed out always is (`credence log verify` checks them all).
    public func seek(to lsn: UInt64) throws {
        try stream.seek(to: lsn)
    }

    /// The next record, copied; `nil` at the end of what is committed for now.
    public func next() throws -> LogRecord? {
        guard let record = try stream.next() else { return nil }
        return LogRecord(lsn: record.lsn, payload: Array(record.payload))
    }

    /// Calls `body` with the next record without copying it; `nil` at the end for now.
    public func next<Result>(
        _ body: (_ lsn: UInt64, _ payload: UnsafeRawBufferPointer) throws -> Result
    ) throws -> Result? {
        guard let record = try stream.next() else { return nil }
        return try body(record.lsn, record.payload)
    }
}

extension EventLog {
    /// A reader of this log that reads up to what is committed, in this task or another.
    public func makeReader() throws -> EventLogReader {
        try EventLogReader(directory: directory, configuration: configuration, watermark: commitWatermark)
    }
}
