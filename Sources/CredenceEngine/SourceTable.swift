import CredenceCore

/// The inputs the logged events came from (a file, a Kafka partition, HTTP intake), by name.
///
/// A source gets an id, 1, 2, ..., when its first accepted event is logged; a `source` record
/// in the log names it, so a replay numbers the sources alike. Each keeps the highest position
/// (line or offset) and the largest event time of its accepted events: where a re-read of the
/// input resumes, and what the watermark over several sources is made of.
///
/// Invariants: `names[id]` and `ids[name]` agree for every named id; positions and times only
/// grow; ids are never reused.
struct SourceTable: Sendable {
    private(set) var ids: [String: UInt64] = [:]
    /// Names by id; index 0 (no source) is unused, and so is an id a log never named.
    private var names: [String] = [""]
    private var positions: [UInt64] = [0]
    private var maxSeen: [Int64] = [.min]
    /// The last name looked up: one input at a time is the rule, so a long name is compared,
    /// not hashed, per event.
    private var last: (name: String, id: UInt64)? = nil
    /// Counts the sources named so far: a caller that resolved names to ids resolves again
    /// when it changes.
    private(set) var generation = 0

    /// The id the next new source gets.
    var nextID: UInt64 { UInt64(names.count) }

    /// The id of `name`, if it has one; remembers it for the next lookup.
    mutating func id(of name: String) -> UInt64? {
        if let last, last.name == name { return last.id }
        guard let id = ids[name] else { return nil }
        last = (name, id)
        return id
    }

    /// The id of `name`, if it has one (no lookup remembered).
    func lookup(_ name: String) -> UInt64? { ids[name] }

    /// Names source `id`, as its log record says.
    mutating func name(_ id: UInt64, _ name: String) {
        let i = Int(id)
        if i >= names.count { grow(to: i + 1) }
        if names[i] == name && ids[name] == id { return }
        names[i] = name
        ids[name] = id
        generation += 1
    }

    /// Notes an accepted event's position and time in source `id`.
    mutating func note(_ position: UInt64, at time: Instant, of id: UInt64) {
        let i = Int(id)
        if i >= names.count { grow(to: i + 1) }
        if position > positions[i] { positions[i] = position }
        if time.millisecondsSinceEpoch > maxSeen[i] { maxSeen[i] = time.millisecondsSinceEpoch }
    }

    /// The highest position of `name`'s accepted events, if it has any.
    func lastPosition(of name: String) -> UInt64? {
        guard let id = ids[name], positions[Int(id)] > 0 else { return nil }
        return positions[Int(id)]
    }

    /// The largest event time of source `id`'s accepted events, if it has any.
    func maxSeen(id: Int) -> Int64? {
        id < maxSeen.count && maxSeen[id] != .min ? maxSeen[id] : nil
    }

    /// The largest event time of `name`'s accepted events, if it has any.
    func maxSeen(of name: String) -> Instant? {
        guard let id = ids[name], let ms = maxSeen(id: Int(id)) else { return nil }
        return Instant(millisecondsSinceEpoch: ms)
    }

    /// Every named source's name.
    var allNames: some Sequence<String> { ids.keys }

    private mutating func grow(to count: Int) {
        let n = count - names.count
        names.append(contentsOf: repeatElement("", count: n))
        positions.append(contentsOf: repeatElement(0, count: n))
        maxSeen.append(contentsOf: repeatElement(.min, count: n))
    }

    // MARK: - Checkpoints

    /// Appends the sources by id: the count, then each one's name, position and time.
    func encode(into w: inout ByteWriter) {
        let count = names.count - 1
        w.writeVarint(UInt64(count))
        for i in stride(from: 1, through: count, by: 1) {
            w.writeString(names[i])
            w.writeVarint(positions[i])
            w.writeZigZag(maxSeen[i])
        }
    }

    /// Reads what ``encode(into:)`` wrote.
    static func decode(from r: inout ByteReader) throws -> SourceTable {
        var table = SourceTable()
        let count = try r.readCount(atMost: r.remaining)
        for i in 0..<count {
            let id = UInt64(i + 1)
            let name = try r.readString()
            if !name.isEmpty { table.name(id, name) } else { table.grow(to: i + 2) }
            table.positions[i + 1] = try r.readVarint()
            table.maxSeen[i + 1] = try r.readZigZag()
        }
        return table
    }
}
