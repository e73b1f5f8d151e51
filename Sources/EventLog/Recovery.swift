#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Opening the last segment for appending, and creating segments.
enum Recovery {
    struct Tail {
        var segment: SystemFile
        var index: SystemFile
        var base: UInt64
        var segmentEnd: Int64
        var indexEnd: Int64
        var lastIndexed: Int64
        var nextLSN: UInt64
        var report: RecoveryReport?
    }

    /// Opens the last segment (creating segment 0 in an empty directory), cuts a torn or
    /// damaged tail, and repairs its index.
    ///
    /// The scan starts at the last index entry that points at a good record (or at the
    /// first record): a crash only tears what was written last. From there every record is
    /// checked; at the first torn or mismatching one the file is cut, and nothing after a
    /// bad checksum is trusted, even records that look good.
    static func openTail(directory: String, configuration: EventLogConfiguration) throws -> Tail {
        guard let base = try SegmentFile.list(directory).last else {
            let created = try createSegment(directory: directory, base: 0, configuration: configuration)
            return Tail(
                segment: created.segment, index: created.index, base: 0, segmentEnd: Int64(FileHeader.size),
                indexEnd: Int64(FileHeader.size), lastIndexed: Int64(FileHeader.size), nextLSN: 0, report: nil)
        }
        let path = SegmentFile.path(directory, base: base)
        let indexPath = SegmentFile.path(directory, base: base, extension: SegmentFile.indexExtension)
        let file = try SystemFile.open(path, flags: O_RDWR)
        var size = try file.size()
        var report: RecoveryReport?
        switch FileHeader.decode(try file.read(count: FileHeader.size, at: 0), magic: FileHeader.segmentMagic) {
        case .valid(let header):
            guard header.baseLSN == base else {
                throw EventLogError(
                    code: .corruptSegment,
                    message: "Segment \(path) says it starts at LSN \(header.baseLSN), its name says \(base). "
                        + "Run `credence log verify` and restore the file from a backup.", path: path)
            }
        case .torn:
            // Created by a roll whose header never reached the disk: it holds no record yet.
            try file.truncate(to: 0)
            try file.write(FileHeader(magic: FileHeader.segmentMagic, baseLSN: base).encoded(), at: 0)
            if configuration.durability.syncs { try file.sync() }
            report = RecoveryReport(
                segment: path, offset: 0, bytesCut: size, recordsKept: 0, reason: .tornSegmentHeader)
            size = Int64(FileHeader.size)
        case .unsupportedVersion(let version):
            throw EventLogError(
                code: .unsupportedFormat, message: FileHeader.versionMessage(version, path: path), path: path)
        case .invalid(let why):
            throw EventLogError(
                code: .corruptSegment,
                message: "Segment \(path) has an invalid header (\(why)). Run `credence log verify`; restore the "
                    + "file from a backup, or move it out of the log directory to give up its records.", path: path)
        }

        let loaded = try SparseIndex.load(path: indexPath, base: base, segmentSize: size)
        var index = loaded.index
        var indexChanged = !loaded.isConsistent
        var start = (lsn: base, offset: Int64(FileHeader.size))
        while let last = index.entries.last {
            if try SparseIndex.isRecord(at: last.offset, in: file, maxRecordSize: configuration.maxRecordSize) {
                start = (last.lsn, last.offset)
                break
            }
            index.entries.removeLast()
            indexChanged = true
        }

        let cursor = FrameCursor(
            file: file, at: start.offset, maxRecordSize: configuration.maxRecordSize,
            chunkSize: configuration.readChunkSize)
        var lsn = start.lsn
        var lastIndexed = start.offset
        var end = start.offset
        var problem: FrameProblem?
        scan: while true {
            switch try cursor.next() {
            case .record(let offset, _):
                if SparseIndex.wantsEntry(at: offset, after: lastIndexed, interval: configuration.indexInterval) {
                    index.entries.append(SparseIndex.Entry(lsn: lsn, offset: offset))
                    lastIndexed = offset
                    indexChanged = true
                }
                lsn += 1
            case .end(let offset):
                end = offset
                break scan
            case .problem(let offset, let found):
                end = offset
                problem = found
                break scan
            }
        }

        // The index is rewritten before the segment is cut, so it never points past the end.
        if indexChanged { try index.write(path: indexPath, base: base) }
        if let problem {
            try file.truncate(to: end)
            if configuration.durability.syncs { try file.sync() }
            report = RecoveryReport(
                segment: path, offset: end, bytesCut: size - end, recordsKept: lsn - base, reason: problem)
        }
        let indexFile = try SystemFile.open(indexPath, flags: O_WRONLY)
        return Tail(
            segment: file, index: indexFile, base: base, segmentEnd: end,
            indexEnd: Int64(FileHeader.size + index.entries.count * SparseIndex.entrySize),
            lastIndexed: index.entries.last?.offset ?? Int64(FileHeader.size), nextLSN: lsn, report: report)
    }

    /// Creates segment `base` with its header and an empty index; durable per the configuration.
    static func createSegment(
        directory: String, base: UInt64, configuration: EventLogConfiguration
    ) throws -> (segment: SystemFile, index: SystemFile) {
        let path = SegmentFile.path(directory, base: base)
        let segment = try SystemFile.open(path, flags: O_RDWR | O_CREAT | O_EXCL)
        try segment.write(FileHeader(magic: FileHeader.segmentMagic, baseLSN: base).encoded(), at: 0)
        let indexPath = SegmentFile.path(directory, base: base, extension: SegmentFile.indexExtension)
        let index = try SystemFile.open(indexPath, flags: O_WRONLY | O_CREAT | O_TRUNC)
        try index.write(SparseIndex().encoded(base: base), at: 0)
        if configuration.durability.syncs {
            try segment.sync()
            try FileSystem.syncDirectory(directory)
        }
        return (segment, index)
    }
}
