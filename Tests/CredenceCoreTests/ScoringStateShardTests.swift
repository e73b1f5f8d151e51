import Testing

@testable import CredenceCore

/// The users' states kept in shards: the state answers the same whatever the shard count, and
/// a shard lent out (to the thread that applies its events) comes back with every user added
/// meanwhile.
@Suite struct ScoringStateShardTests {
    /// Users' events interleaved, with a close after half of them.
    static func events(users: Int) -> [Event] {
        var streams: [[Event]] = []
        for k in 0..<users {
            let id = ScoringStateSnapshotTests.userID(k)
            streams.append(
                PackedUserStateTests.history(seed: UInt64(k + 7), events: 25, obligations: 2, longIDs: false).map {
                    var e = $0
                    e.userID = id
                    return e
                })
        }
        var all: [Event] = []
        for i in 0..<25 {
            for k in 0..<users where i < streams[k].count { all.append(streams[k][i]) }
        }
        return all
    }

    static func bytes(_ state: ScoringState) -> [UInt8] {
        var state = state
        var w = ByteWriter()
        state.encode(into: &w)
        return w.bytes
    }

    @Test(arguments: [2, 3, 16])
    func shardsAnswerAsOneTableDoes(shards: Int) {
        let events = Self.events(users: 150)
        var one = ScoringState()
        var many = ScoringState(shards: shards)
        #expect(many.shardCount == shards)
        for e in events {
            _ = one.accept(e)
            _ = many.accept(e)
        }
        let used = Set((0..<many.userCount).map { many.place(ofSlot: $0).shard })
        #expect(used.count == shards, "users spread over every shard")
        #expect(Self.bytes(many) == Self.bytes(one))
        let month = Month(containing: events.last!.occurredAt, offset: .beijing).advanced(by: -1)
        let a = many.close(month, model: .default)
        let b = one.close(month, model: .default)
        #expect(!b.snapshot.entries.isEmpty)
        #expect(a.snapshot == b.snapshot && a.changes == b.changes)
        #expect(Self.bytes(many) == Self.bytes(one))
    }

    @Test func aLentShardComesBackWithWhatItsBorrowerDidAndEveryUserAdded() throws {
        let events = Self.events(users: 90)
        let half = events.count / 2
        var one = ScoringState()
        var many = ScoringState(shards: 3)
        for e in events[..<half] {
            _ = one.accept(e)
            _ = many.accept(e)
        }
        // Lend every shard; apply the rest as a shard's thread would, by place; users met for
        // the first time are added while lent.
        var lent = (0..<3).map { many.lendShard($0) }
        for e in events[half...] {
            _ = one.accept(e)
            many.observe(e.occurredAt)
            let (shard, local) = many.place(ofSlot: many.slot(for: e.userID))
            while lent[shard].count <= local { lent[shard].append(UserState()) }
            _ = lent[shard][local].apply(e, offset: .beijing)
        }
        // A user added while lent whom the borrower never met: the return gives them a state.
        let unseen = many.slot(for: "never-seen")
        _ = one.slot(for: "never-seen")
        for k in 0..<3 { many.returnShard(k, lent[k]) }
        #expect(many.user("never-seen") != nil)
        #expect(many.userCount == one.userCount && unseen == one.userCount - 1)
        #expect(Self.bytes(many) == Self.bytes(one))
    }

    @Test func anErasureCutIsKnownBesideTheStates() throws {
        let events = Self.events(users: 20)
        var state = ScoringState(shards: 2)
        for e in events { _ = state.accept(e) }
        let user = events[3].userID
        let slot = try #require(state.slot(of: user))
        #expect(state.erasureCut(atSlot: slot) == nil)
        let cut = events[40].occurredAt
        let lent = (0..<2).map { state.lendShard($0) }
        // While lent: the cut is noted beside the states, where intake asks for it.
        _ = state.noteRebuild(userID: user, erasureCut: cut, atSlot: slot)
        #expect(state.erasureCut(atSlot: slot) == cut)
        #expect(state.erasureCut(of: user) == cut)
        for k in 0..<2 { state.returnShard(k, lent[k]) }
        // And from a checkpoint, where the state itself holds it.
        _ = state.rebuild(userID: user, erasureCut: cut, survivors: [])
        var w = ByteWriter()
        state.encode(into: &w)
        let decoded = try w.bytes.withUnsafeBytes { raw in
            var r = ByteReader(raw)
            return try ScoringState.decode(from: &r, configuration: ScoringConfiguration(), shards: 5)
        }
        #expect(decoded.erasureCut(of: user) == cut)
        #expect(decoded.erasureCut(of: events[4].userID) == nil)
    }
}
