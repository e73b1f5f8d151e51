import Testing

@testable import CredenceCore

/// The month close on several threads and the user table behind it: every split of the users
/// gives the one-thread snapshot, entries come in `user_id` byte order whenever users arrive,
/// and the `score.changed` records follow each user's last closed score.
@Suite struct ScoringStateSnapshotTests {
    /// Ids of several lengths and scripts, so byte order differs from insertion and from length.
    static func userID(_ k: Int) -> String {
        switch k % 4 {
        case 0: return "u\(k)"
        case 1: return "user-\(String(repeating: "x", count: k % 23))-\(k)"
        case 2: return "用户\(k)"
        default: return "U\(1_000_000 - k)"
        }
    }

    /// A state with `users` users whose events arrive interleaved; the second half of the users
    /// first appears after some months have closed.
    static func build(users: Int, closingAfterHalf months: [Month]) -> (ScoringState, [Month]) {
        var state = ScoringState()
        var streams: [[Event]] = []
        for k in 0..<users {
            let id = userID(k)
            streams.append(
                PackedUserStateTests.history(seed: UInt64(k + 1), events: 30, obligations: 3, longIDs: false).map {
                    var e = $0
                    e.userID = id
                    return e
                })
        }
        func feed(_ range: Range<Int>) {
            var i = 0
            var more = true
            while more {
                more = false
                for k in range where i < streams[k].count {
                    _ = state.accept(streams[k][i])
                    more = true
                }
                i += 1
            }
        }
        feed(0..<users / 2)
        for m in months { _ = state.close(m, model: .default) }
        feed(users / 2..<users)
        return (state, months)
    }

    static let first = Month(year: 2025, month: 1)

    @Test(arguments: [2, 3, 7, 1_000])
    func everySplitGivesTheOneThreadSnapshot(parts: Int) {
        let (state, _) = Self.build(users: 300, closingAfterHalf: (0..<8).map { Self.first.advanced(by: $0) })
        for k in [0, 5, 11, 20, 30, 37] {
            let month = Self.first.advanced(by: Int32(k))
            var one = state
            var many = state
            let a = one.scored(month, model: .default, parts: 1)
            let b = many.scored(month, model: .default, parts: parts)
            #expect(a.snapshot == b.snapshot, "month \(month), \(parts) parts")
            #expect(a.slots == b.slots)
            #expect(!a.snapshot.entries.isEmpty || k > 35)
        }
    }

    @Test func entriesAreInByteOrderAndMatchEachUsersState() {
        var (state, _) = Self.build(users: 257, closingAfterHalf: [Self.first.advanced(by: 3)])
        let month = Self.first.advanced(by: 14)
        let snapshot = state.computeSnapshot(month, model: .default)
        let ids = snapshot.entries.map(\.userID)
        #expect(zip(ids, ids.dropFirst()).allSatisfy { ScoringState.byteOrder($0, $1) })
        let t = month.end(offset: .beijing)
        var expected: [String] = []
        for k in 0..<257 {
            let id = Self.userID(k)
            guard let user = state.user(id), user.isScored(asOf: t) else { continue }
            expected.append(id)
            let entry = snapshot.entries.first { $0.userID == id }
            #expect(entry?.features == user.features(asOf: t, month: month))
            #expect(entry?.score == Scorecard.default.score(user.features(asOf: t, month: month)).score)
        }
        #expect(Set(ids) == Set(expected) && ids.count == expected.count)
        #expect(state.userCount == 257)
    }

    /// `score.changed` against a model of each user's last closed score, months closed in
    /// order, then one out of order (the newer month's score stands), then a restatement.
    @Test func changesFollowEachUsersLastClosedScore() {
        var (state, _) = Self.build(users: 120, closingAfterHalf: [])
        var last: [String: (month: Month, score: Int64)] = [:]
        func close(_ month: Month) {
            let restatement = state.isClosed(month)
            let (snapshot, changes) = state.close(month, model: .default)
            var expected: [ScoreChanged] = []
            if !restatement {
                for e in snapshot.entries {
                    let previous = last[e.userID]
                    if let previous, previous.month > month { continue }
                    if previous?.score != e.score {
                        expected.append(
                            ScoreChanged(
                                userID: e.userID, month: month, score: e.score, previous: previous,
                                modelVersion: Scorecard.default.modelVersion, reasons: e.reasons))
                    }
                    last[e.userID] = (month, e.score)
                }
            }
            #expect(changes == expected, "month \(month)")
        }
        for k in [0, 1, 2, 3, 5, 6, 4, 6, 7, 30] { close(Self.first.advanced(by: Int32(k))) }
        #expect(!last.isEmpty)
    }

    @Test func checkpointRoundTripKeepsLastScoresAndOrder() throws {
        var (state, _) = Self.build(users: 90, closingAfterHalf: (0..<6).map { Self.first.advanced(by: $0) })
        _ = state.close(Self.first.advanced(by: 9), model: .default)
        var w = ByteWriter()
        state.encode(into: &w)
        var restored = try w.bytes.withUnsafeBytes { raw in
            var r = ByteReader(raw)
            return try ScoringState.decode(from: &r, configuration: state.configuration)
        }
        var again = ByteWriter()
        restored.encode(into: &again)
        #expect(again.bytes == w.bytes)
        let next = Self.first.advanced(by: 10)
        var original = state
        let a = original.close(next, model: .default)
        let b = restored.close(next, model: .default)
        #expect(a.snapshot == b.snapshot)
        #expect(a.changes == b.changes)
    }
}
