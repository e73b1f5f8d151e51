import CredenceTestSupport
import Foundation
import Testing

@testable import Shredding

@Suite struct KeyStoreTests {
    static let slot = 64

    @Test func createSyncReopen() throws {
        let dir = TemporaryDirectory("shredding")
        defer { dir.remove() }
        var keys: [SubjectID: SubjectKey] = [:]
        do {
            let store = try KeyStore(directory: dir.path)
            #expect(store.subjectCount == 0)
            for expected in 1...3 {
                let id = try store.createKey()
                #expect(id == SubjectID(UInt64(expected)))
                let key = try #require(store.key(for: id))
                keys[id] = key
            }
            #expect(store.unsyncedCount == 3)
            try store.sync()
            #expect(store.unsyncedCount == 0)
            #expect(Set(keys.values).count == 3)
        }
        #expect(try dir.read("keys.bin").count == 4 * Self.slot)
        let store = try KeyStore(directory: dir.path)
        #expect(store.recovery.isClean)
        #expect(store.subjectCount == 3)
        for (id, key) in keys { #expect(store.key(for: id) == key) }
        #expect(store.key(for: SubjectID(0)) == nil)
        #expect(store.key(for: SubjectID(4)) == nil)
        #expect(try store.createKey() == SubjectID(4))
    }

    /// A snapshot's state check and key address agree with its keys: live subjects hold a key
    /// (held where the address says), destroyed, unknown and zero subjects none.
    @Test func aSnapshotSaysWhichSubjectsHoldAKey() throws {
        let dir = TemporaryDirectory("shredding")
        defer { dir.remove() }
        let store = try KeyStore(directory: dir.path)
        let ids = try (0..<5).map { _ in try store.createKey() }
        try store.sync()
        try store.destroy(ids[1])
        try store.destroy(ids[3])
        let snapshot = store.snapshot()
        for id in ids + [SubjectID(0), SubjectID(99)] {
            let key = snapshot.key(for: id)
            #expect(snapshot.holdsKey(for: id) == (key != nil), "subject \(id)")
            if let key, let address = snapshot.keyAddress(for: id) {
                #expect(SubjectKey(loading: address) == key)
            }
        }
        #expect(ids.map { snapshot.holdsKey(for: $0) } == [true, false, true, false, true])
        #expect(snapshot.keyAddress(for: SubjectID(0)) == nil)
        #expect(snapshot.keyAddress(for: SubjectID(99)) == nil)
    }

    @Test func keysNotSyncedAreGoneAfterReopen() throws {
        let dir = TemporaryDirectory("shredding")
        defer { dir.remove() }
        do {
            let store = try KeyStore(directory: dir.path)
            _ = try store.createKey()
            try store.sync()
            _ = try store.createKey()
        }
        let store = try KeyStore(directory: dir.path)
        #expect(store.subjectCount == 1)
        #expect(store.recovery.isClean)
    }

    @Test func keysWrittenForADeferredSyncReachTheFileAndSyncFromAnotherThread() async throws {
        let dir = TemporaryDirectory("shredding")
        defer { dir.remove() }
        var pendingAfterClose: DeferredKeySync?
        do {
            let store = try KeyStore(directory: dir.path)
            #expect(try store.writeForDeferredSync() == nil)  // nothing new
            let a = try store.createKey()
            let b = try store.createKey()
            let pending = try #require(try store.writeForDeferredSync())
            // Written at once (the header and two slots), not yet fsynced; nothing left to write.
            #expect(try dir.read("keys.bin").count == 3 * Self.slot)
            #expect(store.unsyncedCount == 0)
            #expect(try store.writeForDeferredSync() == nil)
            // The fsync runs on another thread, as the engine's log writer runs it.
            try await Task.detached { try pending.sync() }.value
            #expect(store.key(for: a) != nil && store.key(for: b) != nil)
            _ = try store.createKey()
            pendingAfterClose = try store.writeForDeferredSync()
            try store.close()
        }
        // After the store closed, a sync still held says so instead of touching the descriptor.
        let stale = try #require(pendingAfterClose)
        #expect(throws: KeyStoreError.self) { try stale.sync() }
        let store = try KeyStore(directory: dir.path)
        #expect(store.recovery.isClean)
        #expect(store.subjectCount == 3)
    }

    @Test func destroyThenReopen() throws {
        let dir = TemporaryDirectory("shredding")
        defer { dir.remove() }
        let kept: SubjectKey
        do {
            let store = try KeyStore(directory: dir.path)
            let a = try store.createKey()
            let b = try store.createKey()
            try store.sync()
            kept = try #require(store.key(for: a))
            try store.destroy(b)
            #expect(store.key(for: b) == nil)
            #expect(store.isDestroyed(b))
            #expect(!store.isDestroyed(a))
            try store.destroy(b)  // idempotent
        }
        let store = try KeyStore(directory: dir.path)
        #expect(store.recovery.isClean)
        #expect(store.subjectCount == 2)
        #expect(store.key(for: SubjectID(1)) == kept)
        #expect(store.key(for: SubjectID(2)) == nil)
        #expect(store.isDestroyed(SubjectID(2)))
        #expect(try store.createKey() == SubjectID(3))
    }

    @Test func destroyedKeyBytesAreGoneFromTheFile() throws {
        let dir = TemporaryDirectory("shredding")
        defer { dir.remove() }
        let store = try KeyStore(directory: dir.path)
        let ids = try (0..<5).map { _ in try store.createKey() }
        try store.sync()
        let victims = [ids[1], ids[3]]
        let victimKeys = try victims.map { try #require(store.key(for: $0)).bytes }
        let survivorKeys = try [ids[0], ids[2], ids[4]].map { try #require(store.key(for: $0)).bytes }
        let before = try dir.read("keys.bin")
        for k in victimKeys + survivorKeys { #expect(before.contains(subsequence: k)) }

        try store.destroy(victims)

        let after = try dir.read("keys.bin")
        #expect(after.count == before.count)  // overwritten in place, not appended
        for k in victimKeys { #expect(!after.contains(subsequence: k)) }
        for k in survivorKeys { #expect(after.contains(subsequence: k)) }
        // Only the victims' slots changed.
        for i in 0..<after.count / Self.slot {
            let changed = !after[i * Self.slot..<(i + 1) * Self.slot].elementsEqual(
                before[i * Self.slot..<(i + 1) * Self.slot])
            #expect(changed == victims.contains(SubjectID(UInt64(i))), "slot \(i)")
        }
    }

    @Test func keyDestroyedBeforeSyncNeverReachesTheFile() throws {
        let dir = TemporaryDirectory("shredding")
        defer { dir.remove() }
        let store = try KeyStore(directory: dir.path)
        _ = try store.createKey()
        let b = try store.createKey()
        let bKey = try #require(store.key(for: b)).bytes
        try store.destroy(b)
        let file = try dir.read("keys.bin")
        #expect(file.count == 3 * Self.slot)
        #expect(!file.contains(subsequence: bKey))
        #expect(store.unsyncedCount == 0)
    }

    @Test func destroyOfUnknownSubjectThrowsAndChangesNothing() throws {
        let dir = TemporaryDirectory("shredding")
        defer { dir.remove() }
        let store = try KeyStore(directory: dir.path)
        let a = try store.createKey()
        try store.sync()
        let error = #expect(throws: KeyStoreError.self) { try store.destroy([a, SubjectID(9)]) }
        #expect(error?.code == .unknownSubject)
        #expect(error?.message.contains("createKey()") == true)
        #expect(store.key(for: a) != nil)
        #expect(throws: KeyStoreError.self) { try store.destroy(SubjectID(0)) }
    }

    @Test func tornLastSlotIsTreatedAsNeverCreated() throws {
        let dir = TemporaryDirectory("shredding")
        defer { dir.remove() }
        let first: SubjectKey
        do {
            let store = try KeyStore(directory: dir.path)
            _ = try store.createKey()
            _ = try store.createKey()
            _ = try store.createKey()
            try store.sync()
            first = try #require(store.key(for: SubjectID(1)))
        }
        var file = try dir.read("keys.bin")
        file[3 * Self.slot + 20] ^= 0x40  // a torn write inside slot 3's key
        try dir.write("keys.bin", file)

        do {
            let store = try KeyStore(directory: dir.path)
            #expect(store.recovery.droppedTailSlots == 1)
            #expect(store.recovery.damagedSubjects.isEmpty)
            #expect(store.subjectCount == 2)
            #expect(store.key(for: SubjectID(3)) == nil)
            #expect(!store.isDestroyed(SubjectID(3)))
            #expect(store.key(for: SubjectID(1)) == first)
            #expect(try store.createKey() == SubjectID(3))
            try store.sync()
        }
        #expect(try KeyStore(directory: dir.path).recovery.isClean)
    }

    @Test(arguments: [1, 20, 63])
    func partialLastSlotIsDropped(bytes: Int) throws {
        let dir = TemporaryDirectory("shredding")
        defer { dir.remove() }
        do {
            let store = try KeyStore(directory: dir.path)
            _ = try store.createKey()
            try store.sync()
        }
        // A crash while appending: part of slot 2, then zeros the file system had allocated.
        let slot2 = [UInt8](repeating: 0x5A, count: bytes)
        try dir.write("keys.bin", try dir.read("keys.bin") + slot2)
        let store = try KeyStore(directory: dir.path)
        #expect(store.recovery.droppedTailBytes == bytes)
        #expect(store.subjectCount == 1)
        #expect(try dir.read("keys.bin").count == 2 * Self.slot)
    }

    @Test func zeroFilledTailSlotsAreDropped() throws {
        let dir = TemporaryDirectory("shredding")
        defer { dir.remove() }
        do {
            let store = try KeyStore(directory: dir.path)
            _ = try store.createKey()
            try store.sync()
        }
        try dir.write("keys.bin", try dir.read("keys.bin") + [UInt8](repeating: 0, count: 3 * Self.slot))
        let store = try KeyStore(directory: dir.path)
        #expect(store.recovery.droppedTailSlots == 3)
        #expect(store.subjectCount == 1)
    }

    @Test func damagedMiddleSlotBecomesDestroyed() throws {
        let dir = TemporaryDirectory("shredding")
        defer { dir.remove() }
        let third: SubjectKey
        do {
            let store = try KeyStore(directory: dir.path)
            for _ in 0..<3 { _ = try store.createKey() }
            try store.sync()
            third = try #require(store.key(for: SubjectID(3)))
        }
        var file = try dir.read("keys.bin")
        let damagedKey = Array(file[2 * Self.slot + 16..<2 * Self.slot + 48])
        file[2 * Self.slot + 30] ^= 0x01
        try dir.write("keys.bin", file)
        do {
            let store = try KeyStore(directory: dir.path)
            #expect(store.recovery.damagedSubjects == [SubjectID(2)])
            #expect(store.isDestroyed(SubjectID(2)))
            #expect(store.key(for: SubjectID(3)) == third)
            #expect(store.subjectCount == 3)
        }
        // Repaired on disk: the damaged key's remains are zeroed and the next open is clean.
        let repaired = try dir.read("keys.bin")
        #expect(!repaired.contains(subsequence: Array(damagedKey[0..<14])))
        #expect(try KeyStore(directory: dir.path).recovery.isClean)
    }

    @Test func retiredIdsAreNotReused() throws {
        let dir = TemporaryDirectory("shredding")
        defer { dir.remove() }
        let store = try KeyStore(directory: dir.path)
        _ = try store.createKey()
        try store.sync()
        #expect(try store.retireSubjects(through: SubjectID(4)) == 3)
        #expect(store.isDestroyed(SubjectID(4)))
        #expect(try store.retireSubjects(through: SubjectID(2)) == 0)
        #expect(try store.createKey() == SubjectID(5))
    }

    @Test func manySubjectsCreateAndReopen() throws {
        let dir = TemporaryDirectory("shredding")
        defer { dir.remove() }
        let count = 100_000
        let clock = ContinuousClock()
        var samples: [(SubjectID, SubjectKey)] = []
        let created = try clock.measure {
            let store = try KeyStore(directory: dir.path)
            for i in 0..<count {
                let id = try store.createKey()
                if i % 9_973 == 0 { samples.append((id, store.key(for: id)!)) }
            }
            try store.sync()
            try store.destroy(samples[1].0)
        }
        let start = clock.now
        let store = try KeyStore(directory: dir.path)
        let reopened = clock.now - start
        #expect(store.subjectCount == count)
        #expect(store.recovery.isClean)
        for (i, (id, key)) in samples.enumerated() { #expect(store.key(for: id) == (i == 1 ? nil : key)) }
        // Speed is a benchmark's business (`credence bench`); the durations are printed only.
        print("100k subjects (debug build): created+synced in \(created), reopened in \(reopened)")
    }
}

@Suite struct KeyStoreErrorTests {
    @Test func notAKeyStore() throws {
        let dir = TemporaryDirectory("shredding")
        defer { dir.remove() }
        try dir.write("keys.bin", Array("this is definitely not a key store, it is a text file of some length".utf8))
        let error = #expect(throws: KeyStoreError.self) { try KeyStore(directory: dir.path) }
        #expect(error?.code == .notAKeyStore)
        #expect(error?.message.contains("CREDKEYS") == true)
    }

    @Test func shortGarbageIsNotAKeyStore() throws {
        let dir = TemporaryDirectory("shredding")
        defer { dir.remove() }
        try dir.write("keys.bin", [1, 2, 3])
        let error = #expect(throws: KeyStoreError.self) { try KeyStore(directory: dir.path) }
        #expect(error?.code == .notAKeyStore)
    }

    @Test func tornHeaderOfANewStoreIsRewritten() throws {
        let dir = TemporaryDirectory("shredding")
        defer { dir.remove() }
        _ = try KeyStore(directory: dir.path)
        try dir.write("keys.bin", Array(try dir.read("keys.bin")[0..<10]))
        let store = try KeyStore(directory: dir.path)
        #expect(store.subjectCount == 0)
        #expect(try dir.read("keys.bin").count == 64)
    }

    @Test func newerFormatIsRefused() throws {
        let dir = TemporaryDirectory("shredding")
        defer { dir.remove() }
        _ = try KeyStore(directory: dir.path)
        var file = try dir.read("keys.bin")
        file[8] = 3  // version 3, checksum now wrong too
        try dir.write("keys.bin", file)
        let error = #expect(throws: KeyStoreError.self) { try KeyStore(directory: dir.path) }
        #expect(error?.code == .unsupportedFormat)
    }

    @Test func secondOpenIsLocked() throws {
        let dir = TemporaryDirectory("shredding")
        defer { dir.remove() }
        let first = try KeyStore(directory: dir.path)
        let error = #expect(throws: KeyStoreError.self) { try KeyStore(directory: dir.path) }
        #expect(error?.code == .locked)
        withExtendedLifetime(first) {}
    }

    @Test func missingStoreWithoutCreateIsNotFound() throws {
        let dir = TemporaryDirectory("shredding")
        defer { dir.remove() }
        var configuration = KeyStore.Configuration()
        configuration.createIfMissing = false
        let error = #expect(throws: KeyStoreError.self) {
            try KeyStore(directory: dir.path + "/keys", configuration: configuration)
        }
        #expect(error?.code == .notFound)
    }

    @Test(.enabled(if: geteuid() != 0, "root ignores file permissions"))
    func unwritableDirectoryIsPermissionDenied() throws {
        let dir = TemporaryDirectory("shredding")
        defer {
            _ = chmod(dir.path, 0o700)
            dir.remove()
        }
        #expect(chmod(dir.path, 0o500) == 0)
        let error = #expect(throws: KeyStoreError.self) { try KeyStore(directory: dir.path + "/keys") }
        #expect(error?.code == .permissionDenied)
        #expect(error?.message.contains("permission denied") == true)
    }

    @Test func badFileNameIsRejected() {
        var configuration = KeyStore.Configuration()
        configuration.fileName = "../keys.bin"
        let error = #expect(throws: KeyStoreError.self) { try configuration.validate() }
        #expect(error?.code == .invalidConfiguration)
    }
}
