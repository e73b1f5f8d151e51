#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An append-only, checksummed, segmented log of opaque records, numbered by LSN from 0.
///
/// `append` frames a record into a reusable write buffer (no allocation per record) and
/// returns its LSN; `commit` writes the buffer with `pwrite` and syncs it as the
/// configuration's `Durability` says. Records are "done" only once `commit` returns.
/// Opening the log recovers from a crash: a torn or damaged tail of the last segment is
/// cut, and `recovery` says what was cut.
///
/// ```swift
/// let log = try EventLog(directory: dataDirectory + "/log")
/// let lsn = try log.append(bytes)
/// try log.commit()
/// try log.makeReader().forEach(from: 0) { lsn, payload in ... }
/// try log.close()
/// ```
///
/// Concurrency: a non-`Sendable` class owned by one task. Appending is the hot path and a
/// single writer is the log's model, so it takes no lock; an exclusive `flock` on the
/// directory keeps other appenders (in this or another process) out. Readers run in other
/// tasks with their own `EventLogReader`, which reads up to the `CommitWatermark` this
/// object advances atomically after each commit.
///
/// Its calls block on `pwrite` and `fdatasync`: run the appender on a dedicated thread, not
/// on the cooperative pool. Being one thread's, its mutable state skips the runtime's
/// exclusivity bookkeeping (`@exclusivity(unchecked)`), a few percent of every append.
public final class EventLog {
    /// The directory holding the segment and index files.
    public let directory: String
    public let configuration: EventLogConfiguration
    /// What opening the log cut from its last segment, or `nil` when it was intact.
    public let recovery: RecoveryReport?
    /// The end of the committed records, for readers in other tasks.
    public let commitWatermark: CommitWatermark

    /// The LSN the next `append` returns.
    @exclusivity(unchecked) public private(set) var nextLSN: UInt64
    /// Every record with an LSN below this one is committed.
    public var committedEnd: UInt64 { commitWatermark.end }

    private struct OpenFiles {
        var lock: SystemFile
        var segment: SystemFile
        var index: SystemFile
    }

    @exclusivity(unchecked) private var files: OpenFiles?
    /// Bytes of the segment file written so far.
    @exclusivity(unchecked) private var segmentEnd: Int64
    @exclusivity(unchecked) private var indexEnd: Int64
    /// Offset of the last indexed record (or of the first record of the segment).
    @exclusivity(unchecked) private var lastIndexed: Int64
    /// Frames appended and not yet written.
    @exclusivity(unchecked) private var buffer: UnsafeMutableRawBufferPointer
    @exclusivity(unchecked) private var pending = 0
    /// Encoded index entries not yet written.
    @exclusivity(unchecked) private var pendingIndex: [UInt8] = []
    @exclusivity(unchecked) private var unsynced = false
    /// The write or sync error that stopped the log, if any.
    @exclusivity(unchecked) private var failure: EventLogError?
    @exclusivity(unchecked) private var lastSync = ContinuousClock.now

    /// Opens the log in `directory` (created if missing) for appending, recovering its tail.
    ///
    /// Throws `EventLogError` with code `.locked` when another appender has it open,
    /// `.corruptSegment` when the last segment's header is damaged, `.io` on system errors.
    public init(directory: String, configuration: EventLogConfiguration = EventLogConfiguration()) throws {
        try configuration.validate()
        try FileSystem.makeDirectory(directory)
        let lock = try SystemFile.open(directory, flags: O_RDONLY | O_DIRECTORY)
        guard try lock.lockExclusively() else {
            throw EventLogError(
                code: .locked,
                message: "The log in \(directory) is open for appending elsewhere; stop that process "
                    + "(or close the other EventLog) first, or open an EventLogReader to only read.",
                path: directory)
        }
        let tail = try Recovery.openTail(directory: directory, configuration: configuration)
        self.directory = directory
        self.configuration = configuration
        self.recovery = tail.report
        self.files = OpenFiles(lock: lock, segment: tail.segment, index: tail.index)
        self.segmentEnd = tail.segmentEnd
        self.indexEnd = tail.indexEnd
        self.lastIndexed = tail.lastIndexed
        self.nextLSN = tail.nextLSN
        self.commitWatermark = CommitWatermark(tail.nextLSN)
        self.buffer = .allocate(byteCount: configuration.writeBufferSize, alignment: 16)
        pendingIndex.reserveCapacity(64 * SparseIndex.entrySize)
    }

    deinit { buffer.deallocate() }

    /// Appends a record and returns its LSN. It is committed by the next `commit()`.
    ///
    /// Throws `.recordTooLarge` for a payload over `maxRecordSize`, `.closed` after `close()`.
    @discardableResult
    public func append(_ payload: UnsafeRawBufferPointer) throws -> UInt64 {
        let frame = try reserveFrame(count: payload.count)
        if payload.count > 0 {
            (frame + RecordFrame.headerSize).copyMemory(from: payload.baseAddress!, byteCount: payload.count)
        }
        return sealFrame(frame, count: payload.count)
    }

    /// Appends a record and returns its LSN. It is committed by the next `commit()`.
    @inlinable
    @discardableResult
    public func append(_ payload: some Collection<UInt8>) throws -> UInt64 {
        if let lsn = try payload.withContiguousStorageIfAvailable({ try append(UnsafeRawBufferPointer($0)) }) {
            return lsn
        }
        return try appendCopying(payload)
    }

    /// The slow path of `append` for collections without contiguous storage.
    @usableFromInline
    func appendCopying(_ payload: some Collection<UInt8>) throws -> UInt64 {
        let count = payload.count
        let frame = try reserveFrame(count: count)
        var p = frame.advanced(by: RecordFrame.headerSize)
        for byte in payload {
            p.storeBytes(of: byte, as: UInt8.self)
            p += 1
        }
        return sealFrame(frame, count: count)
    }

