import DurableFile

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A line file opened for appending, with explicit `flush`: dead letters and the outbox.
/// Writes go through `DurableFile`, with the log's discipline. The engine's lines reach it
/// through the ``EffectsWriter``'s thread, which owns it; a test may use it on its own.
///
/// Not `Sendable`: owned by one thread at a time (the effects writer's, under its lock).
final class AppendFile {
    let path: String
    private var file: DurableFile.Appender
    private var pending = LineBuffer()
    /// Where each user's lines are in the file (offset and length, by the user id a line names;
    /// see `removeLines`), and the file size this index covers; built on the first erasure.
    private var userLines: [String: [(offset: UInt64, length: Int)]] = [:]
    private var indexedBytes: UInt64 = 0

    init(path: String) throws(EngineError) {
        self.path = path
        do {
            file = try DurableFile.Appender(path: path)
        } catch {
            throw EngineError(.io, "cannot open \(path) for appending: \(error.message)", underlying: error)
        }
    }

    func append(line: String) {
        pending.append(line: line)
    }

    /// Appends a line that `render` writes straight into the buffer (without its newline).
    func appendLine(_ render: (inout [UInt8]) -> Void) {
        pending.appendLine(render)
    }

    var hasPending: Bool { pending.hasPending }

    /// Bytes appended and not yet written.
    var pendingBytes: Int { pending.pendingBytes }

    /// Writes what was appended (its first `prefix` bytes, if given: whole lines, the rest stays
    /// pending) and, with `durable`, fsyncs it.
    func flush(durable: Bool, prefix: Int? = nil) throws(EngineError) {
        try write(pending.take(prefix: prefix), durable: durable)
    }

    /// Writes whole lines (each ending with a newline) after what the file holds, without
    /// passing through the pending lines, and, with `durable`, fsyncs them: what the effects
    /// writer does with the lines the engine hands over.
    func write(_ lines: [UInt8], durable: Bool) throws(EngineError) {
        do {
            if !lines.isEmpty { try file.append(lines) }
            if durable { try file.sync() }
        } catch {
            throw EngineError(.io, "cannot write \(path): \(error.message)", underlying: error)
        }
    }

    /// Removes every line, written or pending, that `user(line)` says belongs to `userID`; returns
    /// how many it removed. A written line is overwritten in place with spaces (its newline
    /// kept), so no other line moves and offsets into the file stay valid; readers skip blank
    /// lines, and compaction drops them.
    ///
    /// `user` extracts the user id a line names. The index it builds is kept, and later calls
    /// read only what was appended since, so many erasures cost one pass over the file.
    ///
    /// `mentioning`, when given, are bytes every line of the user holds (their id, when the
    /// format leaves it unescaped): pending lines are searched line by line only when they
    /// hold them somewhere.
    func removeLines(of userID: String, mentioning: [UInt8]? = nil, user: (ArraySlice<UInt8>) -> String?)
        throws(EngineError) -> Int
    {
        var all: Int? = nil
        var removed = pending.removeLines(of: userID, mentioning: mentioning, pendingPrefix: &all, user: user)
        do {
            let tail = try DurableFile.read(path, from: indexedBytes) ?? []
            var start = 0
            while let newline = tail.withUnsafeBytes({
                UnsafeRawBufferPointer(rebasing: $0[start...]).firstNewline.map { start + $0 }
            }) {
                if newline > start, let owner = user(tail[start..<newline]) {
                    userLines[owner, default: []].append((indexedBytes + UInt64(start), newline - start))
                }
                start = newline + 1
            }
            indexedBytes += UInt64(start)
            guard let lines = userLines.removeValue(forKey: userID) else { return removed }
            try DurableFile.overwrite(
                path, lines.map { ($0.offset, [UInt8](repeating: UInt8(ascii: " "), count: $0.length)) })
            removed += lines.count
        } catch {
            throw EngineError(
                .io, "cannot remove an erased user's lines from \(path): \(error.message)", underlying: error)
        }
        return removed
    }

    /// Replaces the file's written content with `bytes` (atomically, durably); pending lines stay pending.
    func replaceContent(with bytes: [UInt8]) throws(EngineError) {
        do {
            try DurableFile.replace(path, with: bytes)
            file = try DurableFile.Appender(path: path)
            userLines = [:]
            indexedBytes = 0
        } catch {
            throw EngineError(.io, "cannot rewrite \(path): \(error.message)", underlying: error)
        }
    }
}

/// Paths of the data directory, over `DurableFile`.
enum Files {
    static func makeDirectory(_ path: String) throws(EngineError) {
        do {
            try DurableFile.makeDirectory(path)
        } catch {
            throw EngineError(.io, "cannot create directory \(error.path): \(error.message)", underlying: error)
        }
    }

    static func exists(_ path: String) -> Bool { DurableFile.exists(path) }

    /// The file's bytes; `nil` when it is missing or unreadable.
    static func read(_ path: String) -> [UInt8]? {
        (try? DurableFile.read(path)) ?? nil
    }

    /// Writes `bytes` to `path` atomically: a temporary file, fsync, rename, fsync of the directory.
    static func writeAtomically(_ path: String, _ bytes: [UInt8]) throws(EngineError) {
        do {
            try DurableFile.replace(path, with: bytes)
        } catch {
            throw EngineError(.io, "cannot write \(path): \(error.message)", underlying: error)
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
