#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The process's resident memory, and giving freed heap pages back to the system.
public enum ProcessMemory {
    /// Resident bytes now (`/proc/self/statm`), or 0 where there is no such file.
    public static func residentBytes() -> Int {
        // A plain read: /proc files report a size of 0, which Foundation's file readers trust.
        let fd = open("/proc/self/statm", O_RDONLY)
        guard fd >= 0 else { return 0 }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 256)
        let n = read(fd, &buffer, buffer.count)
        guard n > 0 else { return 0 }
        let parts = buffer[0..<n].split(separator: UInt8(ascii: " "))
        guard parts.count > 1, let pages = Int(String(decoding: parts[1], as: UTF8.self)) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    /// Returns the heap pages freed so far to the system (glibc's `malloc_trim`): after a start-up
    /// that read a checkpoint or replayed a log, whose buffers are gone, so that resident memory
    /// is what the engine keeps. A no-op elsewhere.
    public static func releaseFreedPages() {
        #if canImport(Glibc)
            _ = glibcMallocTrim(0)
        #endif
    }
}

#if canImport(Glibc)
    /// glibc's `malloc_trim` (in `<malloc.h>`, which the Glibc module does not import).
    @_silgen_name("malloc_trim")
    private func glibcMallocTrim(_ pad: Int) -> Int32
#endif
