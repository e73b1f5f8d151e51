import DurableFile

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

// Opening, loading and recovering the key file; writes that poison the store when they fail.
extension KeyStore {
    static func openFile(directory: String, path: String, configuration: Configuration) throws(KeyStoreError)
        -> DurableFile.Positional
    {
        if configuration.createIfMissing {
            do { try DurableFile.makeDirectory(directory, mode: 0o700) } catch {
                throw openError(error, path: directory, doing: "create the key directory")
            }
        }
        let file: DurableFile.Positional
        do { file = try DurableFile.Positional(path: path, create: configuration.createIfMissing, mode: 0o600) } catch {
            throw openError(error, path: path, doing: "open the key file")
        }
        // On a throw below, `file` is released and its deinit closes it.
        let locked: Bool
        do { locked = try file.tryLock() } catch {
            throw KeyStoreError(
                code: .io, message: "cannot lock \(path); check the file system", path: path, underlying: error)
        }
        guard locked else {
            throw KeyStoreError(
                code: .locked,
                message: "\(path) is in use by another process; stop the other credence process using this "
                    + "data directory, or use another data directory",
                path: path)
        }
        return file
    }

    static func openError(_ error: DurableFileError, path: String, doing: String) -> KeyStoreError {
        switch error.errno {
        case EACCES, EPERM, EROFS:
            return KeyStoreError(
                code: .permissionDenied,
                message: "cannot \(doing) \(path): permission denied; give the user running credence read and "
                    + "write access to it (the store rewrites the file in place), or use a data directory it owns",
                path: path, underlying: error)
        case ENOENT:
            return KeyStoreError(
                code: .notFound,
                message: "cannot \(doing) \(path): it does not exist; check the data directory, or open with "
                    + "createIfMissing to start a new store",
                path: path, underlying: error)
        default:
            return KeyStoreError(
                code: .io, message: "cannot \(doing) \(path); check the path and the disk", path: path,
                underlying: error)
        }
    }

    struct Loaded {
        var keys: [UInt8]
        var states: [UInt8]
        var slotsOnDisk: Int
        var recovery: Recovery
    }

    /// Reads the header and every slot, then repairs a torn tail and damaged slots.
    static func load(file: DurableFile.Positional, path: String, directory: String) throws(KeyStoreError) -> Loaded {
        let slotSize = KeyFileFormat.slotSize
        func ioError(_ e: DurableFileError, _ doing: String) -> KeyStoreError {
            KeyStoreError(
                code: .io, message: "cannot \(doing) \(path); check the disk, then reopen", path: path, underlying: e)
        }
        var size: Int
        do { size = try file.size() } catch { throw ioError(error, "stat") }

        // Header.
        var header = [UInt8](repeating: 0, count: slotSize)
        let headerBytes: Int
        do { headerBytes = try file.read(into: &header, 0..<slotSize, at: 0) } catch {
            throw ioError(error, "read")
        }
        if size < slotSize {
            // New, or creation crashed before the header was complete: start over if what is there
            // is a prefix of a header.
            guard header[0..<headerBytes].elementsEqual(KeyFileFormat.header[0..<headerBytes]) else {
                throw KeyStoreError(
                    code: .notAKeyStore,
                    message: "\(path) is not a Credence key store: it has \(size) bytes that do not start with "
                        + "\"CREDKEYS\"; check the data directory (do not delete the file if it may hold keys)",
                    path: path)
            }
            do {
                try file.write(KeyFileFormat.header, at: 0)
                try file.sync()
                // Make the new file's name durable, and the directory's if it was just made.
                try DurableFile.syncDirectory(directory)
                if let slash = directory.lastIndex(of: "/") {
                    try? DurableFile.syncDirectory(slash == directory.startIndex ? "/" : String(directory[..<slash]))
                }
            } catch { throw ioError(error, "initialize") }
            size = slotSize
        } else {
            try checkHeader(header, path: path)
        }

        // Slots, read in chunks.
        let fullSlots = size / slotSize
        var keys = [UInt8](repeating: 0, count: fullSlots * SubjectKey.byteCount)
        var states = [UInt8](repeating: 0, count: fullSlots)
        var invalid: [Int] = []
        var lastValid = 0
        let chunkSlots = 4096
        var chunk = [UInt8](repeating: 0, count: chunkSlots * slotSize)
        var next = 1
        while next < fullSlots {
            let n = min(chunkSlots, fullSlots - next)
            let got: Int
            do { got = try file.read(into: &chunk, 0..<n * slotSize, at: next * slotSize) } catch {
                throw ioError(error, "read")
            }
            guard got == n * slotSize else {
                throw KeyStoreError(
                    code: .io, message: "\(path) shrank while being read; make sure no other program writes it",
                    path: path)
            }
            chunk.withUnsafeBytes { c in
                keys.withUnsafeMutableBytes { k in
                    for j in 0..<n {
                        let id = next + j
                        let slot = c.baseAddress! + j * slotSize
                        if let state = KeyFileFormat.decodeSlot(slot, subject: UInt64(id)) {
                            lastValid = id
                            states[id] = UInt8(state.rawValue)
                            if state == .live {
                                (k.baseAddress! + id * SubjectKey.byteCount).copyMemory(
                                    from: slot + KeyFileFormat.keyOffset, byteCount: SubjectKey.byteCount)
                            }
                        } else {
                            invalid.append(id)
                            states[id] = UInt8(KeyFileFormat.State.destroyed.rawValue)
                        }
                    }
                }
            }
            next += n
        }

        // Repair: drop the torn tail, rewrite damaged slots as destroyed.
        var loaded = Loaded(keys: keys, states: states, slotsOnDisk: fullSlots, recovery: Recovery())
        let damaged = invalid.filter { $0 < lastValid }
        loaded.recovery.droppedTailSlots = invalid.count - damaged.count
        loaded.recovery.droppedTailBytes = size % slotSize
        loaded.recovery.damagedSubjects = damaged.map { SubjectID(UInt64($0)) }
        guard !loaded.recovery.isClean else { return loaded }
        loaded.keys.removeSubrange(((lastValid + 1) * SubjectKey.byteCount)...)
        loaded.states.removeSubrange((lastValid + 1)...)
        loaded.slotsOnDisk = lastValid + 1
        do {
            for id in damaged {
                try file.write(KeyFileFormat.slot(subject: UInt64(id), state: .destroyed, key: nil), at: id * slotSize)
            }
            if loaded.slotsOnDisk * slotSize != size { try file.truncate(to: loaded.slotsOnDisk * slotSize) }
            try file.sync()
        } catch { throw ioError(error, "repair") }
        return loaded
    }

