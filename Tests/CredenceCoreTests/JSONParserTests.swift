import CredenceCore
import CredenceTestSupport
import Testing

/// Strict RFC 8259 parsing, seen through the decoder.
@Suite struct JSONParserTests {
    /// A valid event whose `merchant_category` holds the raw bytes `value` (quotes included).
    static func payment(category value: [UInt8]) -> [UInt8] {
        let head = Array(
            #"{"event_id":"e1","type":"payment","user_id":"u1","occurred_at":"2026-01-05T12:00:00+08:00","payment_id":"p1","amount_minor":1,"currency":"CNY","merchant_category":"#
                .utf8)
        return head + value + Array(#","outcome":"approved"}"#.utf8)
    }

    static let prefixLength = payment(category: []).count - #","outcome":"approved"}"#.utf8.count

    struct BadString: Sendable, CustomTestStringConvertible {
        var value: [UInt8]
        var message: String
        var testDescription: String { message }
    }

    /// Offsets in messages are relative to the string's opening quote here.
    static let badStrings: [BadString] = [
        BadString(value: Array(#""\ud800""#.utf8), message: "unpaired surrogate \\ud800 at byte 1"),
        BadString(value: Array(#""\uDBFF""#.utf8), message: "unpaired surrogate \\udbff at byte 1"),
        BadString(value: Array(#""\udc00\ud800""#.utf8), message: "unpaired surrogate \\udc00 at byte 1"),
        BadString(value: Array(#""a\ud800\u0041""#.utf8), message: "unpaired surrogate \\ud800 at byte 2"),
        BadString(value: Array(#""\ud800\n""#.utf8), message: "unpaired surrogate \\ud800 at byte 1"),
        BadString(value: Array(#""\ud800\ud800""#.utf8), message: "unpaired surrogate \\ud800 at byte 1"),
        BadString(value: Array(#""\u12G4""#.utf8), message: "invalid \\u escape (4 hex digits expected) at byte 1"),
        BadString(value: Array(#""\u12""#.utf8), message: "invalid \\u escape (4 hex digits expected) at byte 1"),
        BadString(value: Array(#""\q""#.utf8), message: "invalid escape \\q at byte 1"),
        BadString(value: Array(#""\'""#.utf8), message: "invalid escape \\' at byte 1"),
        BadString(value: [0x22, 0x61, 0xFF, 0x22], message: "invalid UTF-8 at byte 2"),
        BadString(value: [0x22, 0x80, 0x22], message: "invalid UTF-8 at byte 1"),
        BadString(value: [0x22, 0xC0, 0xAF, 0x22], message: "invalid UTF-8 at byte 1"),  // overlong '/'
        BadString(value: [0x22, 0xC1, 0xBF, 0x22], message: "invalid UTF-8 at byte 1"),  // overlong
        BadString(value: [0x22, 0xE0, 0x80, 0xAF, 0x22], message: "invalid UTF-8 at byte 1"),  // overlong 3-byte
        BadString(value: [0x22, 0xF0, 0x80, 0x80, 0xAF, 0x22], message: "invalid UTF-8 at byte 1"),  // overlong 4-byte
        BadString(value: [0x22, 0xED, 0xA0, 0x80, 0x22], message: "invalid UTF-8 at byte 1"),  // U+D800 encoded
        BadString(value: [0x22, 0xED, 0xBF, 0xBF, 0x22], message: "invalid UTF-8 at byte 1"),  // U+DFFF encoded
        BadString(value: [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22], message: "invalid UTF-8 at byte 1"),  // > U+10FFFF
        BadString(value: [0x22, 0xF5, 0x80, 0x80, 0x80, 0x22], message: "invalid UTF-8 at byte 1"),
        BadString(value: [0x22, 0xE4, 0xB8, 0x22], message: "invalid UTF-8 at byte 1"),  // truncated
        BadString(value: [0x22, 0x61, 0x0A, 0x22], message: "unescaped control character 0x0A in a string at byte 2"),
        BadString(value: [0x22, 0x09, 0x22], message: "unescaped control character 0x09 in a string at byte 1"),
        BadString(value: [0x22, 0x00, 0x22], message: "unescaped control character 0x00 in a string at byte 1"),
        BadString(value: [0x22, 0x1F, 0x22], message: "unescaped control character 0x1F in a string at byte 1"),
    ]

    @Test(arguments: badStrings)
    func rejectsBadString(_ bad: BadString) {
        let rejection = TestSupport.decoder.decode(Self.payment(category: bad.value)).rejection
        let message = bad.message.replacing(/at byte (\d+)/) { "at byte \(Int($0.1)! + Self.prefixLength)" }
        #expect(rejection == Rejection(.notJSON, "not JSON: " + message))
    }

    @Test(arguments: [
        (Array(#""\ud83d\ude00""#.utf8), "😀"),
        (Array(#""\uD834\uDD1E""#.utf8), "𝄞"),
        (Array(#""\u0000\b\f\n\r\t\/\\\"""#.utf8), "\u{0}\u{8}\u{c}\n\r\t/\\\""),
        (Array(#""\u00e9\u4E2D""#.utf8), "é中"),
        ([0x22, 0x7F, 0xC2, 0x80, 0xEF, 0xBF, 0xBF, 0xF4, 0x8F, 0xBF, 0xBF, 0x22], "\u{7F}\u{80}\u{FFFF}\u{10FFFF}"),
        (Array("\"中文商户 ünïcödé 🛒\"".utf8), "中文商户 ünïcödé 🛒"),
        (Array("\"\(String(repeating: "abcdefg", count: 300))\"".utf8), String(repeating: "abcdefg", count: 300)),
    ])
    func acceptsGoodString(value: [UInt8], expected: String) throws {
        let event = try #require(TestSupport.decoder.decode(Self.payment(category: value)).event)
        guard case .payment(let p) = event.payload else { return }
        #expect(p.merchantCategory == expected)
    }

    /// Documents that are not JSON, with the reason after `not JSON: `.
    static let notJSON: [(String, String)] = [
        ("", "empty input"),
        (" \n\t ", "empty input"),
        ("not json at all", "invalid literal at byte 0 (expected true, false or null)"),
        (#"{"x":012}"#, "number with a leading zero at byte 5"),
        (#"{"x":-012}"#, "number with a leading zero at byte 6"),
        (#"{"x":-}"#, "number missing digits at byte 6"),
        (#"{"x":1.}"#, "number missing digits at byte 7"),
        (#"{"x":.5}"#, "unexpected character '.' at byte 5"),
        (#"{"x":1e}"#, "number missing digits at byte 7"),
        (#"{"x":1e+}"#, "number missing digits at byte 8"),
        (#"{"x":+1}"#, "unexpected character '+' at byte 5"),
        (#"{"x":0x10}"#, "expected ',' or '}' at byte 6"),
        (#"{"x":NaN}"#, "unexpected character 'N' at byte 5"),
        (#"{"x":Infinity}"#, "unexpected character 'I' at byte 5"),
        (#"{"x":1.5.3}"#, "expected ',' or '}' at byte 8"),
        (#"{"x":tru}"#, "invalid literal at byte 5 (expected true, false or null)"),
        (#"{"x":nul"#, "unexpected end of input at byte 8"),
        (#"{"a":1,}"#, "trailing comma at byte 7"),
        (#"{"a":[1,]}"#, "trailing comma at byte 8"),
        (#"{"a":[,1]}"#, "unexpected character ',' at byte 6"),
        (#"{"a" 1}"#, "expected ':' at byte 5"),
        (#"{a:1}"#, "expected a string key at byte 1"),
        (#"{'a':1}"#, "expected a string key at byte 1"),
        (#"{"a":1"#, "unexpected end of input at byte 6"),
        (#"{"a":"b"#, "unterminated string starting at byte 5"),
        (#"{"a":1} x"#, "unexpected data after the JSON value at byte 8"),
        (#"{"a":1}{"a":1}"#, "unexpected data after the JSON value at byte 7"),
        (#"{"a":1},"#, "unexpected data after the JSON value at byte 7"),
        ("{\"a\":1}\0", "unexpected data after the JSON value at byte 7"),
        ("\u{FEFF}{\"a\":1}", "unexpected byte 0xEF at byte 0"),
        ("{\"a\":1}\u{00A0}", "unexpected data after the JSON value at byte 7"),
        ("{\"a\"\u{0B}:1}", "expected ':' at byte 4"),
        ("[1 2]", "expected ',' or ']' at byte 3"),
        ("\"\\", "unexpected end of input at byte 2"),
    ]

    @Test(arguments: notJSON)
    func rejectsNotJSON(text: String, message: String) {
        #expect(TestSupport.decode(text).rejection == Rejection(.notJSON, "not JSON: " + message))
    }

    @Test(arguments: [
        ("[]", "an array"), (#"[{"event_id":"e1"}]"#, "an array"), (#""{}""#, "a string"), ("42", "a number"),
        ("-1.5e3", "a number"), ("true", "true"), ("false", "false"), (" null ", "null"),
    ])
    func rejectsNonObjects(text: String, what: String) {
        #expect(TestSupport.decode(text).rejection == Rejection(.notObject, "not an object: the event is \(what)"))
    }

    @Test(arguments: [#"1e400"#, "-0.0E-0", "123456789012345678901234567890.5e-99999999999999999999999", "1E+2", "0"])
    func acceptsNumbersInExtraFields(number: String) {
        let json = TestSupport.event(DecoderFixtures.valid["user.withdrawn"]! + [("x", number)])
        #expect(TestSupport.decode(json).event != nil)
    }

    @Test func depthIsBoundedWithoutRecursingWithoutLimit() {
        let bomb = String(repeating: "[", count: 100_000)
        #expect(TestSupport.decode(bomb).rejection == Rejection(.tooDeep, "nested deeper than 64 levels at byte 64"))
        let objects = String(repeating: #"{"a":"#, count: 100_000)
        #expect(
            TestSupport.decode(objects).rejection == Rejection(.tooDeep, "nested deeper than 64 levels at byte 320"))
        let closedBomb = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(TestSupport.decode(closedBomb).rejection?.reason == .tooDeep)
    }

    @Test func nestingUpToTheLimitIsAccepted() {
        let base = DecoderFixtures.valid["user.withdrawn"]!
        // The event object is level 1, so 63 more levels fit.
        let deepest = TestSupport.event(
            base + [("n", String(repeating: "[", count: 63) + String(repeating: "]", count: 63))])
        #expect(TestSupport.decode(deepest).event != nil)
        let tooDeep = TestSupport.event(
            base + [("n", String(repeating: "[", count: 64) + String(repeating: "]", count: 64))])
        #expect(TestSupport.decode(tooDeep).rejection?.reason == .tooDeep)
        let deep = EventDecoder(configuration: .init(maxNestingDepth: 256))
        let nested = String(repeating: "[", count: 255) + String(repeating: "]", count: 255)
        #expect(TestSupport.decode(TestSupport.event(base + [("n", nested)]), decoder: deep).event != nil)
        let shallow = EventDecoder(configuration: .init(maxNestingDepth: 1))
        #expect(TestSupport.decode(TestSupport.event(base), decoder: shallow).event != nil)
        #expect(
            TestSupport.decode(TestSupport.event(base + [("n", "[]")]), decoder: shallow).rejection?.reason == .tooDeep)
    }

    @Test func largeInputsAreRefusedUnread() {
        let huge = [UInt8](repeating: UInt8(ascii: " "), count: 5 * 1024 * 1024)
        #expect(
            TestSupport.decoder.decode(huge).rejection
                == Rejection(.tooLarge, "event is 5242880 bytes, more than the limit of 1048576"))
        let exactly = [UInt8](repeating: UInt8(ascii: " "), count: 1024 * 1024)
        #expect(TestSupport.decoder.decode(exactly).rejection?.reason == .notJSON)
    }

    @Test func whitespaceAroundTheEventIsAllowed() {
        let json = " \t\r\n" + TestSupport.event(DecoderFixtures.valid["payment"]!) + "\r\n "
        #expect(TestSupport.decode(json).event != nil)
        let spaced = """
             {  "event_id" : "e1" ,\t"type":"user.withdrawn",
            \r\n "user_id"\n:\n"u1" , "occurred_at"  :  "2026-01-05T12:00:00+08:00" , "x" : [ 1 , { } , [ ] ] }\t
            """
        #expect(TestSupport.decode(spaced).event != nil)
    }

    @Test func randomAndMutatedInputsNeverCrash() throws {
        var rng = SeededRandom(seed: 20_260_105)
        var seeds = try EventDecoderTests.exampleLines().map { Array($0.utf8) }
        seeds.append(Array(#"{"a":[1,-2.5e+3,{"b":"\u00e9\ud83d\ude00"},null,true,false,"\\\"x"],"c":{}}"#.utf8))
        let alphabet =
            Array(#"{}[]",:0123456789-+.eE\u tfnrl"#.utf8) + [0x00, 0x0A, 0x80, 0xBF, 0xC3, 0xED, 0xF4, 0xFF]
        var outcomes: [String: Int] = [:]
        for round in 0..<4000 {
            var input: [UInt8]
            if round % 4 == 0 {
                input = (0..<Int.random(in: 0...300, using: &rng)).map { _ in
                    Bool.random(using: &rng)
                        ? alphabet.randomElement(using: &rng)! : UInt8.random(in: 0...255, using: &rng)
                }
            } else {
                input = seeds.randomElement(using: &rng)!
                for _ in 0..<Int.random(in: 1...4, using: &rng) {
                    let at = Int.random(in: 0...input.count, using: &rng)
                    let byte = alphabet.randomElement(using: &rng)!
                    switch Int.random(in: 0..<3, using: &rng) {
                    case 0 where at < input.count: input[at] = byte
                    case 1 where at < input.count: input.remove(at: at)
                    default: input.insert(byte, at: at)
                    }
                }
            }
            let first = TestSupport.decoder.decode(input)
            #expect(TestSupport.decoder.decode(input) == first)
            let code = first.rejection?.reason.code ?? "accepted"
            outcomes[code, default: 0] += 1
            if let message = first.rejection?.message {
                #expect(!message.isEmpty && message.count < 200 && !message.contains("\n"))
            }
        }
        #expect(outcomes["accepted", default: 0] > 20)
        #expect(outcomes["not_json", default: 0] > 1000)
    }
}
