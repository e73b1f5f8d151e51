import CredenceCore
import CredenceTestSupport
import Testing

@testable import CredenceEngine

/// The flat table against a `Dictionary` doing the same random inserts, replacements and
/// removals, with keys crowded into few home slots (long probe runs, wrap-around, backward
/// shifts) and the all-zero key that marks empty slots.
@Suite struct HashTableTests {
    @Test func agreesWithADictionaryThroughRandomOperations() {
        var random = SeededRandom(seed: 12)
        var table = HashTable<Int>(empty: -1)
        var model: [StableHash: Int] = [:]
        // Few distinct low bits: keys collide on their home slots.
        let keys = (0..<400).map { i in
            i == 0 ? StableHash(high: 0, low: 0) : StableHash(high: random.next() | 1, low: UInt64(i % 37))
        }
        for step in 0..<20_000 {
            let key = keys[Int(random.next() % UInt64(keys.count))]
            switch random.next() % 4 {
            case 0, 1:
                let old = table.updateValue(step, forKey: key)
                #expect(old == model.updateValue(step, forKey: key))
            case 2:
                let inserted = table.insertIfAbsent(step, forKey: key)
                #expect(inserted == (model[key] == nil))
                if inserted { model[key] = step }
            default:
                let removed = table.removeValue(forKey: key)
                #expect(removed == model.removeValue(forKey: key))
            }
            #expect(table.count == model.count)
        }
        for key in keys {
            #expect(table[key] == model[key])
            #expect(table.contains(key) == (model[key] != nil))
        }
        var seen: [StableHash: Int] = [:]
        table.forEach { seen[$0] = $1 }
        #expect(seen == model)
    }

    @Test func theZeroKeyIsAnOrdinaryKey() {
        var set = HashTable<Void>()
        let zero = StableHash(high: 0, low: 0)
        #expect(!set.contains(zero))
        let first = set.insertIfAbsent((), forKey: zero)
        let second = set.insertIfAbsent((), forKey: zero)
        #expect(first && !second)
        #expect(set.contains(zero) && set.count == 1)
        #expect(set.keys == [zero])
        let removed: Void? = set.removeValue(forKey: zero)
        #expect(removed != nil)
        #expect(!set.contains(zero) && set.count == 0)
    }
}
