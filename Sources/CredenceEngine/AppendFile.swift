import DurableFile

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A line file opened for appending: dead letters and the outbox, as written. Writes go
/// through `DurableFile`, with the log's discipline. The engine renders its lines into a
/// ``LineBuffer`` and the ``EffectsWriter``'s thread, which owns this file, writes them.
///
/// Not `Sendable`: owned by one thread at a time (the effects writer's, under its lock).
final class AppendFile {
    let path: String
    private var file: DurableFile.Appender
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

    /// Writes whole lines (each ending with a newline) after what the file holds and, with
    /// `durable`, fsyncs them.
    func write(_ lines: [UInt8], durable: Bool) throws(EngineError) {
        do {
            if !lines.isEmpty { try file.append(lines) }
            if durable { try file.sync() }
        } catch {
            throw EngineError(.io, "cannot write \(path): \(error.message)", underlying: error)
        }
    }

    /// Removes every written line that `user(line)` says belongs to `userID`; returns how many
    /// it removed (the lines not written yet are the ``LineBuffer``'s to remove). A line is
    /// overwritten in place with spaces (its newline kept), so no other line moves and offsets
    /// into the file stay valid; readers skip blank lines, and compaction drops them.
    ///
    /// `user` extracts the user id a line names. The index it builds is kept, and later calls
    /// read only what was appended since, so many erasures cost one pass over the file.
    func removeLines(of userID: String, user: (ArraySlice<UInt8>) -> String?) throws(EngineError) -> Int {
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
            guard let lines = userLines.removeValue(forKey: userID) else { return 0 }
            try DurableFile.overwrite(
                path, lines.map { ($0.offset, [UInt8](repeating: UInt8(ascii: " "), count: $0.length)) })
            return lines.count
        } catch {
            throw EngineError(
                .io, "cannot remove an erased user's lines from \(path): \(error.message)", underlying: error)
        }
    }

    /// Replaces the file's content with `bytes` (atomically, durably).
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
