#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension DurableFile {
    /// A file that replaces `path` once it is finished, written piece by piece: what
    /// ``DurableFile/replace(_:with:)`` does for bytes held whole, for a file too large to hold
    /// (a checkpoint of a GB). Written to `<path>.tmp`; ``finish()`` syncs it, renames it over
    /// `path` and syncs the directory, so a crash leaves either the old file or the new one whole.
    /// A replacement dropped unfinished, or ``abandon()``ed, removes its temporary file.
    ///
    /// Not `Sendable`: one owner at a time.
    public final class Replacement {
        public let path: String
        private let temporary: String
        private var fd: Int32
        /// Bytes appended so far.
        public private(set) var size: UInt64 = 0

        /// Creates (or truncates) the temporary file.
        public init(_ path: String) throws(DurableFileError) {
            self.path = path
            temporary = path + ".tmp"
            fd = try DurableFile.open(temporary, O_WRONLY | O_CREAT | O_TRUNC, doing: "Creating")
        }

        deinit { abandon() }

        /// Appends `bytes` at the end of what is written.
        public func append(_ bytes: [UInt8]) throws(DurableFileError) {
            try write(bytes, at: size)
            size += UInt64(bytes.count)
        }

        /// Writes `bytes` at `offset` (within what is appended: a header whose fields were known
        /// only at the end).
        public func write(_ bytes: [UInt8], at offset: UInt64) throws(DurableFileError) {
            precondition(fd >= 0, "a finished or abandoned replacement takes no more writes")
            try DurableFile.writeAll(fd, bytes, at: off_t(offset), path: temporary)
        }

        /// Syncs the file, renames it over `path` and syncs the directory. On failure the
        /// temporary file is removed and `path` is left as it was.
        public func finish() throws(DurableFileError) {
            precondition(fd >= 0, "a replacement finishes once")
            let fd = self.fd
            self.fd = -1
            if fsync(fd) != 0 {
                let error = DurableFileError(.sync, "Syncing", path: temporary, errno: errno)
                _ = systemClose(fd)
                _ = unlink(temporary)
                throw error
            }
            if systemClose(fd) != 0 {
                _ = unlink(temporary)
                throw DurableFileError(.io, "Closing", path: temporary, errno: errno)
            }
            if rename(temporary, path) != 0 {
                let error = DurableFileError(.io, "Renaming \(temporary) to", path: path, errno: errno)
                _ = unlink(temporary)
                throw error
            }
            try DurableFile.syncDirectory(containing: path)
        }

        /// Closes and removes the temporary file, unless finished; `path` is left as it was.
        public func abandon() {
            guard fd >= 0 else { return }
            _ = systemClose(fd)
            fd = -1
            _ = unlink(temporary)
        }
    }
}
