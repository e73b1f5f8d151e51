#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Walks the records of a log in LSN order across segments: the engine of `EventLogReader`.
///
/// It seeks with the sparse index, follows segment rolls, and stops at the commit watermark
/// when it has one. Without one it stops at the end of the last segment, treating a torn
/// final record there as not yet written.
final class RecordStream {
    let directory: String
    let configuration: EventLogConfiguration
    let watermark: CommitWatermark?
    /// The LSN of the next record the cursor yields.
    private(set) var nextLSN: UInt64
    /// Records below this LSN are read but not handed out.
    private var skipUntil: UInt64
    private var cursor: FrameCursor?
    private var segmentPath = ""
    /// The base LSN of the open segment: an empty segment ends where it starts, and must not be
    /// taken for the next one.
    private var segmentBase: UInt64? = nil
    /// The segments' bases as last listed; listed again for an LSN past what the last one is
    /// known to hold.
    private var bases: [UInt64] = []
    /// The sparse indexes this stream has checked, by segment, so that ``seek(to:)`` loads each
    /// at most once. A sealed segment's (`complete`) never changes; the last segment's appender
    /// only adds entries, so one loaded while the segment was open stays true and serves any LSN
    /// before its last entry (a later one loads it again).
    private var loadedIndexes: [UInt64: (index: SparseIndex, complete: Bool)] = [:]

    init(directory: String, configuration: EventLogConfiguration, watermark: CommitWatermark?, from lsn: UInt64) throws
    {
        self.directory = directory
        self.configuration = configuration
        self.watermark = watermark
        self.nextLSN = lsn
        self.skipUntil = lsn
        try position(at: lsn)
    }

    /// The LSN after the last record handed out (or the starting LSN).
    var position: UInt64 { max(nextLSN, skipUntil) }

    /// Moves to `lsn`, forward or back: the next record handed out is `lsn`'s. Within a segment
    /// already open it keeps the file, and a sealed segment's index is loaded once per stream:
    /// an erasure visits a user's records across the whole log, one seek each.
    func seek(to lsn: UInt64) throws {
        skipUntil = lsn
        // Close ahead in the open segment: reading on is cheaper than seeking.
        if cursor != nil, lsn >= nextLSN, lsn - nextLSN <= 64 { return }
        try position(at: lsn)
    }

    /// The next record; its payload is valid until the next call. `nil` at the end of the
    /// committed (or, without a watermark, written) records; a later call may find more.
    func next() throws -> (lsn: UInt64, payload: UnsafeRawBufferPointer)? {
        let limit = watermark?.end ?? .max
        while true {
            guard nextLSN < limit else { return nil }
            guard let cursor else {
                try position(at: skipUntil)
                if self.cursor == nil { return nil }
                continue
            }
            // Records before `skipUntil` are passed over unverified: only those handed out are
            // checked (an erasure's point reads walk up to 64 KiB from an index entry to each).
            switch try cursor.next(verifying: nextLSN >= skipUntil) {
            case .record(_, let payload):
                let lsn = nextLSN
                nextLSN += 1
                if lsn < skipUntil { continue }
                return (lsn, payload)
            case .end:
                if nextLSN != segmentBase, try openSegment(base: nextLSN) { continue }
                if watermark != nil { throw missingCommitted(limit: limit) }
                try checkNoGap()
                return nil
            case .problem(let offset, let problem):
                let torn = problem == .tornHeader || problem == .tornPayload
                if torn && watermark == nil && !FileSystem.exists(SegmentFile.path(directory, base: nextLSN)) {
                    return nil
                }
                throw EventLogError(
                    code: .corruptRecord,
                    message: "Record \(nextLSN) at offset \(offset) of \(segmentPath) is damaged (\(problem)). "
                        + "Run `credence log verify` to see the extent; restore the segment from a backup.",
                    path: segmentPath)
            }
        }
    }

    /// Hands every record to `body` in order, as ``next()`` in a loop would, until the end of the
    /// committed (or written) records. Within a segment it holds the segment's cursor across
    /// records: ``next()`` takes a reference to it per record, whose retain and release were 7% of
    /// a replay's reading thread.
    func forEach(_ body: (_ lsn: UInt64, _ payload: UnsafeRawBufferPointer) throws -> Void) throws {
        let limit = watermark?.end ?? .max
        while true {
            if let cursor, nextLSN >= skipUntil {
                // Records handed out, each verified, until anything else: a segment's end, a
                // problem or the limit, which ``next()`` then meets again (a cursor's step at the
                // same offset is the same) and deals with.
                while nextLSN < limit, case .record(_, let payload) = try cursor.next(verifying: true) {
                    let lsn = nextLSN
                    nextLSN += 1
                    try body(lsn, payload)
                }
            }
            guard let record = try next() else { return }
            try body(record.lsn, record.payload)
        }
    }

