import Foundation

/// The figures of one `credence bench` run beside their goals (issue 12's table), printed last.
final class BenchTable {
    private var rows: [(figure: String, value: String, goal: String)] = []

    func add(_ figure: String, _ value: String, goal: String) {
        rows.append((figure, value, goal))
    }

    /// Prints the table, then the run's peak resident memory.
    func print(runs: Int) {
        guard !rows.isEmpty else { return }
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        rows.append(("peak resident memory of this run", "\(usage.ru_maxrss / 1024) MiB", ""))
        let width = rows.map(\.figure.count).max()! + 2
        let valueWidth = max(rows.map(\.value.count).max()!, 5) + 2
        Swift.print("")
        Swift.print(
            "figure".padding(toLength: width, withPad: " ", startingAt: 0)
                + "median".padding(toLength: valueWidth, withPad: " ", startingAt: 0) + "goal")
        for r in rows {
            Swift.print(
                r.figure.padding(toLength: width, withPad: " ", startingAt: 0)
                    + r.value.padding(toLength: valueWidth, withPad: " ", startingAt: 0) + r.goal)
        }
        Swift.print("(medians of \(runs) runs; the machine is shared: compare ratios taken in one run)")
    }
}
