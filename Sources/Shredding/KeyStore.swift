import DurableFile

/// Durable per-subject keys that can be destroyed: the crypto-shredding half of erasure.
///
/// Every subject gets a random 256-bit ``SubjectKey``; the engine encrypts the personal part of
/// the subject's log records with it. Erasing a subject overwrites its key in place with zeros, so
/// its records in the append-only log become unreadable without rewriting the log.
///
/// Keys live in one file of fixed 64-byte slots, slot *n* for subject *n* (the layout is documented
/// in `KeyStore+Format.swift`), and in memory for fast lookups (32 bytes per subject).
///
/// The protocol the engine follows:
/// 1. ``createKey()`` buffers a new key in memory; ``key(for:)`` returns it at once.
/// 2. ``sync()`` writes all buffered keys and fsyncs. **Call it before committing any log record
///    encrypted with a new key**: a key lost in a crash must not have encrypted durable data.
///    On reopen, torn or missing slots at the end of the file are therefore treated as never created.
/// 3. `destroy(_:)` zeroes the key in the file and fsyncs before returning.
///
/// ```swift
/// let store = try KeyStore(directory: dataDir + "/keys")
/// let alice = try store.createKey()
/// try store.sync()                              // before the log commits alice's first record
/// let key = store.key(for: alice)!              // encrypt/decrypt her records
/// try store.destroy(alice)                      // erasure: her records are now noise
/// ```
///
/// Concurrency: not `Sendable`. One owner (the engine's storage task or thread) uses it; `sync()`
/// and `destroy` block in fsync, so call them from a thread that may block, not from the
/// cooperative pool. An exclusive `flock` keeps other processes out of the file.
///
/// Limits of erasure: the overwrite removes the key from the file's contents. Copy-on-write file
/// systems, snapshots, backups and SSD wear levelling can keep older copies of the block, and
/// ``SubjectKey`` values the caller copied stay in its memory until dropped.
public final class KeyStore {
    /// Where and how to open a store.
    public struct Configuration: Sendable {
        /// The key file's name inside the store directory. Default: `"keys.bin"`.
        public var fileName: String = "keys.bin"
        /// Whether to create the directory (mode 0700, with missing parents) and the file (mode 0600)
        /// when missing. Default: `true`.
        public var createIfMissing: Bool = true

        public init() {}

        /// Checks the options, throwing an error that names the bad one.
        public func validate() throws(KeyStoreError) {
            guard !fileName.isEmpty, !fileName.contains("/"), fileName != ".", fileName != ".." else {
                throw KeyStoreError(
                    code: .invalidConfiguration,
                    message: "the key file name \"\(fileName)\" must be a plain file name, without \"/\"")
            }
        }
    }

    /// What opening the store found and repaired after a crash or damage.
    public struct Recovery: Sendable, Hashable {
        /// Invalid slots at the end of the file, dropped: keys created but not synced before a crash.
        /// Their ids are handed out again, which is safe under the ``sync()`` protocol.
        public var droppedTailSlots: Int = 0
        /// Bytes of a partially written last slot, dropped for the same reason.
        public var droppedTailBytes: Int = 0
        /// Subjects whose slot was invalid in the middle of the file (a torn destroy, or damage):
        /// their keys are unreadable, so they were rewritten as destroyed.
        public var damagedSubjects: [SubjectID] = []

        /// True when the file needed no repair.
        public var isClean: Bool { droppedTailSlots == 0 && droppedTailBytes == 0 && damagedSubjects.isEmpty }
    }

    /// The key file's path.
    public let path: String
    /// What opening the store repaired.
    public let recovery: Recovery

