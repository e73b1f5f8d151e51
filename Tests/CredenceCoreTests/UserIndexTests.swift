import Testing

@testable import CredenceCore

/// The user table's id index: users found by the 128-bit stable hash of their id, the guess
/// checked against the id, and two ids whose hashes collide kept apart. A real collision is
/// not to be found, so the tests hand the table a hash of their choosing.
@Suite struct UserIndexTests {
    @Test func aUserIsFoundByTheHashOfTheirIdAndTheGuessIsChecked() {
        var state = ScoringState()
        let a = state.slot(for: "u1")
        let b = state.slot(for: "u2")
        #expect(a != b)
        #expect(state.slot(of: "u1") == a && state.slot(of: "u2") == b)
        #expect(state.slot(of: "u1", hash: StableHash.of("u1")) == a)
        #expect(state.candidateSlot(forHash: StableHash.of("u2")) == b)
        #expect(state.holds("u2", atSlot: b) && !state.holds("u1", atSlot: b))
        #expect(state.slot(of: "u3") == nil && state.candidateSlot(forHash: StableHash.of("u3")) == nil)
        // The same id again keeps its slot.
        #expect(state.slot(for: "u1") == a && state.userCount == 2)
    }

    @Test func idsWhoseHashesCollideKeepTheirOwnSlots() throws {
        var state = ScoringState(shards: 3)
        let shared = StableHash(high: 7, low: 11)
        let a = state.slot(for: "alice", hash: shared)
        let b = state.slot(for: "bob", hash: shared)
        let c = state.slot(for: "carol", hash: shared)
        #expect(Set([a, b, c]).count == 3)
        #expect(state.slot(of: "alice", hash: shared) == a)
        #expect(state.slot(of: "bob", hash: shared) == b)
        #expect(state.slot(of: "carol", hash: shared) == c)
        #expect(state.slot(of: "dave", hash: shared) == nil)
        // The look-ahead's guess is the first id's; the check turns it down for the others.
        let guess = try #require(state.candidateSlot(forHash: shared))
        #expect(guess == a && state.holds("alice", atSlot: guess) && !state.holds("bob", atSlot: guess))
        // Asked again, each finds their own slot and no user is added.
        #expect(state.slot(for: "bob", hash: shared) == b && state.userCount == 3)
        #expect(state.userID(atSlot: b) == "bob" && state.userID(atSlot: c) == "carol")
    }

    @Test func aTableOfManyUsersFindsEveryOne() {
        var state = ScoringState()
        let ids = (0..<5000).map { "user-\($0 * 7919 % 100_003)" }
        let slots = ids.map { state.slot(for: $0) }
        #expect(Set(slots).count == ids.count)
        for (id, slot) in zip(ids, slots) {
            #expect(state.slot(of: id) == slot)
            #expect(state.userID(atSlot: slot) == id)
        }
    }
}
