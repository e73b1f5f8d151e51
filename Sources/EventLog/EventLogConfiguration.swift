/// Settings of an event log; the same values must be used by its appender and its readers.
///
/// ```swift
/// var configuration = EventLogConfiguration()
/// configuration.segmentSize = 64 << 20
/// try configuration.validate()
/// ```
public struct EventLogConfiguration: Sendable, Hashable {
    /// A segment is closed and a new one started when the next record would make it larger
    /// than this many bytes (a single record larger than this gets a segment of its own).
    /// Default: 128 MiB.
    public var segmentSize: Int = 128 << 20

    /// Distance in bytes between entries of the sparse `.idx` file; smaller seeks faster,
    /// larger keeps the index smaller (24 bytes an entry on disk, 16 in a reader's memory).
    /// Default: 16 KiB, 0.15% of the log on disk: an erasure's point reads each walk from the
    /// entry before their record, 8 KiB on average (32 KiB at the 64 KiB of sessions before 36).
    public var indexInterval: Int = 16 << 10

    /// The largest payload accepted; a length field above it is read as garbage. Default: 16 MiB.
    public var maxRecordSize: Int = 16 << 20

    /// When commits reach stable storage. Default: `.fsyncEveryCommit`.
    public var durability: Durability = .fsyncEveryCommit

    /// Bytes the appender buffers before writing them out; a commit writes whatever is
    /// buffered. Records written early are still not committed. Default: 1 MiB.
    public var writeBufferSize: Int = 1 << 20

    /// Bytes a reader asks for per `pread`. Default: 1 MiB.
    public var readChunkSize: Int = 1 << 20

    public init() {}

    /// Throws an `EventLogError` with code `.invalidConfiguration` naming the first bad setting.
    public func validate() throws {
        func check(_ ok: Bool, _ message: String) throws {
            if !ok { throw EventLogError(code: .invalidConfiguration, message: message) }
        }
        try check(
            segmentSize >= 64 && segmentSize <= 1 << 40,
            "segmentSize is \(segmentSize); set it between 64 bytes and 1 TiB (default 128 MiB).")
        try check(indexInterval >= 1, "indexInterval is \(indexInterval); set it to at least 1 byte (default 64 KiB).")
        try check(
            maxRecordSize >= 0 && maxRecordSize <= Int(Int32.max) - RecordFrame.headerSize,
            "maxRecordSize is \(maxRecordSize); set it between 0 and 2 GiB - 9 bytes (default 16 MiB).")
        try check(
            writeBufferSize >= 4096 && writeBufferSize <= 1 << 30,
            "writeBufferSize is \(writeBufferSize); set it between 4 KiB and 1 GiB (default 1 MiB).")
        try check(
            readChunkSize >= 4096 && readChunkSize <= 1 << 30,
            "readChunkSize is \(readChunkSize); set it between 4 KiB and 1 GiB (default 1 MiB).")
        if case .interval(let d) = durability.mode {
            try check(d >= .zero, "durability interval is \(d); use a positive duration or .fsyncEveryCommit.")
        }
    }
}
