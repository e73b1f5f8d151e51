/// The JSON type of a parsed value, or `absent` for a field that was not there.
enum JSONKind: UInt8, Sendable {
    case absent, string, number, object, array, `true`, `false`, null
}

/// Where a parsed value sits in the input.
///
/// For a string, `start..<end` is its content between the quotes and `flag` says
/// whether it holds escapes; for a number, `start..<end` is its text and `flag` says
/// whether it is an integer (no fraction, no exponent); for anything else it is the
/// value's text.
struct JSONValueInfo: Sendable {
    var kind: JSONKind
    var flag: Bool
    var start: Int
    var end: Int

    static let absent = JSONValueInfo(kind: .absent, flag: false, start: 0, end: 0)
}

/// The top-level keys a caller wants to capture while the object is parsed.
protocol JSONFieldTable {
    /// The slot of the key made of `count` bytes at `p`, or -1 to skip its value.
    static func slot(ofKey p: UnsafePointer<UInt8>, count: Int) -> Int
}

/// A strict RFC 8259 parser over raw bytes that validates a whole document,
/// captures selected top-level members and computes its ``ContentDigest``.
///
/// Strict means: UTF-8 is validated everywhere (no overlongs, no encoded
/// surrogates, nothing above U+10FFFF); string escapes must be the JSON ones and
/// `\u` surrogates must pair; no raw control characters in strings; numbers follow
/// the grammar exactly; nothing but whitespace may follow the value.
///
/// Duplicate keys in an object are valid JSON but ambiguous (which one counts?),
/// so the parser records the first one it meets and the decoder rejects the event.
///
/// The parser recurses once per nesting level and refuses to go deeper than
/// `maxDepth`, so a hostile `[[[[...` fails fast without exhausting the stack.
struct JSONParser<Fields: JSONFieldTable> {
    let base: UnsafePointer<UInt8>
    let end: Int
    let maxDepth: Int
    var i = 0
    /// Keys of the objects being parsed that need a duplicate check, innermost last.
    private var keys: [KeyEntry] = []
    /// The first duplicate key found, as the range of its content and whether it has escapes.
    private(set) var duplicate: JSONValueInfo?

    private struct KeyEntry {
        var digest: ContentDigest
        var key: JSONValueInfo
    }

    init(base: UnsafePointer<UInt8>, count: Int, maxDepth: Int) {
        self.base = base
        self.end = count
        self.maxDepth = maxDepth
    }

    /// Parses the whole input as one JSON value, capturing the top-level members
    /// named by `Fields` into `fields` when the value is an object.
    mutating func parseDocument(
        fields: UnsafeMutableBufferPointer<JSONValueInfo>
    ) throws(JSONError) -> (kind: JSONKind, digest: ContentDigest) {
        skipWhitespace()
        guard i < end else { throw JSONError(.emptyInput, at: i) }
        let kind: JSONKind
        let digest: ContentDigest
        if base[i] == Byte.openBrace {
            digest = try parseObject(depth: 1, fields: fields)
            kind = .object
        } else {
            var h = ContentHasher()
            kind = try parseValue(depth: 1, into: &h).kind
            digest = h.finalize()
        }
        skipWhitespace()
        guard i == end else { throw JSONError(.trailingCharacters, at: i) }
        return (kind, digest)
    }

    /// After an object member or array element: a comma (more follow; a trailing comma is an
    /// error) or the closing byte (done).
    @inline(__always)
    mutating func moreElements(close: UInt8, expected: String) throws(JSONError) -> Bool {
        skipWhitespace()
        guard i < end else { throw JSONError(.unexpectedEnd, at: i) }
        if base[i] == Byte.comma {
            i &+= 1
            skipWhitespace()
            if i < end, base[i] == close { throw JSONError(.trailingComma, at: i) }
            return true
        }
        guard base[i] == close else { throw JSONError(.expected(expected), at: i) }
        i &+= 1
        return false
    }

    @inline(__always)
    mutating func skipWhitespace() {
        while i < end {
            let c = base[i]
            guard c == Byte.space || c == Byte.newline || c == Byte.tab || c == Byte.carriageReturn else { return }
            i &+= 1
        }
    }

    /// Parses the value at `i`, which would sit at nesting level `depth` if it is
    /// a container, feeding its canonical form to `h`.
    mutating func parseValue(depth: Int, into h: inout ContentHasher) throws(JSONError) -> JSONValueInfo {
        guard i < end else { throw JSONError(.unexpectedEnd, at: i) }
        let start = i
        switch base[i] {
        case Byte.quote:
            return try parseString(into: &h)
        case Byte.openBrace:
            let d = try parseObject(depth: depth, fields: nil)
            h.add(d)
            h.add(.object)
            return JSONValueInfo(kind: .object, flag: false, start: start, end: i)
        case Byte.openBracket:
            let d = try parseArray(depth: depth)
            h.add(d)
            h.add(.array)
            return JSONValueInfo(kind: .array, flag: false, start: start, end: i)
        case UInt8(ascii: "t"):
            try literal("true")
            h.add(.true)
            return JSONValueInfo(kind: .true, flag: false, start: start, end: i)
        case UInt8(ascii: "f"):
            try literal("false")
            h.add(.false)
            return JSONValueInfo(kind: .false, flag: false, start: start, end: i)
        case UInt8(ascii: "n"):
            try literal("null")
            h.add(.null)
            return JSONValueInfo(kind: .null, flag: false, start: start, end: i)
        case Byte.minus, Byte.zero...Byte.nine:
            return try parseNumber(into: &h)
        case let c:
            throw JSONError(.unexpectedByte(c), at: i)
        }
    }

