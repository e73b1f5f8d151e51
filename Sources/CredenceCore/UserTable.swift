/// Every user's state, found by a dense integer slot.
///
/// An event costs one `String` hash, the id-to-slot lookup; after it everything is an array
/// index. The month close walks the slots in `user_id` byte order and hashes nothing, and the
/// users' last closed scores sit in an array beside their states instead of a second dictionary
/// keyed by id.
///
/// Invariants: `ids`, `states` and `lastScores` have one element per slot; `slots[ids[s]] == s`;
/// `sorted` followed by `unsorted` lists every slot once, `sorted` in `user_id` byte order
/// (``mergeNew()`` folds `unsorted` in). Slots are never reused: a user, once seen, keeps theirs.
@usableFromInline
struct UserTable: Sendable {
    /// A user's latest closed score.
    struct LastScore: Sendable, Equatable {
        var month: Int32
        var score: Int64

        /// No closed score yet.
        static let none = LastScore(month: .min, score: 0)

        var value: (month: Month, score: Int64)? {
            month == .min ? nil : (Month(index: month), score)
        }
    }

    @usableFromInline private(set) var slots: [String: Int32] = [:]
    private(set) var ids: [String] = []
    @usableFromInline var states: [UserState] = []
    var lastScores: [LastScore] = []
    /// Slots in `user_id` byte order, as of the last ``mergeNew()``.
    private(set) var sorted: [Int32] = []
    /// Slots created since the last ``mergeNew()``.
    private var unsorted: [Int32] = []
    var unsortedSlots: [Int32] { unsorted }

    var count: Int { ids.count }

    /// Approximate bytes held: the id index, the arrays by slot and every user's packed state
    /// (heap blocks counted with a 16-byte allocator header).
    var approximateBytes: Int {
        func heap(_ string: String) -> Int { string.utf8.count > 15 ? 32 + string.utf8.count + 16 : 0 }
        var total = slots.capacity * (MemoryLayout<String>.stride + MemoryLayout<Int32>.stride) + 64
        total += ids.capacity * MemoryLayout<String>.stride + states.capacity * MemoryLayout<UserState>.stride
        total += lastScores.capacity * MemoryLayout<LastScore>.stride
        total += (sorted.capacity + unsorted.capacity) * MemoryLayout<Int32>.stride
        for id in ids { total += heap(id) }
        for state in states { total += state.approximateBytes - MemoryLayout<UserState>.size + 16 }
        return total
    }

    /// The slot of `id`, if the user has one.
    @inlinable
    func slot(of id: String) -> Int? {
        slots[id].map(Int.init)
    }

    /// The slot of `id`, created with an empty state if the user is new.
    mutating func slot(for id: String) -> Int {
        if let s = slots[id] { return Int(s) }
        return append(id, UserState(), .none, sorted: false)
    }

    /// Adds a user that has no slot yet. `sorted`: the caller appends users in byte order after
    /// every user already in `sorted` (a checkpoint being read), so no merge is needed.
    @discardableResult
    mutating func append(_ id: String, _ state: UserState, _ last: LastScore, sorted inOrder: Bool) -> Int {
        precondition(slots[id] == nil, "user \(id) already has a slot")
        let s = Int32(ids.count)
        slots[id] = s
        ids.append(id)
        states.append(state)
        lastScores.append(last)
        if inOrder && unsorted.isEmpty {
            sorted.append(s)
        } else {
            unsorted.append(s)
        }
        return Int(s)
    }

    mutating func reserveCapacity(_ n: Int) {
        slots.reserveCapacity(n)
        ids.reserveCapacity(n)
        states.reserveCapacity(n)
        lastScores.reserveCapacity(n)
        sorted.reserveCapacity(n)
    }

    /// Folds the slots created since the last merge into `sorted`: a sort of the new ones and
    /// one merge pass, not a sort of everyone.
    mutating func mergeNew() {
        guard !unsorted.isEmpty else { return }
        let ids = self.ids
        func before(_ a: Int32, _ b: Int32) -> Bool { ScoringState.byteOrder(ids[Int(a)], ids[Int(b)]) }
        unsorted.sort(by: before)
        var merged = [Int32]()
        merged.reserveCapacity(sorted.count + unsorted.count)
        var i = 0
        var j = 0
        while i < sorted.count, j < unsorted.count {
            if before(sorted[i], unsorted[j]) {
                merged.append(sorted[i])
                i += 1
            } else {
                merged.append(unsorted[j])
                j += 1
            }
        }
        merged.append(contentsOf: sorted[i...])
        merged.append(contentsOf: unsorted[j...])
        sorted = merged
        unsorted.removeAll(keepingCapacity: true)
    }
}
