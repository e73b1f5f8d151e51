import CredenceCore
import DurableFile
import EventLog
import Glibc

/// State checkpoints on disk: `<derived>/checkpoints/state-<LSN>.ckpt`, each the engine's
/// whole state as of a batch boundary, so a restart loads the newest good one and replays
/// only the log after it.
///
/// File layout (little-endian):
///
/// | bytes | field |
/// | --- | --- |
/// | 8 | magic `CREDCKPT` |
/// | 4 | format version (2 since session 22: a user's obligations newest first, fixed-width duplicate-check entries) |
/// | 8 | LSN: the first log record the checkpoint does not cover (a batch boundary) |
/// | 8 | fingerprint: a stable hash of the settings the state depends on (zone, lateness, currency, duplicate window, model version) |
/// | 8 | body length `n` |
/// | n | body: the scoring state, then the intake indexes (``Engine/encodeCheckpointBody(into:canonical:)``) |
/// | 4 | CRC-32C of everything before it |
///
/// A checkpoint is written to a temporary file, fsynced, renamed, and the directory fsynced,
/// so a crash leaves either the old set or the new one. A torn or flipped file fails its
/// CRC and is skipped with a note; the next older one is tried, then a full replay.
///
/// Erasure: a checkpoint holds user ids and event details in clear, so every erasure deletes
/// all checkpoints that were written before it, before the user's old key is destroyed (see
/// `Engine.performEffects`). No checkpoint ever outlives the data an erasure removed.
struct Checkpoints: Sendable {
    static let magic: [UInt8] = Array("CREDCKPT".utf8)
    /// 2 since session 22: a user's obligations are kept newest first, and the duplicate check's
    /// entries are fixed-width. A version-1 file is skipped like a damaged one, with a note, and
    /// the log is replayed instead.
    static let version: UInt32 = 2
    static let headerBytes = 8 + 4 + 8 + 8 + 8

    let directory: String
    let fingerprint: UInt64
    /// How many checkpoints to keep: the newest, and older ones to fall back on.
    let keep: Int

    /// One checkpoint file found on disk.
    struct Entry: Comparable {
        var lsn: UInt64
        var path: String
        static func < (a: Entry, b: Entry) -> Bool { a.lsn < b.lsn }
    }

    /// The checkpoint files, oldest first.
    func entries() -> [Entry] {
        guard let d = opendir(directory) else { return [] }
        defer { closedir(d) }
        var out: [Entry] = []
        while let e = readdir(d) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            guard name.hasPrefix("state-"), name.hasSuffix(".ckpt"),
                let lsn = UInt64(name.dropFirst(6).dropLast(5))
            else { continue }
            out.append(Entry(lsn: lsn, path: directory + "/" + name))
        }
        return out.sorted()
    }

    /// Makes `buffer` a checkpoint file's buffer before its body: emptied, room for the header,
    /// which ``write(lsn:file:)`` fills in, and `capacity` bytes reserved in all (the last file's
    /// size: growing a 70 MB buffer by doubling copied it twice over and touched twice its
    /// pages). A buffer of an earlier checkpoint keeps its memory, so its pages are not mapped
    /// afresh (it must be its array's only reference, or emptying it allocates anew).
    static func startFile(in buffer: inout [UInt8], capacity: Int) {
        buffer.removeAll(keepingCapacity: true)
        buffer.reserveCapacity(max(capacity, headerBytes + 4))
        buffer.appendZeros(headerBytes)
    }

    /// Writes a checkpoint at `lsn` and removes all but the newest `keep`. `file` is
    /// ``startFile(in:capacity:)``'s buffer with the body written after the header's room: the
    /// header goes in place and the CRC-32C after the body, so the body is not copied. `file`
    /// is left holding what was written, so that its buffer can serve the next checkpoint.
    func write(lsn: UInt64, file: inout [UInt8]) throws(EngineError) {
        precondition(file.count >= Self.headerBytes, "a checkpoint file starts with its header's room")
        try Files.makeDirectory(directory)
        let bodyBytes = UInt64(file.count - Self.headerBytes)
        var header: [UInt8] = []
        header.reserveCapacity(Self.headerBytes)
        header.append(contentsOf: Self.magic)
        Self.append(Self.version, to: &header)
        Self.append(lsn, to: &header)
        Self.append(fingerprint, to: &header)
        Self.append(bodyBytes, to: &header)
        file.replaceSubrange(0..<Self.headerBytes, with: header)
        Self.append(CRC32C.checksum(file), to: &file)
        try Files.writeAtomically(path(lsn), file)
        let all = entries()
        for old in all.dropLast(keep) { unlink(old.path) }
    }

    func path(_ lsn: UInt64) -> String {
        let digits = String(lsn)
        return directory + "/state-" + String(repeating: "0", count: max(0, 20 - digits.count)) + digits + ".ckpt"
    }

    struct Problem: Error {
        var message: String
    }

    /// The checkpoint's body, or why it cannot be used: damaged, other settings, ahead of the log.
    func check(_ entry: Entry, logEnd: UInt64) -> Result<[UInt8], Problem> {
        guard let file = Files.read(entry.path) else { return .failure(Problem(message: "cannot be read")) }
        guard file.count >= Self.headerBytes + 4, Array(file[0..<8]) == Self.magic else {
            return .failure(Problem(message: "is not a checkpoint (bad magic or too short)"))
        }
        let stored = Self.u32(file, at: file.count - 4)
        guard CRC32C.checksum(file[0..<(file.count - 4)]) == stored else {
            return .failure(Problem(message: "is damaged (CRC-32C mismatch)"))
        }
        guard Self.u32(file, at: 8) == Self.version else {
            return .failure(Problem(message: "has format version \(Self.u32(file, at: 8)), not \(Self.version)"))
        }
        let lsn = Self.u64(file, at: 12)
        guard lsn == entry.lsn else { return .failure(Problem(message: "names LSN \(lsn), not its file name's")) }
        guard Self.u64(file, at: 20) == fingerprint else {
            return .failure(
                Problem(message: "was written with other settings (zone, lateness, currency, window or model)"))
        }
        guard lsn <= logEnd else {
            return .failure(Problem(message: "is ahead of the event log (LSN \(lsn) > \(logEnd))"))
        }
        let length = Self.u64(file, at: 28)
        guard length == UInt64(file.count - Self.headerBytes - 4) else {
            return .failure(Problem(message: "has a body length that does not match the file"))
        }
        return .success(Array(file[Self.headerBytes..<(file.count - 4)]))
    }

    /// Deletes every checkpoint older than `lsn` (an erasure's position), syncing the directory.
    func removeAll(before lsn: UInt64) {
        var removed = false
        for entry in entries() where entry.lsn <= lsn {
            unlink(entry.path)
            removed = true
        }
        // Best effort: the files are unlinked either way; a failed directory sync is retried by the next one.
        if removed { try? DurableFile.syncDirectory(directory) }
    }

    static func append<T: FixedWidthInteger>(_ v: T, to out: inout [UInt8]) {
        withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) }
    }

    static func u32(_ b: [UInt8], at i: Int) -> UInt32 {
        (0..<4).reduce(UInt32(0)) { $0 | UInt32(b[i + $1]) << (8 * UInt32($1)) }
    }

    static func u64(_ b: [UInt8], at i: Int) -> UInt64 {
        (0..<8).reduce(UInt64(0)) { $0 | UInt64(b[i + $1]) << (8 * UInt64($1)) }
    }
}
