import CredenceEngine
import Foundation
import Testing

/// Lines read from a file in chunks: each line once, numbered from 1, and a line longer than
/// `maxLineBytes` always cut to its first `maxLineBytes` bytes, wherever it falls in the buffer.
@Suite struct LineReaderTests {
    func read(_ text: String, maxLineBytes: Int, bufferSize: Int) throws -> [(String, UInt64, Bool)] {
        let dir = TempDir()
        let path = dir.path + "/lines.ndjson"
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        let reader = try LineReader(path: path, maxLineBytes: maxLineBytes, bufferSize: bufferSize)
        var out: [(String, UInt64, Bool)] = []
        try reader.forEachLine { line, number, truncated in
            out.append((String(decoding: line, as: UTF8.self), number, truncated))
        }
        return out
    }

    @Test func aLongLineIsCutWhereverItFallsInTheBuffer() throws {
        let long = String(repeating: "x", count: 20)
        // A long line at every offset of a 64-byte buffer, between short ones, the last without
        // its newline.
        for lead in 0..<40 {
            let text = String(repeating: "a", count: lead) + "\n" + long + "\nshort\n" + long
            let lines = try read(text, maxLineBytes: 16, bufferSize: 64)
            let cut = String(repeating: "x", count: 16)
            let expected: [(String, UInt64, Bool)] = [
                (String(repeating: "a", count: min(lead, 16)), 1, lead > 16), (cut, 2, true), ("short", 3, false),
                (cut, 4, true),
            ]
            #expect(lines.map(\.0) == expected.map(\.0), "lead \(lead)")
            #expect(lines.map(\.1) == expected.map(\.1), "lead \(lead)")
            #expect(lines.map(\.2) == expected.map(\.2), "lead \(lead)")
        }
    }

    @Test func aLineOfExactlyTheLimitIsWhole() throws {
        let exact = String(repeating: "y", count: 16)
        let lines = try read(exact + "\n" + exact, maxLineBytes: 16, bufferSize: 64)
        #expect(lines.map(\.0) == [exact, exact])
        #expect(lines.map(\.2) == [false, false])
    }

    /// Reads are a quarter of a MB at most (``LineReader/readBytes``): lines longer than one
    /// read come whole, and one past the limit is cut, with the default buffer and limit.
    @Test func linesLongerThanOneReadComeWholeOrCutAtTheLimit() throws {
        let dir = TempDir()
        let path = dir.path + "/long.ndjson"
        let whole = String(repeating: "w", count: 700_000)
        let over = String(repeating: "o", count: 1_500_000)
        let shorts = (0..<20_000).map { "line \($0)" }.joined(separator: "\n")
        try Data((shorts + "\n" + whole + "\n" + over + "\nend\n").utf8).write(to: URL(fileURLWithPath: path))
        let reader = try LineReader(path: path)
        var lines: [(count: Int, number: UInt64, truncated: Bool)] = []
        var lastShort = ""
        try reader.forEachLine { line, number, truncated in
            if number == 20_000 { lastShort = String(decoding: line, as: UTF8.self) }
            lines.append((line.count, number, truncated))
        }
        #expect(lines.count == 20_003)
        #expect(lastShort == "line 19999")
        #expect(lines[20_000].count == 700_000 && !lines[20_000].truncated)
        #expect(lines[20_001].count == 1 << 20 && lines[20_001].truncated)
        #expect(lines[20_002].count == 3 && lines[20_002].number == 20_003)
    }
}
