import CredenceCore
import Foundation
import Testing

@testable import CredenceEngine

/// How an erasure finds a user's lines in the outbox: the user id of a `score.changed` line,
/// found by the engine's own layout or, for any other layout, by search; and the pending lines,
/// searched only when they mention the user at all.
@Suite struct ErasedLinesTests {
    func engineLine(_ user: String, model: String = "default-1") -> [UInt8] {
        let change = ScoreChanged(
            userID: user, month: Month(year: 2025, month: 1), score: 600,
            previous: (Month(year: 2024, month: 12), 590), modelVersion: model, reasons: ["R01"])
        var line: [UInt8] = []
        change.appendJSONLine(
            ScoreChangedLineContext(month: change.month, modelVersion: model, offset: .beijing), to: &line)
        return line
    }

    @Test func theUserOfAScoreChangedLine() {
        #expect(Outbox.scoreChangedUser(engineLine("u1")[...]) == "u1")
        #expect(Outbox.scoreChangedUser(engineLine("m.11168:cn-x_8", model: "m/2")[...]) == "m.11168:cn-x_8")
        // Another key order (and spaces in the member) is found by search.
        let other = Array(#"{"user_id": "u7","type":"score.changed","event_id":"x"}"#.utf8)
        #expect(Outbox.scoreChangedUser(other[...]) == "u7")
        // A line of another type names no user to remove.
        let deleted = Array(#"{"event_id":"e","type":"score.deleted","user_id":"u1"}"#.utf8)
        #expect(Outbox.scoreChangedUser(deleted[...]) == nil)
        // An id with an escape is not read from the layout (it would be cut at the backslash).
        #expect(Outbox.scoreChangedUser(engineLine("a\"b")[...]) == nil)
    }

    @Test func pendingAndWrittenLinesOfTheUserGoAndNoOthers() throws {
        let dir = TempDir()
        // As the engine keeps them: lines rendered into a buffer, written to the file later.
        let file = try AppendFile(path: dir.path + "/lines.ndjson")
        var pending = LineBuffer()
        for user in ["u1", "u2"] { pending.appendLine { $0.append(contentsOf: engineLine(user)) } }
        try file.write(pending.take(), durable: false)
        for user in ["u2", "u1", "u12"] { pending.appendLine { $0.append(contentsOf: engineLine(user)) } }

        func remove(_ user: String) throws -> Int {
            var all: Int? = nil
            let fromPending = pending.removeLines(
                of: user, mentioning: Array(user.utf8), pendingPrefix: &all, user: Outbox.scoreChangedUser)
            return fromPending + (try file.removeLines(of: user, user: Outbox.scoreChangedUser))
        }
        // Not mentioned anywhere pending: the pending lines stay as they are.
        #expect(try remove("u3") == 0)
        #expect(pending.pendingBytes == ["u2", "u1", "u12"].map { engineLine($0).count + 1 }.reduce(0, +))
        // "u1" is in "u12" too: the search then goes line by line and keeps u12's.
        #expect(try remove("u1") == 2)
        try file.write(pending.take(), durable: false)
        let text = try String(contentsOfFile: dir.path + "/lines.ndjson", encoding: .utf8)
        let users = text.split(separator: "\n").filter { $0.contains { $0 != " " } }.map {
            Outbox.scoreChangedUser(Array($0.utf8)[...])
        }
        #expect(users == ["u2", "u2", "u12"])
    }
}