    /// The open, locked key file; `nil` once closed.
    private(set) var file: DurableFile.Positional?
    /// Keys of subjects 0...n, 32 bytes each; subject 0 does not exist and its bytes stay zero.
    ///
    /// `@exclusivity(unchecked)`, like `states`: ingest looks a key up for every event, and the
    /// runtime's access bookkeeping (`swift_beginAccess` and its thread-local set) on these two
    /// was most of that lookup. The store is owned by one thread (it is not `Sendable`), and the
    /// compile-time exclusivity checks still apply.
    @exclusivity(unchecked) private var keys: [UInt8]
    /// State of subjects 0...n: 0 for subject 0, else a ``KeyFileFormat/State`` raw value.
    @exclusivity(unchecked) private var states: [UInt8]
    /// Slots (header included) known to be in the file.
    var slotsOnDisk: Int
    /// Encoded slots of created keys not yet written, for subjects `slotsOnDisk...`.
    var unwritten: [UInt8] = []
    /// Set when a write or fsync failed: the file's contents are then unknown.
    var failure: KeyStoreError?

    /// Bytes of the keys and their states held in memory.
    public var approximateBytes: Int { keys.capacity + states.capacity + unwritten.capacity }

    /// Opens (or creates) the store in `directory`, recovering from a crash if needed.
    ///
    /// Holds an exclusive lock on the file until the store is deinitialized.
    public init(directory: String, configuration: Configuration = Configuration()) throws(KeyStoreError) {
        try configuration.validate()
        let path = directory + "/" + configuration.fileName
        self.path = path
        // On a throw, the file is released and closes itself.
        let opened = try Self.openFile(directory: directory, path: path, configuration: configuration)
        let loaded = try Self.load(file: opened, path: path, directory: directory)
        file = opened
        keys = loaded.keys
        states = loaded.states
        slotsOnDisk = loaded.slotsOnDisk
        recovery = loaded.recovery
    }

    // No deinit: the file closes itself. Unsynced keys are dropped on purpose: under the sync()
    // protocol nothing durable used them.

    /// Syncs created keys, then releases the file and its lock; later writes throw `.failed`.
    public func close() throws(KeyStoreError) {
        guard let file else { return }
        try sync()
        file.close()
        self.file = nil
        failure = KeyStoreError(
            code: .failed, message: "the key store \(path) is closed; open it again to use it", path: path)
    }

    /// Subjects created so far, destroyed ones included; ids run from 1 through this count.
    public var subjectCount: Int { states.count - 1 }

    /// Keys created since the last ``sync()``.
    public var unsyncedCount: Int { unwritten.count / KeyFileFormat.slotSize }

    /// Creates a subject with a fresh random key and returns its id (the next slot).
    ///
    /// The key is only in memory until ``sync()``, which the engine must call before committing
    /// any log record encrypted with it. Creating many keys and syncing once is much faster.
    public func createKey() throws(KeyStoreError) -> SubjectID {
        try checkUsable()
        let id = UInt64(states.count)
        let key = SubjectKey.random().bytes
        keys.append(contentsOf: key)
        states.append(UInt8(KeyFileFormat.State.live.rawValue))
        unwritten.append(
            contentsOf: key.withUnsafeBytes { KeyFileFormat.slot(subject: id, state: .live, key: $0.baseAddress!) })
        return SubjectID(id)
    }

    /// Writes every key created since the last sync and makes them durable (fdatasync).
    public func sync() throws(KeyStoreError) {
        guard !unwritten.isEmpty else { return }
        try checkUsable()
        try writeUnwritten()
        try syncFile()
    }

    /// Writes the keys created since the last sync to the file without fsyncing them, and
    /// returns what fsyncs them (`nil` when there was nothing to write): for an owner that hands
    /// the fsync to another thread, which must run it before anything sealed under those keys
    /// becomes durable. The engine's log writer runs it just before a batch's commit record.
    ///
    /// A failed fsync there fails this store's later writes and syncs as well.
    public func writeForDeferredSync() throws(KeyStoreError) -> DeferredKeySync? {
        guard !unwritten.isEmpty else { return nil }
        try checkUsable()
        try writeUnwritten()
        guard let file else { return nil }  // `writeUnwritten` threw if it was closed
        return DeferredKeySync(syncer: file.syncer)
    }

