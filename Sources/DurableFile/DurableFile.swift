#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

// The calls by other names: inside `DurableFile`, `open` and friends name its own functions.
func systemOpen(_ path: String, _ flags: Int32, _ mode: mode_t) -> Int32 { open(path, flags, mode) }
func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int { write(fd, buffer, count) }
func systemClose(_ fd: Int32) -> Int32 { close(fd) }

/// The file layer of everything the engine keeps beside the event log (the outbox, its
/// positions, dead letters, the key store's slots), with the log's discipline: `EINTR` is retried, short writes loop,
/// every `fsync` is checked, and a rename is followed by a sync of its directory.
///
/// ```swift
/// let file = try DurableFile.Appender(path: dir + "/dead-letter.ndjson")
/// try file.append(Array("line\n".utf8))
/// try file.sync()
/// try DurableFile.replace(dir + "/position", with: Array("42\n".utf8))
/// ```
public enum DurableFile {
    /// A file opened for appending. After a failed `fsync` it takes no more writes: the page
    /// cache may have dropped what it held, so carrying on could leave a hole on disk.
    ///
    /// Not `Sendable`: one owner at a time.
    public final class Appender {
        public let path: String
        private let fd: Int32
        private var failedSync: DurableFileError?

        public init(path: String) throws(DurableFileError) {
            self.path = path
            fd = try DurableFile.open(path, O_WRONLY | O_CREAT | O_APPEND, doing: "Opening for appending")
        }

        deinit { _ = systemClose(fd) }

        /// Writes all of `bytes` at the end of the file.
        public func append(_ bytes: [UInt8]) throws(DurableFileError) {
            if let failedSync { throw failedSync }
            try DurableFile.writeAll(fd, bytes, path: path)
        }

        /// Makes everything appended so far durable.
        public func sync() throws(DurableFileError) {
            if let failedSync { throw failedSync }
            if fsync(fd) != 0 {
                let e = DurableFileError(.sync, "Syncing", path: path, errno: errno)
                failedSync = e
                throw e
            }
        }
    }

    /// Replaces `path` with `bytes` atomically and durably: a temporary file beside it, written
    /// and synced, renamed over `path`, then the directory synced so the rename survives a crash.
    public static func replace(_ path: String, with bytes: [UInt8]) throws(DurableFileError) {
        let temporary = path + ".tmp"
        let fd = try open(temporary, O_WRONLY | O_CREAT | O_TRUNC, doing: "Creating")
        do throws(DurableFileError) {
            try writeAll(fd, bytes, path: temporary)
            if fsync(fd) != 0 { throw DurableFileError(.sync, "Syncing", path: temporary, errno: errno) }
        } catch {
            _ = systemClose(fd)
            _ = unlink(temporary)
            throw error
        }
        if systemClose(fd) != 0 { throw DurableFileError(.io, "Closing", path: temporary, errno: errno) }
        if rename(temporary, path) != 0 {
            throw DurableFileError(.io, "Renaming \(temporary) to", path: path, errno: errno)
        }
        try syncDirectory(containing: path)
    }

    /// Overwrites bytes of an existing file in place, at the given offsets, then syncs it: how a
    /// line is blanked out without moving the lines after it.
    public static func overwrite(_ path: String, _ patches: [(offset: UInt64, bytes: [UInt8])]) throws(DurableFileError)
    {
        guard !patches.isEmpty else { return }
        let fd = try open(path, O_WRONLY, doing: "Opening for overwriting")
        defer { _ = systemClose(fd) }
        for patch in patches {
            try writeAll(fd, patch.bytes, at: off_t(patch.offset), path: path, doing: "Overwriting")
        }
        if fsync(fd) != 0 { throw DurableFileError(.sync, "Syncing", path: path, errno: errno) }
    }

