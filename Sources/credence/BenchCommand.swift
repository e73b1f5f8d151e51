import ArgumentParser
import CredenceCore
import CredenceEngine
import CredenceSynth
import EventLog
import Foundation
import SnapshotStore

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract:
            "Measure throughput: decode, ingest, features, replay, month close, snapshot store, the Kafka path. Build with -c release.",
        discussion: """
            Each figure is the median of --runs runs on a generated stream. Machines are noisy: compare
            medians, and ratios within one run, not single numbers.
            """
    )

    enum Kind: String, ExpressibleByArgument, CaseIterable {
        case decode, ingest, features, replay, close, store, crc, kafka, all
    }

    @Argument(help: "What to measure: \(Kind.allCases.map(\.rawValue).joined(separator: ", ")).")
    var kind: Kind = .all
    @Option(name: .long, help: "Users in the generated stream.") var users: Int = 20_000
    @Option(name: .long, help: "Months in the generated stream.") var months: Int = 12
    @Option(name: .long, help: "Users for the month-close and snapshot-store benchmarks.") var closeUsers: Int =
        1_000_000
    @Option(name: .long, help: "Runs per figure.") var runs: Int = 5
    @Option(
        name: .long, help: "Shards of the users' states (default: 1 on up to two cores, else one per core, at most 8).")
    var shards: Int?
    @Flag(name: .long, help: "Ingest without fsync.") var noFsync = false
    @Option(name: .long, help: "Days of event time an event id stays known to the duplicate check (at least 7).")
    var dedupWindowDays: Int = 35
    /// Set by the benchmark itself on a process of its own (``RestartProbe``).
    @Option(name: .long, help: .hidden) var probeRestart: String?

    /// The shard count of every engine the benchmarks open, but the one-thread runs.
    var shardCount: Int { shards ?? EngineConfiguration.defaultShards }

    /// The settings every engine the benchmarks open shares: the data directory, the shard
    /// count and the duplicate window.
    func engineConfiguration(dataDirectory: String) -> EngineConfiguration {
        var ec = EngineConfiguration()
        ec.shards = shardCount
        ec.dataDirectory = dataDirectory
        ec.dedupWindowMilliseconds = Int64(dedupWindowDays) * Instant.millisecondsPerDay
        return ec
    }

    func run() throws {
        if let shards, !(1...256).contains(shards) {
            throw ValidationError("--shards must be between 1 and 256, got \(shards)")
        }
        if let probeRestart {
            return try RestartProbe.report(engineConfiguration(dataDirectory: probeRestart))
        }
        let work = NSTemporaryDirectory() + "credence-bench-\(getpid())"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }
        var c = GeneratorConfiguration(users: users, months: months, seed: 42)
        c.noise = GeneratorConfiguration.Noise()
        let (bytes, summary) = try EventStreamGenerator(configuration: c).bytes()
        let input = work + "/events.ndjson"
        _ = FileManager.default.createFile(atPath: input, contents: Data(bytes))
        let lines = bytes.split(separator: 10).map { Array($0) }
        print(
            "stream: \(Format.count(summary.lines)) lines, \(Format.count(bytes.count / 1_000_000)) MB, \(users) users x \(months) months"
        )
        let table = BenchTable()
        defer { table.print(runs: runs) }
        let allocations = AllocationCounts.preloaded()
        if allocations == nil {
            print("(allocations per event: run `scripts/bench-allocations`, which preloads a malloc counter)")
        }

        if kind == .decode || kind == .all {
            let decoder = EventDecoder()
            let rate = median(runs) {
                let t = ContinuousClock.now
                var accepted = 0
                for l in lines { if case .accepted = decoder.decode(l) { accepted += 1 } }
                precondition(accepted > 0)
                return Double(lines.count) / (ContinuousClock.now - t).secondsDouble
            }
            print("decode+validate:   \(Format.rate(rate)) events/s  (\(mb(rate, bytes.count, lines.count)) MB/s)")
            table.add("decode + validate, one thread", "\(Format.rate(rate)) events/s", goal: "")
            if let allocations {
                let (_, count) = allocations.counting {
                    for l in lines { _ = decoder.decode(l) }
                }
                table.add("  allocations per line decoded", perEvent(count, lines.count), goal: "")
            }
        }
        var events: [Event] = []
        if kind == .features || kind == .all {
            let decoder = EventDecoder()
            events = lines.compactMap { decoder.decode($0).event }
            let rate = median(runs) {
                // The aggregators and the scorecard alone: no log, no dedup, no store.
                let t = ContinuousClock.now
                var state = ScoringState()
                let model = Scorecard.default
                for e in events {
                    _ = state.accept(e)
                    for m in state.monthsReadyToClose(watermark: state.watermark) { _ = state.close(m, model: model) }
                }
                for m in state.monthsToCloseAtEndOfInput() { _ = state.close(m, model: model) }
                return Double(events.count) / (ContinuousClock.now - t).secondsDouble
            }
            print(
                "features+scoring:  \(Format.rate(rate)) events/s (decoded events into the state, month closes included)"
            )
        }
        var ingestDir = ""
        var ingestAllocations: String? = nil
        if kind == .ingest || kind == .replay || kind == .all {
            // Both ways in one run, alternating, so the ratio is taken under the same load.
            var results: [Bool: [Double]] = [:]
            for i in 0..<max(runs, 1) {
                for parallel in kind == .replay ? [true] : [false, true] {
                    ingestDir = work + "/ingest-\(i)-\(parallel)"
                    var ec = engineConfiguration(dataDirectory: ingestDir)
                    ec.parallelDecode = parallel
                    // The one-thread way applies on the engine's thread too.
                    if !parallel { ec.shards = 1 }
                    if noFsync { ec.log.durability = .none }
                    let engine = try Engine.open(ec)
                    let counted = allocations != nil && parallel && i == runs - 1
                    let (seconds, count) =
                        counted
                        ? try allocations!.counting { try engine.ingest(files: [input]) }
                        : (try engine.ingest(files: [input]), 0)
                    try engine.close()
                    results[parallel, default: []].append(Double(engine.counters.received) / seconds)
                    if counted {
                        ingestAllocations = perEvent(count, engine.counters.received)
                    }
                    if i < runs - 1 || !parallel { try? FileManager.default.removeItem(atPath: ingestDir) }
                }
            }
            let rate = results[true]!.sorted()[results[true]!.count / 2]
            if kind != .replay {
                let serial = results[false]!.sorted()[results[false]!.count / 2]
                let what = noFsync ? "log, no fsync" : "durable log"
                print(
                    "ingest (NDJSON to \(what), features, closes; \(shardCount) shards): "
                        + "\(Format.rate(rate)) events/s (\(mb(rate, bytes.count, lines.count)) MB/s); "
                        + "on the engine's thread alone: "
                        + "\(Format.rate(serial)) events/s")
                table.add(
                    "ingest NDJSON to the \(what), closes, snapshots", "\(Format.rate(rate)) events/s", goal: ">= 1M")
                table.add("  the same, on the engine's thread alone", "\(Format.rate(serial)) events/s", goal: "")
                if let ingestAllocations {
                    table.add("  allocations per event, every thread", ingestAllocations, goal: "few")
                }
            }
        }
        if kind == .replay || kind == .all {
            var i = 0
            var rates: [Bool: [Double]] = [:]
            var replayAllocations: String? = nil
            for run in 0..<max(runs, 1) {
                for parallel in [false, true] {
                    i += 1
                    var ec = engineConfiguration(dataDirectory: ingestDir)
                    ec.derivedDirectory = work + "/replay-\(i)"
                    ec.parallelDecode = parallel
                    if !parallel { ec.shards = 1 }
                    ec.checkpoints.everyEvents = 0
                    let counted = allocations != nil && parallel && run == runs - 1
                    let (engine, count) =
                        counted ? try allocations!.counting { try Engine.open(ec) } : (try Engine.open(ec), 0)
                    let s = engine.lastReplay
                    if counted { replayAllocations = perEvent(count, s.events) }
                    try engine.close()
                    try? FileManager.default.removeItem(atPath: work + "/replay-\(i)")
                    rates[parallel, default: []].append(Double(s.events) / s.seconds)
                }
            }
            let rate = rates[true]!.sorted()[rates[true]!.count / 2]
            let serial = rates[false]!.sorted()[rates[false]!.count / 2]
            print(
                "replay from the log into a fresh store (\(shardCount) shards): "
                    + "\(Format.rate(rate)) events/s; on the engine's thread alone: \(Format.rate(serial)) events/s")
            table.add("replay of the whole log into a fresh store", "\(Format.rate(rate)) events/s", goal: ">= 4M")
            table.add("  the same, on the engine's thread alone", "\(Format.rate(serial)) events/s", goal: "")
            if let replayAllocations {
                table.add("  allocations per event, every thread", replayAllocations, goal: "few")
            }
            // A restart: the clean close left a checkpoint; the full replay is the fallback.
            var ready: [Double] = []
            var full: [Double] = []
            var users = 0
            var residentPerUser: [Int] = []
            var memory = EngineMemory()
            for _ in 0..<max(runs, 1) {
                for checkpoints in [true, false] {
                    var ec = engineConfiguration(dataDirectory: ingestDir)
                    ec.checkpoints.enabled = checkpoints
                    ProcessMemory.releaseFreedPages()
                    let before = residentBytes()
                    let t = ContinuousClock.now
                    let engine = try Engine.open(ec)
                    let seconds = (ContinuousClock.now - t).secondsDouble
                    if checkpoints {
                        ready.append(seconds)
                        users = engine.scoring.userCount
                        residentPerUser.append((residentBytes() - before) / max(users, 1))
                        memory = engine.memory
                    } else {
                        full.append(seconds)
                    }
                    try engine.close()
                }
            }
            ready.sort()
            full.sort()
            print(
                "restart: ready in \(Format.seconds(ready[ready.count / 2])) from the checkpoint, "
                    + "\(Format.seconds(full[full.count / 2])) by a full replay (\(Format.count(users)) users)")
            table.add("restart to ready, from the checkpoint", Format.seconds(ready[ready.count / 2]), goal: "<= 2 s")
            table.add("  the same by a full replay", Format.seconds(full[full.count / 2]), goal: "")
            residentPerUser.sort()
            // The same restart in processes of their own, an empty directory's taken off.
            let empty = work + "/empty"
            var separate: [Int] = []
            for _ in 0..<max(runs, 1) {
                try? FileManager.default.removeItem(atPath: empty)
                let base = try RestartProbe.measure(
                    directory: empty, shards: shardCount, dedupWindowDays: dedupWindowDays)
                let full = try RestartProbe.measure(
                    directory: ingestDir, shards: shardCount, dedupWindowDays: dedupWindowDays)
                separate.append((full.residentBytes - base.residentBytes) / max(full.users, 1))
            }
            separate.sort()
            table.add(
                "resident per user after that restart, everything the engine holds",
                "\(separate[separate.count / 2]) B", goal: "<= 300 B")
            table.add(
                "  the same measured in the benchmark's own process (reuses freed memory)",
                "\(residentPerUser[residentPerUser.count / 2]) B", goal: "")
            // Where it goes, counted from the containers (resident memory also holds free space).
            table.add("  counted by part, per user", "\(memory.total / max(users, 1)) B", goal: "")
            for part in memory.parts {
                table.add("    \(part.name)", "\(part.bytes / max(users, 1)) B", goal: "")
            }
        }
        if kind == .close || kind == .all {
            try benchClose(work: work, table: table, allocations: allocations)
        }
        if kind == .store || kind == .all {
            try benchStore(work: work)
        }
        if kind == .crc || kind == .all {
            benchCRC()
        }
        if kind == .kafka || kind == .all {
            try KafkaBench(
                input: input, lines: lines.count, runs: runs, noFsync: noFsync, shards: shardCount, work: work
            ).run(table: table)
        }
    }

    /// Builds `closeUsers` users with a year of typical history, then times one month close.
    func benchClose(work: String, table: BenchTable, allocations: AllocationCounts?) throws {
        // Give back what the stream's generation freed, or the state reuses those pages and the
        // resident delta reads as nothing.
        ProcessMemory.releaseFreedPages()
        let before = residentBytes()
        var state = ScoringState()
        let month = Month(year: 2026, month: 1)
        let offset = UTCOffset.beijing
        var rng = SystemRandomNumberGenerator()
        let base = month.advanced(by: -11).start(offset: offset).millisecondsSinceEpoch
        var id = 0
        func at(_ m: Int, _ day: Int64) -> Instant {
            Instant(millisecondsSinceEpoch: base + Int64(m) * 30 * 86_400_000 + day * 86_400_000)
        }
        let build = ContinuousClock.now
        for u in 0..<closeUsers {
            let user = "user-\(u)"
            func next() -> String {
                id += 1
                return "e\(id)"
            }
            _ = state.accept(
                Event(
                    eventID: next(), userID: user, occurredAt: at(0, 0), payload: .userEnrolled(identityVerified: true))
            )
            _ = state.accept(
                Event(
                    eventID: next(), userID: user, occurredAt: at(0, 1), payload: .creditLimitSet(limitMinor: 500_000)))
            for m in 0..<12 {
                for k in 0..<2 {
                    _ = state.accept(
                        Event(
                            eventID: next(), userID: user, occurredAt: at(m, Int64(3 + k * 7)),
                            payload: .payment(
                                .init(
                                    paymentID: "p", amountMinor: 1000 + Int64(rng.next() % 9000), currency: "CNY",
                                    merchantCategory: "m", outcome: .approved))))
                }
            }
            for k in 0..<2 {
                let ob = "o\(k)"
                _ = state.accept(
                    Event(
                        eventID: next(), userID: user, occurredAt: at(9 + k, 2),
                        payload: .obligationOpened(
                            .init(
                                obligationID: ob, service: k == 0 ? .payLater : .rental, amountMinor: 20_000,
                                dueAt: at(10 + k, 2)))))
                _ = state.accept(
                    Event(
                        eventID: next(), userID: user, occurredAt: at(10 + k, 1),
                        payload: .repayment(obligationID: ob, amountMinor: 20_000)))
            }
        }
        let buildSeconds = (ContinuousClock.now - build).secondsDouble
        state.compact()
        let after = residentBytes()
        let approximate = state.userStates.reduce(0) { $0 + $1.approximateBytes } / max(closeUsers, 1)
        var times: [Double] = []
        for _ in 0..<max(runs, 1) {
            var copy = state
            let t = ContinuousClock.now
            let (snapshot, _) = copy.close(month, model: .default)
            times.append((ContinuousClock.now - t).secondsDouble)
            precondition(snapshot.entries.count == closeUsers)
        }
        times.sort()
        print(
            "month close: \(Format.count(closeUsers)) users in \(String(format: "%.2f", times[times.count / 2])) s (median); "
                + "state built at \(Format.rate(Double(id) / buildSeconds)) events/s")
        // The issue's figure: the close and the durable store write of the month it produced.
        var copy = state
        let (snapshot, _) = copy.close(month, model: .default)
        var closeAllocations: String? = nil
        if let allocations {
            var again = state
            let (_, count) = allocations.counting { _ = again.close(month, model: .default) }
            closeAllocations = perEvent(count, closeUsers)
        }
        var writes: [Double] = []
        for i in 0..<max(runs, 1) {
            let store = try SnapshotStore(directory: work + "/close-store-\(i)")
            let t = ContinuousClock.now
            try store.writeClosed(snapshot)
            writes.append((ContinuousClock.now - t).secondsDouble)
            try store.close()
            try? FileManager.default.removeItem(atPath: work + "/close-store-\(i)")
        }
        writes.sort()
        let write = writes[writes.count / 2]
        print(
            "snapshot store write of that month (durable): \(String(format: "%.2f", write)) s (median); "
                + "close + store: \(String(format: "%.2f", times[times.count / 2] + write)) s")
        table.add(
            "month close of \(Format.count(closeUsers)) users, store write included",
            String(format: "%.2f s", times[times.count / 2] + write), goal: "<= 2 s")
        if let closeAllocations { table.add("  allocations per user closed", closeAllocations, goal: "") }
        print(
            "state per user: ~\(approximate) B by its own count, \((after - before) / max(closeUsers, 1)) B of resident memory "
                + "(includes the user-id index and dictionary overhead)")
        table.add(
            "scoring state resident per user (a year of 24 payments, 2 obligations)",
            "\((after - before) / max(closeUsers, 1)) B", goal: "<= 300 B with everything")
    }

    /// `count` allocations over `events`, per event, to two decimals.
    func perEvent(_ count: Int64, _ events: Int) -> String {
        String(format: "%.2f", Double(count) / Double(max(events, 1)))
    }

    func median(_ n: Int, _ body: () -> Double) -> Double {
        var values = (0..<max(n, 1)).map { _ in body() }
        values.sort()
        return values[values.count / 2]
    }

    func mb(_ rate: Double, _ bytes: Int, _ lines: Int) -> String {
        String(format: "%.0f", rate * Double(bytes) / Double(max(lines, 1)) / 1e6)
    }

    func residentBytes() -> Int { ProcessMemory.residentBytes() }
}

