#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The sparse index of one segment: `(LSN, byte offset)` of a record every `indexInterval` bytes.
///
/// File layout (`<base>.idx`): a `FileHeader` with magic `CRDX`, then 24-byte entries
/// `u64 LE LSN, u64 LE offset, u32 LE CRC-32C of those 16 bytes, u32 0`.
///
/// The index is derived data: every entry is checked against the segment before it is used,
/// and the index is rebuilt from the segment when it is missing or inconsistent.
struct SparseIndex: Equatable {
    struct Entry: Hashable {
        var lsn: UInt64
        var offset: Int64
    }

    static let entrySize = 24

    var entries: [Entry] = []

    /// Whether a record at `offset` gets an entry, given the offset of the previous entry
    /// (or of the first record). Writer and rebuild share this rule so they agree byte for byte.
    @inline(__always)
    static func wantsEntry(at offset: Int64, after lastIndexed: Int64, interval: Int) -> Bool {
        offset >= lastIndexed + Int64(interval)
    }

    static func encode(_ entry: Entry, into bytes: inout [UInt8]) {
        let start = bytes.count
        bytes.appendLittleEndian(entry.lsn)
        bytes.appendLittleEndian(UInt64(bitPattern: entry.offset))
        let crc = bytes.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[start..<start + 16])) }
        bytes.appendLittleEndian(crc)
        bytes.appendLittleEndian(UInt32(0))
    }

    func encoded(base: UInt64) -> [UInt8] {
        var bytes = FileHeader(magic: FileHeader.indexMagic, baseLSN: base).encoded()
        bytes.reserveCapacity(bytes.count + entries.count * SparseIndex.entrySize)
        for entry in entries { SparseIndex.encode(entry, into: &bytes) }
        return bytes
    }

    /// What an index file holds: its well-formed leading entries, and whether the whole file was well formed.
    struct Loaded {
        var index: SparseIndex
        /// `false` when the file is missing, its header is wrong, or an entry is damaged or out of order.
        var isConsistent: Bool
    }

    /// Reads the index of segment `base`, keeping the entries up to the first damaged one.
    /// Entries must be strictly increasing, start after the header, lie below `segmentSize`
    /// and have `lsn >= base`.
    static func load(path: String, base: UInt64, segmentSize: Int64) throws -> Loaded {
        guard let file = try SystemFile.open(path, flags: O_RDONLY, missingOK: true) else {
            return Loaded(index: SparseIndex(), isConsistent: false)
        }
        let size = try file.size()
        let bytes = try file.read(count: Int(min(size, 1 << 30)), at: 0)
        guard case .valid(let header) = FileHeader.decode(bytes, magic: FileHeader.indexMagic), header.baseLSN == base
        else { return Loaded(index: SparseIndex(), isConsistent: false) }
        var index = SparseIndex()
        var consistent = (bytes.count - FileHeader.size) % entrySize == 0
        var previous = Entry(lsn: base, offset: Int64(FileHeader.size))
        var at = FileHeader.size
        while at + entrySize <= bytes.count {
            let entry = Entry(
                lsn: bytes.loadLittleEndian(UInt64.self, at: at),
                offset: Int64(bitPattern: bytes.loadLittleEndian(UInt64.self, at: at + 8)))
            let crc = bytes.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[at..<at + 16])) }
            guard crc == bytes.loadLittleEndian(UInt32.self, at: at + 16), entry.lsn > previous.lsn,
                entry.offset > previous.offset, entry.offset < segmentSize
            else {
                consistent = false
                break
            }
            index.entries.append(entry)
            previous = entry
            at += entrySize
        }
        return Loaded(index: index, isConsistent: consistent)
    }

    /// Replaces the index file atomically (write a temporary file, then rename).
    func write(path: String, base: UInt64) throws {
        // Unique, so that two readers rebuilding the same index do not write into one file.
        let temporary = path + ".tmp.\(getpid()).\(UInt32.random(in: 0...UInt32.max))"
        do {
            let file = try SystemFile.open(temporary, flags: O_WRONLY | O_CREAT | O_TRUNC)
            try file.write(encoded(base: base), at: 0)
        }
        try FileSystem.rename(temporary, to: path)
    }

    /// The last entry at or before `lsn`.
    func entry(atOrBefore lsn: UInt64) -> Entry? {
        var low = 0
        var high = entries.count
        while low < high {
            let mid = (low + high) / 2
            if entries[mid].lsn <= lsn { low = mid + 1 } else { high = mid }
        }
        return low == 0 ? nil : entries[low - 1]
    }

    /// Scans a whole segment and builds its index. Stops at the first bad record: the
    /// index only ever points at records that can be read.
    static func rebuild(file: SystemFile, base: UInt64, configuration: EventLogConfiguration) throws -> SparseIndex {
        var index = SparseIndex()
        let cursor = FrameCursor(
            file: file, at: Int64(FileHeader.size), maxRecordSize: configuration.maxRecordSize,
            chunkSize: configuration.readChunkSize)
        var lsn = base
        var lastIndexed = Int64(FileHeader.size)
        while case .record(let offset, _) = try cursor.next() {
            if wantsEntry(at: offset, after: lastIndexed, interval: configuration.indexInterval) {
                index.entries.append(Entry(lsn: lsn, offset: offset))
                lastIndexed = offset
            }
            lsn += 1
        }
        return index
    }

    /// Whether a record with a good checksum starts at `offset` of `file`.
    static func isRecord(at offset: Int64, in file: SystemFile, maxRecordSize: Int) throws -> Bool {
        let cursor = FrameCursor(file: file, at: offset, maxRecordSize: maxRecordSize, chunkSize: 4096)
        if case .record = try cursor.next() { return true }
        return false
    }
}
