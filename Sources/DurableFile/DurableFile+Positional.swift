import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension DurableFile {
    /// A file read and written at byte offsets, for fixed-size records rewritten in place (the
    /// key store's slots), with the layer's discipline: `EINTR` is retried, short reads and
    /// writes loop, and after a failed sync the file takes no more writes.
    ///
    /// ```swift
    /// let file = try DurableFile.Positional(path: dir + "/keys.bin", create: true, mode: 0o600)
    /// guard try file.tryLock() else { /* another process has it */ }
    /// try file.write(slot, at: 64 * n)
    /// try file.sync()
    /// ```
    ///
    /// Not `Sendable`: one owner at a time. The descriptor closes in `deinit` or ``close()``.
    public final class Positional {
        public let path: String
        private var fd: Int32
        /// The descriptor for syncs and the first failed sync, shared with ``syncer``.
        private let syncState: Syncer

        /// Opens `path` for reading and writing; with `create`, a missing file is created with
        /// `mode` (before the umask).
        public init(path: String, create: Bool = false, mode: UInt32 = 0o644) throws(DurableFileError) {
            self.path = path
            let flags = O_RDWR | (create ? O_CREAT : 0)
            let fd = try DurableFile.open(path, flags, mode: mode, doing: create ? "Creating or opening" : "Opening")
            self.fd = fd
            syncState = Syncer(path: path, fd: fd)
        }

        deinit { close() }

        /// Closes the file, releasing its lock; later calls throw, and so do the ``syncer``'s.
        public func close() {
            guard fd >= 0 else { return }
            // After any sync running on another thread: the descriptor is not closed under it.
            syncState.detach()
            _ = systemClose(fd)
            fd = -1
        }

        /// What makes this file's writes durable from another thread: a caller that writes here
        /// and hands the fsync to a thread of its own (the key store's new keys, synced by the log
        /// writer just before the commit record that needs them). A failed sync there fails this
        /// file's later writes and syncs too, as one here would; after ``close()`` it throws.
        public var syncer: Syncer { syncState }

        /// Takes an exclusive advisory lock (`flock`), held until the file is closed; `false` when
        /// another open of the file still holds it, in this process or another, after `patience`.
        ///
        /// The patience is for a lock that is about to go: a child process this one spawns holds
        /// a copy of every descriptor between its fork and its exec (`O_CLOEXEC` closes them only
        /// at the exec), and with them the lock, for a moment after this process closed the file.
        public func tryLock(patience: Duration = .milliseconds(500)) throws(DurableFileError) -> Bool {
            try checkOpen()
            let deadline = ContinuousClock.now + patience
            while true {
                if flock(fd, LOCK_EX | LOCK_NB) == 0 { return true }
                if errno == EINTR { continue }
                if errno != EWOULDBLOCK { throw DurableFileError(.io, "Locking", path: path, errno: errno) }
                if ContinuousClock.now >= deadline { return false }
                usleep(5_000)
            }
        }

        /// The file's size in bytes.
        public func size() throws(DurableFileError) -> Int {
            try checkOpen()
            return try DurableFile.size(fd, path: path)
        }

        /// Reads `buffer.count` bytes from `offset`; returns how many, fewer only at the end of the file.
        public func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws(DurableFileError) -> Int {
            try checkOpen()
            return try DurableFile.readAll(fd, into: buffer, at: off_t(offset), path: path)
        }

        /// Reads into `bytes[range]` from `offset`; returns how many, fewer only at the end of the file.
        public func read(into bytes: inout [UInt8], _ range: Range<Int>, at offset: Int) throws(DurableFileError)
            -> Int
        {
            // Array's closure APIs rethrow untyped errors; carry the typed one out in a Result.
            let result = bytes.withUnsafeMutableBytes { b in
                Result { () throws(DurableFileError) in
                    try read(into: UnsafeMutableRawBufferPointer(rebasing: b[range]), at: offset)
                }
            }
            return try result.get()
        }

        /// Writes all of `bytes` at `offset`, extending the file if it ends before them.
        public func write(_ bytes: [UInt8], at offset: Int) throws(DurableFileError) {
            try checkWritable()
            try DurableFile.writeAll(fd, bytes, at: off_t(offset), path: path)
        }

        /// Cuts the file (or extends it with zeros) to `size` bytes.
        public func truncate(to size: Int) throws(DurableFileError) {
            try checkWritable()
            while ftruncate(fd, off_t(size)) != 0 {
                if errno != EINTR { throw DurableFileError(.io, "Truncating", path: path, errno: errno) }
            }
        }

        /// Makes what was written, and the file's size, durable (`fdatasync` on Linux: the
        /// timestamps are not needed). A failure is final: the page cache may have dropped the
        /// dirty pages, so later writes and syncs throw it again.
        public func sync() throws(DurableFileError) {
            try checkOpen()
            try syncState.sync()
        }

        private func checkOpen() throws(DurableFileError) {
            if fd < 0 { throw DurableFileError(.io, "Using the closed file", path: path, errno: EBADF) }
        }

        private func checkWritable() throws(DurableFileError) {
            if let failed = syncState.failure { throw failed }
            try checkOpen()
        }
    }
}

extension DurableFile {
    /// Makes a ``DurableFile/Positional``'s writes durable (`fdatasync`), from any thread.
    ///
    /// Its file's owner writes; whoever holds the syncer fsyncs what was written by then (and
    /// anything written since, which is harmless). The first failure is kept: later syncs here,
    /// and the file's later writes and syncs, throw it (the page cache may have dropped the dirty
    /// pages). Once the file is closed, a sync throws instead of touching a descriptor number the
    /// process may have given to another file.
    public final class Syncer: Sendable {
        public let path: String
        private let state: Mutex<State>

        private struct State {
            var fd: Int32
            var failure: DurableFileError?
        }

        init(path: String, fd: Int32) {
            self.path = path
            state = Mutex(State(fd: fd, failure: nil))
        }

        /// The first failed sync, if any.
        public var failure: DurableFileError? { state.withLock { $0.failure } }

        /// fsyncs the file (`fdatasync` on Linux); see the type's comment for failures.
        public func sync() throws(DurableFileError) {
            // Under the lock, so that `detach` (the file's close) waits for a sync in progress.
            let result: Result<Void, DurableFileError> = state.withLock { s in
                if let failure = s.failure { return .failure(failure) }
                guard s.fd >= 0 else {
                    return .failure(DurableFileError(.io, "Syncing the closed file", path: path, errno: EBADF))
                }
                while true {
                    #if canImport(Darwin)
                        let r = fsync(s.fd)
                    #else
                        let r = fdatasync(s.fd)
                    #endif
                    if r == 0 { return .success(()) }
                    if errno == EINTR { continue }
                    let e = DurableFileError(.sync, "Syncing", path: path, errno: errno)
                    s.failure = e
                    return .failure(e)
                }
            }
            try result.get()
        }

        /// The file is closing: later syncs throw.
        func detach() {
            state.withLock { $0.fd = -1 }
        }
    }
}
