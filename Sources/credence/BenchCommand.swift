import ArgumentParser
import CredenceCore
import CredenceEngine
import CredenceSynth
import Foundation

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure throughput: decode, ingest, features, replay, month close. Build with -c release.",
        discussion: """
            Each figure is the median of --runs runs on a generated stream. Machines are noisy: compare
            medians, and ratios within one run, not single numbers.
            """
    )

    enum Kind: String, ExpressibleByArgument, CaseIterable {
        case decode, ingest, features, replay, close, all
    }

    @Argument(help: "What to measure: \(Kind.allCases.map(\.rawValue).joined(separator: ", ")).")
    var kind: Kind = .all
    @Option(name: .long, help: "Users in the generated stream.") var users: Int = 20_000
    @Option(name: .long, help: "Months in the generated stream.") var months: Int = 12
    @Option(name: .long, help: "Users for the month-close benchmark.") var closeUsers: Int = 1_000_000
    @Option(name: .long, help: "Runs per figure.") var runs: Int = 5
    @Flag(name: .long, help: "Ingest without fsync.") var noFsync = false

    func run() throws {
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
        if kind == .ingest || kind == .replay || kind == .all {
            var results: [Double] = []
            for i in 0..<max(runs, 1) {
                ingestDir = work + "/ingest-\(i)"
                var ec = EngineConfiguration()
                ec.dataDirectory = ingestDir
                if noFsync { ec.log.durability = .none }
                let engine = try Engine.open(ec)
                let seconds = try engine.ingest(files: [input])
                try engine.close()
                results.append(Double(engine.counters.received) / seconds)
                if i < runs - 1 { try? FileManager.default.removeItem(atPath: ingestDir) }
            }
            let rate = results.sorted()[results.count / 2]
            if kind != .replay {
                print(
                    "ingest (NDJSON to \(noFsync ? "log, no fsync" : "durable log"), features, closes): "
                        + "\(Format.rate(rate)) events/s (\(mb(rate, bytes.count, lines.count)) MB/s)")
            }
        }
        if kind == .replay || kind == .all {
            var i = 0
            let rate = median(runs) {
                i += 1
                var ec = EngineConfiguration()
                ec.dataDirectory = ingestDir
                ec.derivedDirectory = work + "/replay-\(i)"
                let engine = try! Engine.open(ec)
                let s = engine.lastReplay
                try! engine.close()
                try? FileManager.default.removeItem(atPath: work + "/replay-\(i)")
                return Double(s.events) / s.seconds
            }
            print("replay from the log into a fresh store: \(Format.rate(rate)) events/s")
            let restart = median(runs) {
                // A restart: the store has every month, so replay rebuilds the state only.
                var ec = EngineConfiguration()
                ec.dataDirectory = ingestDir
                let engine = try! Engine.open(ec)
                let s = engine.lastReplay
                try! engine.close()
                return Double(s.events) / s.seconds
            }
            print("replay from the log at a restart (state and indexes): \(Format.rate(restart)) events/s")
        }
        if kind == .close || kind == .all {
            try benchClose()
        }
    }

    /// Builds `closeUsers` users with a year of typical history, then times one month close.
    func benchClose() throws {
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
        let approximate = state.users.values.reduce(0) { $0 + $1.approximateBytes } / max(closeUsers, 1)
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
        print(
            "state per user: ~\(approximate) B by its own count, \((after - before) / max(closeUsers, 1)) B of resident memory "
                + "(includes the user-id index and dictionary overhead)")
    }

    func median(_ n: Int, _ body: () -> Double) -> Double {
        var values = (0..<max(n, 1)).map { _ in body() }
        values.sort()
        return values[values.count / 2]
    }

    func mb(_ rate: Double, _ bytes: Int, _ lines: Int) -> String {
        String(format: "%.0f", rate * Double(bytes) / Double(max(lines, 1)) / 1e6)
    }

    func residentBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let parts = text.split(separator: " ")
        return parts.count > 1 ? (Int(parts[1]) ?? 0) * Int(sysconf(Int32(_SC_PAGESIZE))) : 0
    }
}

extension Duration {
    var secondsDouble: Double {
        let (s, a) = components
        return Double(s) + Double(a) / 1e18
    }
}
