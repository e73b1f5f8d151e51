import CredenceTestSupport
import Testing

@testable import CredenceEngine

/// `SubjectSlots` keeps both directions of the user ↔ subject map: every slot's subject, and the
/// slot of each subject that is some user's current one, and nothing else.
@Suite struct SubjectSlotsTests {
    @Test func bothDirectionsAgreeThroughMovesAndWithdrawals() {
        var map = SubjectSlots()
        #expect(map.subject(atSlot: 0) == nil && map.slot(ofSubject: 1) == nil)
        map.set(5, atSlot: 2)
        map.set(1, atSlot: 0)
        #expect(map.subject(atSlot: 2) == 5 && map.slot(ofSubject: 5) == 2)
        #expect(map.subject(atSlot: 1) == nil, "a slot between is empty")
        // A withdrawal moves the user to a new subject: the former one finds no user.
        map.set(9, atSlot: 2)
        #expect(map.slot(ofSubject: 5) == nil && map.slot(ofSubject: 9) == 2 && map.subject(atSlot: 2) == 9)
        // Setting the same subject again changes nothing; 0 clears the slot.
        map.set(9, atSlot: 2)
        #expect(map.slot(ofSubject: 9) == 2)
        map.set(0, atSlot: 0)
        #expect(map.subject(atSlot: 0) == nil && map.slot(ofSubject: 1) == nil)
        // Subjects and slots far beyond the arrays' ends.
        #expect(map.slot(ofSubject: 1_000_000) == nil && map.subject(atSlot: 1_000_000) == nil)
    }

    /// Random moves against a dictionary of the same map, and the map rebuilt from its slots.
    @Test func randomMovesMatchAReferenceAndRebuildFromSlots() {
        var map = SubjectSlots()
        var reference: [Int: UInt64] = [:]
        var nextSubject: UInt64 = 1
        var random = SeededRandom(seed: 2026)
        for _ in 0..<5_000 {
            let slot = Int.random(in: 0..<300, using: &random)
            // A user gets a subject once, then only new ones (a withdrawal), never another's.
            map.set(nextSubject, atSlot: slot)
            reference[slot] = nextSubject
            nextSubject += 1
        }
        func check(_ map: SubjectSlots) {
            var owners: [UInt64: Int] = [:]
            for (slot, subject) in reference { owners[subject] = slot }
            for slot in 0..<310 { #expect(map.subject(atSlot: slot) == reference[slot], "slot \(slot)") }
            for subject in 0...nextSubject { #expect(map.slot(ofSubject: subject) == owners[subject]) }
        }
        check(map)
        check(SubjectSlots(bySlot: map.bySlot))
    }
}
