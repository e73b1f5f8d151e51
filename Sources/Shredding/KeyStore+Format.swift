import EventLog

/// The layout of the key file.
///
/// The file is an array of 64-byte slots; slot 0 is the header and slot *n* belongs to subject
/// *n*, at byte offset `64 * n`. A slot never straddles a 512-byte sector, and a destroy rewrites
/// exactly one slot in place. All integers are little endian.
///
/// Header (slot 0):
///
/// | bytes  | content                                   |
/// |--------|-------------------------------------------|
/// | 0..<8  | magic `CREDKEYS`                          |
/// | 8..<12 | format version, 2                         |
/// | 12..<16| slot size, 64                             |
/// | 16..<60| zero                                      |
/// | 60..<64| CRC-32C of bytes 0..<60                   |
///
/// Subject slot *n*:
///
/// | bytes  | content                                          |
/// |--------|--------------------------------------------------|
/// | 0..<8  | subject id *n* (guards against misplaced writes) |
/// | 8..<12 | state: 1 live, 2 destroyed                       |
/// | 12..<16| zero                                             |
/// | 16..<48| key; all zero once destroyed                     |
/// | 48..<60| zero                                             |
/// | 60..<64| CRC-32C of bytes 0..<60                          |
///
/// A slot whose checksum, id or state is wrong is invalid: a torn write or damage.
///
/// Version 2 checksums with CRC-32C, the one CRC of the project (the event log's); version 1
/// used CRC-32 (IEEE) and is refused with a message naming both versions.
enum KeyFileFormat {
    static let slotSize = 64
    static let magic: [UInt8] = Array("CREDKEYS".utf8)
    static let version: UInt32 = 2
    static let keyOffset = 16
    static let checksumOffset = 60

    static let zeroKey = [UInt8](repeating: 0, count: SubjectKey.byteCount)

    /// A subject slot's state.
    enum State: UInt32 {
        case live = 1
        case destroyed = 2
    }

    /// The 64-byte header.
    static let header: [UInt8] = {
        var h = [UInt8](repeating: 0, count: slotSize)
        h.withUnsafeMutableBytes { p in
            p.copyBytes(from: magic)
            p.storeBytes(of: version.littleEndian, toByteOffset: 8, as: UInt32.self)
            p.storeBytes(of: UInt32(slotSize).littleEndian, toByteOffset: 12, as: UInt32.self)
            sealChecksum(p.baseAddress!)
        }
        return h
    }()

    /// Writes slot `subject` with `state` and `key` (zeros when `nil`) at `p`.
    static func encodeSlot(subject: UInt64, state: State, key: UnsafeRawPointer?, into p: UnsafeMutableRawPointer) {
        p.initializeMemory(as: UInt8.self, repeating: 0, count: slotSize)
        p.storeBytes(of: subject.littleEndian, toByteOffset: 0, as: UInt64.self)
        p.storeBytes(of: state.rawValue.littleEndian, toByteOffset: 8, as: UInt32.self)
        if let key { (p + keyOffset).copyMemory(from: key, byteCount: SubjectKey.byteCount) }
        sealChecksum(p)
    }

    /// Encodes one slot into a fresh array.
    static func slot(subject: UInt64, state: State, key: UnsafeRawPointer?) -> [UInt8] {
        var s = [UInt8](repeating: 0, count: slotSize)
        s.withUnsafeMutableBytes { encodeSlot(subject: subject, state: state, key: key, into: $0.baseAddress!) }
        return s
    }

    /// The state of the slot at `p`, which should belong to `subject`; `nil` if the slot is invalid.
    static func decodeSlot(_ p: UnsafeRawPointer, subject: UInt64) -> State? {
        guard checksumMatches(p),
            UInt64(littleEndian: p.loadUnaligned(fromByteOffset: 0, as: UInt64.self)) == subject
        else { return nil }
        return State(rawValue: UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 8, as: UInt32.self)))
    }

    static func checksumMatches(_ p: UnsafeRawPointer) -> Bool {
        let stored = UInt32(littleEndian: p.loadUnaligned(fromByteOffset: checksumOffset, as: UInt32.self))
        return stored == CRC32C.checksum(UnsafeRawBufferPointer(start: p, count: checksumOffset))
    }

    private static func sealChecksum(_ p: UnsafeMutableRawPointer) {
        let crc = CRC32C.checksum(UnsafeRawBufferPointer(start: p, count: checksumOffset))
        p.storeBytes(of: crc.littleEndian, toByteOffset: checksumOffset, as: UInt32.self)
    }
}
