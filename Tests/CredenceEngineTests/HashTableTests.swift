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
        // `high` below 128 leaves the home slot to `low`, which takes 37 values: keys crowd onto
        // few home slots (long probe runs, wrap-around, backward shifts).
        let keys = (0..<400).map { i in
            i == 0 ? StableHash(high: 0, low: 0) : StableHash(high: random.next() % 127 + 1, low: UInt64(i % 37) << 58)
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

    /// The in-place sweep (`removeAll(where:)`) against the same filter on a `Dictionary`, with
    /// probe runs crowded at the table's end so that they wrap around to its start.
    @Test(arguments: [1, 2, 3, 4, 5] as [UInt64])
    func sweepingInPlaceAgreesWithADictionary(seed: UInt64) {
        var random = SeededRandom(seed: seed)
        var table = HashTable<Int>(empty: -1)
        var model: [StableHash: Int] = [:]
        for round in 0..<6 {
            for _ in 0..<300 {
                // `high` below 128 leaves the home slot to `low`: a `low` near the top scales onto
                // the table's last slot, a small one onto its first, so runs from the end wrap into
                // entries whose home is the start.
                let key =
                    random.next() % 50 == 0
                    ? StableHash(high: 0, low: 0)
                    : StableHash(
                        high: random.next() % 127 + 1,
                        low: random.next() % 2 == 0 ? UInt64.max - random.next() % 3 : random.next() % 3)
                let value = Int(random.next() % 100)
                table.updateValue(value, forKey: key)
                model[key] = value
            }
            let cut = 20 * round + Int(random.next() % 20)
            table.removeAll { $0 < cut }
            model = model.filter { $0.value >= cut }
            #expect(table.count == model.count)
            var seen: [StableHash: Int] = [:]
            table.forEach { seen[$0] = $1 }
            #expect(seen == model, "round \(round)")
            for key in model.keys { #expect(table[key] == model[key]) }
        }
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
