#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An open file descriptor, closed when the object goes away. Shared (`package`) with the
/// snapshot store's month files, which follow the same write-and-sync discipline.
///
/// Thin over POSIX calls on purpose: the log needs exact control over what is written
/// where and when it is synced, and `FileHandle` adds allocations and hides errors.
package final class SystemFile {
    package let fd: Int32
    package let path: String

    private init(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
    }

    deinit { _ = close(fd) }

    /// Opens `path`; `nil` when it does not exist and `missingOK`.
    package static func open(
        _ path: String, flags: Int32, mode: UInt32 = 0o644, missingOK: Bool = false
    ) throws -> SystemFile? {
        while true {
            let fd = systemOpen(path, flags | O_CLOEXEC, mode_t(mode))
            if fd >= 0 { return SystemFile(fd: fd, path: path) }
            let e = errno
            if e == EINTR { continue }
            if e == ENOENT && missingOK { return nil }
            throw EventLogError.system("Opening", path: path, errno: e)
        }
    }

    package static func open(_ path: String, flags: Int32, mode: UInt32 = 0o644) throws -> SystemFile {
        try open(path, flags: flags, mode: mode, missingOK: false)!
    }

    /// Writes all of `buffer` at `offset`.
    package func write(_ buffer: UnsafeRawBufferPointer, at offset: Int64) throws {
        var done = 0
        while done < buffer.count {
            let n = pwrite(fd, buffer.baseAddress! + done, buffer.count - done, off_t(offset) + off_t(done))
            if n < 0 {
                let e = errno
                if e == EINTR { continue }
                throw EventLogError.system("Writing", path: path, errno: e)
            }
            done += n
        }
    }

    package func write(_ bytes: [UInt8], at offset: Int64) throws {
        try bytes.withUnsafeBytes { try write($0, at: offset) }
    }

    /// Reads into `buffer` from `offset` until it is full or the file ends; returns the byte count.
    package func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws -> Int {
        var done = 0
        while done < buffer.count {
            let n = pread(fd, buffer.baseAddress! + done, buffer.count - done, off_t(offset) + off_t(done))
            if n < 0 {
                let e = errno
                if e == EINTR { continue }
                throw EventLogError.system("Reading", path: path, errno: e)
            }
            if n == 0 { break }
            done += n
        }
        return done
    }

    /// Reads up to `count` bytes at `offset`.
    package func read(count: Int, at offset: Int64) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        let n = try bytes.withUnsafeMutableBytes { try read(into: $0, at: offset) }
        bytes.removeLast(count - n)
        return bytes
    }

    package func size() throws -> Int64 {
        var st = stat()
        if fstat(fd, &st) != 0 { throw EventLogError.system("Inspecting", path: path, errno: errno) }
        return Int64(st.st_size)
    }

    /// `fdatasync`: the data and the metadata needed to read it (the size) reach stable storage.
    package func sync() throws {
        #if os(Linux)
            let sync = fdatasync
        #else
            let sync = fsync
        #endif
        while sync(fd) != 0 {
            let e = errno
            if e == EINTR { continue }
            throw EventLogError.system("Syncing", path: path, errno: e)
        }
    }

    package func truncate(to size: Int64) throws {
        while ftruncate(fd, off_t(size)) != 0 {
            let e = errno
            if e == EINTR { continue }
            throw EventLogError.system("Truncating", path: path, errno: e)
        }
    }

    /// Takes an exclusive `flock`; `false` when someone else still holds it after `patience`.
    ///
    /// The patience is for a lock that is about to go: a child process this one spawns holds a
    /// copy of every descriptor between its fork and its exec (`O_CLOEXEC` closes them only at the
    /// exec), and with them the lock, for a moment after this process closed the file.
    package func lockExclusively(patience: Duration = .milliseconds(500)) throws -> Bool {
        let deadline = ContinuousClock.now + patience
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let e = errno
            if e == EINTR { continue }
            if e != EWOULDBLOCK { throw EventLogError.system("Locking", path: path, errno: e) }
            if ContinuousClock.now >= deadline { return false }
            usleep(5_000)
        }
        return true
    }
}

/// Directory operations of the log.
package enum FileSystem {
    /// Creates `path` and its missing parents.
    package static func makeDirectory(_ path: String) throws {
        var prefix = path.hasPrefix("/") ? "/" : ""
        for part in path.split(separator: "/") {
            prefix += part
            if mkdir(prefix, 0o755) != 0 {
                let e = errno
                if e != EEXIST { throw EventLogError.system("Creating directory", path: prefix, errno: e) }
            }
            prefix += "/"
        }
    }

    /// The file names in `directory`.
    package static func list(_ directory: String) throws -> [String] {
        guard let dir = opendir(directory) else {
            throw EventLogError.system("Listing", path: directory, errno: errno)
        }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: &entry.pointee.d_name) {
                String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self))
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// Makes the directory's entries (created, renamed, removed files) durable.
    package static func syncDirectory(_ path: String) throws {
        let dir = try SystemFile.open(path, flags: O_RDONLY | O_DIRECTORY)
        while fsync(dir.fd) != 0 {
            let e = errno
            if e == EINTR { continue }
            // Some file systems cannot sync directories; their entries are durable anyway.
            if e == EINVAL || e == EBADF { return }
            throw EventLogError.system("Syncing directory", path: path, errno: e)
        }
    }

    package static func rename(_ from: String, to: String) throws {
        if systemRename(from, to) != 0 { throw EventLogError.system("Renaming \(from) to", path: to, errno: errno) }
    }

    package static func remove(_ path: String) throws {
        if unlink(path) != 0 && errno != ENOENT { throw EventLogError.system("Removing", path: path, errno: errno) }
    }

    package static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }
}

// File-scope wrappers: inside the types above, `open` and `rename` name their own methods.
private func systemOpen(_ path: String, _ flags: Int32, _ mode: mode_t) -> Int32 { open(path, flags, mode) }
private func systemRename(_ from: String, _ to: String) -> Int32 { rename(from, to) }
