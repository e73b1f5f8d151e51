import Dispatch
import Synchronization

/// A bounded queue between one producing thread and one consuming thread: the producer blocks
/// when `capacity` items wait, the consumer when none do. Either side may stop the other:
/// ``finish()`` ends the stream after what is queued, ``cancel()`` drops it and unblocks the producer.
///
/// For pipeline stages that run on their own threads (decoding), not for async code.
final class Handoff<Element: Sendable>: Sendable {
    private struct State {
        /// At most `capacity` long, so taking from the front is cheap.
        var items: [Element] = []
        var finished = false
        var cancelled = false
    }

    private let state = Mutex(State())
    private let available = DispatchSemaphore(value: 0)
    /// One permit per free place. Created empty and given its permits after: libdispatch traps
    /// (SIGILL) when a semaphore is freed with fewer permits than it was created with, which a
    /// cancelled queue may have (the items dropped never gave theirs back).
    private let space = DispatchSemaphore(value: 0)
    private let capacity: Int

    init(capacity: Int) {
        precondition(capacity > 0)
        self.capacity = capacity
        for _ in 0..<capacity { space.signal() }
    }

    /// Queues `item`, waiting for room; `false` when the consumer cancelled (stop producing).
    ///
    /// Consuming, and moved into the queue, not copied: a producer's copy, alive until it let go
    /// after `put` returned, made a consumer that took the item at once and changed it in place
    /// copy all of it (a replay's opening of each chunk copied its 4,096 records: 8% of its
    /// thread).
    func put(_ item: consuming Element) -> Bool {
        space.wait()
        var slot: Element? = consume item
        let accepted = state.withLock { s in
            guard !s.cancelled else { return false }
            s.items.append(slot.take()!)
            return true
        }
        if accepted {
            available.signal()
        } else {
            space.signal()  // the permit goes back: a later `put` returns at once too
        }
        return accepted
    }

    /// No more items: the consumer gets `nil` after the queued ones.
    func finish() {
        state.withLock { $0.finished = true }
        available.signal()
    }

    /// The next item, waiting for one; `nil` once the producer finished and all were taken.
    func take() -> Element? {
        while true {
            available.wait()
            let next: Element?? = state.withLock { s in
                if !s.items.isEmpty { return .some(s.items.removeFirst()) }
                return s.finished ? .some(nil) : nil
            }
            if let next {
                if next != nil { space.signal() } else { available.signal() }  // keep `nil` sticky
                return next
            }
        }
    }

    /// The consumer gives up: queued items are dropped and a waiting producer is released.
    func cancel() {
        state.withLock { s in
            s.cancelled = true
            s.items.removeAll()
        }
        for _ in 0..<capacity { space.signal() }
    }
}