    /// The key of `subject`; `nil` if it was destroyed or never created.
    ///
    /// Keys created since the last ``sync()`` are returned too, so records can be encrypted before
    /// the sync that must precede their commit.
    public func key(for subject: SubjectID) -> SubjectKey? {
        KeySnapshot.key(for: subject, keys: keys, states: states)
    }

    /// Where `subject`'s key is held, for a prefetch hint only (not to be read through: it moves
    /// when the store grows); `nil` for a subject the store has no slot for.
    @inline(__always)
    public func keyAddress(for subject: SubjectID) -> UnsafeRawPointer? {
        KeySnapshot.keyAddress(for: subject, keys: keys, states: states)
    }

    /// Where `subject`'s state (live or destroyed) is held, which ``key(for:)`` reads before the
    /// key: for a prefetch hint only, like ``keyAddress(for:)``.
    @inline(__always)
    public func stateAddress(for subject: SubjectID) -> UnsafeRawPointer? {
        let i = Int(truncatingIfNeeded: subject.rawValue)
        guard subject.rawValue > 0, i < states.count else { return nil }
        return states.withUnsafeBytes { $0.baseAddress.map { $0 + i } }
    }

    /// The keys as they are now, for reading on another thread (a replay that decrypts ahead of
    /// the engine). Later creations and destructions do not show in it; copying is cheap until
    /// the store changes (the arrays are copy-on-write).
    public func snapshot() -> KeySnapshot {
        KeySnapshot(keys: keys, states: states)
    }

    /// Whether `subject` was created and then destroyed.
    public func isDestroyed(_ subject: SubjectID) -> Bool {
        guard subject.rawValue < UInt64(states.count), subject.rawValue > 0 else { return false }
        return states[Int(subject.rawValue)] == UInt8(KeyFileFormat.State.destroyed.rawValue)
    }

    /// Destroys `subject`'s key: overwrites its slot in place with zeros and a "destroyed" state,
    /// and fsyncs before returning. Destroying a destroyed subject does nothing.
    public func destroy(_ subject: SubjectID) throws(KeyStoreError) {
        try destroy([subject])
    }

    /// Destroys several keys with a single fsync. Throws before writing anything if an id was
    /// never created.
    public func destroy(_ subjects: [SubjectID]) throws(KeyStoreError) {
        try checkUsable()
        for s in subjects where s.rawValue == 0 || s.rawValue >= UInt64(states.count) {
            throw KeyStoreError(
                code: .unknownSubject,
                message: "\(s) was never created (the store has subjects 1...\(subjectCount)); "
                    + "destroy only ids returned by createKey()",
                path: path)
        }
        var changed = false
        for s in subjects where states[Int(s.rawValue)] != UInt8(KeyFileFormat.State.destroyed.rawValue) {
            let i = Int(s.rawValue)
            states[i] = UInt8(KeyFileFormat.State.destroyed.rawValue)
            keys.withUnsafeMutableBytes { k in
                _ = (k.baseAddress! + i * SubjectKey.byteCount).initializeMemory(
                    as: UInt8.self, repeating: 0, count: SubjectKey.byteCount)
            }
            let slot = KeyFileFormat.slot(subject: s.rawValue, state: .destroyed, key: nil)
            if i >= slotsOnDisk {
                // Never written: replace the buffered slot so the key never reaches the disk.
                let at = (i - slotsOnDisk) * KeyFileFormat.slotSize
                unwritten.replaceSubrange(at..<at + KeyFileFormat.slotSize, with: slot)
            } else {
                try write(slot, at: i * KeyFileFormat.slotSize)
            }
            changed = true
        }
        guard changed else { return }
        try writeUnwritten()
        try syncFile()
    }