    /// Syncs the directory that holds `path`, so that a create, rename or unlink in it is durable.
    public static func syncDirectory(containing path: String) throws(DurableFileError) {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false).dropLast()
        let directory =
            parts.isEmpty ? "." : (parts.joined(separator: "/").isEmpty ? "/" : parts.joined(separator: "/"))
        try syncDirectory(directory)
    }

    /// Syncs `directory` itself.
    public static func syncDirectory(_ directory: String) throws(DurableFileError) {
        let fd = try open(directory, O_RDONLY | O_DIRECTORY, doing: "Opening the directory")
        defer { _ = systemClose(fd) }
        if fsync(fd) != 0 { throw DurableFileError(.sync, "Syncing the directory", path: directory, errno: errno) }
    }

    /// The whole file; `nil` when it does not exist.
    public static func read(_ path: String) throws(DurableFileError) -> [UInt8]? {
        try read(path, from: 0)
    }

    /// The file from byte `offset` to its end; `nil` when it does not exist.
    public static func read(_ path: String, from offset: UInt64) throws(DurableFileError) -> [UInt8]? {
        let fd: Int32
        do throws(DurableFileError) {
            fd = try open(path, O_RDONLY, doing: "Opening")
        } catch {
            if error.errno == ENOENT { return nil }
            throw error
        }
        defer { _ = systemClose(fd) }
        // Sized by the file, read straight into place: grown 64 KB at a time, a tail of a
        // hundred MB (an outbox after a million users' month close, read for an erasure) was
        // copied again at each doubling and faulted in at each new size.
        let expected = max(0, try size(fd, path: path) - Int(clamping: offset))
        // Array's closure APIs rethrow untyped errors; the typed one is carried out in a Result.
        var read: Result<Void, DurableFileError> = .success(())
        var out = [UInt8](unsafeUninitializedCapacity: expected) { buffer, initialized in
            read = Result { () throws(DurableFileError) in
                initialized = try readAll(
                    fd, into: UnsafeMutableRawBufferPointer(buffer), at: off_t(offset), path: path)
            }
        }
        try read.get()
        // Whatever was appended since it was measured.
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let at = off_t(offset) + off_t(out.count)
            let n = try chunk.withUnsafeMutableBytes { b in
                Result { () throws(DurableFileError) in try readAll(fd, into: b, at: at, path: path) }
            }.get()
            out.append(contentsOf: chunk[0..<n])
            if n < chunk.count { break }
        }
        return out
    }

    /// Creates `path` and any missing parents with `mode` (before the umask); an existing
    /// directory is fine and keeps its mode.
    public static func makeDirectory(_ path: String, mode: UInt32 = 0o755) throws(DurableFileError) {
        var current = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            current += "/" + part
            if mkdir(current, mode_t(mode)) != 0 && errno != EEXIST {
                throw DurableFileError(.io, "Creating the directory", path: current, errno: errno)
            }
        }
    }

    /// Whether `path` exists.
    public static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    /// Removes a file; a missing one is fine.
    public static func remove(_ path: String) throws(DurableFileError) {
        if unlink(path) != 0 && errno != ENOENT { throw DurableFileError(.io, "Removing", path: path, errno: errno) }
    }

    static func open(_ path: String, _ flags: Int32, mode: UInt32 = 0o644, doing: String) throws(DurableFileError)
        -> Int32
    {
        while true {
            let fd = systemOpen(path, flags | O_CLOEXEC, mode_t(mode))
            if fd >= 0 { return fd }
            if errno == EINTR { continue }
            throw DurableFileError(.io, doing, path: path, errno: errno)
        }
    }

    /// Reads `buffer.count` bytes at `offset` with `pread`, retrying `EINTR` and looping over
    /// short reads; returns how many, fewer only at the end of the file: the positional reads of
    /// ``read(_:from:)`` and ``Positional``.
    static func readAll(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, at offset: off_t, path: String)
        throws(DurableFileError) -> Int
    {
        var done = 0
        while done < buffer.count {
            let n = pread(fd, buffer.baseAddress! + done, buffer.count - done, offset + off_t(done))
            if n == 0 { break }
            if n < 0 {
                if errno == EINTR { continue }
                throw DurableFileError(.io, "Reading", path: path, errno: errno)
            }
            done += n
        }
        return done
    }

    /// The size in bytes of the open file `fd`.
    static func size(_ fd: Int32, path: String) throws(DurableFileError) -> Int {
        var status = stat()
        guard fstat(fd, &status) == 0 else { throw DurableFileError(.io, "Measuring", path: path, errno: errno) }
        return Int(status.st_size)
    }

    /// Writes all of `bytes` at `offset` with `pwrite`, retrying `EINTR` and looping over short
    /// writes: the positional writes of ``overwrite(_:_:)``, ``Positional`` and ``Replacement``.
    static func writeAll(_ fd: Int32, _ bytes: [UInt8], at offset: off_t, path: String, doing: String = "Writing")
        throws(DurableFileError)
    {
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress! + done, $0.count - done, offset + off_t(done)) }
            if n < 0 {
                if errno == EINTR { continue }
                throw DurableFileError(.io, doing, path: path, errno: errno)
            }
            done += n
        }
    }

    static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws(DurableFileError) {
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { systemWrite(fd, $0.baseAddress! + done, $0.count - done) }
            if n < 0 {
                if errno == EINTR { continue }
                throw DurableFileError(.io, "Writing", path: path, errno: errno)
            }
            done += n
        }
    }
}
