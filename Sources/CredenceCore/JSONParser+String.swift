extension JSONParser {
    /// Parses the string whose opening quote is at `i`, validating UTF-8 and
    /// escapes, and feeds its unescaped content, then its length and tag, to `h`.
    @inline(__always)
    mutating func parseString(into h: inout ContentHasher) throws(JSONError) -> JSONValueInfo {
        let open = i
        let start = i &+ 1
        var j = start
        var run = start
        var length = 0
        var escaped = false
        let raw = UnsafeRawPointer(base)
        while true {
            // Skip plain ASCII 8 bytes at a time, stopping exactly at the first byte that needs a look.
            while j &+ 8 <= end {
                let w = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: j, as: UInt64.self))
                let special = Self.specialBytes(w)
                if special != 0 {
                    j &+= special.trailingZeroBitCount &>> 3
                    break
                }
                j &+= 8
            }
            guard j < end else { throw JSONError(.unterminatedString, at: open) }
            let c = base[j]
            if c == Byte.quote {
                h.add(base + run, count: j &- run, readable: end &- run)
                length &+= j &- run
                h.add(.string, UInt64(length))
                i = j &+ 1
                return JSONValueInfo(kind: .string, flag: escaped, start: start, end: j)
            }
            if c == Byte.backslash {
                h.add(base + run, count: j &- run)
                length &+= j &- run
                escaped = true
                j = try decodeEscape(at: j) { byte in
                    h.add(byte: byte)
                    length &+= 1
                }
                run = j
            } else if c < 0x20 {
                throw JSONError(.controlCharacter(c), at: j)
            } else if c < 0x80 {
                j &+= 1
            } else {
                j = try utf8SequenceEnd(at: j)
            }
        }
    }

    /// The high bit of each byte of `w` that is a quote, a backslash, a control
    /// character or non-ASCII. Bytes above the lowest flagged one may be flagged
    /// wrongly (borrows propagate upwards), but the lowest flag is always exact.
    @inline(__always)
    static func specialBytes(_ w: UInt64) -> UInt64 {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        let q = w ^ (ones &* 0x22)
        let b = w ^ (ones &* 0x5C)
        let hasQuote = (q &- ones) & ~q
        let hasBackslash = (b &- ones) & ~b
        let hasControl = (w &- ones &* 0x20) & ~w
        return (hasQuote | hasBackslash | hasControl | w) & highs
    }

    /// Decodes the escape whose backslash is at `j`, emitting its UTF-8 bytes, and
    /// returns the index after it.
    @inline(__always)
    func decodeEscape(at j: Int, emit: (UInt8) -> Void) throws(JSONError) -> Int {
        guard j &+ 1 < end else { throw JSONError(.unexpectedEnd, at: end) }
        let e = base[j &+ 1]
        switch e {
        case Byte.quote, Byte.backslash, UInt8(ascii: "/"):
            emit(e)
        case UInt8(ascii: "b"): emit(0x08)
        case UInt8(ascii: "f"): emit(0x0C)
        case UInt8(ascii: "n"): emit(0x0A)
        case UInt8(ascii: "r"): emit(0x0D)
        case UInt8(ascii: "t"): emit(0x09)
        case UInt8(ascii: "u"):
            let first = try hex4(at: j &+ 2, escapeAt: j)
            var scalar = UInt32(first)
            var next = j &+ 6
            if first >= 0xDC00, first <= 0xDFFF {
                throw JSONError(.unpairedSurrogate(first), at: j)
            }
            if first >= 0xD800, first <= 0xDBFF {
                guard next &+ 1 < end, base[next] == Byte.backslash, base[next &+ 1] == UInt8(ascii: "u") else {
                    throw JSONError(.unpairedSurrogate(first), at: j)
                }
                let second = try hex4(at: next &+ 2, escapeAt: next)
                guard second >= 0xDC00, second <= 0xDFFF else { throw JSONError(.unpairedSurrogate(first), at: j) }
                scalar = 0x10000 &+ ((UInt32(first) &- 0xD800) &<< 10) &+ (UInt32(second) &- 0xDC00)
                next &+= 6
            }
            Self.encodeUTF8(scalar, emit: emit)
            return next
        default:
            throw JSONError(.invalidEscape(e), at: j)
        }
        return j &+ 2
    }

    private func hex4(at k: Int, escapeAt j: Int) throws(JSONError) -> UInt16 {
        guard k &+ 4 <= end else { throw JSONError(.invalidUnicodeEscape, at: j) }
        var v: UInt16 = 0
        for n in 0..<4 {
            let c = base[k &+ n]
            let d: UInt8
            switch c {
            case Byte.zero...Byte.nine: d = c &- Byte.zero
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = c &- UInt8(ascii: "a") &+ 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = c &- UInt8(ascii: "A") &+ 10
            default: throw JSONError(.invalidUnicodeEscape, at: j)
            }
            v = v &<< 4 | UInt16(d)
        }
        return v
    }

    @inline(__always)
    static func encodeUTF8(_ v: UInt32, emit: (UInt8) -> Void) {
        switch v {
        case 0..<0x80:
            emit(UInt8(v))
        case 0x80..<0x800:
            emit(UInt8(0xC0 | v &>> 6))
            emit(UInt8(0x80 | v & 0x3F))
        case 0x800..<0x10000:
            emit(UInt8(0xE0 | v &>> 12))
            emit(UInt8(0x80 | v &>> 6 & 0x3F))
            emit(UInt8(0x80 | v & 0x3F))
        default:
            emit(UInt8(0xF0 | v &>> 18))
            emit(UInt8(0x80 | v &>> 12 & 0x3F))
            emit(UInt8(0x80 | v &>> 6 & 0x3F))
            emit(UInt8(0x80 | v & 0x3F))
        }
    }

    /// Validates the multi-byte UTF-8 sequence starting at `j` (RFC 3629: no
    /// overlongs, no surrogates, nothing above U+10FFFF) and returns its end.
    @inline(__always)
    func utf8SequenceEnd(at j: Int) throws(JSONError) -> Int {
        @inline(__always) func inRange(_ k: Int, _ lo: UInt8, _ hi: UInt8) -> Bool {
            k < end && base[k] >= lo && base[k] <= hi
        }
        switch base[j] {
        case 0xC2...0xDF:
            if inRange(j &+ 1, 0x80, 0xBF) { return j &+ 2 }
        case 0xE0:
            if inRange(j &+ 1, 0xA0, 0xBF), inRange(j &+ 2, 0x80, 0xBF) { return j &+ 3 }
        case 0xE1...0xEC, 0xEE...0xEF:
            if inRange(j &+ 1, 0x80, 0xBF), inRange(j &+ 2, 0x80, 0xBF) { return j &+ 3 }
        case 0xED:
            if inRange(j &+ 1, 0x80, 0x9F), inRange(j &+ 2, 0x80, 0xBF) { return j &+ 3 }
        case 0xF0:
            if inRange(j &+ 1, 0x90, 0xBF), inRange(j &+ 2, 0x80, 0xBF), inRange(j &+ 3, 0x80, 0xBF) { return j &+ 4 }
        case 0xF1...0xF3:
            if inRange(j &+ 1, 0x80, 0xBF), inRange(j &+ 2, 0x80, 0xBF), inRange(j &+ 3, 0x80, 0xBF) { return j &+ 4 }
        case 0xF4:
            if inRange(j &+ 1, 0x80, 0x8F), inRange(j &+ 2, 0x80, 0xBF), inRange(j &+ 3, 0x80, 0xBF) { return j &+ 4 }
        default:
            break
        }
        throw JSONError(.invalidUTF8, at: j)
    }

    /// The unescaped content of a string the parser has already validated.
    static func unescape(base: UnsafePointer<UInt8>, _ value: JSONValueInfo) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(value.end &- value.start)
        let parser = JSONParser(base: base, count: value.end, maxDepth: 0)
        var j = value.start
        while j < value.end {
            if base[j] == Byte.backslash {
                j = (try? parser.decodeEscape(at: j) { out.append($0) }) ?? value.end
            } else {
                out.append(base[j])
                j &+= 1
            }
        }
        return out
    }
}
