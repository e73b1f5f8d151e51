import Foundation

/// Counts of `malloc` calls from ordo-one's malloc interposer, when `scripts/bench-allocations`
/// preloaded it into this process (`LD_PRELOAD`); `nil` otherwise, and the benchmark says how to
/// get them. Found by name with `dlsym`, so the `credence` binary never links the interposer.
///
/// ```swift
/// if let counts = AllocationCounts.preloaded() {
///     let (_, mallocs) = counts.counting { try engine.ingest(files: [input]) }
/// }
/// ```
struct AllocationCounts {
    private typealias Toggle = @convention(c) () -> Void
    private typealias Read =
        @convention(c) (
            UnsafeMutablePointer<Int64>?, UnsafeMutablePointer<Int64>?, UnsafeMutablePointer<Int64>?,
            UnsafeMutablePointer<Int64>?, UnsafeMutablePointer<Int64>?, UnsafeMutablePointer<Int64>?
        ) -> Void

    private let enable: Toggle
    private let disable: Toggle
    private let reset: Toggle
    private let read: Read

    /// The interposer's entry points, if it is loaded.
    static func preloaded() -> AllocationCounts? {
        func symbol(_ name: String) -> UnsafeMutableRawPointer? { dlsym(nil, name) }  // RTLD_DEFAULT
        guard let e = symbol("malloc_interposer_enable"), let d = symbol("malloc_interposer_disable"),
            let z = symbol("malloc_interposer_reset"), let r = symbol("malloc_interposer_get_stats")
        else { return nil }
        return AllocationCounts(
            enable: unsafeBitCast(e, to: Toggle.self), disable: unsafeBitCast(d, to: Toggle.self),
            reset: unsafeBitCast(z, to: Toggle.self), read: unsafeBitCast(r, to: Read.self))
    }

    /// Runs `body` and returns its result with the number of allocations (`malloc`, `calloc`,
    /// `realloc`, aligned allocations) every thread of the process made meanwhile.
    func counting<T>(_ body: () throws -> T) rethrows -> (T, allocations: Int64) {
        reset()
        enable()
        let result = try body()
        disable()
        // The interposer writes through every pointer.
        var count: Int64 = 0
        var unused = (Int64(0), Int64(0), Int64(0), Int64(0), Int64(0))
        read(&count, &unused.0, &unused.1, &unused.2, &unused.3, &unused.4)
        return (result, count)
    }
}