    /// Makes sure ids 1 through `last` exist, adding destroyed slots for missing ones, and syncs.
    ///
    /// After a crash the engine may find in its log a subject id beyond ``subjectCount`` (the
    /// key was synced, then its slot was damaged at the end of the file and dropped on reopen).
    /// Retiring those ids keeps ``createKey()`` from handing them to someone else. Returns the
    /// number of ids retired.
    @discardableResult
    public func retireSubjects(through last: SubjectID) throws(KeyStoreError) -> Int {
        try checkUsable()
        var retired = 0
        while UInt64(states.count) <= last.rawValue {
            let id = UInt64(states.count)
            keys.append(contentsOf: KeyFileFormat.zeroKey)
            states.append(UInt8(KeyFileFormat.State.destroyed.rawValue))
            unwritten.append(contentsOf: KeyFileFormat.slot(subject: id, state: .destroyed, key: nil))
            retired += 1
        }
        try sync()
        return retired
    }
}

/// One owner at a time: the store's buffers and file offsets are unsynchronized state.
@available(*, unavailable)
extension KeyStore: Sendable {}

/// The fsync of keys a ``KeyStore`` wrote (``KeyStore/writeForDeferredSync()``), to run on
/// another thread.
public struct DeferredKeySync: Sendable {
    let syncer: DurableFile.Syncer

    /// Makes the keys durable. The store must still be open.
    public func sync() throws(KeyStoreError) {
        do { try syncer.sync() } catch { throw KeyStoreError.io(error, "fsync", path: syncer.path) }
    }
}

/// A read-only copy of a ``KeyStore``'s keys, safe to use from any thread.
public struct KeySnapshot: Sendable {
    @usableFromInline let keys: [UInt8]
    @usableFromInline let states: [UInt8]
    /// ``KeyFileFormat/State/live``'s byte, for the inlinable checks.
    @usableFromInline static let liveState = UInt8(KeyFileFormat.State.live.rawValue)

    /// The key of `subject` when the snapshot was taken; `nil` if destroyed or never created.
    public func key(for subject: SubjectID) -> SubjectKey? {
        Self.key(for: subject, keys: keys, states: states)
    }

    /// Whether ``key(for:)`` has a key for `subject`: its state byte alone, without reading the key.
    @inlinable
    public func holdsKey(for subject: SubjectID) -> Bool {
        Self.holdsKey(for: subject, states: states)
    }

    /// Where `subject`'s key is held, for a prefetch hint only; `nil` for a subject with no slot.
    @inlinable @inline(__always)
    public func keyAddress(for subject: SubjectID) -> UnsafeRawPointer? {
        Self.keyAddress(for: subject, keys: keys, states: states)
    }

    // The store and its snapshots read their arrays the same way, through these.

    @inline(__always)
    static func key(for subject: SubjectID, keys: borrowing [UInt8], states: borrowing [UInt8]) -> SubjectKey? {
        guard holdsKey(for: subject, states: states) else { return nil }
        return keys.withUnsafeBytes {
            SubjectKey(loading: $0.baseAddress! + Int(subject.rawValue) * SubjectKey.byteCount)
        }
    }

    @inlinable @inline(__always)
    static func holdsKey(for subject: SubjectID, states: borrowing [UInt8]) -> Bool {
        guard subject.rawValue < UInt64(states.count), subject.rawValue > 0 else { return false }
        return states[Int(subject.rawValue)] == liveState
    }

    @inlinable @inline(__always)
    static func keyAddress(
        for subject: SubjectID, keys: borrowing [UInt8], states: borrowing [UInt8]
    ) -> UnsafeRawPointer? {
        let i = Int(truncatingIfNeeded: subject.rawValue)
        guard subject.rawValue > 0, i < states.count else { return nil }
        return keys.withUnsafeBytes { $0.baseAddress.map { $0 + i * SubjectKey.byteCount } }
    }
}