    /// Writes the appended records and makes them durable per `configuration.durability`;
    /// then readers see them. Does nothing when nothing was appended since the last commit.
    ///
    /// When a write or sync fails, the error is thrown and the log stops: later calls throw
    /// `.closed`. Open the log again; recovery keeps exactly what reached the disk intact.
    public func commit() throws {
        try flush()
        if unsynced {
            switch configuration.durability.mode {
            case .everyCommit: try sync()
            case .never: break
            case .interval(let interval): if ContinuousClock.now - lastSync >= interval { try sync() }
            }
        }
        commitWatermark.advance(to: nextLSN)
    }

    /// Commits pending records, syncs (unless durability is `.none`) and releases the files
    /// and the directory lock. Later calls do nothing; appends throw `.closed`. A log released
    /// without `close()` drops its uncommitted records.
    public func close() throws {
        guard files != nil else { return }
        try commit()
        if unsynced && configuration.durability.syncs { try sync() }
        files = nil
    }

    // MARK: - Internals

    /// Makes room for a frame of `count` payload bytes at `buffer[pending]`, rolling the
    /// segment or writing the buffer out first when needed.
    @inline(__always)
    private func reserveFrame(count: Int) throws -> UnsafeMutableRawPointer {
        guard count <= configuration.maxRecordSize else {
            throw EventLogError(
                code: .recordTooLarge,
                message: "A record of \(count) bytes is over maxRecordSize (\(configuration.maxRecordSize)); "
                    + "split it or raise maxRecordSize for the appender and every reader.")
        }
        guard files != nil else { throw closedError() }
        let frameSize = RecordFrame.headerSize + count
        let used = segmentEnd + Int64(pending)
        if used + Int64(frameSize) > Int64(configuration.segmentSize) && used > Int64(FileHeader.size) {
            try roll()
        }
        if pending + frameSize > buffer.count {
            try flush()
            if frameSize > buffer.count {
                buffer.deallocate()
                buffer = .allocate(byteCount: frameSize, alignment: 16)
            }
        }
        return buffer.baseAddress! + pending
    }

    /// Writes the frame header of a frame whose payload is in place, indexes it, returns its LSN.
    @inline(__always)
    private func sealFrame(_ frame: UnsafeMutableRawPointer, count: Int) -> UInt64 {
        frame.storeBytes(of: UInt32(count).littleEndian, as: UInt32.self)
        let crc = CRC32C.checksum(
            UnsafeRawBufferPointer(start: frame + RecordFrame.headerSize, count: count),
            continuing: CRC32C.checksum(UnsafeRawBufferPointer(start: frame, count: 4)))
        frame.storeBytes(of: crc.littleEndian, toByteOffset: 4, as: UInt32.self)
        let offset = segmentEnd + Int64(pending)
        let lsn = nextLSN
        if SparseIndex.wantsEntry(at: offset, after: lastIndexed, interval: configuration.indexInterval) {
            SparseIndex.encode(SparseIndex.Entry(lsn: lsn, offset: offset), into: &pendingIndex)
            lastIndexed = offset
        }
        pending += RecordFrame.headerSize + count
        nextLSN = lsn + 1
        return lsn
    }

    /// Runs the I/O of `body`; on an error the log stops taking appends for good. After a
    /// failed write or `fsync` the kernel may have dropped the dirty pages, so what is on the
    /// disk is unknown until recovery reads it back (the "fsyncgate" lesson).
    private func stoppingOnFailure<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch {
            let wrapped =
                error as? EventLogError
                ?? EventLogError(code: .io, message: "\(error)", path: directory)
            failure = wrapped
            files = nil
            throw wrapped
        }
    }

    /// Writes buffered frames, then their index entries (derived data, never synced).
    private func flush() throws {
        guard let files else { throw closedError() }
        try stoppingOnFailure { try flushFiles(files) }
    }

    private func flushFiles(_ files: OpenFiles) throws {
        if pending > 0 {
            try files.segment.write(UnsafeRawBufferPointer(start: buffer.baseAddress, count: pending), at: segmentEnd)
            segmentEnd += Int64(pending)
            pending = 0
            unsynced = true
        }
        if !pendingIndex.isEmpty {
            try files.index.write(pendingIndex, at: indexEnd)
            indexEnd += Int64(pendingIndex.count)
            pendingIndex.removeAll(keepingCapacity: true)
        }
    }

    private func sync() throws {
        guard let files else { throw closedError() }
        try stoppingOnFailure { try files.segment.sync() }
        unsynced = false
        lastSync = .now
    }

    /// Seals the current segment (written out and synced) and starts one at `nextLSN`.
    private func roll() throws {
        try flush()
        if configuration.durability.syncs && unsynced { try sync() }
        let created = try stoppingOnFailure {
            try Recovery.createSegment(directory: directory, base: nextLSN, configuration: configuration)
        }
        files!.segment = created.segment
        files!.index = created.index
        segmentEnd = Int64(FileHeader.size)
        indexEnd = Int64(FileHeader.size)
        lastIndexed = Int64(FileHeader.size)
        unsynced = false
    }

    private func closedError() -> EventLogError {
        if let failure {
            return EventLogError(
                code: .closed,
                message: "The log in \(directory) stopped after a failed write or sync (\(failure.message)) "
                    + "Records not committed before it are lost; open a new EventLog to recover and go on.",
                path: directory, errno: failure.errno)
        }
        return EventLogError(
            code: .closed, message: "The log in \(directory) was closed; open a new EventLog to append.")
    }
}