    private mutating func literal(_ word: StaticString) throws(JSONError) {
        let n = word.utf8CodeUnitCount
        let w = word.utf8Start
        for k in 0..<n {
            guard i &+ k < end else { throw JSONError(.unexpectedEnd, at: i &+ k) }
            guard base[i &+ k] == w[k] else { throw JSONError(.invalidLiteral, at: i) }
        }
        i &+= n
    }

    /// Parses an object; `fields` is non-nil only for the top-level object.
    private mutating func parseObject(
        depth: Int, fields: UnsafeMutableBufferPointer<JSONValueInfo>?
    ) throws(JSONError) -> ContentDigest {
        guard depth <= maxDepth else { throw JSONError(.tooDeep(maxDepth), at: i) }
        i &+= 1
        var sumHigh: UInt64 = 0
        var sumLow: UInt64 = 0
        var count: UInt64 = 0
        let firstKey = keys.count
        skipWhitespace()
        if i < end, base[i] == Byte.closeBrace {
            i &+= 1
        } else {
            while true {
                guard i < end else { throw JSONError(.unexpectedEnd, at: i) }
                guard base[i] == Byte.quote else { throw JSONError(.expected("a string key"), at: i) }
                let keyAt = i
                var member = ContentHasher()
                let key = try parseString(into: &member)
                var slot = -1
                if fields != nil {
                    slot = topLevelSlot(of: key)
                }
                if slot < 0 {
                    keys.append(KeyEntry(digest: keyDigest(at: keyAt), key: key))
                }
                skipWhitespace()
                guard i < end else { throw JSONError(.unexpectedEnd, at: i) }
                guard base[i] == Byte.colon else { throw JSONError(.expected("':'"), at: i) }
                i &+= 1
                skipWhitespace()
                let value = try parseValue(depth: depth &+ 1, into: &member)
                if let fields, slot >= 0 {
                    if fields[slot].kind == .absent {
                        fields[slot] = value
                    } else if duplicate == nil {
                        duplicate = key
                    }
                }
                let d = member.finalize()
                sumHigh &+= d.high
                sumLow &+= d.low
                count &+= 1
                if try moreElements(close: Byte.closeBrace, expected: "',' or '}'") { continue }
                break
            }
        }
        if keys.count > firstKey {
            checkDuplicateKeys(from: firstKey)
            keys.removeSubrange(firstKey...)
        }
        var h = ContentHasher()
        h.add(word: sumHigh)
        h.add(word: sumLow)
        h.add(.object, count)
        return h.finalize()
    }

    private func topLevelSlot(of key: JSONValueInfo) -> Int {
        if !key.flag {
            return Fields.slot(ofKey: base + key.start, count: key.end &- key.start)
        }
        let bytes = JSONParser.unescape(base: base, key)
        return bytes.withUnsafeBufferPointer { b in
            b.baseAddress.map { Fields.slot(ofKey: $0, count: b.count) } ?? -1
        }
    }

    /// The digest of the key string at `at`, by its unescaped content.
    private mutating func keyDigest(at position: Int) -> ContentDigest {
        let saved = i
        i = position
        var h = ContentHasher()
        _ = try? parseString(into: &h)
        i = saved
        return h.finalize()
    }

    private mutating func checkDuplicateKeys(from first: Int) {
        guard duplicate == nil, keys.count - first > 1 else { return }
        if keys.count - first <= 16 {
            for a in first..<keys.count {
                for b in (a + 1)..<keys.count where keys[a].digest == keys[b].digest {
                    duplicate = keys[b].key
                    return
                }
            }
        } else {
            keys[first...].sort { ($0.digest.high, $0.digest.low) < ($1.digest.high, $1.digest.low) }
            for a in first..<(keys.count - 1) where keys[a].digest == keys[a + 1].digest {
                duplicate = keys[a + 1].key
                return
            }
        }
    }

    private mutating func parseArray(depth: Int) throws(JSONError) -> ContentDigest {
        guard depth <= maxDepth else { throw JSONError(.tooDeep(maxDepth), at: i) }
        i &+= 1
        var h = ContentHasher()
        var count: UInt64 = 0
        skipWhitespace()
        if i < end, base[i] == Byte.closeBracket {
            i &+= 1
        } else {
            while true {
                _ = try parseValue(depth: depth &+ 1, into: &h)
                count &+= 1
                if try moreElements(close: Byte.closeBracket, expected: "',' or ']'") { continue }
                break
            }
        }
        h.add(.array, count)
        return h.finalize()
    }
}

/// ASCII bytes the parser looks for.
enum Byte {
    static let quote = UInt8(ascii: "\"")
    static let backslash = UInt8(ascii: "\\")
    static let openBrace = UInt8(ascii: "{")
    static let closeBrace = UInt8(ascii: "}")
    static let openBracket = UInt8(ascii: "[")
    static let closeBracket = UInt8(ascii: "]")
    static let colon = UInt8(ascii: ":")
    static let comma = UInt8(ascii: ",")
    static let minus = UInt8(ascii: "-")
    static let plus = UInt8(ascii: "+")
    static let dot = UInt8(ascii: ".")
    static let zero = UInt8(ascii: "0")
    static let nine = UInt8(ascii: "9")
    static let space = UInt8(ascii: " ")
    static let newline = UInt8(ascii: "\n")
    static let tab = UInt8(ascii: "\t")
    static let carriageReturn = UInt8(ascii: "\r")
}
