/// Record framing: `u32 LE payload length`, `u32 LE CRC-32C` over those 4 length bytes and
/// the payload, then the payload.
///
/// The log treats payloads as opaque bytes; the engine's records are documented in
/// `CredenceEngine/EngineRecord.swift`.
enum RecordFrame {
    static let headerSize = 8
}

/// The 24-byte header at the start of every segment (`.seg`) and index (`.idx`) file.
///
/// ```
/// 0  magic    4 bytes  "CRDL" (segment) or "CRDX" (index)
/// 4  version  u16 LE   2
/// 6  reserved u16      0
/// 8  base LSN u64 LE   LSN of the segment's first record (also its file name)
/// 16 CRC-32C  u32 LE   of bytes 0..<16
/// 20 reserved u32      0
/// ```
///
/// Versions: 1, the first; 2, the same framing, but the engine's sealed fields are
/// ChaCha20-Poly1305 (ciphertext then a 16-byte tag) instead of bare ChaCha20, and its keyed
/// identifiers are HMAC-SHA256. The version covers what the payloads mean, so a log of
/// another version is refused (``Decoded/unsupportedVersion(_:)``) rather than misread.
struct FileHeader: Hashable {
    static let size = 24
    static let version: UInt16 = 2
    static let segmentMagic: [UInt8] = Array("CRDL".utf8)
    static let indexMagic: [UInt8] = Array("CRDX".utf8)

    var magic: [UInt8]
    var baseLSN: UInt64

    func encoded() -> [UInt8] {
        var bytes = magic
        bytes.appendLittleEndian(FileHeader.version)
        bytes.appendLittleEndian(UInt16(0))
        bytes.appendLittleEndian(baseLSN)
        bytes.appendLittleEndian(CRC32C.checksum(bytes))
        bytes.appendLittleEndian(UInt32(0))
        return bytes
    }

    enum Decoded: Equatable {
        case valid(FileHeader)
        /// Shorter than a header, or all zero: a file created but not yet (durably) written.
        case torn
        case invalid(String)
        /// A valid header of another format version.
        case unsupportedVersion(UInt16)
    }

    static func decode(_ bytes: [UInt8], magic: [UInt8]) -> Decoded {
        if bytes.count < size || bytes[0..<size].allSatisfy({ $0 == 0 }) { return .torn }
        guard Array(bytes[0..<4]) == magic else { return .invalid("bad magic (not a Credence log file)") }
        let version = bytes.loadLittleEndian(UInt16.self, at: 4)
        let crc = bytes.loadLittleEndian(UInt32.self, at: 16)
        guard crc == CRC32C.checksum(bytes[0..<16]) else { return .invalid("header checksum mismatch") }
        guard version == FileHeader.version else { return .unsupportedVersion(version) }
        return .valid(FileHeader(magic: magic, baseLSN: bytes.loadLittleEndian(UInt64.self, at: 8)))
    }
}

extension FileHeader {
    /// What to tell an operator about a log of format `version`.
    static func versionMessage(_ version: UInt16, path: String) -> String {
        let written = version < FileHeader.version ? "an older" : "a newer"
        return "\(path) is in event-log format version \(version), written by \(written) credence; this build "
            + "reads version \(FileHeader.version) (records authenticated with ChaCha20-Poly1305). Open the data "
            + "directory with the credence version that wrote it, or ingest the original input again into a new "
            + "data directory."
    }
}

/// Segment and index file names: the base LSN zero padded to 20 digits.
enum SegmentFile {
    static let segmentExtension = ".seg"
    static let indexExtension = ".idx"

    static func name(base: UInt64, extension ext: String = segmentExtension) -> String {
        let digits = String(base)
        return String(repeating: "0", count: 20 - digits.count) + digits + ext
    }

    static func path(_ directory: String, base: UInt64, extension ext: String = segmentExtension) -> String {
        directory + "/" + name(base: base, extension: ext)
    }

    /// The base LSN of a segment file name, or `nil` for any other name.
    static func base(ofName name: String) -> UInt64? {
        guard name.hasSuffix(segmentExtension) else { return nil }
        let digits = name.dropLast(segmentExtension.count)
        guard digits.count == 20, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return UInt64(digits)
    }

    /// The base LSNs of the segments in `directory`, ascending.
    static func list(_ directory: String) throws -> [UInt64] {
        try FileSystem.list(directory).compactMap(base(ofName:)).sorted()
    }
}

extension Array where Element == UInt8 {
    mutating func appendLittleEndian<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }

    func loadLittleEndian<T: FixedWidthInteger>(_: T.Type, at offset: Int) -> T {
        withUnsafeBytes { T(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: T.self)) }
    }
}
