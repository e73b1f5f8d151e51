import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Who may touch the engine at once: any number of readers on their own threads, or the
/// engine's queue alone. ``EngineService`` takes the write side around everything it runs on
/// its queue; a reader (a query route) tries the read side and, when the queue is busy or
/// waiting, goes through the queue as before. Readers never block: an HTTP handler on the
/// cooperative pool must not wait out an `fsync`.
///
/// A waiting writer stops new readers (``writerWaiting``), so a stream of queries cannot
/// starve the engine's queue (glibc's rwlock prefers readers).
final class EngineAccess: Sendable {
    /// `@unchecked Sendable`: a `pthread_rwlock_t` exists to be shared between threads; it
    /// lives at a fixed heap address (a lock must not move) for the lifetime of the owner.
    private struct Lock: @unchecked Sendable {
        let pointer: UnsafeMutablePointer<pthread_rwlock_t>
    }

    private let lock: Lock
    private let writerWaiting = Atomic<Bool>(false)

    init() {
        let pointer = UnsafeMutablePointer<pthread_rwlock_t>.allocate(capacity: 1)
        pointer.initialize(to: pthread_rwlock_t())
        precondition(pthread_rwlock_init(pointer, nil) == 0, "pthread_rwlock_init failed")
        lock = Lock(pointer: pointer)
    }

    deinit {
        pthread_rwlock_destroy(lock.pointer)
        lock.pointer.deallocate()
    }

    /// Runs `body` with the engine to itself (on the engine's queue).
    func exclusive<T>(_ body: () throws -> T) rethrows -> T {
        writerWaiting.store(true, ordering: .relaxed)
        pthread_rwlock_wrlock(lock.pointer)
        writerWaiting.store(false, ordering: .relaxed)
        defer { pthread_rwlock_unlock(lock.pointer) }
        return try body()
    }

    /// Runs `body` at once beside other readers, or returns `nil` when the engine is in use.
    func shared<T>(_ body: () -> T) -> T? {
        guard !writerWaiting.load(ordering: .relaxed), pthread_rwlock_tryrdlock(lock.pointer) == 0 else {
            return nil
        }
        defer { pthread_rwlock_unlock(lock.pointer) }
        return body()
    }
}
