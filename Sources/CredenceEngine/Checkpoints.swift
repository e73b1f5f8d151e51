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

    /// The header of the checkpoint at `lsn` with a body of `bodyBytes`.
    func header(lsn: UInt64, bodyBytes: UInt64) -> [UInt8] {
        var header: [UInt8] = []
        header.reserveCapacity(Self.headerBytes)
        header.append(contentsOf: Self.magic)
        Self.append(Self.version, to: &header)
        Self.append(lsn, to: &header)
        Self.append(fingerprint, to: &header)
        Self.append(bodyBytes, to: &header)
        return header
    }

    /// Removes all but the newest `keep` checkpoints.
    func pruneOld() {
        for old in entries().dropLast(keep) { unlink(old.path) }
    }

    /// A checkpoint file written while its body is encoded, piece by piece, so that the body is
    /// never held whole (a GB at 1M users): the header's room first, then the pieces as they
    /// come, and at the end the header in place and the CRC-32C after the body. The same bytes
    /// as a file written whole; the same crash safety (``DurableFile/Replacement``).
    ///
    /// The CRC-32C covers the header, written last: it is worked out from the header's CRC and
    /// the body's, taken as the pieces go by (``combinedChecksum(header:bodyChecksum:bodyBytes:)``).
    ///
    /// Not `Sendable`: one owner (the checkpoint writer's queue).
    final class Stream {
        let checkpoints: Checkpoints
        let lsn: UInt64
        private let file: DurableFile.Replacement
        /// The body's checksum so far, from the all-ones start ``combinedChecksum`` expects.
        private var bodyChecksum: UInt32 = .max
        private(set) var bodyBytes: UInt64 = 0

        init(_ checkpoints: Checkpoints, lsn: UInt64) throws(EngineError) {
            self.checkpoints = checkpoints
            self.lsn = lsn
            try Files.makeDirectory(checkpoints.directory)
            let path = checkpoints.path(lsn)
            do throws(DurableFileError) {
                file = try DurableFile.Replacement(path)
                try file.append([UInt8](repeating: 0, count: Checkpoints.headerBytes))
            } catch {
                throw Self.writeFailure(path, error)
            }
        }

        /// Appends the body's next piece.
        func append(_ piece: [UInt8]) throws(EngineError) {
            do {
                try file.append(piece)
            } catch {
                throw Self.writeFailure(file.path, error)
            }
            bodyChecksum = CRC32C.checksum(piece, continuing: bodyChecksum)
            bodyBytes += UInt64(piece.count)
        }

        /// Puts the header in place and the CRC-32C after the body, makes the file durable under
        /// its name, and removes all but the newest checkpoints.
        func finish() throws(EngineError) {
            let header = checkpoints.header(lsn: lsn, bodyBytes: bodyBytes)
            var crc: [UInt8] = []
            Checkpoints.append(
                Checkpoints.combinedChecksum(header: header, bodyChecksum: bodyChecksum, bodyBytes: bodyBytes),
                to: &crc)
            do throws(DurableFileError) {
                try file.write(header, at: 0)
                try file.append(crc)
                try file.finish()
            } catch {
                file.abandon()
                throw Self.writeFailure(file.path, error)
            }
            checkpoints.pruneOld()
        }

        /// Drops the unfinished file.
        func abandon() { file.abandon() }

        private static func writeFailure(_ path: String, _ error: DurableFileError) -> EngineError {
            EngineError(.io, "cannot write the checkpoint \(path): \(error.message)", underlying: error)
        }
    }

    /// The CRC-32C of `header` followed by a body of `bodyBytes`, from the header and the body's
    /// checksum taken alone from an all-ones start (`CRC32C.checksum(body, continuing: .max)`).
    ///
    /// CRC-32C is linear once its pre- and post-inversions are taken off: the register after the
    /// header and then the body is the register after the header moved on by as many zero bytes,
    /// xor the register after the body alone from zero. The checksum of the header continued over
    /// zeros is the first (inverted); the body's from the all-ones start is the second (inverted);
    /// inverting their xor gives the whole file's. The zeros cost a pass of the CRC instruction,
    /// 64 KB at a time (about a millisecond per 10 MB), on the writer's thread.
    static func combinedChecksum(header: [UInt8], bodyChecksum: UInt32, bodyBytes: UInt64) -> UInt32 {
        var shifted = CRC32C.checksum(header)
        var left = bodyBytes
        zeros.withUnsafeBytes { zeros in
            while left > 0 {
                let n = Int(min(left, UInt64(zeros.count)))
                shifted = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: zeros[..<n]), continuing: shifted)
                left -= UInt64(n)
            }
        }
        return ~(shifted ^ bodyChecksum)
    }

    private static let zeros = [UInt8](repeating: 0, count: 64 << 10)

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