    /// Opens the segment holding `lsn` and seeks to the last indexed record at or before it.
    private func position(at lsn: UInt64) throws {
        // A segment can only have been added after the last one listed, and only past the records
        // that one is known to hold: an index entry of it past `lsn` puts `lsn` in it. (An
        // erasure's point reads into the last segment listed the directory on every seek.)
        if bases.isEmpty || (lsn >= bases[bases.count - 1] && !lastSegmentHolds(lsn)) {
            bases = try SegmentFile.list(directory)
        }
        guard !bases.isEmpty else { return }
        guard let i = bases.lastIndex(where: { $0 <= lsn }) else {
            throw EventLogError(
                code: .lsnNotFound,
                message: "LSN \(lsn) is before the oldest segment of \(directory), which starts at \(bases[0]); "
                    + "read from \(bases[0]) or later.", path: directory)
        }
        let base = bases[i]
        let sealed = i < bases.count - 1
        if let cursor, segmentBase == base {
            // The segment is open already: only the offset moves.
            let start = try startPoint(file: cursor.file, base: base, sealed: sealed, lsn: lsn)
            cursor.seek(to: start.offset)
            nextLSN = start.lsn
            return
        }
        guard let file = try openChecked(base: base, sealed: sealed) else { return }
        segmentBase = base
        let start = try startPoint(file: file, base: base, sealed: sealed, lsn: lsn)
        cursor = FrameCursor(
            file: file, at: start.offset, maxRecordSize: configuration.maxRecordSize,
            chunkSize: configuration.readChunkSize)
        nextLSN = start.lsn
    }

    /// Whether the last segment listed is known to hold `lsn`: its loaded index has an entry
    /// after it.
    private func lastSegmentHolds(_ lsn: UInt64) -> Bool {
        guard let base = bases.last, let last = loadedIndexes[base]?.index.entries.last else { return false }
        return lsn < last.lsn
    }

    /// Moves to segment `base` if it exists.
    private func openSegment(base: UInt64) throws -> Bool {
        guard let file = try openChecked(base: base, sealed: false) else { return false }
        segmentBase = base
        cursor = FrameCursor(
            file: file, at: Int64(FileHeader.size), maxRecordSize: configuration.maxRecordSize,
            chunkSize: configuration.readChunkSize)
        return true
    }

    /// Opens a segment and checks its header. A torn header is accepted on the last segment
    /// (a roll in progress): it holds no readable record yet.
    private func openChecked(base: UInt64, sealed: Bool) throws -> SystemFile? {
        let path = SegmentFile.path(directory, base: base)
        guard let file = try SystemFile.open(path, flags: O_RDONLY, missingOK: true) else { return nil }
        segmentPath = path
        let header = FileHeader.decode(try file.read(count: FileHeader.size, at: 0), magic: FileHeader.segmentMagic)
        switch header {
        case .valid(let h) where h.baseLSN == base: return file
        case .torn where !sealed: return file
        case .unsupportedVersion(let version):
            throw EventLogError(
                code: .unsupportedFormat, message: FileHeader.versionMessage(version, path: path), path: path)
        default:
            throw EventLogError(
                code: .corruptSegment,
                message: "Segment \(path) has a damaged header. Run `credence log verify`; restore it from a backup.",
                path: path)
        }
    }

    /// Where to start reading for `lsn`: the last index entry at or before it that points at
    /// a good record. A sealed segment's missing or inconsistent index is rebuilt and saved;
    /// the last segment's index belongs to the appender, so it is only read.
    private func startPoint(file: SystemFile, base: UInt64, sealed: Bool, lsn: UInt64) throws -> SparseIndex.Entry {
        let first = SparseIndex.Entry(lsn: base, offset: Int64(FileHeader.size))
        if let loaded = loadedIndexes[base], loaded.complete || lsn < loaded.index.entries.last?.lsn ?? 0 {
            guard let entry = loaded.index.entry(atOrBefore: lsn) else { return first }
            if try SparseIndex.isRecord(at: entry.offset, in: file, maxRecordSize: configuration.maxRecordSize) {
                return entry
            }
            loadedIndexes[base] = nil  // damaged since it was checked: check it again below
        }
        let point = try loadedStartPoint(file: file, base: base, sealed: sealed, lsn: lsn, first: first)
        loadedIndexes[base] = point.index.map { ($0, sealed) }
        return point.entry
    }

    /// ``startPoint(file:base:sealed:lsn:)`` from the index file, rebuilt when a sealed
    /// segment's is missing or damaged; with the index it trusted.
    private func loadedStartPoint(
        file: SystemFile, base: UInt64, sealed: Bool, lsn: UInt64, first: SparseIndex.Entry
    ) throws -> (entry: SparseIndex.Entry, index: SparseIndex?) {
        let indexPath = SegmentFile.path(directory, base: base, extension: SegmentFile.indexExtension)
        let loaded = try SparseIndex.load(path: indexPath, base: base, segmentSize: try file.size())
        var index = loaded.index
        var trusted = loaded.isConsistent
        if let entry = index.entry(atOrBefore: lsn) {
            if try SparseIndex.isRecord(at: entry.offset, in: file, maxRecordSize: configuration.maxRecordSize) {
                if trusted || !sealed { return (entry, trusted ? index : nil) }
            }
            trusted = false
        }
        guard sealed else { return (first, nil) }
        if !trusted {
            index = try SparseIndex.rebuild(file: file, base: base, configuration: configuration)
            try index.write(path: indexPath, base: base)
        }
        return (index.entry(atOrBefore: lsn) ?? first, index)
    }

    private func missingCommitted(limit: UInt64) -> EventLogError {
        EventLogError(
            code: .lsnNotFound,
            message: "Records \(nextLSN)..<\(limit) are committed but \(segmentPath) ends before them and no "
                + "segment starts at \(nextLSN). Run `credence log verify`.", path: directory)
    }

    /// At the end of the data: a later segment means records are missing in between.
    private func checkNoGap() throws {
        if let later = try SegmentFile.list(directory).first(where: { $0 > nextLSN }) {
            throw EventLogError(
                code: .lsnNotFound,
                message: "\(segmentPath) ends at LSN \(nextLSN) but the next segment starts at \(later): records are "
                    + "missing. Run `credence log verify` and restore the missing segment from a backup.",
                path: directory)
        }
    }
}
