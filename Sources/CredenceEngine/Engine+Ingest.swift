import CredenceCore

extension Engine {
    /// Reads NDJSON files (`-` for standard input) into the log, a batch at a time, then closes
    /// every month the input covers (SCORING.md section 5: the end of a batch input).
    ///
    /// - Parameter progress: called about four times a second with the counters and elapsed seconds.
    public func ingest(files: [String], progress: ((IngestCounters, Double) -> Void)? = nil) throws -> Double {
        let clock = ContinuousClock.now
        var lastReport = clock
        for file in files {
            let reader = try LineReader(path: file, maxLineBytes: configuration.decoder.maxEventBytes)
            let source = file == "-" ? "stdin" : "file:" + Files.absolute(file)
            try reader.forEachLine { line, number, truncated in
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
