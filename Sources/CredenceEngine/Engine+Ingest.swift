import CredenceCore

extension Engine {
    /// Reads NDJSON files (`-` for standard input) into the log, a batch at a time, then closes
    /// every month the input covers (SCORING.md section 5: the end of a batch input).
    ///
    /// A file read before (the same path and inode) resumes after its last line whose event is
    /// in the log, like a Kafka consumer after its committed offset: a crash and a re-run, or a
    /// file that grew, neither loses nor repeats anything. `fromStart` reads it all again
    /// (duplicates are then dropped by `event_id`).
    ///
    /// - Parameter progress: called about four times a second with the counters and elapsed seconds.
    public func ingest(
        files: [String], fromStart: Bool = false, progress: ((IngestCounters, Double) -> Void)? = nil
    ) throws -> Double {
        let clock = ContinuousClock.now
        var lastReport = clock
        for file in files {
            let reader = try LineReader(path: file, maxLineBytes: configuration.decoder.maxEventBytes)
            let source = file == "-" ? "stdin" : "file:" + Files.absolute(file) + "@" + Files.identity(file)
            let resumeAfter = file == "-" || fromStart ? 0 : lastPosition(of: source) ?? 0
            try reader.forEachLine { line, number, truncated in
                if number <= resumeAfter {
                    counters.resumedPast += 1
                    return
                }
                if line.isBlankLine { return }
                let position = SourcePosition(source: source, position: number)
                if truncated {
                    counters.received += 1
                    deadLetter(
                        line, position, reason: "too_large",
                        message: "line \(number) is longer than \(configuration.decoder.maxEventBytes) bytes "
                            + "(the dead letter holds its first \(line.count) bytes)")
                } else {
                    try submit(line, at: position)
                }
                if let progress, counters.received & 0x3fff == 0 {
                    let now = ContinuousClock.now
                    if now - lastReport > .milliseconds(250) {
                        lastReport = now
                        progress(counters, (now - clock).seconds)
                    }
                }
            }
        }
        try endOfInput()
        return (ContinuousClock.now - clock).seconds
    }
}
