#if canImport(Glibc)
    import Glibc
#endif

/// The scheduling priority of the stage threads beside the engine's thread: the decoding stage and
/// the log writer in ingest, the reader and the opener in a replay (``ReplayStage``).
///
/// In ingest, three threads share two cores: the decoding stage, the engine's thread and the log
/// writer. The decoding stage runs ahead of the engine by up to four chunks, so it has slack; at
/// equal priority the kernel gave it a core as often as the engine's thread, which then sat
/// runnable for about 4–5 s of a 25 s ingest of the r30k stream. The decoding thread lowers its
/// own priority (nice +5; Linux keeps a nice value per thread), so that the engine's thread runs
/// whenever it can and the decoding takes the rest.
///
/// The log writer is lowered too, since session 20. Before, it stayed at the engine's priority:
/// the engine waits for it at every commit (the batch before must be durable), and while it
/// sealed through swift-crypto's API (about 8.7 s of CPU over the r30k ingest) it fell further
/// behind when lowered (slower in five pairs of six). Sealing now costs a third of that, the
/// writer runs about 3.8 s, and the engine's thread is the ingest's bound: lowered, the r30k
/// ingest was faster in six pairs of eight (median 15.65 s against 16.66 s), the Kafka path in
/// two of two.
///
/// A replay's reader and opener are lowered the same way, below the engine's thread that applies
/// what they hand over: faster than at equal priority in four alternating pairs of four.
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
