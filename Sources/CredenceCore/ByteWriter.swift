/// Appends the pieces of compact binary records to a byte array: single bytes, LEB128
/// varints, zigzag-encoded signed integers and length-prefixed UTF-8 strings.
///
/// Shared by the record formats of the project, so they all spell integers and strings
/// the same way. `ByteReader` reads them back.
///
/// ```swift
/// var writer = ByteWriter()
/// writer.writeVarint(300)            // 0xAC 0x02
/// writer.writeZigZag(-1)             // 0x01
/// writer.writeString("héllo")        // 0x06 then 6 UTF-8 bytes
/// ```
public struct ByteWriter: Sendable {
    /// The bytes written so far (plus whatever the array held at the start).
    public var bytes: [UInt8]

    /// Where a long encoding hands its bytes so far, once they pass ``spillBytes``, between two
    /// of its elements (``spillIfFull()``): a checkpoint streamed to its file in pieces instead of
    /// held whole (a GB at 1M users). It takes the bytes and leaves `bytes` empty (an emptied
    /// buffer to go on in). `nil`, the default: everything stays in `bytes`.
    public var spill: (@Sendable (inout [UInt8]) -> Void)? = nil
    /// How many bytes ``spillIfFull()`` lets pile up before handing them to ``spill``.
    public var spillBytes = 4 << 20

    public init(bytes: [UInt8] = []) {
        self.bytes = bytes
    }

    /// Hands the bytes so far to ``spill`` once they pass ``spillBytes``. Encoders of large
    /// states call it between elements, where cutting the bytes leaves nothing half written;
    /// without a ``spill`` it does nothing.
    @inlinable @inline(__always)
    public mutating func spillIfFull() {
        if bytes.count >= spillBytes, let spill { spill(&bytes) }
    }

    @inlinable
    public mutating func writeByte(_ byte: UInt8) {
        bytes.append(byte)
    }

    @inlinable
    public mutating func writeBool(_ value: Bool) {
        bytes.append(value ? 1 : 0)
    }

    /// Unsigned LEB128: 7 bits per byte, low bits first, high bit set on all but the last byte.
    /// 1 byte up to 127, 10 bytes at most.
    @inlinable
    public mutating func writeVarint(_ value: UInt64) {
        Self.appendVarint(value, to: &bytes)
    }

    /// ``writeVarint(_:)`` onto a byte array of its own: for many small lists kept as arrays,
    /// 8 bytes each, where a writer (with its ``spill``) takes 32.
    @inlinable
    public static func appendVarint(_ value: UInt64, to bytes: inout [UInt8]) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    /// A signed integer as a zigzag varint, so that small negative numbers stay short too.
    @inlinable
    public mutating func writeZigZag(_ value: Int64) {
        writeVarint(ByteWriter.zigZag(value))
    }

    /// The byte count as a varint, then the UTF-8 bytes.
    @inlinable
    public mutating func writeString(_ value: String) {
        var value = value
        value.withUTF8 { utf8 in
            writeVarint(UInt64(utf8.count))
            bytes.append(contentsOf: utf8)
        }
    }

    /// The byte count as a varint, then the bytes.
    @inlinable
    public mutating func writeLengthPrefixed(_ value: some Collection<UInt8>) {
        writeVarint(UInt64(value.count))
        bytes.append(contentsOf: value)
    }

    /// Maps 0, -1, 1, -2, … to 0, 1, 2, 3, …
    @inlinable
    public static func zigZag(_ value: Int64) -> UInt64 {
        UInt64(bitPattern: (value << 1) ^ (value >> 63))
    }

    /// The inverse of `zigZag`.
    @inlinable
    public static func unZigZag(_ value: UInt64) -> Int64 {
        Int64(bitPattern: value >> 1) ^ -Int64(bitPattern: value & 1)
    }
}
