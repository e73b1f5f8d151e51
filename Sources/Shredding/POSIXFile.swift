#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Thin wrappers over the POSIX file calls the key store needs, retrying on `EINTR`.
enum POSIXFile {
    static func errorString(_ code: Int32) -> String {
        guard let s = strerror(code) else { return "error \(code)" }
        return String(cString: s)
    }

    private static func fail(_ call: String) -> SystemCallError { SystemCallError(call: call, errno: errno) }

    /// Creates `path` and its missing parents with `mode`, like `mkdir -p`.
    static func makeDirectories(_ path: String, mode: mode_t) throws(SystemCallError) {
        var prefix = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/") {
            prefix += component
            if mkdir(prefix, mode) != 0 && errno != EEXIST { throw fail("mkdir") }
            prefix += "/"
        }
    }

    static func open(_ path: String, flags: Int32, mode: mode_t) throws(SystemCallError) -> Int32 {
        while true {
            let fd = systemOpen(path, flags, mode)
            if fd >= 0 { return fd }
            if errno != EINTR { throw fail("open") }
        }
    }

    /// Takes an exclusive advisory lock; returns false if another open file description holds it.
    static func tryLock(_ fd: Int32) throws(SystemCallError) -> Bool {
        while true {
            if flock(fd, LOCK_EX | LOCK_NB) == 0 { return true }
            if errno == EWOULDBLOCK { return false }
            if errno != EINTR { throw fail("flock") }
        }
    }

    static func size(_ fd: Int32) throws(SystemCallError) -> Int {
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw fail("fstat") }
        return Int(st.st_size)
    }

    /// Reads up to `buffer.count` bytes at `offset`; fewer only at end of file.
    static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws(SystemCallError)
        -> Int
    {
        var done = 0
        while done < buffer.count {
            let n = pread(fd, buffer.baseAddress! + done, buffer.count - done, off_t(offset + done))
            if n == 0 { break }
            if n < 0 {
                if errno == EINTR { continue }
                throw fail("pread")
            }
            done += n
        }
        return done
    }

    static func write(_ fd: Int32, _ buffer: UnsafeRawBufferPointer, at offset: Int) throws(SystemCallError) {
        var done = 0
        while done < buffer.count {
            let n = pwrite(fd, buffer.baseAddress! + done, buffer.count - done, off_t(offset + done))
            if n < 0 {
                if errno == EINTR { continue }
                throw fail("pwrite")
            }
            done += n
        }
    }

    /// Writes all of `bytes` at `offset`.
    static func write(_ fd: Int32, _ bytes: [UInt8], at offset: Int) throws(SystemCallError) {
        // Array's closure APIs rethrow untyped errors; carry the typed one out in a Result.
        let result = bytes.withUnsafeBytes { b in
            Result { () throws(SystemCallError) in try write(fd, b, at: offset) }
        }
        try result.get()
    }

    /// Reads into `bytes[range]` from `offset`; returns the byte count, short only at end of file.
    static func read(_ fd: Int32, into bytes: inout [UInt8], _ range: Range<Int>, at offset: Int)
        throws(SystemCallError) -> Int
    {
        let result = bytes.withUnsafeMutableBytes { b in
            Result { () throws(SystemCallError) in
                try read(fd, into: UnsafeMutableRawBufferPointer(rebasing: b[range]), at: offset)
            }
        }
        return try result.get()
    }

    static func truncate(_ fd: Int32, to size: Int) throws(SystemCallError) {
        while ftruncate(fd, off_t(size)) != 0 {
            if errno != EINTR { throw fail("ftruncate") }
        }
    }

    /// Makes written data (and the file size) durable.
    static func sync(_ fd: Int32) throws(SystemCallError) {
        #if canImport(Darwin)
            while fsync(fd) != 0 {
                if errno != EINTR { throw fail("fsync") }
            }
        #else
            while fdatasync(fd) != 0 {
                if errno != EINTR { throw fail("fdatasync") }
            }
        #endif
    }

    /// Makes a new directory entry in `path` durable.
    static func syncDirectory(_ path: String) throws(SystemCallError) {
        let fd = try open(path, flags: O_RDONLY | O_CLOEXEC, mode: 0)
        defer { _ = close(fd) }
        while fsync(fd) != 0 {
            if errno != EINTR { throw fail("fsync") }
        }
    }
}

// `open` is variadic in C; the Swift overlay's `open(_:_:_:)` takes the mode explicitly.
@inline(__always)
private func systemOpen(_ path: String, _ flags: Int32, _ mode: mode_t) -> Int32 {
    #if canImport(Darwin)
        return Darwin.open(path, flags, mode)
    #elseif canImport(Musl)
        return Musl.open(path, flags, mode)
    #else
        return Glibc.open(path, flags, mode)
    #endif
}
