extension JSONParser {
    /// Parses the number at `i` by the RFC 8259 grammar
    /// (`-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`) and feeds its value
    /// in canonical form to `h`.
    @inline(__always)
    mutating func parseNumber(into h: inout ContentHasher) throws(JSONError) -> JSONValueInfo {
        let start = i
        var j = i
        let negative = base[j] == Byte.minus
        if negative { j &+= 1 }
        let intStart = j
        guard j < end, isDigit(base[j]) else { throw JSONError(.missingDigits, at: j) }
        if base[j] == Byte.zero {
            j &+= 1
            if j < end, isDigit(base[j]) { throw JSONError(.leadingZero, at: intStart) }
        } else {
            while j < end, isDigit(base[j]) { j &+= 1 }
        }
        let intEnd = j
        var fracStart = j
        var fracEnd = j
        var isInteger = true
        if j < end, base[j] == Byte.dot {
            isInteger = false
            j &+= 1
            fracStart = j
            while j < end, isDigit(base[j]) { j &+= 1 }
            fracEnd = j
            guard fracEnd > fracStart else { throw JSONError(.missingDigits, at: j) }
        }
        var expStart = j
        var expEnd = j
        var expNegative = false
        if j < end, base[j] | 0x20 == UInt8(ascii: "e") {
            isInteger = false
            j &+= 1
            if j < end, base[j] == Byte.minus || base[j] == Byte.plus {
                expNegative = base[j] == Byte.minus
                j &+= 1
            }
            expStart = j
            while j < end, isDigit(base[j]) { j &+= 1 }
            expEnd = j
            guard expEnd > expStart else { throw JSONError(.missingDigits, at: j) }
        }
        i = j
        hashNumber(
            negative: negative, int: intStart..<intEnd, fraction: fracStart..<fracEnd,
            exponent: expStart..<expEnd, exponentNegative: expNegative, into: &h)
        return JSONValueInfo(kind: .number, flag: isInteger, start: start, end: j)
    }

    @inline(__always)
    private func isDigit(_ c: UInt8) -> Bool { c &- Byte.zero < 10 }

    /// Feeds `±D × 10^E` where D has no leading or trailing zeros, so every
    /// spelling of a value gives the same bytes. Zero (any sign) is a tag alone.
    /// The exponent is exact however long it is written.
    private func hashNumber(
        negative: Bool, int: Range<Int>, fraction: Range<Int>, exponent: Range<Int>, exponentNegative: Bool,
        into h: inout ContentHasher
    ) {
        var first = int.lowerBound
        while first < int.upperBound, base[first] == Byte.zero { first &+= 1 }
        if first == int.upperBound {
            first = fraction.lowerBound
            while first < fraction.upperBound, base[first] == Byte.zero { first &+= 1 }
            if first == fraction.upperBound {
                h.add(.zero)
                return
            }
        }
        var last = fraction.upperBound &- 1
        while last >= fraction.lowerBound, base[last] == Byte.zero { last &-= 1 }
        let lastInFraction = last >= fraction.lowerBound
        if !lastInFraction {
            last = int.upperBound &- 1
            while base[last] == Byte.zero { last &-= 1 }
        }
        // value = D × 10^(written exponent + shift)
        let shift = lastInFraction ? -(last &- fraction.lowerBound &+ 1) : (int.upperBound &- 1 &- last)
        var digitCount = 0
        if first < int.upperBound, lastInFraction {
            h.add(base + first, count: int.upperBound &- first)
            h.add(base + fraction.lowerBound, count: last &+ 1 &- fraction.lowerBound)
            digitCount = int.upperBound &- first &+ last &+ 1 &- fraction.lowerBound
        } else {
            h.add(base + first, count: last &+ 1 &- first, readable: end &- first)
            digitCount = last &+ 1 &- first
        }
        // The last word: tag, mantissa sign, digit count; decodable from the right.
        let trailer = UInt64(digitCount) | (negative ? 1 &<< 48 : 0)

        var expFirst = exponent.lowerBound
        while expFirst < exponent.upperBound, base[expFirst] == Byte.zero { expFirst &+= 1 }
        let big: [UInt8]
        if exponent.upperBound &- expFirst <= 18 {
            var e: Int64 = 0
            for k in expFirst..<exponent.upperBound { e = e &* 10 &+ Int64(base[k] &- Byte.zero) }
            let scaled = (exponentNegative ? -e : e) &+ Int64(shift)
            if scaled.magnitude < 1_000_000_000_000_000_000 {
                h.add(word: UInt64(bitPattern: scaled))
                h.add(.number, trailer)
                return
            }
            big = Array(String(scaled).utf8)
        } else {
            let written = Array(UnsafeBufferPointer(start: base + expFirst, count: exponent.upperBound &- expFirst))
            let magnitude = Self.decimalAdd(written, exponentNegative ? -shift : shift)
            if magnitude.count <= 18 {
                var e: Int64 = 0
                for d in magnitude { e = e &* 10 &+ Int64(d &- Byte.zero) }
                h.add(word: UInt64(bitPattern: exponentNegative ? -e : e))
                h.add(.number, trailer)
                return
            }
            big = (exponentNegative ? [Byte.minus] : []) + magnitude
        }
        // An exponent of 10^18 or more, as signed decimal digits: rare, but exact.
        h.add(big)
        h.add(word: UInt64(big.count))
        h.add(.bigExponentNumber, trailer)
    }

    /// `digits + delta` in ASCII decimal, for `digits` (no leading zeros) larger than `|delta|`.
    static func decimalAdd(_ digits: [UInt8], _ delta: Int) -> [UInt8] {
        var d = digits.reversed().map { Int($0) - 48 }
        var carry = delta
        var k = 0
        while carry != 0 {
            if k == d.count { d.append(0) }
            let v = d[k] + carry
            var q = v / 10
            var r = v % 10
            if r < 0 {
                r += 10
                q -= 1
            }
            d[k] = r
            carry = q
            k += 1
        }
        while d.count > 1, d.last == 0 { d.removeLast() }
        return d.reversed().map { UInt8($0 + 48) }
    }
}
