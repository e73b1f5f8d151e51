import CredenceCore
import CredenceTestSupport
import Foundation
import SnapshotStore
import Testing

/// Insert and export throughput, off by default. Run in release:
///
///     CREDENCE_STORE_BENCH_ROWS=1000000 swift test -c release --filter SnapshotStoreBenchmarkTests
@Suite struct SnapshotStoreBenchmarkTests {
    static let rows = ProcessInfo.processInfo.environment["CREDENCE_STORE_BENCH_ROWS"].flatMap { Int($0) }

    @Test(.enabled(if: rows != nil)) func insertAndExportThroughput() throws {
        let count = Self.rows ?? 0
        let dir = TemporaryDirectory()
        let store = try dir.store()
        let ids = (0..<count).map { String(format: "user-%08d", $0) }
        let entries = ids.enumerated().map { i, id in
            Fixture.entry(id, score: 300 + Int64(i % 551), reasons: ["R05", "R09", "R02"])
        }
        let snapshot = Snapshot(month: Fixture.november, modelVersion: Fixture.model, entries: entries)

        let clock = ContinuousClock()
        // For context: formatting the lines alone (CredenceCore), on one thread.
        var rendered = 0
        let render = clock.measure {
            for e in entries {
                rendered &+= e.exportLine(month: Fixture.november, modelVersion: Fixture.model).utf8.count
            }
        }
        let cpuBefore = Self.cpuSeconds()
        let write = try clock.measure { try store.writeClosed(snapshot) }
        let writeCPU = Self.cpuSeconds() - cpuBefore
        let second = Fixture.november.advanced(by: 1)
        let writeSecond = try clock.measure {
            try store.writeClosed(Snapshot(month: second, modelVersion: Fixture.model, entries: entries))
        }
        var bytes = 0
        let export = try clock.measure {
            try store.export(month: Fixture.november, modelVersion: Fixture.model) { bytes += $0.utf8.count + 1 }
        }
        var rewritten = true
        let rewrite = try clock.measure { rewritten = try store.writeClosed(snapshot) }
        #expect(rewritten == false)
        let distribution = try clock.measure {
            _ = try store.distribution(month: Fixture.november, modelVersion: Fixture.model)
        }
        var erased = 0
        let erase = try clock.measure { erased = try store.deleteUser(ids[count / 2]) }
        #expect(erased == 2)

        func rate(_ d: Duration) -> Int {
            Int(Double(count) / (Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18))
        }
        let fileSize = (try? FileManager.default.attributesOfItem(atPath: store.path)[.size] as? Int) ?? 0
        print(
            """
            snapshot store, \(count) rows, \(bytes / max(count, 1)) bytes/line, \(ProcessInfo.processInfo.activeProcessorCount) cores:
              exportLine only, one thread: \(render) = \(rate(render)) rows/s (\(rendered / 1_048_576) MiB)
              write month 1:  \(write) = \(rate(write)) rows/s, \(writeCPU) s of CPU (user + system, all threads)
              write month 2:  \(writeSecond) = \(rate(writeSecond)) rows/s
              export:         \(export) = \(rate(export)) rows/s
              idempotent rewrite check: \(rewrite)
              distribution:   \(distribution)
              deleteUser (+checkpoint): \(erase)
              file size: \(fileSize / 1_048_576) MiB
            """)
    }

    /// CPU time of the whole process so far, user plus system.
    static func cpuSeconds() -> Double {
        var usage = rusage()
        #if os(Linux)
            getrusage(RUSAGE_SELF.rawValue, &usage)
        #else
            getrusage(RUSAGE_SELF, &usage)
        #endif
        func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }
}
