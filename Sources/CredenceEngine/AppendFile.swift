#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A file opened for appending, with explicit `sync`: dead letters and the outbox.
///
/// Not `Sendable`: owned by the engine's task.
final class AppendFile {
    let path: String
    private let fd: Int32
    private var buffer: [UInt8] = []

    init(path: String) throws(EngineError) {
        self.path = path
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw EngineError(
                .io,
                "cannot open \(path) for appending: \(String(cString: strerror(errno))); check the data directory's permissions"
            )
        }
        self.fd = fd
    }

    deinit { close(fd) }

    func append(line: String) {
        buffer.append(contentsOf: line.utf8)
        buffer.append(10)
    }

    var hasPending: Bool { !buffer.isEmpty }

    /// Writes what was appended and, with `durable`, fsyncs it.
    func flush(durable: Bool) throws(EngineError) {
        var written = 0
        while written < buffer.count {
            let n = buffer.withUnsafeBytes { write(fd, $0.baseAddress! + written, $0.count - written) }
            if n < 0 {
                if errno == EINTR { continue }
                throw EngineError(.io, "cannot write \(path): \(String(cString: strerror(errno))); is the disk full?")
            }
            written += n
        }
        buffer.removeAll(keepingCapacity: true)
        if durable, fsync(fd) != 0 {
            throw EngineError(.io, "cannot fsync \(path): \(String(cString: strerror(errno)))")
        }
    }
}

enum Files {
    static func makeDirectory(_ path: String) throws(EngineError) {
        var current = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            current += "/" + part
            if mkdir(current, 0o755) != 0 && errno != EEXIST {
                throw EngineError(.io, "cannot create directory \(current): \(String(cString: strerror(errno)))")
            }
        }
    }

    static func exists(_ path: String) -> Bool {
        access(path, F_OK) == 0
    }

    static func read(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress!, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            out.append(contentsOf: chunk[0..<n])
        }
        return out
    }

    /// Writes `bytes` to `path` atomically: a temporary file, fsync, rename, fsync of the directory.
    static func writeAtomically(_ path: String, _ bytes: [UInt8]) throws(EngineError) {
        let tmp = path + ".tmp"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw EngineError(.io, "cannot write \(tmp): \(String(cString: strerror(errno)))") }
        let ok = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) == $0.count } && fsync(fd) == 0
        close(fd)
        guard ok, rename(tmp, path) == 0 else {
            throw EngineError(.io, "cannot write \(path): \(String(cString: strerror(errno)))")
        }
        let dir = path.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        let dfd = open(dir.isEmpty ? "." : dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dfd >= 0 {
            fsync(dfd)
            close(dfd)
        }
    }

    /// `dev:inode` of a file: a file replaced at the same path is another input.
    static func identity(_ path: String) -> String {
        var st = stat()
        guard stat(path, &st) == 0 else { return "?" }
        return "\(st.st_dev):\(st.st_ino)"
    }

    static func absolute(_ path: String) -> String {
        if path.hasPrefix("/") { return path }
        var buf = [CChar](repeating: 0, count: 4096)
        guard getcwd(&buf, buf.count) != nil else { return path }
        let cwd = String(decoding: buf.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return cwd + "/" + (path.hasPrefix("./") ? String(path.dropFirst(2)) : path)
    }

    static func removeTree(_ path: String) {
        guard let d = opendir(path) else {
            unlink(path)
            return
        }
        while let e = readdir(d) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name == "." || name == ".." { continue }
            let child = path + "/" + name
            if e.pointee.d_type == UInt8(DT_DIR) { removeTree(child) } else { unlink(child) }
        }
        closedir(d)
        rmdir(path)
    }
}
