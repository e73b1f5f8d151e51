#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Reads newline-separated records from a file descriptor in large chunks, without copying
/// lines that fit in the buffer.
///
/// A line longer than `maxLineBytes` is not held in memory: its first `maxLineBytes` bytes are
/// handed out with `truncated = true` and the rest is skipped, so a huge line costs no memory.
/// Not `Sendable`: one reader per input.
public final class LineReader {
    public let path: String
    private let fd: Int32
    private let ownsDescriptor: Bool
    private var buffer: UnsafeMutableRawBufferPointer
    private var start = 0
    private var end = 0
    private var eof = false
    public let maxLineBytes: Int
    /// Bytes consumed so far.
    public private(set) var bytesRead = 0

    /// Opens `path`, or standard input for `-`.
    public init(path: String, maxLineBytes: Int = 1 << 20, bufferSize: Int = 4 << 20) throws(EngineError) {
        self.path = path
        self.maxLineBytes = maxLineBytes
        if path == "-" {
            fd = 0
            ownsDescriptor = false
        } else {
            fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else {
                throw EngineError(.input, "cannot open \(path): \(String(cString: strerror(errno)))")
            }
            ownsDescriptor = true
        }
        buffer = .allocate(byteCount: max(bufferSize, maxLineBytes + 1), alignment: 16)
    }

    deinit {
        buffer.deallocate()
        if ownsDescriptor { close(fd) }
    }

    /// Calls `body` with each line (without its `\n`), its number from 1, and whether it was cut.
    public func forEachLine(
        _ body: (_ line: UnsafeRawBufferPointer, _ number: UInt64, _ truncated: Bool) throws -> Void
    ) throws {
        var number: UInt64 = 0
        var skipping = false
        while true {
            // Look for a newline in what is buffered.
            let window = UnsafeRawBufferPointer(rebasing: buffer[start..<end])
            if let nl = window.firstNewline {
                let lineEnd = start + nl
                if skipping {
                    skipping = false
                } else {
                    number += 1
                    // Cut wherever the line ends up in the buffer: a long line found whole used to
                    // go out whole, so whether it was cut depended on where the reads fell.
                    let cut = nl > maxLineBytes
                    try body(
                        UnsafeRawBufferPointer(rebasing: buffer[start..<(cut ? start + maxLineBytes : lineEnd)]),
                        number, cut)
                }
                start = lineEnd + 1
                continue
            }
            if end - start > maxLineBytes && !skipping {
                number += 1
                try body(UnsafeRawBufferPointer(rebasing: buffer[start..<start + maxLineBytes]), number, true)
                skipping = true
                start = end
            } else if skipping {
                start = end
            }
            if eof {
                if start < end, !skipping {
                    number += 1
                    let cut = end - start > maxLineBytes
                    try body(
                        UnsafeRawBufferPointer(rebasing: buffer[start..<(cut ? start + maxLineBytes : end)]), number,
                        cut)
                }
                return
            }
            try refill()
        }
    }

    /// The most one read asks for. The lines read are parsed at once and the buffer's unparsed
    /// rest moves to its start before the next read, so reads this size keep landing in the same
    /// memory, which stays in the core's cache for the parser: reads of the whole 4 MB buffer
    /// were parsed from memory the copy had pushed out of it (`copy_to_iter` was 13% of the
    /// decoding stage).
    static let readBytes = 256 << 10

    private func refill() throws {
        if start > 0 {
            let count = end - start
            if count > 0 { buffer.baseAddress!.copyMemory(from: buffer.baseAddress! + start, byteCount: count) }
            end = count
            start = 0
        }
        while end < buffer.count {
            let n = read(fd, buffer.baseAddress! + end, min(buffer.count - end, Self.readBytes))
            if n < 0 {
                if errno == EINTR { continue }
                throw EngineError(.input, "cannot read \(path): \(String(cString: strerror(errno)))")
            }
            if n == 0 {
                eof = true
                return
            }
            end += n
            bytesRead += n
            if end - start > 0 { return }
        }
    }
}

extension UnsafeRawBufferPointer {
    /// Whether every byte is JSON whitespace (a blank NDJSON line).
    var isBlankLine: Bool {
        for b in self where b != 32 && b != 9 && b != 13 { return false }
        return true
    }

    /// The offset of the first `\n`: libc's `memchr`, which reads a vector at a time (the
    /// generic `firstIndex(of:)` went byte by byte, 2.9% of an ingest's samples).
    @inline(__always)
    var firstNewline: Int? {
        guard let base = baseAddress, let hit = memchr(base, 10, count) else { return nil }
        return base.distance(to: UnsafeRawPointer(hit))
    }
}
