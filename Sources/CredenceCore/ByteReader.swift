/// Reads what `ByteWriter` writes, from a raw buffer, checking every bound.
///
/// Never traps on bad input: every read throws `BinaryDecodingError` instead. Varints must be
/// in their shortest form, so a successful decode re-encodes to the same bytes.
///
/// ```swift
/// try bytes.withUnsafeBytes { raw in
///     var reader = ByteReader(raw)
///     let count = try reader.readVarint()
///     let name = try reader.readString()
///     try reader.expectEnd()
/// }
/// ```
public struct ByteReader {
    public let bytes: UnsafeRawBufferPointer
    /// Offset of the next byte to read.
    public private(set) var offset = 0

    public init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    public var remaining: Int { bytes.count - offset }
    public var isAtEnd: Bool { offset == bytes.count }

    public mutating func readByte() throws -> UInt8 {
        guard offset < bytes.count else { throw truncated("a byte") }
        let byte = bytes[offset]
        offset += 1
        return byte
    }

    /// A byte that must be 0 or 1.
    public mutating func readBool() throws -> Bool {
        let start = offset
        switch try readByte() {
        case 0: return false
        case 1: return true
        case let other:
            throw BinaryDecodingError(
                code: .invalidValue, offset: start, message: "a boolean must be 0 or 1, found \(other)")
        }
    }

    public mutating func readVarint() throws -> UInt64 {
        let start = offset
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard offset < bytes.count else { throw truncated("a varint") }
            let byte = bytes[offset]
            offset += 1
            if shift == 63 && byte > 1 {
                throw BinaryDecodingError(
                    code: .malformedVarint, offset: start, message: "the varint does not fit in 64 bits")
            }
            value |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 {
                if byte == 0 && shift > 0 {
                    throw BinaryDecodingError(
                        code: .malformedVarint, offset: start, message: "the varint is not in its shortest form")
                }
                return value
            }
            shift += 7
        }
    }

    /// Skips `count` varints without decoding them: a scan for their last bytes. Their form is
    /// checked only when they are read, so use it on bytes already checked (a checksum).
    public mutating func skipVarints(_ count: Int) throws {
        var left = count
        var i = offset
        while left > 0 {
            guard i < bytes.count else { throw truncated("a varint") }
            if bytes[i] < 0x80 { left -= 1 }
            i += 1
        }
        offset = i
    }

    public mutating func readZigZag() throws -> Int64 {
        ByteWriter.unZigZag(try readVarint())
    }

    /// `count` bytes, as a view into the input (valid as long as the input is).
    public mutating func readBytes(count: Int) throws -> UnsafeRawBufferPointer {
        guard count <= remaining else { throw truncated("\(count) bytes") }
        let slice = UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + count])
        offset += count
        return slice
    }

    /// A string's varint length, checked against the bytes left.
    private mutating func readStringLength() throws -> Int {
        let start = offset
        let length = try readVarint()
        guard length <= UInt64(remaining) else {
            throw BinaryDecodingError(
                code: .truncated, offset: start,
                message: "a string of \(length) bytes does not fit in the \(remaining) bytes left")
        }
        return Int(length)
    }

    /// A varint length, then that many bytes of UTF-8.
    public mutating func readString() throws -> String {
        let start = offset
        let utf8 = try readBytes(count: try readStringLength())
        // Ids are nearly always ASCII: that needs no validation, and the generic
        // `String(validating:)` costs a metadata lookup per call on this hot path.
        if Self.isASCII(utf8) {
            return String(decoding: utf8.bindMemory(to: UInt8.self), as: UTF8.self)
        }
        guard let string = String(validating: utf8, as: UTF8.self) else {
            throw Self.invalidUTF8(at: start)
        }
        return string
    }

    /// What ``readString()`` reads, checked the same way, as a view into the input instead of a
    /// `String`: for a decoder that keeps where a string is (``EventCodec/decodeScored(_:origin:)``).
    public mutating func readUTF8() throws -> UnsafeRawBufferPointer {
        let start = offset
        let utf8 = try readBytes(count: try readStringLength())
        guard Self.isASCII(utf8) || String(validating: utf8, as: UTF8.self) != nil else {
            throw Self.invalidUTF8(at: start)
        }
        return utf8
    }

    private static func isASCII(_ bytes: UnsafeRawBufferPointer) -> Bool {
        for byte in bytes where byte >= 0x80 { return false }
        return true
    }

    private static func invalidUTF8(at offset: Int) -> BinaryDecodingError {
        BinaryDecodingError(code: .invalidUTF8, offset: offset, message: "a string is not valid UTF-8")
    }

    /// Passes over what ``readString()`` reads, without making a `String` or checking its UTF-8.
    public mutating func skipString() throws {
        offset += try readStringLength()
    }

    /// Throws `.trailingBytes` unless everything was read.
    public func expectEnd() throws {
        guard isAtEnd else {
            throw BinaryDecodingError(
                code: .trailingBytes, offset: offset, message: "\(remaining) bytes follow the end of the record")
        }
    }

    private func truncated(_ what: String) -> BinaryDecodingError {
        BinaryDecodingError(code: .truncated, offset: offset, message: "the input ends where \(what) should be")
    }
}
