/// Every user's state, found by a dense integer slot.
///
/// An event costs one lookup of its id's 128-bit ``StableHash`` in a flat table (``HashTable``),
/// checked against the id kept for the slot; after it everything is an array index. The hash is
/// the id's stable one, so a decoding thread can work it out ahead of the engine's
/// (``slot(of:hash:)``). The month close walks the slots in `user_id` byte order and hashes
/// nothing, and the users' last closed scores sit in an array beside their states instead of a
/// second dictionary keyed by id.
///
/// The states are kept by shard: a user's shard is a stable hash of their id modulo the shard
/// count, and within it they have a local index (``Place``). A shard's states can be lent to the
/// thread that applies its events (``lendShard(_:)``) while the id index stays with the caller,
/// who can still find and add users; the close, a checkpoint or a read takes them back first.
/// With one shard (the default) a user's local index is their slot.
///
/// Invariants: `ids` and `lastScores` have one element per slot, and so has `places` with more
/// than one shard; `index[hash(ids[s])] == s`, or, for an id whose hash another id took first
/// (a 128-bit collision: about 2^-64 among a billion ids, kept exact all the same),
/// `collided[ids[s]] == s`; `places[s]` is `s`'s shard and local index (with one
/// shard, 0 and `s`), and each shard's local indexes are dense
/// (`shardSizes`); a shard at home holds `shardSizes[k]` states; `sorted` followed by
/// `unsorted` lists every slot once, `sorted` in `user_id` byte order (``mergeNew()`` folds
/// `unsorted` in). Slots are never reused: a user, once seen, keeps theirs.
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

    /// Where a user's state is: their shard and their index in it.
    @usableFromInline
    struct Place: Sendable, Equatable {
        @usableFromInline var shard: Int32
        @usableFromInline var local: Int32
    }

    /// Slots by the stable hash of their user's id (-1 fills empty slots).
    @usableFromInline private(set) var index = HashTable<Int32>(empty: -1)
    /// Slots of ids whose hash an earlier id holds in `index`: empty unless two ids collide.
    @usableFromInline private(set) var collided: [String: Int32] = [:]
    @usableFromInline private(set) var ids: [String] = []
    /// Each slot's shard and local index; empty with one shard, where the local index is the slot.
    @usableFromInline private(set) var places: [Place] = []
    /// The states by shard, by local index; a lent shard's is empty until it comes back.
    @usableFromInline var shardStates: [[UserState]]
    /// How many users each shard has (its states may not all exist while it is lent).
    private(set) var shardSizes: [Int32]
    /// Which shards are lent out (``lendShard(_:)``).
    private(set) var lent: [Bool]
    var lastScores: [LastScore] = []
    /// Slots in `user_id` byte order, as of the last ``mergeNew()``.
    private(set) var sorted: [Int32] = []
    /// Slots created since the last ``mergeNew()``.
    private var unsorted: [Int32] = []
    var unsortedSlots: [Int32] { unsorted }

    @usableFromInline var count: Int { ids.count }
    var shardCount: Int { shardStates.count }

    init(shards: Int = 1) {
        precondition(shards >= 1 && shards <= 1 << 16, "a user table has 1 to 65,536 shards, not \(shards)")
        shardStates = Array(repeating: [], count: shards)
        shardSizes = Array(repeating: 0, count: shards)
        lent = Array(repeating: false, count: shards)
    }

    /// The shard of a user id: a stable hash of its bytes modulo the shard count, the same in
    /// every process (a checkpoint read with another shard count places users afresh).
    static func shard(of id: String, shards: Int) -> Int {
        shard(ofHash: StableHash.of(id), shards: shards)
    }

    static func shard(ofHash hash: StableHash, shards: Int) -> Int {
        shards == 1 ? 0 : Int(hash.low % UInt64(shards))
    }

    /// The state of the user in `slot`; their shard must be at home.
    @inlinable
    subscript(state slot: Int) -> UserState {
        get {
            let (k, l) = place(ofSlot: slot)
            return shardStates[k][l]
        }
        _modify {
            // One yield: a coroutine with one inlines where two did not.
            let (k, l) = place(ofSlot: slot)
            yield &shardStates[k][l]
        }
    }

    /// The address of the packed state of the user in `slot`, for a prefetch hint
    /// (``UserState/storageAddress``). Read in place: a copy of the state (the subscript's
    /// getter) retains its bytes, a write to the very line the hint is for.
    @inlinable
    func stateAddress(atSlot slot: Int) -> UnsafeRawPointer? {
        let (k, l) = place(ofSlot: slot)
        return shardStates[k][l].storageAddress
    }

    /// ``UserState/sectionAddresses(obligationBytes:)`` of the user in `slot`, read in place.
    /// Always inlined: called, it had the table copied first (every array retained).
    @inlinable @inline(__always)
    func stateSections(atSlot slot: Int, obligationBytes: Int) -> (
        lastPayment: UnsafeRawPointer?, obligations: UnsafeRawBufferPointer
    ) {
        let (k, l) = place(ofSlot: slot)
        return shardStates[k][l].sectionAddresses(obligationBytes: obligationBytes)
    }

    /// The address of the slot's entry in its shard's array of states (where the packed state's
    /// address is kept), for a prefetch hint a step before ``stateAddress(atSlot:)``'s.
    @inlinable
    func stateEntryAddress(atSlot slot: Int) -> UnsafeRawPointer? {
        let (k, l) = place(ofSlot: slot)
        return shardStates[k].withUnsafeBufferPointer { $0.baseAddress.map { UnsafeRawPointer($0 + l) } }
    }

    /// Every state, shard by shard (all shards at home).
    var allStates: [UserState] { shardStates.flatMap { $0 } }

    /// Applies `body` to every state (all shards at home).
    mutating func forEachState(_ body: (inout UserState) -> Void) {
        for k in shardStates.indices {
            for i in shardStates[k].indices { body(&shardStates[k][i]) }
        }
    }

    /// Hands shard `k`'s states to the caller (the thread that applies its events): until
    /// ``returnShard(_:_:)`` the table keeps finding and adding its users, not their states.
    mutating func lendShard(_ k: Int) -> [UserState] {
        precondition(!lent[k], "shard \(k) is lent already")
        lent[k] = true
        let states = shardStates[k]
        shardStates[k] = []
        return states
    }

    /// Takes shard `k`'s states back, with a new user's empty state for each one added meanwhile
    /// that the borrower never saw.
    mutating func returnShard(_ k: Int, _ states: consuming [UserState]) {
        precondition(lent[k], "shard \(k) is not lent")
        var states = states
        precondition(states.count <= Int(shardSizes[k]), "shard \(k) came back with users it never had")
        while states.count < Int(shardSizes[k]) { states.append(UserState()) }
        shardStates[k] = states
        lent[k] = false
    }

    /// The shard and local index of the user in `slot`: with one shard, 0 and the slot, without
    /// a read of `places` (a miss per event).
    @inlinable
    func place(ofSlot slot: Int) -> (shard: Int, local: Int) {
        if shardStates.count == 1 { return (0, slot) }
        let p = places[slot]
        return (Int(p.shard), Int(p.local))
    }

    /// Approximate bytes held: the id index, the arrays by slot and every user's packed state
    /// (heap blocks counted with a 16-byte allocator header).
    var approximateBytes: Int {
        func heap(_ string: String) -> Int { string.utf8.count > 15 ? 32 + string.utf8.count + 16 : 0 }
        var total = index.slotBytes + collided.capacity * (MemoryLayout<String>.stride + MemoryLayout<Int32>.stride)
        total += ids.capacity * MemoryLayout<String>.stride + places.capacity * MemoryLayout<Place>.stride
        for states in shardStates { total += states.capacity * MemoryLayout<UserState>.stride }
        total += lastScores.capacity * MemoryLayout<LastScore>.stride
        total += (sorted.capacity + unsorted.capacity) * MemoryLayout<Int32>.stride
        for id in ids { total += heap(id) }
        for states in shardStates {
            for state in states { total += state.approximateBytes - MemoryLayout<UserState>.size + 16 }
        }
        return total
    }

    /// The slot of `id`, if the user has one.
    @inlinable
    func slot(of id: String) -> Int? {
        slot(of: id, hash: StableHash.of(id))
    }

    /// The slot of `id`, whose ``StableHash`` is `hash`, if the user has one.
    @inlinable
    func slot(of id: String, hash: StableHash) -> Int? {
        guard let s = index[hash] else { return nil }
        if ids[Int(s)] == id { return Int(s) }
        return collided.isEmpty ? nil : collided[id].map(Int.init)
    }

    /// The slot of the id whose hash is `hash`, if any, not checked against the id: a guess for
    /// a caller that has the hash well before the id (the look-ahead), to confirm with
    /// ``holds(_:atSlot:)`` when the id is at hand.
    @inlinable
    func candidateSlot(forHash hash: StableHash) -> Int? {
        index[hash].map(Int.init)
    }

    /// Whether `slot` is `id`'s.
    @inlinable
    func holds(_ id: String, atSlot slot: Int) -> Bool {
        ids[slot] == id
    }

    /// The address of `slot`'s id, for a prefetch hint before ``holds(_:atSlot:)``.
    @inlinable
    func idAddress(atSlot slot: Int) -> UnsafeRawPointer? {
        ids.withUnsafeBufferPointer { $0.baseAddress.map { UnsafeRawPointer($0 + slot) } }
    }

    /// The slot of `id`, created with an empty state if the user is new.
    mutating func slot(for id: String) -> Int {
        slot(for: id, hash: StableHash.of(id))
    }

    /// ``slot(for:)`` with the id's ``StableHash`` worked out already.
    mutating func slot(for id: String, hash: StableHash) -> Int {
        if let s = slot(of: id, hash: hash) { return s }
        return append(id, hash: hash, nil, .none, sorted: false)
    }

    /// Adds a user that has no slot yet, with `state` (`nil`: an empty one). `sorted`: the caller
    /// appends users in byte order after every user already in `sorted` (a checkpoint being
    /// read), so no merge is needed.
    @discardableResult
    mutating func append(_ id: String, _ state: UserState?, _ last: LastScore, sorted inOrder: Bool) -> Int {
        append(id, hash: StableHash.of(id), state, last, sorted: inOrder)
    }

    private mutating func append(
        _ id: String, hash: StableHash, _ state: UserState?, _ last: LastScore, sorted inOrder: Bool
    ) -> Int {
        precondition(slot(of: id, hash: hash) == nil, "user \(id) already has a slot")
        let s = Int32(ids.count)
        let k = Self.shard(ofHash: hash, shards: shardCount)
        if !index.insertIfAbsent(s, forKey: hash) { collided[id] = s }
        ids.append(id)
        if shardCount > 1 { places.append(Place(shard: Int32(k), local: shardSizes[k])) }
        shardSizes[k] += 1
        if lent[k] {
            // The borrower adds the empty state when it meets the user, or the return does.
            precondition(state == nil, "user \(id) has a state, and their shard \(k) is lent")
        } else {
            shardStates[k].append(state ?? UserState())
        }
        lastScores.append(last)
        if inOrder && unsorted.isEmpty {
            sorted.append(s)
        } else {
            unsorted.append(s)
        }
        return Int(s)
    }

    mutating func reserveCapacity(_ n: Int) {
        index.reserveCapacity(n)
        ids.reserveCapacity(n)
        if shardCount > 1 { places.reserveCapacity(n) }
        for k in shardStates.indices { shardStates[k].reserveCapacity(n / shardCount + 1) }
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
