import CredenceCore
import Testing

@Suite struct ContentDigestTests {
    static let base = DecoderFixtures.valid["user.withdrawn"]!

    /// The digest of a valid event carrying an extra field `x` with the raw JSON `value`.
    static func digest(x value: String) -> ContentDigest? {
        TestSupport.digest(TestSupport.event(base + [("x", value)]))
    }

    @Test func keyOrderAndWhitespaceDoNotMatter() throws {
        let a = #"{"event_id":"e1","type":"user.withdrawn","user_id":"u1","occurred_at":"2026-01-05T12:00:00+08:00"}"#
        let b = """
            { "occurred_at" : "2026-01-05T12:00:00+08:00",
              "user_id":"u1" ,"type":\t"user.withdrawn", "event_id":"e1" }
            """
        let c =
            #"{"\u0065vent_id":"\u0065\u0031","type":"user.withdrawn","user_id":"u1","occurred_at":"2026-01-05T12:00:00+08:00"}"#
        let da = try #require(TestSupport.digest(a))
        #expect(TestSupport.digest(b) == da)
        #expect(TestSupport.digest(c) == da)
    }

    @Test(arguments: [
        ["1", "1.0", "10e-1", "1E0", "0.1e1", "100e-2", "1.000e+0", "0.001E3", "1e00"],
        ["0", "-0", "0.0", "-0.0", "0e5", "-0E-7", "0.000"],
        ["-12.5", "-125e-1", "-0.125E2", "-1250e-2"],
        ["1e400", "10e399", "0.1e401", "1000e397"],
        ["1e1000000000000000000000", "10e999999999999999999999", "0.1e1000000000000000000001"],
        ["1e999999999999999999", "0.01e1000000000000000001", "10e999999999999999998"],
        ["1e-1000000000000000000000", "0.1e-999999999999999999999", "100e-1000000000000000000002"],
        ["123456789012345678901234567890", "1.23456789012345678901234567890e29"],
        [#""A""#, #""\u0041""#], [#""é/""#, #""\u00e9\/""#, #""\u00E9/""#], [#""😀""#, #""\ud83d\ude00""#],
        [#"{"a":1,"b":[true,null]}"#, #"{ "b" : [ true , null ] , "a" : 1.0 }"#, #"{"\u0062":[true,null],"a":10e-1}"#],
        ["[]", "[ ]"], ["{}", "{ }"],
    ])
    func sameValueSameDigest(spellings: [String]) throws {
        let first = try #require(Self.digest(x: spellings[0]))
        for s in spellings.dropFirst() {
            #expect(Self.digest(x: s) == first, "\(s) vs \(spellings[0])")
        }
    }

    @Test func differentValuesDifferentDigests() {
        let values = [
            "true", "false", "null", "1", "0", "-1", #""1""#, #""true""#, #""""#, "[]", "{}", "[1]", "[[]]", "[{}]",
            #"{"a":[]}"#, #"{"a":{}}"#, #"{"a":null}"#, "[1,2]", "[2,1]", "[12]", #"["1","2"]"#, #"["12"]"#,
            #"["ab"]"#, #"["a","b"]"#, #"{"a":"b"}"#, #"{"ab":""}"#, #"{"a":1,"b":2}"#, #"{"a":2,"b":1}"#,
            #"{"a":1}"#, #"{"b":1}"#, "12", "21", "1.2", "120", "0.12", "1e2", "1e3", "-1e2", "1e-2",
            "1e1000000000000000000000", "1e1000000000000000000001", "-1e1000000000000000000000",
            "1e-1000000000000000000000", "2e1000000000000000000000", #""a""#, #""a\u0000""#, #""a\u0000\u0000""#,
            #""\u0000""#, #""aaaaaaaa""#, #""aaaaaaaaa""#, #""aaaaaaa""#, "[null]", "[null,null]", "[false]",
            #"[""]"#, #"["",""]"#,
        ]
        var seen: [ContentDigest: String] = [:]
        for v in values {
            guard let d = Self.digest(x: v) else {
                Issue.record("\(v) was rejected")
                continue
            }
            #expect(seen[d] == nil, "\(v) collides with \(seen[d] ?? "")")
            seen[d] = v
        }
        #expect(Self.digest(x: "1") != TestSupport.digest(TestSupport.event(Self.base)))
    }

    @Test func eventContentChangesChangeTheDigest() throws {
        let payment = DecoderFixtures.valid["payment"]!
        let original = try #require(TestSupport.digest(TestSupport.event(payment)))
        #expect(TestSupport.digest(TestSupport.event(payment, "amount_minor", "12001")) != original)
        #expect(TestSupport.digest(TestSupport.event(payment, "amount_minor", "12000")) == original)
        #expect(TestSupport.digest(TestSupport.event(payment + [("note", "null")])) != original)
        #expect(TestSupport.digest(TestSupport.event(payment, "merchant_category", #""grocery ""#)) != original)
    }

    @Test func nearIdenticalEventsDoNotCollide() {
        var seen = Set<ContentDigest>()
        var count = 0
        func add(_ json: String) {
            guard let d = TestSupport.digest(json) else {
                Issue.record("rejected: \(json)")
                return
            }
            seen.insert(d)
            count += 1
        }
        let payment = DecoderFixtures.valid["payment"]!
        for amount in 1...20_000 {
            add(TestSupport.event(payment, "amount_minor", "\(amount)"))
        }
        for n in 0..<20_000 {
            add(TestSupport.event(payment, "event_id", "\"e\(n)\""))
        }
        // One character changed at every position of a long id, and every length of a run of one letter.
        let id = Array("abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")
        for i in id.indices {
            for c in "!~ab09" where c != id[i] {
                var changed = id
                changed[i] = c
                add(TestSupport.event(payment, "payment_id", "\"\(String(changed))\""))
            }
        }
        for length in 0..<200 {
            add(TestSupport.event(payment, "merchant_category", "\"\(String(repeating: "a", count: length))\""))
        }
        // Members moved between objects and fields swapped between values.
        for i in 0..<2000 {
            add(TestSupport.event(payment + [("x", #"{"a":\#(i),"b":\#(i + 1)}"#)]))
            add(TestSupport.event(payment + [("x", #"{"a":\#(i + 1),"b":\#(i)}"#)]))
            add(TestSupport.event(payment + [("x", "[\(i),\(i + 1)]")]))
        }
        #expect(seen.count == count)
    }

    /// Escaped characters are fed to the hash byte by byte and plain runs a word at a time: every
    /// split of a string between the two, at every alignment, must give the digest of its content.
    @Test func escapesAtEveryPositionGiveTheSameDigest() throws {
        let text = Array("abcdefghijklmnopqrstuvwxyz0123456789")
        for padding in 0..<8 {
            let key = "k" + String(repeating: "p", count: padding)
            let plain = try #require(TestSupport.digest(TestSupport.event(Self.base + [(key, "\"\(String(text))\"")])))
            for k in text.indices {
                var escaped = text.map(String.init)
                escaped[k] = "\\u00" + String(text[k].asciiValue!, radix: 16)
                let json = TestSupport.event(Self.base + [(key, "\"" + escaped.joined() + "\"")])
                #expect(TestSupport.digest(json) == plain, "\(json)")
            }
        }
    }

    @Test func descriptionIsHex() {
        #expect(ContentDigest(high: 1, low: 0xABC).description == "0000000000000001" + "0000000000000abc")
    }
}