extension Duration {
    var secondsDouble: Double {
        let (s, a) = components
        return Double(s) + Double(a) / 1e18
    }
}

extension BenchCommand {
    /// Times the snapshot store on a month of `closeUsers` users: the durable write of a closed
    /// month, the export, point lookups, a user's history, the distribution and an erasure.
    func benchStore(work: String) throws {
        let count = closeUsers
        var rng = Xorshift(seed: 7)
        let ids = (0..<count).map { i in "user-\(i)" }.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        let codes = ["R01", "R02", "R03", "R04", "R05", "R06", "R07", "R08", "R09", "R10"]
        let entries = ids.map { id -> SnapshotEntry in
            var f = Features()
            f.identityVerified = rng.next() % 10 != 0
            f.tenureDays = Int64(rng.next() % 1500)
            f.payments12m = Int64(rng.next() % 60)
            f.spend12mMinor = Int128(rng.next() % 5_000_000)
            f.activeMonths12m = Int64(rng.next() % 13)
            f.declined12m = Int64(rng.next() % 3)
            f.obligationsTotal = Int64(rng.next() % 12)
            f.onTimeSettled = Int64(rng.next() % 10)
            f.lateSettled24m = Int64(rng.next() % 2)
            f.openObligations = Int64(rng.next() % 3)
            f.outstandingMinor = Int128(rng.next() % 300_000)
            f.overdueObligations = Int64(rng.next() % 2)
            f.maxDpdCurrent = Int64(rng.next() % 40)
            f.maxDpd24m = Int64(rng.next() % 100)
            f.defaults24m = Int64(rng.next() % 2)
            f.creditLimitMinor = rng.next() % 5 == 0 ? 0 : 500_000
            f.utilizationBp = f.creditLimitMinor == 0 ? nil : Int128(rng.next() % 10_000)
            let reasons = (0..<Int(rng.next() % 5)).map { _ in codes[Int(rng.next() % 10)] }
            return SnapshotEntry(userID: id, score: 300 + Int64(rng.next() % 551), reasons: reasons, features: f)
        }
        let directory = work + "/store"
        let store = try SnapshotStore(directory: directory)
        let first = Month(year: 2026, month: 1)
        let runs = max(self.runs, 1)
        var lineBytes = 0
        let render = median(runs) {
            let t = ContinuousClock.now
            lineBytes = 0
            for e in entries { lineBytes &+= e.exportLine(month: first, modelVersion: "default-1").utf8.count + 1 }
            return (ContinuousClock.now - t).secondsDouble
        }
        var month = first
        let write = try medianThrowing(runs) {
            let snapshot = Snapshot(month: month, modelVersion: "default-1", entries: entries)
            month = month.advanced(by: 1)
            let t = ContinuousClock.now
            try store.writeClosed(snapshot)
            return (ContinuousClock.now - t).secondsDouble
        }
        let export = try medianThrowing(runs) {
            let t = ContinuousClock.now
            var n = 0
            try store.exportBytes(month: first, modelVersion: "default-1") { n &+= $0.count }
            precondition(n == lineBytes)
            return (ContinuousClock.now - t).secondsDouble
        }
        let lookups = 2_000
        let lookup = try medianThrowing(runs) {
            let t = ContinuousClock.now
            for _ in 0..<lookups {
                let id = ids[Int(rng.next() % UInt64(count))]
                let found = try store.entry(userID: id, month: first, modelVersion: "default-1")
                precondition(found != nil)
            }
            return (ContinuousClock.now - t).secondsDouble / Double(lookups)
        }
        let history = try medianThrowing(runs) {
            let t = ContinuousClock.now
            for _ in 0..<200 {
                let id = ids[Int(rng.next() % UInt64(count))]
                let months = try store.history(userID: id, modelVersion: "default-1").count
                precondition(months == runs)
            }
            return (ContinuousClock.now - t).secondsDouble / 200
        }
        let distribution = try medianThrowing(runs) {
            let t = ContinuousClock.now
            let users = try store.distribution(month: first, modelVersion: "default-1").count
            precondition(users == count)
            return (ContinuousClock.now - t).secondsDouble
        }
        let erase = try medianThrowing(runs) {
            let id = ids[Int(rng.next() % UInt64(count))]
            let t = ContinuousClock.now
            let erased = try store.deleteUser(id)
            precondition(erased == runs)
            return (ContinuousClock.now - t).secondsDouble
        }
        let onDisk = Self.diskBytes(directory)
        func ms(_ s: Double) -> String { String(format: "%.1f ms", s * 1000) }
        func us(_ s: Double) -> String { String(format: "%.0f µs", s * 1e6) }
        print("snapshot store, \(Format.count(count)) users, \(lineBytes / max(count, 1)) B/line (medians of \(runs)):")
        print("  render export lines alone (one thread): \(ms(render))")
        print("  write a closed month, durable:         \(ms(write))")
        print("  export a month:                        \(ms(export))")
        print("  point lookup (user, month):            \(us(lookup))")
        print("  history over \(runs) months:             \(us(history))")
        print("  distribution:                          \(ms(distribution))")
        print("  erase a user from \(runs) months:        \(ms(erase))")
        print("  on disk: \(onDisk / 1_000_000) MB for \(runs) months (\(onDisk / max(runs * count, 1)) B/user-month)")
        try store.close()
    }

