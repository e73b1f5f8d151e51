import Synchronization

/// Emptied byte buffers kept for reuse, at most `limit`, each of at least `minimumCapacity`: a
/// buffer handed to another thread to write comes back once written, instead of being freed while
/// the next one is mapped afresh (each first touch of a page a fault). The checkpoint writer's
/// pieces and the effects writer's outbox and dead-letter lines go round this way.
final class SpareBuffers: Sendable {
    let limit: Int
    let minimumCapacity: Int
    private let buffers = Mutex<[[UInt8]]>([])

    init(limit: Int, minimumCapacity: Int = 0) {
        self.limit = limit
        self.minimumCapacity = minimumCapacity
    }

    /// A kept buffer, empty, if there is one.
    func take() -> [UInt8]? {
        buffers.withLock { $0.popLast() }
    }

    /// Keeps `buffer`, emptied, when it has the capacity and there is room; `buffer` is left
    /// empty either way (a buffer not kept is freed). Emptied here, where it is its memory's only
    /// reference, so that its capacity stays.
    func keep(_ buffer: inout [UInt8]) {
        guard buffer.capacity >= minimumCapacity else {
            buffer = []
            return
        }
        buffer.removeAll(keepingCapacity: true)
        buffers.withLock { b in
            if b.count < limit {
                b.append([])
                swap(&b[b.count - 1], &buffer)
            }
        }
        buffer = []
    }

    /// Frees the kept buffers (outside the lock).
    func dropAll() {
        var dropped: [[UInt8]] = []
        buffers.withLock { swap(&dropped, &$0) }
        dropped = []
    }

    /// The capacity of the kept buffers, in all.
    var capacity: Int { buffers.withLock { $0.reduce(0) { $0 + $1.capacity } } }
}
