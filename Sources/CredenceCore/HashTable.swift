/// A flat open-addressing map from 128-bit ``StableHash`` keys to small values, for the tables
/// that see every event: the intake indexes (duplicate check, obligation keys) and the user
/// table's id index.
///
/// The keys are already uniform hashes, so the home slot is taken from their bits by a
/// multiply-shift onto the table's size (any size, not only powers of two): no `Hasher` round,
/// no per-entry allocation, one contiguous array probed linearly. The table grows by half when it
/// is 70% full, and a table made for a known count (a checkpoint's) is sized to it, so slots
/// run 47–70% full instead of the 35–70% of doubling. Deletion shifts the
/// following entries back (no tombstones), so lookups stay short after the weekly sweeps.
///
/// Inlinable throughout: the engine's module uses it with its own value types, and a generic
/// called across modules unspecialised costs a witness-table call per slot touched.
@frozen
@usableFromInline
package struct HashTable<Value: Sendable>: Sendable {
    /// A key and its value; a slot whose key is all zero bits is empty (`value` is then the
    /// table's `empty` filler). No `Optional`: its tag byte would pad every slot by 8 bytes.
    @usableFromInline @frozen
    struct Slot {
        @usableFromInline var high: UInt64
        @usableFromInline var low: UInt64
        @usableFromInline var value: Value

        @inlinable init(high: UInt64, low: UInt64, value: Value) {
            self.high = high
            self.low = low
            self.value = value
        }

        @inlinable var isEmpty: Bool { high == 0 && low == 0 }
    }

    @usableFromInline var slots: [Slot]
    @usableFromInline let empty: Value
    /// The value of the one key that is all zero bits (a hash that comes out so has a chance of
    /// 2^-128, but it is kept exactly): the zero key marks empty slots, so it lives here.
    @usableFromInline var zeroKeyValue: Value?
    @usableFromInline package internal(set) var count = 0

    /// Bytes of the slot array.
    @inlinable package var slotBytes: Int { slots.capacity * MemoryLayout<Slot>.stride }

    /// - Parameter empty: any value, to fill empty slots with (never returned).
    @inlinable package init(capacity: Int = 0, empty: Value) {
        self.empty = empty
        slots = Self.emptySlots(Self.size(for: capacity), empty)
    }

    /// `count` empty slots, marked for huge pages when the table is large: its reads are at
    /// random, and with 4 KB pages most of them missed the TLB as well as the cache.
    @inlinable static func emptySlots(_ count: Int, _ empty: Value) -> [Slot] {
        [Slot](unsafeUninitializedCapacity: count) { buffer, initialized in
            HugePages.advise(UnsafeMutableRawBufferPointer(buffer))
            buffer.initialize(repeating: Slot(high: 0, low: 0, value: empty))
            initialized = count
        }
    }

    /// Slots for `count` entries at most 70% full (at least 16).
    @inlinable static func size(for count: Int) -> Int { max(16, count * 10 / 7 + 1) }

    /// The home slot of a key: its mixed bits scaled onto the table's size.
    @inlinable @inline(__always)
    func home(_ high: UInt64, _ low: UInt64) -> Int {
        Int(truncatingIfNeeded: (low ^ (high >> 7)).multipliedFullWidth(by: UInt64(slots.count)).high)
    }

    @inlinable @inline(__always)
    static func isZero(_ key: StableHash) -> Bool { key.high == 0 && key.low == 0 }

    /// The slot holding `key` (not the zero key), or the empty slot where it would go.
    @inlinable @inline(__always)
    func find(_ high: UInt64, _ low: UInt64) -> (index: Int, found: Bool) {
        var i = home(high, low)
        while true {
            let s = slots[i]
            if s.isEmpty { return (i, false) }
            if s.high == high && s.low == low { return (i, true) }
            i = i + 1 == slots.count ? 0 : i + 1
        }
    }

    /// The address of the home slot of `key`, for a prefetch hint: a lookup of it a little later
    /// then does not wait for memory. Only a hint: the table may move when it grows.
    @inlinable @inline(__always)
    package func homeAddress(_ key: StableHash) -> UnsafeRawPointer {
        let i = home(key.high, key.low)
        return slots.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress! + i) }
    }

    @inlinable package subscript(key: StableHash) -> Value? {
        if Self.isZero(key) { return zeroKeyValue }
        let (i, found) = find(key.high, key.low)
        return found ? slots[i].value : nil
    }

    @inlinable package func contains(_ key: StableHash) -> Bool {
        if Self.isZero(key) { return zeroKeyValue != nil }
        return find(key.high, key.low).found
    }

    /// Inserts or replaces; returns the old value.
    @inlinable @discardableResult
    package mutating func updateValue(_ value: Value, forKey key: StableHash) -> Value? {
        if Self.isZero(key) {
            let old = zeroKeyValue
            zeroKeyValue = value
            if old == nil { count += 1 }
            return old
        }
        if (count + 1) * 10 > slots.count * 7 { grow() }
        let (h, l) = (key.high, key.low)
        let (i, found) = find(h, l)
        let old = found ? slots[i].value : nil
        slots[i] = Slot(high: h, low: l, value: value)
        if !found { count += 1 }
        return old
    }

    /// Inserts `value` unless `key` is present; returns whether it was inserted.
    @inlinable @discardableResult
    package mutating func insertIfAbsent(_ value: Value, forKey key: StableHash) -> Bool {
        if Self.isZero(key) {
            guard zeroKeyValue == nil else { return false }
            zeroKeyValue = value
            count += 1
            return true
        }
        if (count + 1) * 10 > slots.count * 7 { grow() }
        let (h, l) = (key.high, key.low)
        let (i, found) = find(h, l)
        if found { return false }
        slots[i] = Slot(high: h, low: l, value: value)
        count += 1
        return true
    }

    @inlinable @discardableResult
    package mutating func removeValue(forKey key: StableHash) -> Value? {
        if Self.isZero(key) {
            let old = zeroKeyValue
            zeroKeyValue = nil
            if old != nil { count -= 1 }
            return old
        }
        let (start, found) = find(key.high, key.low)
        guard found else { return nil }
        let old = slots[start].value
        removeSlot(at: start)
        return old
    }

    /// Empties an occupied slot (not the zero key's).
    @inlinable mutating func removeSlot(at start: Int) {
        var i = start
        // Backward-shift deletion: move later entries of the probe run into the hole.
        var j = i
        while true {
            j = j + 1 == slots.count ? 0 : j + 1
            guard !slots[j].isEmpty else { break }
            let h = home(slots[j].high, slots[j].low)
            // Move j into i when its home is not in the cyclic range (i, j].
            let inRange = i <= j ? (h > i && h <= j) : (h > i || h <= j)
            if !inRange {
                slots[i] = slots[j]
                i = j
            }
        }
        slots[i] = Slot(high: 0, low: 0, value: empty)
        count -= 1
    }

    /// Removes every entry whose value satisfies `shouldRemove`, in place: one pass over the
    /// slots with backward-shift deletion. A deletion only moves later entries of the probe run
    /// back into the hole, so re-examining the hole's slot before moving on sees every entry (an
    /// entry wrapped from the table's start may be seen twice; the test is the same both times).
    @inlinable package mutating func removeAll(where shouldRemove: (Value) -> Bool) {
        if let v = zeroKeyValue, shouldRemove(v) {
            zeroKeyValue = nil
            count -= 1
        }
        var i = 0
        while i < slots.count {
            let s = slots[i]
            if !s.isEmpty && shouldRemove(s.value) {
                removeSlot(at: i)
            } else {
                i += 1
            }
        }
    }

    /// Every entry, in slot order (not sorted: sort for anything deterministic).
    @inlinable package func forEach(_ body: (StableHash, Value) throws -> Void) rethrows {
        if let v = zeroKeyValue { try body(StableHash(high: 0, low: 0), v) }
        for s in slots where !s.isEmpty {
            try body(StableHash(high: s.high, low: s.low), s.value)
        }
    }

    @inlinable package var keys: [StableHash] {
        var out: [StableHash] = []
        out.reserveCapacity(count)
        forEach { k, _ in out.append(k) }
        return out
    }

    /// Makes room for `count` entries without growing on the way.
    @inlinable package mutating func reserveCapacity(_ count: Int) {
        let size = Self.size(for: count)
        if size > slots.count { rehash(size) }
    }

    @inlinable mutating func grow() { rehash(slots.count + slots.count / 2) }

    @inlinable mutating func rehash(_ size: Int) {
        let old = slots
        slots = Self.emptySlots(size, empty)
        for s in old where !s.isEmpty {
            let (i, _) = find(s.high, s.low)
            slots[i] = s
        }
    }
}

extension HashTable where Value == Void {
    /// A set of keys (the obligation keys): 16 bytes a slot.
    @inlinable package init(capacity: Int = 0) { self.init(capacity: capacity, empty: ()) }
}
