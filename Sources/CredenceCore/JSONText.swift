/// Writing JSON text by hand, for outputs whose byte layout the spec fixes.
public enum JSONText {
    /// Appends `s` as a JSON string literal (quotes included), escaping as RFC 8259 requires.
    public static func appendString(_ s: String, to out: inout String) {
        out += "\""
        var needsEscape = false
        for b in s.utf8 where b < 0x20 || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") {
            needsEscape = true
            break
        }
        if !needsEscape {
            out += s
        } else {
            for scalar in s.unicodeScalars {
                switch scalar {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                case "\n": out += "\\n"
                case "\r": out += "\\r"
                case "\t": out += "\\t"
                case "\u{08}": out += "\\b"
                case "\u{0C}": out += "\\f"
                default:
                    if scalar.value < 0x20 {
                        let hex = String(scalar.value, radix: 16)
                        out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                    } else {
                        out.unicodeScalars.append(scalar)
                    }
                }
            }
        }
        out += "\""
    }

    public static func string(_ s: String) -> String {
        var out = ""
        appendString(s, to: &out)
        return out
    }

    /// `["R01","R02"]`.
    public static func appendStringArray(_ items: [String], to out: inout String) {
        out += "["
        for (i, item) in items.enumerated() {
            if i > 0 { out += "," }
            appendString(item, to: &out)
        }
        out += "]"
    }

    // MARK: - The same, into bytes (the export's hot path: no String per piece)

    /// Appends the bytes of a literal.
    @inlinable
    public static func append(_ literal: StaticString, to out: inout [UInt8]) {
        literal.withUTF8Buffer { out.append(contentsOf: $0) }
    }

    /// Appends `s` as a JSON string literal, byte for byte what the `String` version
    /// writes: UTF-8 passes through, `"` `\` and control characters are escaped.
    public static func appendString(_ s: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        appendEscaped(s, to: &out)
        out.append(UInt8(ascii: "\""))
    }

    /// Appends the inside of `s`'s JSON string literal, without its quotes. Escaping goes byte
    /// by byte, so the pieces of a literal can be escaped one at a time.
    public static func appendEscaped(_ s: String, to out: inout [UInt8]) {
        var s = s
        s.withUTF8 { utf8 in
            var clean = true
            for b in utf8 where b < 0x20 || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") {
                clean = false
                break
            }
            if clean {
                out.append(contentsOf: utf8)
            } else {
                for b in utf8 {
                    switch b {
                    case UInt8(ascii: "\""): append("\\\"", to: &out)
                    case UInt8(ascii: "\\"): append("\\\\", to: &out)
                    case UInt8(ascii: "\n"): append("\\n", to: &out)
                    case UInt8(ascii: "\r"): append("\\r", to: &out)
                    case UInt8(ascii: "\t"): append("\\t", to: &out)
                    case 0x08: append("\\b", to: &out)
                    case 0x0C: append("\\f", to: &out)
                    case ..<0x20:
                        let hex: [UInt8] = Array("0123456789abcdef".utf8)
                        append("\\u00", to: &out)
                        out.append(hex[Int(b >> 4)])
                        out.append(hex[Int(b & 0xF)])
                    default: out.append(b)
                    }
                }
            }
        }
    }

    /// `["R01","R02"]`, as bytes.
    public static func appendStringArray(_ items: [String], to out: inout [UInt8]) {
        out.append(UInt8(ascii: "["))
        for (i, item) in items.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            appendString(item, to: &out)
        }
        out.append(UInt8(ascii: "]"))
    }

    /// The decimal digits of `v`, with a leading `-` when negative, as `String(v)` spells them.
    @inlinable
    public static func appendInteger(_ v: Int64, to out: inout [UInt8]) {
        if v < 0 { out.append(UInt8(ascii: "-")) }
        var u = v.magnitude
        if u < 10 {
            out.append(UInt8(truncatingIfNeeded: 48 &+ u))
            return
        }
        // Digits right to left into 24 bytes on the stack, then one append.
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)
        withUnsafeMutableBytes(of: &digits) { b in
            var i = b.count
            repeat {
                i &-= 1
                b[i] = UInt8(truncatingIfNeeded: 48 &+ u % 10)
                u /= 10
            } while u > 0
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: b[i...]))
        }
    }

    /// `v` in decimal; the 64-bit path when it fits.
    public static func appendInteger(_ v: Int128, to out: inout [UInt8]) {
        if let small = Int64(exactly: v) {
            appendInteger(small, to: &out)
        } else {
            out.append(contentsOf: String(v).utf8)
        }
    }
}
