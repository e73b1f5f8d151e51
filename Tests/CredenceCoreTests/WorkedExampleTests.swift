import CredenceCore
import Foundation
import Testing

/// The spec's worked example (`../shared/spec/examples`) through the pure core: decode, drop
/// duplicates, score in arrival order, and compare every export byte for byte.
@Suite struct WorkedExampleTests {
    @Test func exportsMatchTheExpectedFilesByteForByte() throws {
        var run = InMemoryScorer()
        var rejected = 0
        for line in try SpecFiles.exampleLines where !line.isEmpty {
            switch TestSupport.decode(line) {
            case .accepted(let event, _): run.feed(event)
            case .rejected: rejected += 1
            }
        }
        run.finish()
        #expect(rejected == 4)
        #expect(run.state.closedMonths.map(\.description) == ["2025-12", "2026-01", "2026-02", "2026-03"])
        for month in run.state.closedMonths {
            let expected = try SpecFiles.text("examples/expected/snapshot-\(month).ndjson")
            #expect(run.export(month) == expected, "export of \(month)")
        }
    }
}
