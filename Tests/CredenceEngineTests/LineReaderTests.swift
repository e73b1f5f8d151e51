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
}
