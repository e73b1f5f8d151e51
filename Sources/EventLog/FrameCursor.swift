/// Why a segment stops being readable at some offset.
public struct FrameProblem: Sendable, Hashable, CustomStringConvertible {
    public let name: String
    init(_ name: String) { self.name = name }
    public var description: String { name }

    /// Fewer than 8 bytes left for a record header.
    public static let tornHeader = FrameProblem("tornHeader")
    /// The payload ends before its length says.
    public static let tornPayload = FrameProblem("tornPayload")
    /// The length field is larger than `maxRecordSize`: garbage or a torn write.
    public static let lengthOverMaximum = FrameProblem("lengthOverMaximum")
    /// The record's CRC-32C does not match its bytes.
    public static let checksumMismatch = FrameProblem("checksumMismatch")
    /// The segment header was only partly written.
    public static let tornSegmentHeader = FrameProblem("tornSegmentHeader")
}

/// Reads the records of one segment file in order, in large `pread` chunks.
///
/// Payloads are handed out as pointers into the chunk buffer, valid until the next call:
/// no allocation per record. At the end of the file it reads again on the next call, so it
/// follows a segment that is still being appended to.
final class FrameCursor {
    enum Step {
        case record(offset: Int64, payload: UnsafeRawBufferPointer)
        /// The file ends exactly at `offset`, after a whole record.
        case end(offset: Int64)
        case problem(offset: Int64, FrameProblem)
    }

    let file: SystemFile
    let maxRecordSize: Int
    private let chunkSize: Int
    private var buffer: UnsafeMutableRawBufferPointer
    /// File offset of `buffer[0]`.
    private var bufferOffset: Int64
    /// Bytes of `buffer` holding file data.
    private var filled = 0
    /// Index in `buffer` of the next record.
    private var position = 0

    init(file: SystemFile, at offset: Int64, maxRecordSize: Int, chunkSize: Int) {
        self.file = file
        self.maxRecordSize = maxRecordSize
        self.chunkSize = chunkSize
        self.buffer = .allocate(byteCount: chunkSize, alignment: 16)
        self.bufferOffset = offset
    }

    deinit { buffer.deallocate() }

    /// File offset of the next record.
    var offset: Int64 { bufferOffset + Int64(position) }

    /// Moves to `offset`, dropping buffered data.
    func seek(to offset: Int64) {
        bufferOffset = offset
        filled = 0
        position = 0
    }

    /// The next record. `verifying: false` skips its CRC-32C: for a record passed over on the way
    /// to another (a seek lands on an indexed record before its target), never for one handed out.
    /// Its length is still checked, and a wrong one throws the frames after it out of step, which
    /// the next verified record's checksum catches.
    func next(verifying: Bool = true) throws -> Step {
        let start = offset
        guard try ensure(RecordFrame.headerSize) else {
            return filled == position ? .end(offset: start) : .problem(offset: start, .tornHeader)
        }
        let header = UnsafeRawPointer(buffer.baseAddress! + position)
        let length = Int(UInt32(littleEndian: header.loadUnaligned(as: UInt32.self)))
        guard length <= maxRecordSize else { return .problem(offset: start, .lengthOverMaximum) }
        let frameSize = RecordFrame.headerSize + length
        guard try ensure(frameSize) else { return .problem(offset: start, .tornPayload) }
        let frame = UnsafeRawPointer(buffer.baseAddress! + position)
        let stored = UInt32(littleEndian: frame.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
        let payload = UnsafeRawBufferPointer(start: frame + RecordFrame.headerSize, count: length)
        if verifying {
            let crc = CRC32C.checksum(
                payload, continuing: CRC32C.checksum(UnsafeRawBufferPointer(start: frame, count: 4)))
            guard crc == stored else { return .problem(offset: start, .checksumMismatch) }
        }
        position += frameSize
        return .record(offset: start, payload: payload)
    }

    /// The least one refill reads, unless the buffer has less room. Records are read where the
    /// last refill left them and the unread rest moves to the buffer's start before the next, so
    /// reads this size keep landing in the same memory, still in the core's cache when the
    /// checksum and the reader go over them: a read of the whole 1 MB chunk filled the core's
    /// L2 and pushed out what the reader had there.
    static let readBytes = 256 << 10

    /// Makes `count` bytes from `position` available; `false` when the file ends first.
    private func ensure(_ count: Int) throws -> Bool {
        if filled - position >= count { return true }
        if buffer.count < count {
            let bigger = UnsafeMutableRawBufferPointer.allocate(byteCount: max(count, chunkSize), alignment: 16)
            bigger.copyMemory(from: UnsafeRawBufferPointer(rebasing: buffer[position..<filled]))
            buffer.deallocate()
            buffer = bigger
        } else if position > 0 {
            let kept = filled - position
            if kept > 0 { buffer.baseAddress!.copyMemory(from: buffer.baseAddress! + position, byteCount: kept) }
        }
        bufferOffset += Int64(position)
        filled -= position
        position = 0
        // What `count` needs, and at least a read's worth (``readBytes``), as far as the buffer goes.
        let want = min(buffer.count - filled, max(count - filled, Self.readBytes))
        let free = UnsafeMutableRawBufferPointer(rebasing: buffer[filled..<(filled + want)])
        filled += try file.read(into: free, at: bufferOffset + Int64(filled))
        return filled >= count
    }
}
