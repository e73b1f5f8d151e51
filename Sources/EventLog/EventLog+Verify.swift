#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension EventLog {
    /// Checks every record of every segment in `directory`: headers, framing, checksums,
    /// LSN continuity across segments, and whether each sparse index matches its segment.
    /// Changes nothing. Run it on a log no one appends to, or expect the tail to show as torn.
    ///
    /// Throws only when the directory cannot be read; damage is reported, not thrown.
    public static func verify(
        directory: String, configuration: EventLogConfiguration = EventLogConfiguration()
    ) throws -> VerificationReport {
        try configuration.validate()
        var report = VerificationReport()
        let bases = try SegmentFile.list(directory)
        report.firstLSN = bases.first ?? 0
        var expectedBase: UInt64? = bases.first
        for base in bases {
            let name = SegmentFile.name(base: base)
            let path = directory + "/" + name
            report.segments += 1
            if let expected = expectedBase, expected != base {
                report.problems.append(
                    .init(
                        kind: .lsnGap, segment: name, offset: 0, lsn: base,
                        detail: "the previous segment ends at LSN \(expected), this one starts at \(base)"))
            }
            let file = try SystemFile.open(path, flags: O_RDONLY)
            report.bytes += try file.size()
            switch FileHeader.decode(try file.read(count: FileHeader.size, at: 0), magic: FileHeader.segmentMagic) {
            case .valid(let header) where header.baseLSN == base: break
            case .valid(let header):
                report.problems.append(
                    .init(
                        kind: .badHeader, segment: name, offset: 0, lsn: nil,
                        detail: "header says base LSN \(header.baseLSN), the file name says \(base)"))
                expectedBase = nil
                continue
            case .torn:
                report.problems.append(
                    .init(kind: .badHeader, segment: name, offset: 0, lsn: nil, detail: "torn (short or zeroed) header")
                )
                expectedBase = nil
                continue
            case .unsupportedVersion(let version):
                report.problems.append(
                    .init(
                        kind: .badHeader, segment: name, offset: 0, lsn: nil,
                        detail: FileHeader.versionMessage(version, path: name)))
                expectedBase = nil
                continue
            case .invalid(let why):
                report.problems.append(.init(kind: .badHeader, segment: name, offset: 0, lsn: nil, detail: why))
                expectedBase = nil
                continue
            }
            let scan = try scanSegment(file: file, base: base, name: name, configuration: configuration, into: &report)
            expectedBase = scan
            report.endLSN = max(report.endLSN, scan ?? base)
            try checkIndex(
                directory: directory, base: base, name: name, file: file, configuration: configuration,
                into: &report)
        }
        return report
    }

    /// Counts the records of a segment; returns the LSN after its last one, or `nil` when a
    /// record is damaged (then the next segment's base cannot be checked).
    private static func scanSegment(
        file: SystemFile, base: UInt64, name: String, configuration: EventLogConfiguration,
        into report: inout VerificationReport
    ) throws -> UInt64? {
        let cursor = FrameCursor(
            file: file, at: Int64(FileHeader.size), maxRecordSize: configuration.maxRecordSize,
            chunkSize: configuration.readChunkSize)
        var lsn = base
        while true {
            switch try cursor.next() {
            case .record:
                lsn += 1
                report.records += 1
            case .end:
                return lsn
            case .problem(let offset, let problem):
                let size = try file.size()
                report.problems.append(
                    .init(
                        kind: .badRecord, segment: name, offset: offset, lsn: lsn,
                        detail: "\(problem); \(size - offset) bytes from here on cannot be trusted"))
                report.endLSN = max(report.endLSN, lsn)
                return nil
            }
        }
    }

    /// Compares the stored index with one rebuilt from the segment.
    private static func checkIndex(
        directory: String, base: UInt64, name: String, file: SystemFile, configuration: EventLogConfiguration,
        into report: inout VerificationReport
    ) throws {
        let indexName = SegmentFile.name(base: base, extension: SegmentFile.indexExtension)
        let loaded = try SparseIndex.load(path: directory + "/" + indexName, base: base, segmentSize: try file.size())
        let expected = try SparseIndex.rebuild(file: file, base: base, configuration: configuration)
        if loaded.isConsistent && loaded.index == expected { return }
        let common = min(loaded.index.entries.count, expected.entries.count)
        let firstDifference = (0..<common).first { loaded.index.entries[$0] != expected.entries[$0] }
        let detail =
            !loaded.isConsistent
            ? "missing or damaged after \(loaded.index.entries.count) good entries"
            : firstDifference.map { "entry \($0) differs from the segment" }
                ?? "has \(loaded.index.entries.count) entries, the segment needs \(expected.entries.count)"
        report.indexProblems.append(.init(kind: .badIndex, segment: indexName, offset: 0, lsn: nil, detail: detail))
    }
}
