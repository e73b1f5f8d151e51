/// Each user's current subject (key store id) by the user's slot, and the slot of each subject:
/// the two directions of one map, kept together.
///
/// A replay's event names both its user and its subject; the subject's slot, checked against the
/// user id, finds the user by an array index instead of hashing the id (``slot(ofSubject:)``),
/// and the slot of an event further on is known without touching its strings, so its state can
/// be fetched ahead. A subject belongs to one user; a withdrawal moves the user to a new
/// subject, and the old one leaves the map.
struct SubjectSlots: Sendable {
    /// Each slot's subject; 0: none yet.
    private(set) var bySlot: [UInt64] = []
    /// Each subject's slot; -1: none (a subject with no user, or a user's former one).
    private var slotBySubject: [Int32] = []

    init() {}

    /// The map of `bySlot` (0: no subject).
    init(bySlot: [UInt64]) {
        for (slot, subject) in bySlot.enumerated() where subject != 0 { set(subject, atSlot: slot) }
    }

    /// The address of the slot's subject, for a prefetch hint a step before
    /// ``subject(atSlot:)`` reads it.
    @inline(__always)
    func subjectAddress(atSlot slot: Int) -> UnsafeRawPointer? {
        guard slot < bySlot.count else { return nil }
        return bySlot.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress! + slot) }
    }

    /// The subject of the user in `slot`, if they have one.
    @inline(__always)
    func subject(atSlot slot: Int) -> UInt64? {
        slot < bySlot.count && bySlot[slot] != 0 ? bySlot[slot] : nil
    }

    /// The address of the subject's slot, for a prefetch hint a step before
    /// ``slot(ofSubject:)`` reads it.
    @inline(__always)
    func slotAddress(ofSubject subject: UInt64) -> UnsafeRawPointer? {
        guard subject < UInt64(slotBySubject.count) else { return nil }
        return slotBySubject.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress! + Int(subject)) }
    }

    /// The slot of the user whose current subject is `subject`, if any.
    @inline(__always)
    func slot(ofSubject subject: UInt64) -> Int? {
        guard subject < UInt64(slotBySubject.count) else { return nil }
        let slot = slotBySubject[Int(subject)]
        return slot >= 0 ? Int(slot) : nil
    }

    /// Makes `subject` the current subject of the user in `slot` (0: none); their former one leaves.
    mutating func set(_ subject: UInt64, atSlot slot: Int) {
        if slot >= bySlot.count {
            bySlot.append(contentsOf: repeatElement(0, count: max(slot + 1 - bySlot.count, bySlot.count / 2)))
        }
        let former = bySlot[slot]
        guard former != subject else { return }
        if former != 0, former < UInt64(slotBySubject.count), slotBySubject[Int(former)] == Int32(slot) {
            slotBySubject[Int(former)] = -1
        }
        bySlot[slot] = subject
        guard subject != 0 else { return }
        let s = Int(subject)
        if s >= slotBySubject.count {
            slotBySubject.append(
                contentsOf: repeatElement(-1, count: max(s + 1 - slotBySubject.count, slotBySubject.count / 2)))
        }
        slotBySubject[s] = Int32(slot)
    }

    /// Bytes held by the two arrays.
    var approximateBytes: Int {
        bySlot.capacity * MemoryLayout<UInt64>.stride + slotBySubject.capacity * MemoryLayout<Int32>.stride
    }
}