    func medianThrowing(_ n: Int, _ body: () throws -> Double) throws -> Double {
        var values: [Double] = []
        for _ in 0..<max(n, 1) { values.append(try body()) }
        values.sort()
        return values[values.count / 2]
    }

    static func diskBytes(_ directory: String) -> Int {
        guard let walker = FileManager.default.enumerator(atPath: directory) else { return 0 }
        var total = 0
        while let name = walker.nextObject() as? String {
            let attributes = try? FileManager.default.attributesOfItem(atPath: directory + "/" + name)
            if attributes?[.type] as? FileAttributeType == .typeRegular { total += attributes?[.size] as? Int ?? 0 }
        }
        return total
    }
}

/// A small deterministic generator for benchmark data.
struct Xorshift {
    var state: UInt64
    init(seed: UInt64) { state = seed | 1 }
    mutating func next() -> UInt64 {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return state
    }
}

extension BenchCommand {
    /// CRC-32C throughput: the instruction path the log uses against the portable tables, on
    /// record-sized pieces (150 B) and on 64 KiB.
    func benchCRC() {
        var rng = Xorshift(seed: 3)
        let data = (0..<(16 << 20)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        func rate(_ piece: Int, _ f: (UInt32, UnsafeRawPointer, Int) -> UInt32) -> Double {
            median(runs) {
                var crc: UInt32 = 0
                let t = ContinuousClock.now
                data.withUnsafeBytes { raw in
                    var at = 0
                    while at + piece <= raw.count {
                        crc = f(crc, raw.baseAddress! + at, piece)
                        at += piece
                    }
                }
                precondition(crc != 1)
                return Double(data.count) / (ContinuousClock.now - t).secondsDouble / 1e9
            }
        }
        let hardware: (UInt32, UnsafeRawPointer, Int) -> UInt32 = { crc, p, n in
            CRC32C.checksum(UnsafeRawBufferPointer(start: p, count: n), continuing: crc)
        }
        print("CRC-32C (\(CRC32C.usesHardware ? "instruction" : "no instruction on this CPU") vs portable), GB/s:")
        for piece in [150, 64 << 10] {
            print(
                String(
                    format: "  %6d-byte pieces: %.2f vs %.2f", piece, rate(piece, hardware),
                    rate(piece, CRC32C.portable)))
        }
    }
}
