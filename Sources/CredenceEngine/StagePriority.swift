#if canImport(Glibc)
    import Glibc
#endif

/// The scheduling priority of the stage threads that feed the engine's thread or drain it.
///
/// In ingest, three threads share two cores: the decoding stage, the engine's thread and the log
/// writer. The engine's thread is the one the others wait for; the decoding stage runs ahead of
/// it by a few chunks and the writer lags behind it by up to two batches, so both have slack.
/// At equal priority the kernel gave them the core as often as the engine's thread, which then
/// sat runnable for about 5 s of a 27 s ingest of the r30k stream. A stage thread lowers its own
/// priority (nice +5; Linux keeps a nice value per thread) so that the engine's thread runs
/// whenever it can, and the stages take the rest.
enum StagePriority {
    /// The nice value a stage thread takes: below the engine's, not starved (CFS gives a nice 5
    /// thread about a third of the weight of a nice 0 one when both want the same core).
    static let niceIncrement: Int32 = 5

    /// Lowers the calling thread's priority; silently does nothing where that is not possible.
    static func lowerCurrentThread() {
        #if os(Linux)
            // `who` 0 is the calling thread: on Linux the nice value belongs to each thread.
            let current = getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0)
            _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, current + niceIncrement)
        #endif
    }
}