    static func checkHeader(_ header: [UInt8], path: String) throws(KeyStoreError) {
        guard header[0..<8].elementsEqual(KeyFileFormat.magic) else {
            let found = header[0..<8].map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
            throw KeyStoreError(
                code: .notAKeyStore,
                message: "\(path) is not a Credence key store: it starts with bytes \(found), not \"CREDKEYS\"; "
                    + "check the data directory (do not delete the file if it may hold keys)",
                path: path)
        }
        let ok = header.withUnsafeBytes { KeyFileFormat.checksumMatches($0.baseAddress!) }
        let version = header.withUnsafeBytes {
            UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: 8, as: UInt32.self))
        }
        let slotSize = header.withUnsafeBytes {
            UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: 12, as: UInt32.self))
        }
        guard ok else {
            throw KeyStoreError(
                code: .unsupportedFormat,
                message: "the header of \(path) fails its checksum, so the file is damaged; restore it from a backup "
                    + "and destroy again every key erased since that backup",
                path: path)
        }
        guard version == KeyFileFormat.version, slotSize == UInt32(KeyFileFormat.slotSize) else {
            throw KeyStoreError(
                code: .unsupportedFormat,
                message: "\(path) has key-store format version \(version) with \(slotSize)-byte slots; this build "
                    + "reads version \(KeyFileFormat.version) with \(KeyFileFormat.slotSize)-byte slots; "
                    + "run the credence version that wrote it",
                path: path)
        }
    }

    func checkUsable() throws(KeyStoreError) {
        if let failure {
            throw KeyStoreError(
                code: .failed,
                message: "an earlier write or fsync of \(path) failed, so which keys are on disk is unknown; "
                    + "close this store and reopen it (restart credence) to recover from what is on disk",
                path: path, underlying: failure.underlying)
        }
    }

    func write(_ bytes: [UInt8], at offset: Int) throws(KeyStoreError) {
        let file = try usableFile()
        do { try file.write(bytes, at: offset) } catch {
            throw poison(error, "write")
        }
    }

    func writeUnwritten() throws(KeyStoreError) {
        guard !unwritten.isEmpty else { return }
        try write(unwritten, at: slotsOnDisk * KeyFileFormat.slotSize)
        slotsOnDisk += unwritten.count / KeyFileFormat.slotSize
        unwritten.removeAll(keepingCapacity: true)
    }

    func syncFile() throws(KeyStoreError) {
        let file = try usableFile()
        do { try file.sync() } catch { throw poison(error, "fsync") }
    }

    /// The open file; after ``close()`` or a failure, the error that says why it may not be used.
    private func usableFile() throws(KeyStoreError) -> DurableFile.Positional {
        try checkUsable()
        guard let file else {
            throw KeyStoreError(
                code: .failed, message: "the key store \(path) is closed; open it again to use it", path: path)
        }
        return file
    }

    /// Records a failed write or fsync; after one, the page cache may not match the disk (Linux
    /// drops dirty pages on fsync errors), so only reopening from the file is safe.
    private func poison(_ error: DurableFileError, _ doing: String) -> KeyStoreError {
        let e = KeyStoreError.io(error, doing, path: path)
        failure = e
        return e
    }
}

extension KeyStoreError {
    /// A failed write or fsync of the key file at `path` (`doing`: what failed), and what to do.
    static func io(_ error: DurableFileError, _ doing: String, path: String) -> KeyStoreError {
        KeyStoreError(
            code: .io,
            message: "cannot \(doing) \(path); check free space and the disk, then restart credence "
                + "(the store reopens and recovers)",
            path: path, underlying: error)
    }
}
